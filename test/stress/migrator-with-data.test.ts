// `agent migrate execute --dry-run --with-data` (issue 14): the pending migrations tried on the rows
// the environment holds. A foreign key's VALIDATE meets an orphan (tasks.sales_id = 999, no such
// sale): the shadow (no rows) accepts it, the run with data fails at the VALIDATE file, before any
// deploy, and the environment is left as it was. Embedded: on a copy of the data directory;
// PostgreSQL (TEST_DATABASE_URL): in a transaction rolled back, with a CONCURRENTLY file not run.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent } from '../helpers.js';
import { execFileSync } from 'node:child_process';
import { cleanupProjects, makeProject as makeFiles, mig } from '../migrator/helpers.js';
import { foreignKeyMigrations } from '../../agents/migrator/agent.js';

afterAll(cleanupProjects);

/** A project (a git repo, as the CLI needs) with these files. */
function makeProject(files: Record<string, string>): string {
  const root = makeFiles(files);
  execFileSync('git', ['init', '-q'], { cwd: root });
  return root;
}

const SCHEMA = 'create table public.sales (id bigint primary key);\ncreate table public.tasks (id bigint primary key, sales_id bigint);\n';
const ROWS = 'insert into public.sales values (1); insert into public.tasks values (1, 1), (2, 999), (3, null);';

/** The foreign-key fix's files (key NOT VALID, VALIDATE, CONCURRENTLY index) as pending migrations of the project. */
function addFix(root: string): string[] {
  const ms = foreignKeyMigrations([{ table: 'tasks', column: 'sales_id', target: 'sales', nullable: true }], '20250601000000');
  for (const m of ms) writeFileSync(join(root, m.upPath), m.up);
  return ms.map((m) => m.upPath);
}

function expectCaught(out: string, files: string[], env: string) {
  expect(out).toMatch(/Dry run successful - 0 errors/); // the shadow holds no rows: it cannot see it
  expect(out).toContain(`${files[0]} applies on ${env}'s rows`);
  expect(out).toMatch(new RegExp(`${files[1]!.replace(/[.]/g, '\\.')} fails on ${env}'s rows: line \\d+: insert or update on table "tasks" violates foreign key constraint "tasks_sales_id_fkey"`));
  expect(out).toContain(`${files[2]} not run: an earlier file failed`);
  expect(out).toContain(`With data: the deploy to ${env} would fail at ${files[1]}; nothing was changed there`);
}

describe('migrate execute --dry-run --with-data', () => {
  it('embedded: applies to a copy of the data directory; the VALIDATE fails on the orphan; the real database is untouched and the copy removed', async () => {
    const root = makeProject({ [mig('20250501000000', 'crm')]: SCHEMA });
    expect((await agent(['migrate', 'execute'], { cwd: root })).code).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const dataDir = join(root, '.agent', 'pgdata', 'production');
    const seed = await PGlite.create({ dataDir });
    await seed.exec(ROWS);
    await seed.close();
    const files = addFix(root);

    const r = await agent(['migrate', 'execute', '--dry-run', '--with-data'], { cwd: root });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain("With data (production, embedded PGlite (.agent/pgdata/production)): applied to a copy of its data directory (the copy is removed)");
    expectCaught(r.stdout, files, 'production');
    expect(readdirSync(join(root, '.agent', 'tmp'))).toEqual([]);

    const after = await PGlite.create({ dataDir });
    try {
      expect((await after.query<{ n: number }>("select count(*)::int as n from pg_constraint where conname = 'tasks_sales_id_fkey'")).rows[0]!.n).toBe(0);
      expect((await after.query<{ version: string }>('select version from supabase_migrations.schema_migrations order by 1')).rows.map((x) => x.version)).toEqual(['20250501000000']);
      expect((await after.query<{ n: number }>('select count(*)::int as n from public.tasks')).rows[0]!.n).toBe(3);
    } finally {
      await after.close();
    }
  }, 120_000);

  it('--with-data without --dry-run is refused (exit 2, nothing done)', async () => {
    const root = makeProject({ [mig('20250501000000', 'crm')]: SCHEMA });
    const r = await agent(['migrate', 'execute', '--with-data'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/--with-data goes with --dry-run/);
    expect(existsSync(join(root, '.agent', 'pgdata', 'production', 'PG_VERSION'))).toBe(false);
  });

  const server = process.env.TEST_DATABASE_URL;
  it.skipIf(!server)(`PostgreSQL: one transaction rolled back with lock_timeout; the VALIDATE fails on the orphan; nothing stays${server ? '' : ' (SKIPPED: TEST_DATABASE_URL is not set)'}`, async () => {
    const { default: pg } = await import('pg');
    const name = `migrator_with_data_${process.pid}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    const u = new URL(server!);
    u.pathname = `/${name}`;
    const url = u.toString();
    try {
      const root = makeProject({ [mig('20250501000000', 'crm')]: SCHEMA, 'agent.config.json': JSON.stringify({ environments: { production: { database: 'PRODUCTION_DATABASE_URL' } } }) });
      const env = { PRODUCTION_DATABASE_URL: url };
      const applied = await agent(['migrate', 'execute'], { cwd: root, env });
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(ROWS);
        const files = addFix(root);
        const r = await agent(['migrate', 'execute', '--dry-run', '--with-data'], { cwd: root, env });
        expect(r.code, r.stdout + r.stderr).toBe(1);
        expect(r.stdout).toMatch(/With data \(production, PRODUCTION_DATABASE_URL \(127\.0\.0\.1:\d+\/migrator_with_data_\d+\)\): in one transaction, rolled back \(lock_timeout 5s\)/);
        expectCaught(r.stdout, files, 'production');
        expect(r.stdout + r.stderr).not.toMatch(/postgres(ql)?:\/\//); // the server's identity, never its URL

        // Without the orphan it applies, the CONCURRENTLY file is said not run, and still nothing stays.
        await c.query('delete from public.tasks where id = 2');
        const ok = await agent(['migrate', 'execute', '--dry-run', '--with-data'], { cwd: root, env });
        expect(ok.code, ok.stdout + ok.stderr).toBe(0);
        expect(ok.stdout).toContain(`${files[1]} applies on production's rows`);
        expect(ok.stdout).toContain(`${files[2]} not run: CONCURRENTLY cannot run in a transaction: checked in the shadow only`);
        expect(ok.stdout).toContain("With data: every pending migration applies on production's rows; nothing was changed there");
        expect((await c.query("select count(*)::int as n from pg_constraint where conname = 'tasks_sales_id_fkey'")).rows[0].n).toBe(0);
        expect((await c.query('select version from supabase_migrations.schema_migrations order by 1')).rows.map((x: { version: string }) => x.version)).toEqual(['20250501000000']);
      } finally {
        await c.end();
      }
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 120_000);
});
