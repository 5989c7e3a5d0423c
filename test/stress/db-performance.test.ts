// `agent db analyze performance` on PGlite seeded with 200k rows behind an unindexed foreign key:
// it finds it, stages the index migration (on disk, in the state database), and names the figures
// PGlite cannot give. `db optimize table` and `db vacuum full` run on the same database.
// ~15 s on a loaded 2-core machine (200k rows, a shadow replay for the staged migration): `npm run stress`.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { gitIn } from '../pipeline/deploy-fixture.js';

afterAll(cleanupProjects);

const SCHEMA = `create table public.customers (id bigint primary key, name text not null);
create table public.jobs (id bigint primary key, customer_id bigint not null references public.customers (id), title text not null);
`;

/** The jobs table's file on disk and its visibility map (a fork only VACUUM writes). */
async function jobsOnDisk(dir: string): Promise<{ file: string; vm: number }> {
  const { openPglite } = await import('../../src/integrations/postgres/pglite.js');
  const db = await openPglite({ dataDir: join(dir, '.agent', 'pgdata', 'staging') });
  try {
    const { rows } = await db.query<{ file: string; vm: string }>(`select pg_relation_filepath('public.jobs') as file, pg_relation_size('public.jobs', 'vm')::text as vm`);
    return { file: rows[0]!.file, vm: Number(rows[0]!.vm) };
  } finally {
    await db.close();
  }
}

async function json(dir: string, ...args: string[]) {
  const r = await agent([...args, '--json'], { cwd: dir });
  return { ...r, result: parseNdjson(r.stdout).find((e) => e.type === 'result') as { data?: any; error?: { detail?: { approvalId?: string } } } | undefined };
}

describe('db analyze performance / optimize table / vacuum full', () => {
  it('finds the unindexed foreign key on 200k rows and stages its index migration; names what PGlite cannot give', async () => {
    const dir = makeProject();
    mkdirSync(join(dir, 'supabase', 'migrations'), { recursive: true });
    writeFileSync(join(dir, 'supabase', 'migrations', '20250101000000_init.sql'), SCHEMA);
    writeFileSync(join(dir, '.gitignore'), '.agent/\nstaged/*\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
    const made = await agent(['migrate', 'execute', '--env', 'staging'], { cwd: dir });
    expect(made.code, made.stdout + made.stderr).toBe(0);
    {
      const { openPglite } = await import('../../src/integrations/postgres/pglite.js');
      const db = await openPglite({ dataDir: join(dir, '.agent', 'pgdata', 'staging') });
      try {
        await db.exec(`insert into customers select g, 'customer ' || g from generate_series(1, 2000) g;
          insert into jobs select g, (g % 2000) + 1, 'job ' || g from generate_series(1, 200000) g;`);
      } finally {
        await db.close();
      }
    }

    const r = await json(dir, 'db', 'analyze', 'performance', '--env', 'staging');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const fk = (r.result!.data.findings as Array<{ kind: string; object: string; detail: string; staged: string | null }>).find((f) => f.kind === 'unindexed-foreign-key');
    expect(fk).toMatchObject({ object: 'public.jobs.jobs_customer_id_fkey' });
    expect(fk!.detail).toMatch(/~200000 rows/);
    expect(r.result!.data.unavailable.join('\n')).toMatch(/PGlite has no pg_stat_statements/);
    // Staged on disk and in the state database: an index on jobs(customer_id) with its rollback.
    const staged = fk!.staged!;
    const [m] = JSON.parse(readFileSync(join(dir, staged, 'manifest.json'), 'utf8')).migrations as Array<{ version: string; name: string }>;
    const sql = (kind: string) => readFileSync(join(dir, staged, 'migrations', `${m!.version}_${m!.name}.${kind}.sql`), 'utf8');
    expect(sql('up')).toMatch(/create index concurrently if not exists \S+ on public\.jobs \(customer_id\)/);
    expect(sql('down')).toMatch(/drop index concurrently if exists/);
    const sets = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
    try {
      expect(sets.prepare(`select dir, status from change_sets`).all()).toEqual([{ dir: staged, status: 'staged' }]);
    } finally {
      sets.close();
    }

    // optimize: VACUUM (ANALYZE) measured on the table; vacuum full waits for the typed approval, then runs.
    const unvacuumed = await jobsOnDisk(dir);
    expect(unvacuumed.vm).toBe(0);
    const opt = await json(dir, 'db', 'optimize', 'table', 'jobs', '--env', 'staging');
    expect(opt.code, opt.stdout + opt.stderr).toBe(0);
    expect(opt.result!.data).toMatchObject({ table: 'jobs', reindexed: false });
    expect(opt.result!.data.bytesAfter).toBeGreaterThan(1_000_000);
    // VACUUM ran on the table: its visibility map now exists on disk.
    const vacuumed = await jobsOnDisk(dir);
    expect(vacuumed.vm).toBeGreaterThan(0);
    const asked = await json(dir, 'db', 'vacuum', 'full', 'jobs', '--env', 'staging');
    expect(asked.code, asked.stdout + asked.stderr).toBe(3);
    expect(asked.stdout + asked.stderr).toMatch(/ACCESS EXCLUSIVE/);
    expect((await jobsOnDisk(dir)).file).toBe(vacuumed.file);
    const id = asked.result?.error?.detail?.approvalId ?? /APR-\d+/.exec(asked.stdout + asked.stderr)![0];
    const done = await json(dir, 'approve', id, '--confirm', id);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    // VACUUM FULL rewrote the table into a new file (the request for approval left it where it was).
    expect((await jobsOnDisk(dir)).file).not.toBe(vacuumed.file);
    const audit = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
    try {
      expect(audit.prepare(`select action, approval from audit where action like 'db.%' order by seq`).all()).toEqual([
        { action: 'db.optimize', approval: null },
        { action: 'db.vacuum-full', approval: id },
      ]);
    } finally {
      audit.close();
    }
    expect(existsSync(join(dir, '.agent', 'pgdata', 'staging', 'PG_VERSION'))).toBe(true);
  }, 120_000);
});
