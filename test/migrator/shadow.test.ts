// Shadow dry runs and schema scans against real PGlite started from the cached template.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, openShadowDatabase, type Pg } from '../../src/integrations/postgres/index.js';
import { applyPending, dryRun, projectSchema, replayInto, scanMigrations } from '../../agents/migrator/index.js';
import { cleanupProjects, down, makeProject, mig, TEMPLATE_CACHE } from './helpers.js';

afterAll(cleanupProjects);

// A Supabase-flavored set: auth.uid() in policies and defaults, grants to the API roles, a
// security-definer trigger on auth.users, a storage bucket with a policy, realtime, uuid-ossp.
const SUPABASE_SET = {
  [mig('20250101000000', 'profiles')]: `create extension if not exists "uuid-ossp" with schema extensions;

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text,
  created_at timestamptz not null default now()
);
alter table public.profiles enable row level security;
create policy "profiles are self-owned" on public.profiles
  for all to authenticated
  using ((select auth.uid()) = id)
  with check ((select auth.uid()) = id);
grant select, insert, update on public.profiles to authenticated;
revoke all on public.profiles from anon;

create or replace function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id, full_name) values (new.id, new.raw_user_meta_data ->> 'full_name');
  return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute procedure public.handle_new_user();
`,
  [mig('20250102000000', 'notes')]: `create table public.notes (
  id uuid primary key default uuid_generate_v4(),
  owner_id uuid not null default auth.uid() references auth.users (id),
  body text not null
);
create index notes_owner_id_idx on public.notes (owner_id);
alter table public.notes enable row level security;
create policy "owners read notes" on public.notes for select to authenticated using (auth.uid() = owner_id);
create policy "owners write notes" on public.notes for insert to authenticated with check (auth.uid() = owner_id);
alter publication supabase_realtime add table public.notes;

insert into storage.buckets (id, name, public) values ('avatars', 'avatars', false);
create policy "own avatar folder" on storage.objects for insert to authenticated
  with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = auth.uid()::text);
`,
};

const U1 = '11111111-1111-1111-1111-111111111111';
const U2 = '22222222-2222-2222-2222-222222222222';

describe('replaying a Supabase-flavored migration set into a shadow', () => {
  it('runs without diagnoses, and the policies with auth.uid() hold for the authenticated role', async () => {
    const root = makeProject(SUPABASE_SET);
    const db = await openShadowDatabase({ cacheDir: TEMPLATE_CACHE, extensions: ['uuid-ossp'] });
    try {
      const files = Object.entries(SUPABASE_SET).map(([path, sql]) => ({ path, sql }));
      expect(await replayInto(db, files)).toEqual([]);
      // The trigger on auth.users creates profiles; notes default their owner to auth.uid().
      await db.exec(`insert into auth.users (id, raw_user_meta_data) values ('${U1}', '{"full_name": "Ada"}'), ('${U2}', '{}')`);
      await db.exec(`set request.jwt.claims = '{"sub": "${U1}", "role": "authenticated"}'; set role authenticated`);
      await db.exec(`insert into public.notes (body) values ('mine')`);
      expect((await db.query(`select full_name from public.profiles`)).rows).toEqual([{ full_name: 'Ada' }]);
      await db.exec(`reset role; set request.jwt.claims = '{"sub": "${U2}", "role": "authenticated"}'; set role authenticated`);
      expect((await db.query(`select count(*)::int as n from public.notes`)).rows).toEqual([{ n: 0 }]);
      const err = await db.query(`insert into public.notes (owner_id, body) values ('${U1}', 'forged')`).catch((e: Error) => e);
      expect(String(err)).toMatch(/row-level security/);
      await db.exec('reset role');
      expect((await db.query(`select count(*)::int as n from public.notes`)).rows).toEqual([{ n: 1 }]);
    } finally {
      await db.close();
    }
    void root;
  });

  it('projectSchema returns the snapshot the set builds', async () => {
    const root = makeProject(SUPABASE_SET);
    const { snapshot, diagnoses } = await projectSchema(root, { templateCacheDir: TEMPLATE_CACHE });
    expect(diagnoses).toEqual([]);
    expect(snapshot.tables['public.notes']?.policies['owners read notes']).toEqual({ command: 'select', permissive: true, roles: ['authenticated'], using: '(auth.uid() = owner_id)', check: null });
    expect(snapshot.tables['auth.users']?.triggers.on_auth_user_created).toMatch(/EXECUTE FUNCTION handle_new_user\(\)/);
    expect(snapshot.functions['public.handle_new_user()']).toMatchObject({ securityDefiner: true, config: ['search_path=""'] });
    expect(snapshot.tables['storage.objects']?.policies['own avatar folder']?.check).toMatch(/foldername/);
  });
});

const BASE = {
  [mig('20251101090000', 'create_customers')]: 'create table public.customers (\n  id uuid primary key default gen_random_uuid(),\n  name text not null\n);\nalter table public.customers enable row level security;\n',
  [mig('20251102090000', 'create_jobs')]: "create table public.jobs (\n  id uuid primary key default gen_random_uuid(),\n  customer_id uuid not null references public.customers (id),\n  title text not null,\n  status text not null default 'scheduled'\n);\nalter table public.jobs enable row level security;\n",
};

describe('dry run against a target', () => {
  let root: string;
  let target: Pg;
  beforeAll(async () => {
    root = makeProject(BASE);
    target = await openDatabase({ projectRoot: root, cacheDir: TEMPLATE_CACHE });
    expect(await applyPending(root, target)).toMatchObject({ type: 'applied' });
    await target.exec(`insert into public.customers (id, name) values ('${U1}', 'Acme');
      insert into public.jobs (customer_id, title, status) select '${U1}', 'job ' || g, case when g % 4 = 0 then 'done' else 'scheduled' end from generate_series(1, 400) g;
      analyze public.jobs;`);
  });
  afterAll(() => target?.close());

  it('replays the applied ones, times the pending one, estimates rows from the target and verifies the rollback', async () => {
    const up = "set lock_timeout = '5s';\nalter table public.jobs add column if not exists notes text;\nupdate public.jobs set notes = 'legacy' where status = 'done';\nalter table public.jobs alter column title type varchar(300);\ncreate index concurrently if not exists jobs_status_idx on public.jobs (status);\n";
    // The pending migrations and their stored rollbacks.
    mkdirSync(join(root, 'supabase', 'rollbacks'), { recursive: true });
    writeFileSync(join(root, mig('20251201090000', 'job_notes')), up.replace('create index concurrently if not exists jobs_status_idx on public.jobs (status);\n', ''));
    writeFileSync(join(root, down('20251201090000', 'job_notes')), "set lock_timeout = '5s';\nalter table public.jobs alter column title type text;\nalter table public.jobs drop column if exists notes;\n");
    writeFileSync(join(root, mig('20251201090100', 'jobs_status_idx')), 'create index concurrently if not exists jobs_status_idx on public.jobs (status);\n');
    writeFileSync(join(root, down('20251201090100', 'jobs_status_idx')), 'drop index concurrently if exists public.jobs_status_idx;\n');

    const r = await dryRun(root, { templateCacheDir: TEMPLATE_CACHE, target });
    expect(r.replayed).toEqual({ count: 2, diagnoses: [] });
    expect(r.pending.map((p) => [p.version, p.transactional, p.statements.length])).toEqual([['20251201090000', true, 4], ['20251201090100', false, 1]]);
    expect(r.pending[0]?.statements.every((s) => s.ok && s.ms >= 0)).toBe(true);
    expect(r.diagnoses).toEqual([]);
    const est = (line: number) => r.estimates.find((e) => e.file.endsWith('job_notes.sql') && e.line === line);
    expect(est(3)).toMatchObject({ table: 'public.jobs', effect: 'update', source: 'target-plan' });
    expect(est(3)!.rows).toBeGreaterThan(50);
    expect(est(3)!.rows).toBeLessThan(400);
    expect(est(4)).toEqual({ file: 'supabase/migrations/20251201090000_job_notes.sql', line: 4, table: 'public.jobs', effect: 'rewrite', rows: 400, source: 'target-statistics' });
    expect(r.estimates.find((e) => e.effect === 'index')).toMatchObject({ rows: 400, source: 'target-statistics' });
    expect(r.impact.rowsRewritten).toBe(400);
    expect(r.estimatedMs).toBeGreaterThan(0);
    expect(r.rollback.map((x) => [x.version, x.status, x.differences])).toEqual([['20251201090000', 'verified', []], ['20251201090100', 'verified', []]]);
    expect(r.rollbackVerified).toBe(true);
    expect(r.ok).toBe(true);
    expect(r.requiresApproval).toBe(false);
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.line} ${f.ruleId}`)).toEqual(['4 changing-column-type']);
    // The target itself is untouched by the dry run.
    expect((await target.query(`select count(*)::int as n from information_schema.columns where table_name = 'jobs' and column_name = 'notes'`)).rows).toEqual([{ n: 0 }]);
  });
});

describe('dry run of a staged change set', () => {
  it('a rollback that does not restore the schema reports the exact difference', async () => {
    const root = makeProject(BASE);
    const r = await dryRun(root, {
      templateCacheDir: TEMPLATE_CACHE,
      extra: [{ version: '20251201100000', name: 'estimates', up: "set lock_timeout = '5s';\ncreate table if not exists public.estimates (id uuid primary key, job_id uuid not null references public.jobs (id));\ncreate index if not exists estimates_job_id_idx on public.estimates (job_id);\nalter table public.estimates enable row level security;\nalter table public.jobs add column if not exists estimate_count int not null default 0;\n", down: 'drop table if exists public.estimates;\n' }],
    });
    expect(r.replayed.count).toBe(2);
    expect(r.diagnoses).toEqual([]);
    expect(r.rollbackVerified).toBe(false);
    expect(r.ok).toBe(false);
    expect(r.rollback).toMatchObject([{ version: '20251201100000', status: 'differs', path: 'staged/20251201100000_estimates.down.sql' }]);
    expect(r.rollback[0]?.differences).toEqual(['added column public.jobs.estimate_count: integer not null default 0']);
    expect(r.rollback[0]?.details).toEqual([{ change: 'added', objectType: 'column', object: 'public.jobs.estimate_count', detail: 'integer not null default 0' }]);
  });

  it('a statement PGlite cannot run is diagnosed with file and line, the rest continues, and it fails nothing', async () => {
    const root = makeProject(BASE);
    // postgis has no stand-in: its statement and the column that needs it are shadow limitations.
    const up = "set lock_timeout = '5s';\ncreate extension if not exists postgis with schema extensions;\ncreate table if not exists public.sites (id bigint primary key, at extensions.geography(point));\ncreate table if not exists public.job_log (id bigint generated always as identity primary key, note text);\nalter table public.job_log enable row level security;\n";
    const r = await dryRun(root, { templateCacheDir: TEMPLATE_CACHE, extra: [{ version: '20251201110000', name: 'sites', up, down: 'drop table if exists public.sites;\ndrop table if exists public.job_log;\n', path: 'staged/2025-12-01_11-00-00_sites/migrations/20251201110000_sites.up.sql' }] });
    expect(r.diagnoses).toEqual([
      expect.objectContaining({ file: 'staged/2025-12-01_11-00-00_sites/migrations/20251201110000_sites.up.sql', line: 2, cause: 'shadow-limitation', extension: 'postgis', reason: expect.stringMatching(/^extension "postgis" is not available: .*PGlite/) }),
      expect.objectContaining({ line: 3, cause: 'shadow-limitation', extension: 'postgis', reason: expect.stringContaining('depends on the postgis extension') }),
    ]);
    // The statements after the failure ran: the table exists after the pending migration.
    expect(r.schemaAfter.tables['public.job_log']?.rls).toBe(true);
    expect(r.pending[0]?.statements.map((s) => s.ok)).toEqual([true, false, false, true, true]);
    expect(r.rollback[0]?.status).toBe('verified');
    expect(r.ok).toBe(true);
  });

  it('a real SQL error after them still fails the dry run', async () => {
    const root = makeProject(BASE);
    const up = "set lock_timeout = '5s';\ncreate extension if not exists pg_cron;\nselect cron.schedule('nightly', '0 3 * * *', 'select 1');\nalter table public.nope add column if not exists x int;\n";
    const r = await dryRun(root, { templateCacheDir: TEMPLATE_CACHE, extra: [{ version: '20251201110000', name: 'nightly', up, down: "select cron.unschedule('nightly');\n", path: 'staged/x/migrations/20251201110000_nightly.up.sql' }] });
    expect(r.notChecked).toEqual(['pg_cron']);
    expect(r.diagnoses).toEqual([expect.objectContaining({ line: 4, cause: 'sql-error', reason: expect.stringContaining('"public.nope" does not exist') })]);
    expect(r.ok).toBe(false);
  });
});

describe('scanMigrations (agent bugs scan)', () => {
  it('finds the example CRM’s missing foreign key, located in its migration, with fix SQL', async () => {
    const root = makeProject();
    cpSync(join(import.meta.dirname, '..', '..', 'examples', 'crm', 'supabase', 'migrations'), join(root, 'supabase', 'migrations'), { recursive: true });
    const { findings, diagnoses } = await scanMigrations(root, { templateCacheDir: TEMPLATE_CACHE });
    expect(diagnoses).toEqual([]);
    const fk = findings.find((f) => f.ruleId === 'missing-foreign-key' && f.object === 'public.estimates.job_id');
    expect(fk).toMatchObject({ severity: 'warning', file: 'supabase/migrations/20251103090000_create_estimates.sql', line: 3 });
    expect(fk?.fixSql).toContain('add constraint estimates_job_id_fkey foreign key (job_id) references public.jobs (id) not valid');
  });
});

describe('replay in one round trip per file (runFile batch)', () => {
  it('a file that fails is rolled back whole and replayed statement by statement: the same diagnoses, and the good statements of it applied', async () => {
    const { runFile } = await import('../../agents/migrator/run-sql.js');
    const db = await openShadowDatabase({ cacheDir: TEMPLATE_CACHE });
    try {
      const sql = 'create table public.a (id int primary key);\ncreate table public.b (id int references public.nope (id));\ncreate table public.c (id int primary key);\n';
      const batched = await runFile(db, 'x.sql', sql, { keepGoing: true, standIns: true, batch: true });
      expect(batched.diagnoses.map((d) => [d.line, d.reason])).toEqual([[2, 'relation "public.nope" does not exist']]);
      const tables = (await db.query<{ t: string }>("select table_name as t from information_schema.tables where table_schema = 'public' order by 1")).rows.map((r) => r.t);
      expect(tables).toEqual(['a', 'c']);
      const ok = await runFile(db, 'y.sql', 'create table public.d (id int primary key);\ncreate index d_id_idx on public.d (id);\n', { keepGoing: true, standIns: true, batch: true });
      expect(ok.diagnoses).toEqual([]);
      expect((await db.query("select 1 from pg_indexes where indexname = 'd_id_idx'")).rows).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});
