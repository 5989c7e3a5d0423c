// Backup and restore of a PostgreSQL server target (TEST_DATABASE_URL): through pg_dump/pg_restore
// when they are installed, and through the logical dump when they are not (a PATH holding only node
// and git). Each run: a fresh database, rows, a backup, a table dropped and a row added by db sql
// (approved), the restore: tables, rows and sequences are the backup's, schema compare and audit pass.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { gitIn } from '../pipeline/deploy-fixture.js';

const SERVER = process.env.TEST_DATABASE_URL;
if (!SERVER) console.warn('backup stress: TEST_DATABASE_URL is not set; the PostgreSQL backup and restore tests are skipped');
const hasPgDump = spawnSync('pg_dump', ['--version']).status === 0;

const bin = mkdtempSync(join(tmpdir(), 'crm-agent-bin-'));
symlinkSync(process.execPath, join(bin, 'node'));
const git = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
symlinkSync(git, join(bin, 'git'));
const made: string[] = [];
afterAll(async () => {
  cleanupProjects();
  rmSync(bin, { recursive: true, force: true });
  for (const name of made) await sql(SERVER!, `drop database if exists ${name}`);
});

async function sql<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

let n = 0;
async function freshDatabase(): Promise<string> {
  const name = `crm_agent_backup_${process.pid}_${++n}`;
  await sql(SERVER!, `drop database if exists ${name}`);
  await sql(SERVER!, `create database ${name}`);
  made.push(name);
  const u = new URL(SERVER!);
  u.pathname = `/${name}`;
  return u.toString();
}

async function run(dir: string, env: Record<string, string>, ...args: string[]) {
  const r = await agent([...args, '--json'], { cwd: dir, env });
  return { ...r, result: parseNdjson(r.stdout).find((e) => e.type === 'result') as { data?: any } | undefined };
}

async function approved(dir: string, env: Record<string, string>, ...args: string[]) {
  const asked = await run(dir, env, ...args);
  expect(asked.code, asked.stdout + asked.stderr).toBe(3);
  const id = /APR-\d+/.exec(asked.stdout + asked.stderr)![0];
  const done = await run(dir, env, 'approve', id, '--confirm', id);
  expect(done.code, done.stdout + done.stderr).toBe(0);
  return done;
}

describe.skipIf(!SERVER)('backup and restore of a PostgreSQL target', () => {
  for (const mode of ['pg_dump', 'logical'] as const) {
    it.skipIf(mode === 'pg_dump' && !hasPgDump)(`${mode}: the dropped table, its rows and the sequences come back`, async () => {
      const url = await freshDatabase();
      const dir = makeProject();
      mkdirSync(join(dir, 'supabase', 'migrations'), { recursive: true });
      writeFileSync(
        join(dir, 'supabase', 'migrations', '20250101000000_init.sql'),
        `create table public.customers (id bigserial primary key, name text not null unique);
create table public.jobs (id bigint generated always as identity primary key, customer_id bigint references public.customers (id), meta jsonb, tags text[]);
create index jobs_customer_idx on public.jobs (customer_id);
`,
      );
      gitIn(dir, 'add', '-A');
      gitIn(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
      const env: Record<string, string> = { DATABASE_URL: url, ...(mode === 'logical' ? { PATH: bin } : {}) };
      expect((await run(dir, env, 'migrate', 'execute')).code).toBe(0);
      await sql(url, `insert into customers (name) values ('Ada'), ('Bob ''$d0$'''); insert into jobs (customer_id, meta, tags) values (1, '{"a": [1, 2]}', '{x,y}'), (2, null, null);`);

      const made = await run(dir, env, 'system', 'backup', 'create');
      expect(made.code, made.stdout + made.stderr).toBe(0);
      const bk = made.result!.data.backup as { id: string; database: { kind: string } };
      expect(bk.database.kind).toBe(mode);
      await approved(dir, env, 'db', 'sql', "drop table jobs; insert into customers (name) values ('Eve')");
      expect((await sql(url, `select count(*)::int as n from pg_tables where tablename = 'jobs'`))[0]).toEqual({ n: 0 });

      const restore = await approved(dir, env, 'system', 'restore', 'from', bk.id);
      expect(restore.stdout).toMatch(/Schema matches the snapshot taken with/);
      expect(restore.stdout).toMatch(/Audit chain intact/);
      expect(await sql(url, `select name from customers order by id`)).toEqual([{ name: 'Ada' }, { name: "Bob '$d0$'" }]);
      expect(await sql(url, `select customer_id::int, meta, tags from jobs order by id`)).toEqual([
        { customer_id: 1, meta: { a: [1, 2] }, tags: ['x', 'y'] },
        { customer_id: 2, meta: null, tags: null },
      ]);
      // The sequences go on from where the backup left them.
      expect(await sql(url, `insert into customers (name) values ('Zed') returning id::int`)).toEqual([{ id: 3 }]);
      expect(await sql(url, `insert into jobs (customer_id) values (3) returning id::int`)).toEqual([{ id: 3 }]);
      const pre = restore.result!.data.resumed.preRestoreBackup as { reason: string; database: { kind: string } };
      expect(pre).toMatchObject({ reason: 'pre-restore', database: { kind: mode } });
    }, 120_000);
  }
});
