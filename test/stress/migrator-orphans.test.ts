// Orphans before the foreign-key fix (issue 14), end to end through the CLI on a copy of
// examples/crm, with production's database embedded and (TEST_DATABASE_URL) on PostgreSQL 15 with the
// Supabase shims: it holds exactly the rows the seed ticket's missing key
// would reject (an estimate whose job_id points at no job). `fix ticket` counts them in each
// environment's database with a sample and stages their cleanup as a destructive migration between
// the key's NOT VALID and its VALIDATE; the deploy stops for approval (twice: production, then the
// destructive change) with nothing changed; approved, it applies, the orphan is gone and both keys
// are validated. Slow (real CLI, the project's tests, PGlite), so not in `npm test`.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { agent as run } from '../helpers.js';
import { makeDemoCopy, SEED_TICKET } from '../../src/commands/demo.js';

const parent = mkdtempSync(join(tmpdir(), 'crm-agent-orphans-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const USER = '00000000-0000-0000-0000-000000000001';
const CUSTOMER = '00000000-0000-0000-0000-0000000000c1';
const JOB = '00000000-0000-0000-0000-0000000000a1';
const NO_JOB = '00000000-0000-0000-0000-000000000999';

interface Db {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string): Promise<{ rows: T[] }>;
}

/** Production's database: the embedded one, or a fresh database on TEST_DATABASE_URL's server. */
interface Backend {
  name: string;
  /** How the CLI lines name production's database. */
  target: RegExp;
  setup(dir: string): Promise<Record<string, string>>;
  open(dir: string): Promise<Db & { close(): Promise<unknown> }>;
  teardown(): Promise<void>;
}

const embedded: Backend = {
  name: 'embedded PGlite',
  target: /embedded PGlite \(\.agent\/pgdata\/production\)/,
  setup: async () => ({}),
  async open(dir) {
    const { PGlite } = await import('@electric-sql/pglite');
    return PGlite.create({ dataDir: join(dir, '.agent', 'pgdata', 'production') });
  },
  teardown: async () => undefined,
};

function postgres(server: string): Backend {
  const name = `migrator_orphans_${process.pid}`;
  const url = () => Object.assign(new URL(server), { pathname: `/${name}` }).toString();
  const admin = async <T>(fn: (c: import('pg').Client) => Promise<T>) => {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    name: 'PostgreSQL',
    target: new RegExp(`PRODUCTION_DATABASE_URL \\(127\\.0\\.0\\.1:\\d+/${name}\\)`),
    async setup(dir) {
      await admin(async (c) => {
        await c.query(`drop database if exists ${name} with (force)`);
        await c.query(`create database ${name}`);
      });
      // A plain PostgreSQL has no auth, storage or API roles: the Supabase shims the template uses stand in for them.
      const { SUPABASE_SHIMS, SHIM_EXTENSIONS } = await import('../../src/integrations/postgres/supabase-shims.js');
      const db = await this.open(dir);
      try {
        for (const e of SHIM_EXTENSIONS) await db.exec(`create extension if not exists "${e}"`);
        await db.exec(SUPABASE_SHIMS);
      } finally {
        await db.close();
      }
      writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { production: { database: 'PRODUCTION_DATABASE_URL' } } }, null, 2));
      execFileSync('git', ['add', 'agent.config.json'], { cwd: dir });
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'production on PostgreSQL'], { cwd: dir });
      return { PRODUCTION_DATABASE_URL: url() };
    },
    async open() {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      return { exec: (sql: string) => c.query(sql), query: async <T>(sql: string) => ({ rows: (await c.query(sql)).rows as T[] }), close: () => c.end() };
    },
    teardown: async () => {
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

const backends = [embedded, ...(process.env.TEST_DATABASE_URL ? [postgres(process.env.TEST_DATABASE_URL)] : [])];
if (!process.env.TEST_DATABASE_URL) console.warn('migrator-orphans: TEST_DATABASE_URL is not set; the PostgreSQL case is skipped (embedded only)');

describe.each(backends)('the foreign-key fix on a database holding orphans ($name)', (backend) => {
  afterAll(() => backend.teardown());
  const production = async <T>(dir: string, fn: (db: Db) => Promise<T>): Promise<T> => {
    const db = await backend.open(dir);
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  const estimates = (dir: string) => production(dir, async (db) => (await db.query<{ id: string; job_id: string }>('select id, job_id from public.estimates order by id')).rows.map((r) => r.job_id));
  const keys = (dir: string) => production(dir, async (db) => (await db.query<{ k: string }>("select conname || ':' || convalidated as k from pg_constraint where conrelid = 'public.estimates'::regclass and contype = 'f' order by 1")).rows.map((r) => r.k));

  it('counts them before staging, stages the cleanup for approval, stops the deploy until approved, then applies', async () => {
    const dir = await makeDemoCopy(join(parent, `crm-${backend.name.split(' ')[0]}`));
    const env = await backend.setup(dir);
    const agent = (args: string[], opts: { cwd: string }) => run(args, { ...opts, env });
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
    const line = fixed.stdout.split('\n').find((l) => l.startsWith('[MIGRATOR] ⚠ Orphans: production ('));
    expect(line, fixed.stdout).toBeDefined();
    expect(line).toMatch(backend.target);
    expect(line).toContain(`: 1 row(s) of public.estimates point at no public.jobs row, so VALIDATE estimates_job_id_fkey would fail there (id=00000000-0000-0000-0000-0000000000e2 job_id=${NO_JOB})`);
    expect(fixed.stdout + fixed.stderr).not.toMatch(/postgres(ql)?:\/\//);
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
