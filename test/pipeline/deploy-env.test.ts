// Deploys through the real CLI on real embedded databases: staging and production are separate,
// a second production deploy and its rollback, DATABASE_URL as the single target.
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { openStateDb } from '../../src/store/state-db.js';
import { join } from 'node:path';
import { agent, cleanupProjects, expectUsageError, parseNdjson } from '../helpers.js';
import { deployProject, foreignKeys, gitIn, stageFix } from './deploy-fixture.js';

afterAll(cleanupProjects);

const T = 'BUG-2026-001';

async function ok(dir: string, ...args: string[]) {
  const r = await agent(args, { cwd: dir });
  if (r.code !== 0) throw new Error(`agent ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs a command that needs the typed approval, then approves it with the ticket id. */
async function approved(dir: string, ...args: string[]) {
  const asked = await agent([...args, '--json'], { cwd: dir });
  expect(asked.code, asked.stdout + asked.stderr).toBe(3);
  const id = parseNdjson(asked.stdout).find((e) => e.type === 'result')!.error as { detail?: { approvalId?: string } } | undefined;
  const approval = id?.detail?.approvalId ?? /APR-\d+/.exec(asked.stdout + asked.stderr)![0];
  return ok(dir, 'approve', approval, '--confirm', T);
}

describe('environments with their own databases', () => {
  it('a staging deploy leaves production untouched; production twice, then rollback last, restores code and schema and says so', async () => {
    const dir = deployProject();
    const fix = await stageFix(dir, T);
    const before = gitIn(dir, 'rev-parse', 'HEAD');

    await ok(dir, 'deploy', 'staging', T);
    expect(await foreignKeys(dir, 'staging')).toEqual([fix.constraint]);
    // Production has no database yet: the staging deploy did not create or change it.
    expect(existsSync(join(dir, '.agent', 'pgdata', 'production'))).toBe(false);

    const first = await approved(dir, 'deploy', 'production', T);
    expect(first).toMatch(/Merged agent\/bug-2026-001 into main/);
    expect(await foreignKeys(dir, 'production')).toEqual([fix.constraint]);
    const second = await approved(dir, 'deploy', 'production', T);
    expect(second).toMatch(/already applied/);
    expect(second).toMatch(/nothing to merge/);

    const rb = await approved(dir, 'rollback', 'last');
    expect(rb).toMatch(/Rolling back DEPLOY-2026-003, DEPLOY-2026-002 together/);
    expect(rb).toMatch(/✓ Rolled back 1 database migration\(s\) on embedded PGlite \(\.agent\/pgdata\/production\)/);
    expect(rb).toMatch(/✓ Schema matches the snapshot from before DEPLOY-2026-002/);
    expect(rb).toMatch(/✓ Rollback complete in/);
    expect(await foreignKeys(dir, 'production')).toEqual([]);
    // The incident report says what the rollback reverted, also what the earlier deployment applied.
    const incident = readdirSync(join(dir, '.agent', 'outbox')).find((f) => f.includes('incident'))!;
    expect(readFileSync(join(dir, '.agent', 'outbox', incident), 'utf8')).toMatch(/Migrations reverted: 20261201143022_estimates_customer_fk\r?\nCode: reverted merge [0-9a-f]{8} on main/);
    // Code: main reads as before the first production deploy.
    expect(gitIn(dir, 'diff', '--name-only', before, 'HEAD')).toBe('');
    // Staging keeps its own deployment.
    expect(await foreignKeys(dir, 'staging')).toEqual([fix.constraint]);
    const status = JSON.parse((await ok(dir, 'status', '--json')).trim().split('\n').pop()!).data;
    expect(status.unfinishedDeployments).toEqual([]);
  });

  it('DATABASE_URL alone is production: staging is refused before anything runs, unless --same-database', async () => {
    const dir = deployProject();
    await stageFix(dir, T);
    const r = await agent(['deploy', 'staging', T], { cwd: dir, env: { DATABASE_URL: 'postgres://crm:s3cretpw@127.0.0.1:1/crm' } });
    expectUsageError(r, /DATABASE_URL is the production database and staging has none of its own: set environments\.staging\.database .* or pass --same-database/);
    expect(r.stderr).not.toContain('s3cretpw');
    const bad = await agent(['deploy', 'production', T, '--same-database'], { cwd: dir });
    expectUsageError(bad, /--same-database is for staging/);
    const conf = await agent(['migrate', 'status', '--env', 'qa'], { cwd: dir });
    expect(conf.code).toBe(2);
  });

  it('an embedded database that deployments need is never re-created behind the user\'s back', async () => {
    const dir = deployProject();
    await stageFix(dir, T);
    const state = openStateDb(join(dir, '.agent', 'state.db'));
    state.setKv('envdb.staging.created', { at: '2026-12-01T10:00:00.000Z', by: 'deploy of BUG-2026-000' });
    state.close();
    const health = await agent(['health', '--json'], { cwd: dir });
    const checks = Object.fromEntries((parseNdjson(health.stdout).at(-1)!.data as { checks: Array<{ name: string; status: string; detail: string }> }).checks.map((c) => [c.name, c]));
    expect(checks['staging database']).toMatchObject({ status: 'failing', detail: expect.stringMatching(/\.agent\/pgdata\/staging is missing, but it was created 2026-12-01 10:00 by deploy of BUG-2026-000; restore it .* --recreate/) });
    const r = await agent(['deploy', 'staging', T], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the embedded database \.agent\/pgdata\/staging is missing, but it was created .* `agent migrate execute --env staging --recreate`/);
    expect(existsSync(join(dir, '.agent', 'pgdata', 'staging'))).toBe(false);
    // A half-deleted one is damaged, not empty.
    mkdirSync(join(dir, '.agent', 'pgdata', 'production'), { recursive: true });
    writeFileSync(join(dir, '.agent', 'pgdata', 'production', 'postgresql.conf'), '');
    const st = await agent(['migrate', 'status', '--env', 'production'], { cwd: dir });
    expect(st.code).toBe(1);
    expect(st.stderr).toMatch(/production: the embedded database \.agent\/pgdata\/production cannot be opened \(it is half there/);
  });

  it('a staged set edited after review is refused before anything runs', async () => {
    const dir = deployProject();
    const fix = await stageFix(dir, T);
    const up = join(dir, fix.dir, 'migrations', `${fix.version}_estimates_customer_fk.up.sql`);
    appendFileSync(up, 'drop table public.invoices cascade;\n');
    for (const target of ['staging', 'production']) {
      const r = await agent(['deploy', target, T], { cwd: dir });
      expectUsageError(r, new RegExp(`${fix.dir}: .*migrations/${fix.version}_estimates_customer_fk\\.up\\.sql.*agent restage ${T}`));
    }
    expect(existsSync(join(dir, '.agent', 'pgdata'))).toBe(false);
    expect(gitIn(dir, 'branch', '--list', 'agent/*')).toBe('');
  });
});
