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

  it('without a known-table set, any table the file does not create counts as existing', () => {
    expect(ids('create index if not exists x_idx on whatever (a);', null)).toContain('require-concurrent-index-creation');
    expect(ids('create index if not exists x_idx on whatever (a);', [])).not.toContain('require-concurrent-index-creation');
  });

  it('lintMigrations: tables from earlier files are existing in later ones', () => {
    const files = [
      { path: 'a.sql', sql: 'create table if not exists public.vendors (id uuid primary key);\nalter table public.vendors enable row level security;\ncreate index if not exists v on public.vendors (id);' },
      { path: 'b.sql', sql: "set lock_timeout = '5s';\ncreate index if not exists v2 on public.vendors (id);" },
    ];
    const f = lintMigrations(files);
    expect(f.map((x) => `${x.file}:${x.ruleId}`)).toEqual(['b.sql:require-concurrent-index-creation']);
    expect([...tablesAfter(files[0]!.sql, [])]).toEqual(['public.vendors']);
    expect(lintMigrations(files, { only: (p) => p === 'a.sql' })).toEqual([]);
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
  });
});
