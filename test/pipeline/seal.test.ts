// Staged sets are sealed by content hashes: an edit after staging is refused by review (exit 2,
// naming the file) until `agent restage` re-runs the checks and recomputes the approval policy.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject } from '../helpers.js';
import { writeChangeSet } from '../../agents/stage-agent/writer.js';
import type { ChangeSetInput, Manifest } from '../../agents/shared/change-set.js';
import { assertSealed, compareSeal, destructiveNow, hashSetDir, sealOf } from '../../src/engine/seal.js';
import { UsageError } from '../../src/errors.js';
import { planMirrors } from '../../src/engine/restage.js';
import { StateDb } from '../../src/store/state-db.js';

afterAll(cleanupProjects);

const VERSION = '20261201000000';
const NAME = 'add_invoice_note';
const UP = 'alter table public.invoices add column note text;\n';
const DOWN = 'alter table public.invoices drop column note;\n';
const DROP = 'drop table public.invoices cascade;\n';
const stagedUp = `migrations/${VERSION}_${NAME}.up.sql`;

function sh(cwd: string, ...args: string[]) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** A project whose committed migrations create public.invoices. */
function project(): string {
  const dir = makeProject();
  mkdirSync(join(dir, 'supabase', 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'supabase', 'migrations', '20261101000000_invoices.sql'), 'create table public.invoices (id bigint primary key, total numeric not null);\n');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'crm' }));
  sh(dir, 'add', '-A');
  sh(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  return dir;
}

function input(baseSha: string): ChangeSetInput {
  const upPath = `supabase/migrations/${VERSION}_${NAME}.sql`;
  const downPath = `supabase/rollbacks/${VERSION}_${NAME}.down.sql`;
  return {
    ticket: { id: 'BUG-2026-001', title: 'Invoice notes', kind: 'BUG' },
    title: 'Invoice notes',
    summary: 'Adds a note column to invoices.',
    files: [
      { path: upPath, content: UP, reason: 'the column', agent: 'MIGRATOR' },
      { path: downPath, content: DOWN, reason: 'its rollback', agent: 'MIGRATOR' },
    ],
    migrations: [{ version: VERSION, name: NAME, upPath, downPath, up: UP, down: DOWN, findings: [], destructive: false }],
    gates: [{ agent: 'MIGRATOR', phase: 'validate', gate: 'shadow dry run', ok: true, detail: 'rollback verified' }],
    baseSha,
  };
}

/** Stages the set as the pipeline does: the directory, then its row in the state database. */
async function stage(dir: string): Promise<Manifest> {
  const m = await writeChangeSet(dir, input(sh(dir, 'rev-parse', 'HEAD')), new Date('2026-12-01T14:30:22Z'));
  const state = new StateDb(join(dir, '.agent', 'state.db'));
  state.insertChangeSet({ id: m.id, ticket_id: m.ticketId, dir: m.dir, status: 'staged', requires_approval: m.requiresApproval ? 1 : 0, created_at: Date.now(), manifest: JSON.stringify(m) });
  state.close();
  return m;
}

describe('sealing (pure)', () => {
  it('seals every file of a written set but the manifest, and finds changed, missing and added files', async () => {
    const dir = project();
    const m = await writeChangeSet(dir, input(sh(dir, 'rev-parse', 'HEAD')), new Date('2026-12-01T14:30:22Z'));
    const setDir = join(dir, m.dir);
    expect(Object.keys(m.sha256!).sort()).toEqual(
      ['REVIEW.md', 'changes.patch', `files/supabase/migrations/${VERSION}_${NAME}.sql`, `files/supabase/rollbacks/${VERSION}_${NAME}.down.sql`, stagedUp, `migrations/${VERSION}_${NAME}.down.sql`].sort(),
    );
    expect(hashSetDir(setDir)).toEqual(m.sha256);
    expect(JSON.parse(readFileSync(join(setDir, 'manifest.json'), 'utf8')).sha256).toEqual(m.sha256);
    expect(compareSeal(m.sha256, hashSetDir(setDir))).toEqual({ type: 'sealed', files: 6 });

    appendFileSync(join(setDir, stagedUp), DROP);
    rmSync(join(setDir, 'REVIEW.md'));
    writeFileSync(join(setDir, 'migrations', 'extra.sql'), 'select 1;\n');
    expect(compareSeal(m.sha256, hashSetDir(setDir))).toEqual({ type: 'broken', changed: [stagedUp], missing: ['REVIEW.md'], added: ['migrations/extra.sql'] });
    expect(compareSeal(undefined, hashSetDir(setDir))).toEqual({ type: 'unsealed' });
    expect(sealOf([{ path: 'a', content: 'x' }])).toEqual({ a: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881' });
  });

  it('assertSealed refuses a set staged before sealing (no hashes), and one whose manifest.json was edited', async () => {
    const dir = project();
    const m = await writeChangeSet(dir, input(sh(dir, 'rev-parse', 'HEAD')), new Date('2026-12-01T14:30:22Z'));
    const row = { id: m.id, ticket_id: m.ticketId, dir: m.dir, status: 'staged' as const, requires_approval: 0, created_at: 0, manifest: JSON.stringify(m) };
    expect(() => assertSealed(dir, row)).not.toThrow();
    const { sha256: _, ...unsealed } = m;
    expect(() => assertSealed(dir, { ...row, manifest: JSON.stringify(unsealed) })).toThrow(/staged before sets were sealed .*agent restage BUG-2026-001/);
    writeFileSync(join(dir, m.dir, 'manifest.json'), JSON.stringify({ ...m, requiresApproval: true }));
    expect(() => assertSealed(dir, row)).toThrow(UsageError);
    expect(() => assertSealed(dir, row)).toThrow(/manifest\.json differs from the copy recorded when it was staged/);
  });

  it('destructiveNow flags a drop appended to the SQL, whatever staging said', () => {
    expect(destructiveNow([{ version: VERSION, name: NAME, up: UP }])).toMatchObject({ requiresApproval: false, rules: [] });
    const now = destructiveNow([{ version: VERSION, name: NAME, up: UP + DROP }]);
    expect(now.requiresApproval).toBe(true);
    expect(now.rules).toEqual(['drop-table']);
    expect(now.findings[0]).toMatch(new RegExp(`^${stagedUp}:2: .*drop-table public\\.invoices`));
  });

  it('copies an edit of one copy of a migration to the other, and refuses two different edits', () => {
    const manifest = { files: [{ path: 'supabase/migrations/v_x.sql', action: 'create' as const, agent: 'M', reason: '', bytes: 1 }], migrations: [{ version: 'v', name: 'x', upPath: 'supabase/migrations/v_x.sql', downPath: 'supabase/rollbacks/v_x.down.sql', destructive: false, findings: 0 }] };
    const contents = new Map([['migrations/v_x.up.sql', Buffer.from('a;b')], ['files/supabase/migrations/v_x.sql', Buffer.from('a')]]);
    expect(planMirrors(manifest, contents, new Set(['migrations/v_x.up.sql']))).toEqual({ type: 'ok', copies: [{ from: 'migrations/v_x.up.sql', to: 'files/supabase/migrations/v_x.sql' }] });
    expect(planMirrors(manifest, contents, new Set(['migrations/v_x.up.sql', 'files/supabase/migrations/v_x.sql'])).type).toBe('refuse');
    expect(planMirrors(manifest, contents, null).type).toBe('refuse');
  });
});

describe('agent review and agent restage on an edited set (real CLI)', () => {
  it('refuses the edited set (exit 2, naming the file), then restage re-seals it as needing approval', async () => {
    const dir = project();
    const m = await stage(dir);
    expect(m.requiresApproval).toBe(false);
    const ok = await agent(['review', 'BUG-2026-001', '--stat'], { cwd: dir });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);

    appendFileSync(join(dir, m.dir, stagedUp), DROP);
    const refused = await agent(['review', 'BUG-2026-001'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`changed since it was staged: ${stagedUp} (sha256 differs)`);
    expect(refused.stderr).toContain('agent restage BUG-2026-001');
    // A deploy refuses it the same way, before anything runs.
    const deploy = await agent(['deploy', 'staging', 'BUG-2026-001'], { cwd: dir });
    expect([deploy.code, deploy.stderr]).toEqual([2, expect.stringContaining(`changed since it was staged: ${stagedUp}`)]);
    expect(sh(dir, 'branch', '--list', 'agent/*')).toBe('');
    expect(existsSync(join(dir, '.agent', 'pgdata'))).toBe(false);

    // Restage blocks while the rollback cannot bring the table back (the shadow proves it)…
    const blocked = await agent(['restage', 'BUG-2026-001'], { cwd: dir });
    expect(blocked.code).toBe(4);
    expect(blocked.stderr).toMatch(/Quality gate "shadow dry run" blocked .*rollback of 20261201000000_add_invoice_note (differs|failed).*stays unsealed/);
    expect((await agent(['review', 'BUG-2026-001'], { cwd: dir })).code).toBe(2);
    // …and re-seals once the admin's rollback does.
    const down = join(dir, m.dir, 'migrations', `${VERSION}_${NAME}.down.sql`);
    writeFileSync(down, 'create table if not exists public.invoices (id bigint primary key, total numeric not null);\n');
    const r = await agent(['restage', 'BUG-2026-001'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ lint: .*destructive \(drop-table\): deploying it needs approval/);
    expect(r.stdout).toMatch(/✓ patch applies: changes\.patch, regenerated from files\/, applies to its base commit/);
    expect(r.stdout).toMatch(/✓ shadow dry run: 1 migration\(s\) applied in a shadow; rollback verified/);
    expect(r.stdout).toMatch(/Re-sealed .*deploying it needs approval/);

    const state = new StateDb(join(dir, '.agent', 'state.db'));
    const row = state.changeSet(m.id)!;
    const after = JSON.parse(row.manifest) as Manifest;
    const audited = state.lastAudit()!;
    state.close();
    expect([audited.action, audited.target, audited.result]).toEqual(['change-set.restage', m.dir, 'resealed; deploying it needs approval']);
    expect(row.requires_approval).toBe(1);
    expect(after.requiresApproval).toBe(true);
    expect(after.migrations[0]!.destructive).toBe(true);
    expect(after.restaged?.edited.sort()).toEqual([stagedUp, `migrations/${VERSION}_${NAME}.down.sql`].sort());
    expect(hashSetDir(join(dir, m.dir))).toEqual(after.sha256);
    // The edit reached the copies the deploy commits, and the patch that carries them.
    expect(readFileSync(join(dir, m.dir, 'files', 'supabase', 'migrations', `${VERSION}_${NAME}.sql`), 'utf8')).toBe(UP + DROP);
    expect(readFileSync(join(dir, m.dir, 'changes.patch'), 'utf8')).toContain(`+${DROP.trim()}`);
    expect(readFileSync(join(dir, m.dir, 'REVIEW.md'), 'utf8')).toMatch(/## Re-staged [\s\S]*deploying it needs approval/);

    const shown = await agent(['review', 'BUG-2026-001', '--stat'], { cwd: dir });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('contains a destructive migration: deploying it needs approval');
    expect(shown.stdout).toMatch(/Re-staged .* after edits to .*up\.sql/);
    // What the issue saw: the staging deploy ran the drop with no approval. Now it waits for one.
    const waits = await agent(['deploy', 'staging', 'BUG-2026-001'], { cwd: dir });
    expect(waits.code, waits.stdout + waits.stderr).toBe(3);
    expect(waits.stderr).toMatch(/Approval required for apply destructive migration\(s\) of BUG-2026-001 on staging \(drop-table\)/);
  }, 30_000);
});
