// StageAgent on a project with no test command (many Supabase projects: SQL migrations and pgTAP
// only). A change that is migrations alone is staged on the strength of the Migrator's dry run, and
// the manifest, REVIEW.md and the log say that no project tests ran and why; a change with code in
// it still stages nothing. Real git repos, the real phase handlers, the real writer.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationOnly, stageAgent } from '../../agents/stage-agent/index.js';
import { evaluateGate, PHASES } from '../../src/engine/gates.js';
import { defaultConfig } from '../../src/config/config.js';
import type { PhaseContext } from '../../src/engine/phases.js';
import type { ChangeFile, GateResult, StagedMigration } from '../../agents/shared/change-set.js';
import { cleanupProjects, makeProject } from '../helpers.js';

afterAll(cleanupProjects);

const config = defaultConfig('demo');
const UP = 'supabase/migrations/20260101000000_tasks_owner_idx.sql';
const DOWN = 'supabase/rollbacks/20260101000000_tasks_owner_idx.down.sql';
const migration: StagedMigration = { version: '20260101000000', name: 'tasks_owner_idx', upPath: UP, downPath: DOWN, up: 'create index concurrently if not exists tasks_owner_idx on public.tasks (owner);\n', down: 'drop index concurrently if exists public.tasks_owner_idx;\n', findings: [], destructive: false };
const migrationFiles: ChangeFile[] = [
  { path: UP, content: migration.up, reason: 'index the foreign key', agent: 'MIGRATOR' },
  { path: DOWN, content: migration.down, reason: 'its rollback', agent: 'MIGRATOR' },
];
const dryRun: GateResult = { agent: 'migrator-1', phase: 'validate', gate: 'test-coverage', ok: true, detail: 'in place of test coverage: no code line changed; the shadow dry run applied the 1 migration(s) (1 schema object(s)) and reverted them' };

function sqlProject(): string {
  const root = makeProject('crm-agent-stage-sql-');
  mkdirSync(join(root, 'supabase', 'migrations'), { recursive: true });
  mkdirSync(join(root, 'supabase', 'tests', 'database'), { recursive: true });
  writeFileSync(join(root, 'supabase', 'migrations', '20250101000000_init.sql'), 'create table public.tasks (id bigint primary key, owner uuid);\n');
  writeFileSync(join(root, 'supabase', 'tests', 'database', '01-tasks.sql'), "begin; select plan(1); select has_table('tasks'); select * from finish(); rollback;\n");
  writeFileSync(join(root, 'lib.js'), 'export const x = 1;\n');
  const git = (...a: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...a], { cwd: root });
  git('add', '-A');
  git('commit', '-qm', 'init');
  return root;
}

async function runPhases(root: string, files: ChangeFile[], migrations: StagedMigration[]) {
  const logs: string[] = [];
  let staged: string | null = null;
  const task = stageAgent({ root, change: { ticket: { id: 'BUG-7', title: 'delete times out', kind: 'BUG' }, title: 'fix', summary: 's', files, migrations }, gates: () => [dryRun], testCommand: null }, (m) => (staged = m.dir));
  for (const phase of PHASES) {
    const ctx = { phase, agentId: 'stageagent-1', runId: 'r', ticketId: 'BUG-7', signal: new AbortController().signal, config, outputs: {}, log: (level: string, m: string) => logs.push(`${level} ${m}`) } as unknown as PhaseContext;
    const outcome = await task.phases[phase](ctx);
    const verdict = evaluateGate(phase, outcome.metrics, config.gates, outcome.items, 'BUG-7');
    if (verdict.type === 'block') return { staged, logs, blocked: { phase, reason: verdict.reason } };
  }
  return { staged: staged as string | null, logs, blocked: null };
}

describe('StageAgent without a test command', () => {
  it('tells a migration-only change from one with code in it', () => {
    expect(migrationOnly({ files: migrationFiles, migrations: [migration] })).toBe(true);
    expect(migrationOnly({ files: [...migrationFiles, { path: 'lib.js', content: 'export const x = 2;\n', reason: 'r', agent: 'CODESMITH' }], migrations: [migration] })).toBe(false);
    expect(migrationOnly({ files: [{ path: 'lib.js', content: 'x', reason: 'r', agent: 'CODESMITH' }], migrations: [] })).toBe(false);
  });

  it('stages a migration-only change checked by its dry run, and says no project tests ran', async () => {
    const root = sqlProject();
    const r = await runPhases(root, migrationFiles, [migration]);
    expect(r.blocked).toBeNull();
    expect(r.staged).toMatch(/^staged\//);
    const manifest = JSON.parse(readFileSync(join(root, r.staged!, 'manifest.json'), 'utf8'));
    expect(manifest.tests).toBeUndefined();
    expect(manifest.untested).toContain('the project has no test command');
    expect(manifest.untested).toContain('1 pgTAP file(s) in supabase/tests');
    expect(manifest.untested).toContain('shadow dry run applied the 1 migration(s)');
    expect(readFileSync(join(root, r.staged!, 'REVIEW.md'), 'utf8')).toContain('No project tests ran: the project has no test command');
    expect(r.logs.some((l) => l.startsWith('warn No project tests ran'))).toBe(true);
    expect(r.logs.some((l) => /^ok All tests passing/.test(l))).toBe(false);
  });

  it('stages nothing when the change also edits code, and names the missing test command', async () => {
    const root = sqlProject();
    const r = await runPhases(root, [...migrationFiles, { path: 'lib.js', content: 'export const x = 2;\n', reason: 'r', agent: 'CODESMITH' }], [migration]);
    expect(r.blocked).not.toBeNull();
    expect(r.blocked!.reason).toMatch(/test command/);
    expect(r.staged).toBeNull();
    expect(existsSync(join(root, 'staged')) ? readdirSync(join(root, 'staged')) : []).toEqual([]);
  });
});
