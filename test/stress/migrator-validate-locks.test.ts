// The staged foreign-key fix on a table holding many rows (issue 14), on PostgreSQL 15
// (TEST_DATABASE_URL): its files applied in order with the deploy's runner (applyMigration), while a
// second connection samples pg_locks for the runner's backend. During the VALIDATE file the table
// holds SHARE UPDATE EXCLUSIVE only: never ACCESS EXCLUSIVE nor a lock that blocks writes, and an
// INSERT from the second connection completes while it scans. The control: the same key added and
// validated in one file holds SHARE ROW EXCLUSIVE through the scan, and the sampler sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignKeyMigrations } from '../../agents/migrator/agent.js';
import { applyMigration } from '../../agents/migrator/apply.js';
import { ensureHistoryTable } from '../../agents/migrator/history.js';
import type { Pg } from '../../src/integrations/postgres/types.js';

const server = process.env.TEST_DATABASE_URL;
const ROWS = 3_000_000;
const name = `migrator_validate_locks_${process.pid}`;

interface Sample {
  mode: string;
  granted: boolean;
  relname: string;
}

describe.skipIf(!server)(`VALIDATE in its own file on ${ROWS.toLocaleString('en')} rows${server ? '' : ' (SKIPPED: TEST_DATABASE_URL is not set)'}`, () => {
  let admin: import('pg').Client;
  let runner: Pg;
  let sampler: import('pg').Client;
  let runnerPid = 0;

  beforeAll(async () => {
    const { default: pg } = await import('pg');
    const { openNodePg } = await import('../../src/integrations/postgres/node-pg.js');
    admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    const u = new URL(server!);
    u.pathname = `/${name}`;
    runner = await openNodePg(u.toString(), 'test');
    sampler = new pg.Client({ connectionString: u.toString() });
    await sampler.connect();
    await runner.exec(`create table public.sales (id bigint primary key);
      create table public.tasks (id bigint primary key, sales_id bigint);
      insert into public.sales select g from generate_series(1, 1000) g;
      insert into public.tasks select g, (g % 1000) + 1 from generate_series(1, ${ROWS}) g;
      analyze public.sales; analyze public.tasks;`);
    await ensureHistoryTable(runner);
    runnerPid = (await runner.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  }, 120_000);

  afterAll(async () => {
    await sampler?.end();
    await runner?.close();
    await admin?.query(`drop database if exists ${name} with (force)`);
    await admin?.end();
  });

  /** pg_locks of the runner's backend on sales/tasks, sampled until `work` settles; plus an INSERT from the sampler once the scan is under way. */
  async function sampleWhile(work: Promise<unknown>, insertId: number) {
    const samples: Sample[][] = [];
    let done = false;
    work.finally(() => (done = true)).catch(() => undefined);
    let insert: { ms: number; beforeDone: boolean } | null = null;
    while (!done) {
      const { rows } = await sampler.query<Sample>(`select l.mode, l.granted, c.relname from pg_locks l join pg_class c on c.oid = l.relation where l.pid = $1 and c.relname in ('sales', 'tasks')`, [runnerPid]);
      if (rows.length) samples.push(rows);
      if (!insert && rows.some((r) => r.relname === 'tasks' && r.granted)) {
        const started = performance.now();
        await sampler.query(`set statement_timeout = '20s'; insert into public.tasks values (${insertId}, 1)`);
        insert = { ms: performance.now() - started, beforeDone: !done };
      }
    }
    await work;
    return { samples, insert };
  }

  it('control: NOT VALID and VALIDATE in one file hold SHARE ROW EXCLUSIVE on tasks through the scan (the sampler sees it)', async () => {
    const file = 'alter table public.tasks add constraint control_fkey foreign key (sales_id) references public.sales (id) not valid;\nalter table public.tasks validate constraint control_fkey;\n';
    const { samples } = await sampleWhile(applyMigration(runner, { version: '20250101000000', name: 'control', sql: file }), -1);
    const modes = new Set(samples.flat().filter((s) => s.relname === 'tasks' && s.granted).map((s) => s.mode));
    expect(modes.has('ShareRowExclusiveLock'), JSON.stringify([...modes])).toBe(true);
    await runner.exec('alter table public.tasks drop constraint control_fkey; delete from public.tasks where id = -1');
  }, 120_000);

  it('the fix: key NOT VALID, then VALIDATE alone holds SHARE UPDATE EXCLUSIVE (no ACCESS EXCLUSIVE, no write-blocking lock) and an INSERT goes through meanwhile; then the index', async () => {
    const ms = foreignKeyMigrations([{ table: 'tasks', column: 'sales_id', target: 'sales', nullable: true }], '20250201000000');
    expect(ms.map((m) => m.name)).toEqual(['add_tasks_foreign_keys', 'validate_tasks_foreign_keys', 'tasks_sales_id_idx']);
    await applyMigration(runner, { version: ms[0]!.version, name: ms[0]!.name, sql: ms[0]!.up });

    const started = performance.now();
    const { samples, insert } = await sampleWhile(applyMigration(runner, { version: ms[1]!.version, name: ms[1]!.name, sql: ms[1]!.up }), ROWS + 1);
    const validateMs = performance.now() - started;
    const held = samples.flat().filter((s) => s.granted);
    expect(held.some((s) => s.relname === 'tasks' && s.mode === 'ShareUpdateExclusiveLock'), `sampled ${samples.length} times in ${Math.round(validateMs)} ms`).toBe(true);
    expect(held.filter((s) => s.mode === 'AccessExclusiveLock')).toEqual([]);
    // Nothing that conflicts with an INSERT's ROW EXCLUSIVE on either table.
    expect(held.filter((s) => /^(Share|ShareRowExclusive|Exclusive|AccessExclusive)Lock$/.test(s.mode))).toEqual([]);
    expect(insert, 'the INSERT ran while VALIDATE held its lock').not.toBeNull();
    expect(insert!.beforeDone).toBe(true);
    expect(insert!.ms).toBeLessThan(validateMs);

    const r = await runner.query<{ convalidated: boolean }>("select convalidated from pg_constraint where conname = 'tasks_sales_id_fkey'");
    expect(r.rows[0]!.convalidated).toBe(true);
    await applyMigration(runner, { version: ms[2]!.version, name: ms[2]!.name, sql: ms[2]!.up });
    const idx = await runner.query<{ indisvalid: boolean }>("select indisvalid from pg_index where indexrelid = 'public.tasks_sales_id_idx'::regclass");
    expect(idx.rows[0]!.indisvalid).toBe(true);
  }, 120_000);
});
