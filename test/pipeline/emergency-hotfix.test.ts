// agent emergency deploy hotfix <ticket> (seed 5.2): the staged fix reaches production without its
// tests, only after the typed approval; checked on disk (the file on the main branch, the test
// script never run) and in the state (the deployment row, its audit entry).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { writeChangeSet } from '../../agents/stage-agent/writer.js';
import { StateDb } from '../../src/store/state-db.js';

afterAll(cleanupProjects);

const git = (cwd: string, ...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8' });

describe('emergency deploy hotfix', () => {
  it('waits for the typed approval, then merges the fix into production without running its tests', async () => {
    const dir = makeProject();
    // The test script would leave tests-ran.txt behind: it must not run.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'crm', scripts: { test: 'node -e "require(\'fs\').writeFileSync(\'tests-ran.txt\', \'\')"' } }));
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ backups: { beforeProductionDeploy: false } }));
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
    const created = parseNdjson((await agent(['create', 'ticket', 'estimates endpoint answers 500', '--json'], { cwd: dir })).stdout).at(-1) as { data: { ticket: { id: string } } };
    const id = created.data.ticket.id;
    const m = await writeChangeSet(dir, {
      ticket: { id, title: 'estimates endpoint', kind: 'BUG' },
      title: 'estimates endpoint',
      summary: 'Adds the estimates endpoint.',
      files: [{ path: 'app/api/estimates/route.ts', content: 'export async function POST() { return new Response(null, { status: 201 }); }\n', reason: 'the endpoint', agent: 'CODESMITH' }],
      migrations: [],
      gates: [],
      baseSha: git(dir, 'rev-parse', 'HEAD').stdout.trim(),
    });
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    state.insertChangeSet({ id: m.id, ticket_id: id, dir: m.dir, status: 'staged', requires_approval: 0, created_at: Date.now(), manifest: JSON.stringify(m) });
    state.close();

    const asked = await agent(['emergency', 'deploy', 'hotfix', id], { cwd: dir });
    expect(asked.code, asked.stdout + asked.stderr).toBe(3);
    const approval = /agent approve (APR-\d+) --confirm (\S+)/.exec(asked.stderr)!;
    expect(existsSync(join(dir, 'app/api/estimates/route.ts'))).toBe(false);

    const done = await agent(['approve', approval[1]!, '--confirm', approval[2]!.replace(/`$/, '')], { cwd: dir });
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(readFileSync(join(dir, 'app/api/estimates/route.ts'), 'utf8')).toContain('status: 201');
    expect(git(dir, 'log', '--merges', '-1', '--format=%s').stdout).toMatch(/^Deploy DEPLOY-\d{4}-\d{3}: /);
    expect(existsSync(join(dir, 'tests-ran.txt'))).toBe(false);
    const after = new StateDb(join(dir, '.agent', 'state.db'));
    const dep = after.deployments({ limit: 1 })[0]!;
    expect(dep).toMatchObject({ env: 'production', status: 'succeeded' });
    expect(JSON.parse(dep.data).tests).toBeNull();
    expect(after.audit().some((a) => a.approval?.includes(approval[1]!))).toBe(true);
    after.close();
  });
});
