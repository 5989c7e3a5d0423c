// Orphans before the foreign-key fix (issue 14), end to end through the CLI on a copy of
// examples/crm: production's embedded database holds exactly the rows the seed ticket's missing key
// would reject (an estimate whose job_id points at no job). `fix ticket` counts them in each
// environment's database with a sample and stages their cleanup as a destructive migration between
// the key's NOT VALID and its VALIDATE; the deploy stops for approval (twice: production, then the
// destructive change) with nothing changed; approved, it applies, the orphan is gone and both keys
// are validated. Slow (real CLI, the project's tests, PGlite), so not in `npm test`.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent } from '../helpers.js';
import { makeDemoCopy, SEED_TICKET } from '../../src/commands/demo.js';

const parent = mkdtempSync(join(tmpdir(), 'crm-agent-orphans-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const USER = '00000000-0000-0000-0000-000000000001';
const CUSTOMER = '00000000-0000-0000-0000-0000000000c1';
const JOB = '00000000-0000-0000-0000-0000000000a1';
const NO_JOB = '00000000-0000-0000-0000-000000000999';

async function production<T>(dir: string, fn: (db: import('@electric-sql/pglite').PGlite) => Promise<T>): Promise<T> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir: join(dir, '.agent', 'pgdata', 'production') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const estimates = (dir: string) => production(dir, async (db) => (await db.query<{ id: string; job_id: string }>('select id, job_id from public.estimates order by id')).rows.map((r) => r.job_id));
const keys = (dir: string) => production(dir, async (db) => (await db.query<{ k: string }>("select conname || ':' || convalidated as k from pg_constraint where conrelid = 'public.estimates'::regclass and contype = 'f' order by 1")).rows.map((r) => r.k));

describe('the foreign-key fix on a database holding orphans', () => {
  it('counts them before staging, stages the cleanup for approval, stops the deploy until approved, then applies', async () => {
    const dir = await makeDemoCopy(join(parent, 'crm'));
    const created = await agent(['migrate', 'execute'], { cwd: dir });
    expect(created.code, created.stdout + created.stderr).toBe(0);
    await production(dir, (db) =>
      db.exec(`insert into auth.users (id) values ('${USER}');
        insert into public.customers (id, owner_id, name) values ('${CUSTOMER}', '${USER}', 'Ada');
        insert into public.jobs (id, customer_id, title) values ('${JOB}', '${CUSTOMER}', 'roof');
        insert into public.estimates (id, job_id, customer_id, total_cents) values
          ('00000000-0000-0000-0000-0000000000e1', '${JOB}', '${CUSTOMER}', 100),
          ('00000000-0000-0000-0000-0000000000e2', '${NO_JOB}', '${CUSTOMER}', 200);`),
    );

    const t = await agent(['create', 'ticket', SEED_TICKET], { cwd: dir });
    const id = /Ticket created: (\S+)/.exec(t.stdout)![1]!;
    const fixed = await agent(['fix', 'ticket', id], { cwd: dir });
    expect(fixed.code, fixed.stdout.slice(-3000) + fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('[MIGRATOR] Orphans: staging (embedded PGlite (.agent/pgdata/staging)): not counted: no database there yet');
    expect(fixed.stdout).toContain(`[MIGRATOR] ⚠ Orphans: production (embedded PGlite (.agent/pgdata/production)): 1 row(s) of public.estimates point at no public.jobs row, so VALIDATE estimates_job_id_fkey would fail there (id=00000000-0000-0000-0000-0000000000e2 job_id=${NO_JOB})`);
    expect(fixed.stdout).toContain('no row of public.estimates violates estimates_customer_id_fkey');
    expect(fixed.stdout).toMatch(/Proposed cleanup of public\.estimates \(delete the rows\) staged before VALIDATE estimates_job_id_fkey: destructive, deploying it needs approval/);

    const setDir = /Staged environment ready: \.\/(\S+?)\/? /.exec(fixed.stdout)![1]!;
    const manifest = JSON.parse(readFileSync(join(dir, setDir, 'manifest.json'), 'utf8'));
    expect(manifest.requiresApproval).toBe(true);
    expect(manifest.migrations.map((m: { name: string; destructive: boolean }) => `${m.name}${m.destructive ? ' (destructive)' : ''}`)).toEqual([
      'add_estimates_foreign_keys',
      'clean_up_estimates_job_id_fkey_orphans (destructive)',
      'validate_estimates_foreign_keys',
      'estimates_job_id_idx',
      'estimates_customer_id_idx',
    ]);
    const cleanup = readdirSync(join(dir, setDir, 'migrations')).find((f) => /clean_up.*\.up\.sql$/.test(f))!;
    expect(readFileSync(join(dir, setDir, 'migrations', cleanup), 'utf8')).toMatch(/\ndelete from public\.estimates where public\.estimates\.job_id is not null and not exists \(select 1 from public\.jobs p where p\.id = public\.estimates\.job_id\);\n$/);
    // Counting only read: the orphan is still there.
    expect(await estimates(dir)).toEqual([JOB, NO_JOB]);

    const deploy = await agent(['deploy', 'production', id], { cwd: dir });
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(3);
    const first = /agent approve (APR-\d+)/.exec(deploy.stdout + deploy.stderr)![1]!;
    const approved = await agent(['approve', first, '--confirm', id], { cwd: dir });
    expect(approved.code, approved.stdout + approved.stderr).toBe(3);
    expect(approved.stdout + approved.stderr).toMatch(/Approval required .*apply destructive migration\(s\) of/);
    // Nothing ran without the destructive approval.
    expect(await estimates(dir)).toEqual([JOB, NO_JOB]);
    expect(await keys(dir)).toEqual([]);

    const second = /agent approve (APR-\d+)/.exec(approved.stdout + approved.stderr)![1]!;
    const done = await agent(['approve', second, '--confirm', id], { cwd: dir });
    expect(done.code, done.stdout.slice(-3000) + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/Applied migration \d{14}_clean_up_estimates_job_id_fkey_orphans/);
    expect(await estimates(dir)).toEqual([JOB]);
    expect(await keys(dir)).toEqual(['estimates_customer_id_fkey:true', 'estimates_job_id_fkey:true']);
  }, 300_000);
});
