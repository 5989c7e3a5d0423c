// splinter 0005 unused-index, where statistics exist: a PostgreSQL server (TEST_DATABASE_URL), read
// by unusedIndexes() and reported by `agent db analyze performance`. An index the server never
// scanned fires; one it scanned, a primary key and a unique index stay silent. The shadow has no
// usage statistics, so the schema scan never reports it (catalog-lints.test.ts).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { unusedIndexes } from '../../agents/migrator/catalog-lints.js';
import { openNodePg } from '../../src/integrations/postgres/node-pg.js';
import type { Pg } from '../../src/integrations/postgres/types.js';
import { agent, parseNdjson } from '../helpers.js';
import { cleanupProjects, makeProject } from './helpers.js';

const PG = process.env.TEST_DATABASE_URL;
if (!PG) console.warn('\n*** test/migrator/unused-index: TEST_DATABASE_URL is not set: unused-index on a real PostgreSQL server is SKIPPED ***\n');


describe.skipIf(!PG)('unused-index on a PostgreSQL server (TEST_DATABASE_URL)', () => {
  let dbName = '';
  let url = '';
  let c: Pg;
  beforeAll(async () => {
    const { default: pg } = await import('pg');
    dbName = `crm_agent_unused_index_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(PG!);
    u.pathname = `/${dbName}`;
    url = u.toString();
    c = await openNodePg(url);
    await c.exec(`create table public.deals (id bigint primary key, code text not null unique, stage text not null, owner text not null);
      create index deals_stage_idx on public.deals (stage);
      create index deals_owner_idx on public.deals (owner);
      insert into public.deals select g, 'c' || g, 's' || (g % 7), 'o' || (g % 13) from generate_series(1, 2000) g;
      analyze public.deals;`);
  });
  afterAll(async () => {
    await c?.close();
    cleanupProjects();
    if (!dbName) return;
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  /** Scans deals_stage_idx, then waits until the server's statistics show it (they are flushed asynchronously). */
  async function scanStageIndex(): Promise<void> {
    await c.query('set enable_seqscan = off');
    const plan = (await c.query<{ 'QUERY PLAN': string }>(`explain select id from public.deals where stage = 's3'`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/deals_stage_idx/);
    await c.query(`select id from public.deals where stage = 's3'`);
    await c.query('reset enable_seqscan');
    await c.query('select pg_stat_force_next_flush()');
    await vi.waitFor(async () => {
      await c.query('select pg_stat_clear_snapshot()');
      const { rows } = await c.query<{ n: string }>(`select idx_scan::text as n from pg_stat_user_indexes where indexrelname = 'deals_stage_idx'`);
      expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    }, { timeout: 15_000, interval: 200 });
  }

  it('unusedIndexes: fires on indexes never scanned, never on the primary key or a unique index; silent once scanned', async () => {
    const before = await unusedIndexes(c);
    expect(before.map((f) => f.object)).toEqual(['public.deals_owner_idx', 'public.deals_stage_idx']);
    expect(before[0]).toMatchObject({ ruleId: 'unused-index', severity: 'info', fixSql: 'drop index concurrently if exists public.deals_owner_idx;' });
    expect(before[0]!.message).toMatch(/has not been scanned since statistics (began|were reset)/);
    await scanStageIndex();
    expect((await unusedIndexes(c)).map((f) => f.object)).toEqual(['public.deals_owner_idx']);
  });

  it('agent db analyze performance reports the unused index of the server it reads, and not the scanned one', async () => {
    if ((await unusedIndexes(c)).some((f) => f.object === 'public.deals_stage_idx')) await scanStageIndex();
    const dir = makeProject({ 'README.md': 'probe\n' });
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const r = await agent(['db', 'analyze', 'performance', '--no-stage', '--json'], { cwd: dir, env: { DATABASE_URL: url } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const data = (parseNdjson(r.stdout).find((e) => e.type === 'result') as { data: { findings: Array<{ kind: string; object: string; fix: string | null }> } }).data;
    const unused = data.findings.filter((f) => f.kind === 'unused-index');
    expect(unused.map((f) => f.object)).toEqual(['public.deals_owner_idx']);
    expect(unused[0]!.fix).toContain('drop index concurrently if exists public.deals_owner_idx;');
    expect(r.stdout + r.stderr).not.toContain(url);
  }, 60_000);
});
