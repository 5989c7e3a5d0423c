import { describe, expect, it } from 'vitest';
import { lintMigrations, lintSql, RULES, tablesAfter } from '../../agents/migrator/linter/index.js';
import { approvalVerdict, requiresApproval } from '../../agents/migrator/finding.js';

const KNOWN = ['public.jobs', 'public.customers', 'public.estimates'];
/** known: the tables that existed before; null: not given. */
const lint = (sql: string, known: string[] | null = KNOWN) => lintSql(sql, { file: 'supabase/migrations/20251201000000_x.sql', ...(known ? { knownTables: known } : {}) });
const ids = (sql: string, known?: string[] | null) => lint(sql, known).map((f) => f.ruleId);
const LT = "set lock_timeout = '5s';\n";

// Each rule: one SQL that fires it, one close to it that does not.
const cases: Array<[string, string, string]> = [
  ['drop-table', 'drop table if exists public.jobs;', 'create table if not exists t (id int primary key); alter table t enable row level security; drop table if exists t;'],
  ['drop-column', `${LT}alter table jobs drop column if exists title;`, `${LT}alter table jobs drop constraint if exists jobs_title_check;`],
  ['drop-schema', 'drop schema if exists billing cascade;', 'create schema if not exists billing;'],
  ['truncate', `${LT}truncate table jobs;`, `${LT}delete from jobs where status = 'cancelled';`],
  ['delete-without-where', 'delete from jobs;', "delete from jobs where status = 'cancelled';"],
  ['update-without-where', "update jobs set status = 'done';", "update jobs set status = 'done' where id = '00000000-0000-0000-0000-000000000000';"],
  ['require-concurrent-index-creation', `${LT}create index if not exists jobs_title_idx on jobs (title);`, 'create index concurrently if not exists jobs_title_idx on jobs (title);'],
  ['constraint-missing-not-valid', `${LT}alter table estimates add constraint estimates_job_id_fkey foreign key (job_id) references jobs (id);`, `${LT}alter table estimates add constraint estimates_job_id_fkey foreign key (job_id) references jobs (id) not valid;\nalter table estimates validate constraint estimates_job_id_fkey;`],
  ['set-not-null', `${LT}alter table jobs alter column scheduled_for set not null;`, `${LT}alter table jobs add constraint c check (scheduled_for is not null) not valid;\nalter table jobs validate constraint c;\nalter table jobs alter column scheduled_for set not null;`],
  ['changing-column-type', `${LT}alter table jobs alter column title type varchar(200);`, `${LT}alter table jobs alter column title set default 'untitled';`],
  ['volatile-default', `${LT}alter table jobs add column if not exists token uuid default gen_random_uuid();`, `${LT}alter table jobs add column if not exists noted_at timestamptz default now();`],
  ['add-unique-or-primary-key', `${LT}alter table customers add constraint customers_email_key unique (email);`, `${LT}alter table customers add constraint customers_email_key unique using index customers_email_idx;`],
  ['adding-required-field', `${LT}alter table jobs add column if not exists priority int not null;`, `${LT}alter table jobs add column if not exists priority int not null default 0;`],
  ['renaming-column', `${LT}alter table jobs rename column title to name;`, `create table if not exists t (a int); alter table t enable row level security; alter table t rename column a to b;`],
  ['renaming-table', `${LT}alter table jobs rename to work_orders;`, `${LT}alter table jobs rename constraint a to b;`],
  ['require-lock-timeout', 'alter table jobs add column if not exists notes text;', `${LT}alter table jobs add column if not exists notes text;`],
  ['concurrently-in-transaction', `${LT}create index concurrently if not exists jobs_title_idx on jobs (title);`, 'create index concurrently if not exists jobs_title_idx on jobs (title);'],
  ['prefer-if-not-exists', 'create table t (id int primary key);\nalter table t enable row level security;', 'create table if not exists t (id int primary key);\nalter table t enable row level security;'],
  ['prefer-if-exists', 'drop index jobs_title_idx;', 'drop index if exists jobs_title_idx;'],
  ['rls-not-enabled', 'create table if not exists public.notes (id int primary key);', 'create table if not exists public.notes (id int primary key);\nalter table public.notes enable row level security;'],
  ['rls-disabled', `${LT}alter table jobs disable row level security;`, `${LT}alter table jobs enable row level security;`],
  ['security-definer-search-path', 'create or replace function public.f() returns int language sql security definer as $$ select 1 $$;', "create or replace function public.f() returns int language sql security definer set search_path = '' as $$ select 1 $$;"],
  ['security-definer-view', 'create or replace view public.open_jobs as select * from jobs;', 'create or replace view public.open_jobs with (security_invoker = true) as select * from jobs;'],
  ['ban-drop-database', 'drop database crm;', 'drop schema if exists crm_scratch;'],
  ['transaction-nesting', `begin;\n${LT}alter table jobs add column if not exists notes text;\ncommit;`, `${LT}alter table jobs add column if not exists notes text;`],
  ['prefer-timestamptz', 'create table if not exists public.notes (id int primary key, at timestamp);\nalter table public.notes enable row level security;', 'create table if not exists public.notes (id int primary key, at timestamp with time zone, b timestamptz);\nalter table public.notes enable row level security;'],
  ['ban-char-field', `${LT}alter table jobs add column if not exists code char(3);`, `${LT}alter table jobs add column if not exists code varchar(3);`],
  ['delete-rows', 'delete from public.jobs where status = \'cancelled\';', "create table if not exists public.tmp (id bigint primary key);\nalter table public.tmp enable row level security;\ndelete from public.tmp where id = 1;"],
  ['on-delete-cascade', `${LT}alter table estimates add constraint estimates_job_id_fkey foreign key (job_id) references public.jobs (id) on delete cascade not valid;`, `${LT}alter table estimates add constraint estimates_job_id_fkey foreign key (job_id) references public.jobs (id) on delete set null not valid;`],
  // squawk's other rules (its documented bad and good forms)
  ['require-concurrent-index-deletion', 'drop index if exists public.jobs_status_idx;', 'drop index concurrently if exists public.jobs_status_idx;'],
  ['adding-foreign-key-constraint', `${LT}alter table jobs add column if not exists crew_id bigint references public.crews (id);`, `${LT}alter table jobs add column if not exists crew_id bigint;\nalter table jobs add constraint jobs_crew_id_fkey foreign key (crew_id) references public.crews (id) not valid;`],
  ['ban-drop-not-null', `${LT}alter table jobs alter column title drop not null;`, `${LT}alter table jobs alter column title set default '';`],
  ['ban-create-domain-with-constraint', "create domain public.positive_int as integer check (value > 0);", 'create domain public.short_text as text;'],
  ['ban-alter-domain-with-add-constraint', 'alter domain public.short_text add constraint short check (length(value) < 100);', 'alter domain public.short_text add constraint short check (length(value) < 100) not valid;'],
  ['ban-uncommitted-transaction', 'begin;\ncreate table if not exists public.a (id bigint primary key);', 'begin;\ncreate table if not exists public.a (id bigint primary key);\ncommit;'],
  ['require-enum-value-ordering', "alter type public.job_status add value 'paused';", "alter type public.job_status add value 'paused' after 'scheduled';"],
  ['identifier-too-long', `create table if not exists public.${'a'.repeat(64)} (id bigint primary key);`, `create table if not exists public.${'a'.repeat(63)} (id bigint primary key);`],
  ['require-concurrent-reindex', 'reindex index public.jobs_status_idx;', 'reindex index concurrently public.jobs_status_idx;'],
  ['require-concurrent-partition-detach', `${LT}alter table events detach partition events_2024;`, `${LT}alter table events detach partition events_2024 concurrently;`],
  ['prefer-bigint-over-int', 'create table if not exists public.n (id int primary key);', 'create table if not exists public.n (id bigint primary key);'],
  ['prefer-bigint-over-smallint', 'create table if not exists public.n (id bigint primary key, rank smallint);', 'create table if not exists public.n (id bigint primary key, rank bigint);'],
  ['prefer-identity', 'create table if not exists public.n (id bigserial primary key);', 'create table if not exists public.n (id bigint generated by default as identity primary key);'],
  ['prefer-text-field', 'create table if not exists public.n (id bigint primary key, name varchar(100));', 'create table if not exists public.n (id bigint primary key, name text check (length(name) <= 100));'],
];

describe('lint rules', () => {
  it('covers every rule in the catalog', () => {
    expect(cases.map((c) => c[0]).sort()).toEqual(Object.keys(RULES).sort());
  });
  for (const [rule, fires, quiet] of cases) {
    it(`${rule}: fires on the bad SQL, not on the safe form`, () => {
      expect(ids(fires)).toContain(rule);
      expect(ids(quiet)).not.toContain(rule);
    });
  }
});

describe('finding shape and context', () => {
  it('reports file, line of the clause, object, severity, message and fix', () => {
    const f = lint(`${LT}alter table jobs\n  add column if not exists notes text,\n  drop column if exists title;`);
    expect(f).toEqual([
      {
        ruleId: 'drop-column',
        severity: 'error',
        file: 'supabase/migrations/20251201000000_x.sql',
        line: 4,
        object: 'public.jobs.title',
        message: expect.stringContaining('drops public.jobs.title'),
        fix: expect.stringContaining('later release'),
      },
    ]);
  });

  it('treats tables created in the same migration as new (no locking rules)', () => {
    const sql = 'create table if not exists public.notes (id uuid primary key, job_id uuid);\nalter table public.notes enable row level security;\ncreate index if not exists notes_job_id_idx on public.notes (job_id);\nalter table public.notes add constraint fk foreign key (job_id) references jobs (id);\nalter table public.notes alter column job_id set not null;';
    expect(lint(sql)).toEqual([]);
  });

  it('squawk semantics: every table the file (or its batch) did not create is existing, also one no migration creates', () => {
    // A table made in the Studio, or a file linted on its own: lock rules fire.
    const sql = 'alter table t alter column c type bigint;\ncreate index i on t (c);';
    expect(ids(sql, null)).toEqual(expect.arrayContaining(['changing-column-type', 'require-concurrent-index-creation', 'require-lock-timeout']));
    expect(ids(sql, [])).toEqual(expect.arrayContaining(['changing-column-type', 'require-concurrent-index-creation']));
    expect(lintSql(sql, { file: 'x.sql', newTables: ['public.t'] }).map((f) => f.ruleId)).not.toContain('changing-column-type');
  });

  it('lintMigrations: a table from a pending file of the same batch is new, one from an applied file is existing', () => {
    const files = [
      { path: 'a.sql', sql: 'create table if not exists public.vendors (id uuid primary key);\nalter table public.vendors enable row level security;\ncreate index if not exists v on public.vendors (id);' },
      { path: 'b.sql', sql: "set lock_timeout = '5s';\ncreate index if not exists v2 on public.vendors (id);" },
    ];
    expect(lintMigrations(files)).toEqual([]);
    expect(lintMigrations(files, { only: (p) => p === 'b.sql' }).map((x) => `${x.file}:${x.ruleId}`)).toEqual(['b.sql:require-concurrent-index-creation']);
    expect([...tablesAfter(files[0]!.sql, [])]).toEqual(['public.vendors']);
    expect(lintMigrations(files, { only: (p) => p === 'a.sql' })).toEqual([]);
  });

  it('DDL on Supabase tables (auth.users, storage.objects) needs lock_timeout', () => {
    expect(ids('create trigger on_auth_user_created after insert on auth.users for each row execute procedure public.handle_new_user();', null)).toContain('require-lock-timeout');
    expect(ids(`create policy "read own" on storage.objects for select using (true);`, null)).toContain('require-lock-timeout');
    expect(ids(`${LT}create policy "read own" on storage.objects for select using (true);`, null)).not.toContain('require-lock-timeout');
  });

  it("reads pg_dump's quoting: SET \"search_path\" TO '' and WITH (\"security_invoker\"='on')", () => {
    expect(ids(`CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql SECURITY DEFINER\n    SET "search_path" TO ''\n    AS $$ select 1 $$;`)).not.toContain('security-definer-search-path');
    expect(ids(`CREATE VIEW public.v WITH ("security_invoker"='on') AS\n SELECT 1 AS x;`)).not.toContain('security-definer-view');
    expect(ids(`CREATE VIEW public.v WITH ("security_barrier"='on') AS\n SELECT 1 AS x;`)).toContain('security-definer-view');
  });

  it("pg_dump's `SET lock_timeout = 0` is no lock_timeout", () => {
    expect(ids('SET lock_timeout = 0;\nalter table jobs add column if not exists notes text;')).toContain('require-lock-timeout');
    expect(ids("select pg_catalog.set_config('lock_timeout', '0', false);\nalter table jobs add column if not exists notes text;")).toContain('require-lock-timeout');
    expect(ids("SET lock_timeout TO '3s';\nalter table jobs add column if not exists notes text;")).not.toContain('require-lock-timeout');
    expect(ids("select set_config('lock_timeout', '5s', true);\nalter table jobs add column if not exists notes text;")).not.toContain('require-lock-timeout');
  });

  it('an unnamed index gets no IF NOT EXISTS fix that would be a syntax error', () => {
    const f = lint(`${LT}create index on jobs (title);`).find((x) => x.ruleId === 'prefer-if-not-exists');
    expect(f?.fix).toMatch(/name it: `create index if not exists jobs_idx on public\.jobs/);
    expect(f?.fix).not.toMatch(/^use `create index if not exists`$/);
  });

  it('views: rename column and drop without IF EXISTS are flagged', () => {
    expect(ids('alter view public.open_jobs rename column title to name;')).toContain('renaming-column');
    expect(ids('alter view public.open_jobs owner to postgres;')).not.toContain('renaming-column');
    expect(ids('drop view public.open_jobs;')).toContain('prefer-if-exists');
    expect(ids('drop view if exists public.open_jobs;')).not.toContain('prefer-if-exists');
  });

  it('a default calling a function of unknown volatility is flagged; now() and casts are not; before PG 11 any default', () => {
    expect(ids(`${LT}alter table jobs add column if not exists code text default public.make_code();`)).toContain('volatile-default');
    expect(ids(`${LT}alter table jobs add column if not exists at timestamptz default now();`)).not.toContain('volatile-default');
    expect(ids(`${LT}alter table jobs add column if not exists c varchar(3) default 'x'::varchar(3);`)).not.toContain('volatile-default');
    const old = lintSql(`${LT}alter table jobs add column if not exists n int default 0;`, { file: 'x.sql', pgVersion: 10 }).map((f) => f.ruleId);
    expect(old).toContain('volatile-default');
    expect(ids(`${LT}alter table jobs add column if not exists n int default 0;`)).not.toContain('volatile-default');
  });

  it('truncate … cascade says it also empties the referencing tables', () => {
    expect(lint(`${LT}truncate jobs cascade;`).find((f) => f.ruleId === 'truncate')?.message).toMatch(/CASCADE also empties every table that references it/);
    expect(lint(`${LT}truncate jobs;`).find((f) => f.ruleId === 'truncate')?.message).not.toMatch(/CASCADE/);
  });

  it('ignores keywords inside strings, comments and function bodies', () => {
    const sql = "-- drop table jobs;\ninsert into public.audit (note) values ('drop table jobs; truncate jobs');\ncreate or replace function public.g() returns void language plpgsql set search_path = '' as $$ begin delete from public.jobs; end $$;";
    expect(ids(sql)).toEqual([]);
  });
});

describe('requiresApproval', () => {
  it('is true exactly when a destructive rule fired', () => {
    expect(requiresApproval(lint('drop table if exists jobs;'))).toBe(true);
    expect(requiresApproval(lint(`${LT}truncate jobs;`))).toBe(true);
    expect(requiresApproval(lint('alter table jobs add column if not exists notes text;'))).toBe(false);
    expect(approvalVerdict(lint('delete from jobs;'))).toMatchObject({ type: 'approval-required', reasons: [{ ruleId: 'delete-without-where' }] });
    expect(approvalVerdict([])).toEqual({ type: 'no-approval-needed' });
    expect(requiresApproval(lint('drop database crm;'))).toBe(true);
  });
});

describe('the PostgreSQL version setting (default 15, Supabase’s) decides rules that changed between versions', () => {
  const at = (sql: string, pgVersion?: number) => lintSql(sql, { file: 'x.sql', pgVersion }).map((f) => f.ruleId);
  it('SET NOT NULL after a validated CHECK (col IS NOT NULL) skips the scan from 12 on, not before', () => {
    const sql = `${LT}alter table jobs add constraint jobs_title_nn check (title is not null) not valid;\nalter table jobs validate constraint jobs_title_nn;\nalter table jobs alter column title set not null;`;
    expect(at(sql)).not.toContain('set-not-null');
    expect(at(sql, 11)).toContain('set-not-null');
  });
  it('REINDEX CONCURRENTLY exists from 12, DETACH PARTITION CONCURRENTLY from 14: not asked for before', () => {
    expect(at('reindex index public.jobs_status_idx;', 11)).not.toContain('require-concurrent-reindex');
    expect(at(`${LT}alter table events detach partition events_2024;`, 13)).not.toContain('require-concurrent-partition-detach');
    expect(at(`${LT}alter table events detach partition events_2024;`)).toContain('require-concurrent-partition-detach');
  });
  it('a constant default on a new column rewrites the table only before 11', () => {
    const sql = `${LT}alter table jobs add column if not exists priority int default 0;`;
    expect(at(sql)).not.toContain('volatile-default');
    expect(at(sql, 10)).toContain('volatile-default');
  });
});
