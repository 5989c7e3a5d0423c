import { describe, expect, it } from 'vitest';
import { buildMigration, planFromDescription, type BuildResult, type PlannedMigration } from '../../agents/migrator/sql-builder.js';
import { lintSql } from '../../agents/migrator/linter/index.js';
import type { SchemaSnapshot } from '../../agents/migrator/schema-snapshot.js';
import { crmSnapshot } from './snapshot-fixture.js';

const snap = crmSnapshot();
const plan = (d: string, s: SchemaSnapshot | null = snap): PlannedMigration => {
  const r: BuildResult = planFromDescription(d, s ?? undefined);
  if (r.type !== 'ok') throw new Error(`refused "${d}": ${r.reason}`);
  return r;
};
const lintIds = (p: PlannedMigration) => lintSql(p.up, { file: 'x.sql', knownTables: Object.keys(snap.tables) }).filter((f) => f.severity !== 'info').map((f) => f.ruleId);

describe('buildMigration', () => {
  it('creates a table with id, created_at, a parent reference, its index and RLS', () => {
    const p = plan('Add customer preferences table with JSONB column');
    expect(p.slug).toBe('create_customer_preferences');
    expect(p.up).toBe([
      "set lock_timeout = '5s';",
      'create table if not exists public.customer_preferences (',
      '  id uuid primary key default gen_random_uuid(),',
      '  customer_id uuid not null references public.customers (id) on delete cascade,',
      "  preferences jsonb not null default '{}'::jsonb,",
      '  created_at timestamptz not null default now()',
      ');',
      'create index if not exists customer_preferences_customer_id_idx on public.customer_preferences (customer_id);',
      'alter table public.customer_preferences enable row level security;',
    ].join('\n'));
    expect(p.down).toBe('drop table if exists public.customer_preferences;');
    expect(p.notes.join(' ')).toMatch(/customer_id references public.customers/);
    expect(lintIds(p)).toEqual([]);
    // Without a schema it does not invent the parent reference.
    const bare = plan('Add customer preferences table with JSONB column', null);
    expect(bare.up).not.toMatch(/customer_id/);
  });

  it('adds a column; a volatile default applies to new rows only', () => {
    const p = plan('add column notes text to jobs');
    expect(p.up).toBe("set lock_timeout = '5s';\nalter table public.jobs add column if not exists notes text;");
    expect(p.down).toBe('alter table public.jobs drop column if exists notes;');
    expect(lintIds(p)).toEqual([]);
    const v = plan('add column token uuid default gen_random_uuid() to jobs');
    expect(v.up).toContain('alter column token set default gen_random_uuid()');
    expect(lintIds(v)).toEqual([]);
  });

  it('adds an index CONCURRENTLY, alone, outside a transaction', () => {
    const p = plan('add index on estimates(job_id)');
    expect(p).toMatchObject({ slug: 'add_index_estimates_job_id', transactional: false, up: 'create index concurrently if not exists estimates_job_id_idx on public.estimates (job_id);', down: 'drop index concurrently if exists public.estimates_job_id_idx;' });
    expect(lintIds(p)).toEqual([]);
  });

  it('adds a foreign key NOT VALID, then VALIDATE, and notes the missing index', () => {
    const p = plan('add foreign key from estimates.job_id to jobs.id');
    expect(p.up.split('\n')).toEqual([
      "set lock_timeout = '5s';",
      'alter table public.estimates add constraint estimates_job_id_fkey foreign key (job_id) references public.jobs (id) not valid;',
      'alter table public.estimates validate constraint estimates_job_id_fkey;',
    ]);
    expect(p.down).toContain('drop constraint if exists estimates_job_id_fkey');
    expect(p.notes.join(' ')).toMatch(/add index on estimates\(job_id\)/);
    expect(lintIds(p)).toEqual([]);
    expect(plan('add foreign key from estimates.job_id to jobs').up).toContain('references public.jobs (id)');
  });

  it('enables RLS with an owner policy and a rollback that restores the previous state', () => {
    const p = plan('enable RLS on estimates with owner policy on owner_id');
    expect(p.up).toContain('alter table public.estimates enable row level security;');
    expect(p.up).toContain('create policy "estimates owner can do everything" on public.estimates for all to authenticated using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);');
    expect(p.down).toContain('drop policy if exists "estimates owner can do everything" on public.estimates;');
    expect(p.down).toContain('disable row level security');
    expect(lintIds(p)).toEqual([]);
    // RLS already on (customers): the rollback must not turn it off.
    expect(plan('enable RLS on customers with owner policy on owner_id').down).not.toContain('disable');
    // The owner column is found when it is the only candidate.
    expect(plan('enable RLS on estimates with owner policy').up).toContain('= owner_id');
  });

  it('sets NOT NULL behind a validated check, so the linter stays quiet', () => {
    const p = plan('make jobs.customer_id not null');
    expect(p.up.split('\n')).toEqual([
      "set lock_timeout = '5s';",
      'alter table public.jobs add constraint jobs_customer_id_nn_check check (customer_id is not null) not valid;',
      'alter table public.jobs validate constraint jobs_customer_id_nn_check;',
      'alter table public.jobs alter column customer_id set not null;',
      'alter table public.jobs drop constraint jobs_customer_id_nn_check;',
    ]);
    expect(p.down).toContain('drop not null');
    expect(lintIds(p)).toEqual([]);
  });

  it('renames a column (quoting reserved words) with the reverse rename as rollback', () => {
    const p = plan('rename column jobs.desc to description');
    expect(p.up).toContain('alter table public.jobs rename column "desc" to description;');
    expect(p.down).toContain('alter table public.jobs rename column description to "desc";');
    expect(lintIds(p)).toEqual(['renaming-column']);
  });

  it('drops a column with a rollback that restores type, default and indexes, and needs approval', () => {
    const p = plan('drop column legacy_code from customers');
    expect(p.up).toContain('alter table public.customers drop column if exists legacy_code;');
    expect(p.down).toContain("add column if not exists legacy_code text default 'n/a'::text not null;");
    expect(p.down).toContain('CREATE INDEX customers_legacy_code_idx ON public.customers USING btree (legacy_code);');
    expect(lintIds(p)).toEqual(['drop-column']);
  });
});

describe('buildMigration refusals', () => {
  const refused = (d: string, s: SchemaSnapshot | null = snap) => {
    const r = planFromDescription(d, s ?? undefined);
    if (r.type !== 'refused') throw new Error(`accepted "${d}"`);
    return r;
  };
  it('checks the schema instead of guessing', () => {
    expect(refused('add column notes text to nosuch').reason).toBe('table public.nosuch does not exist');
    expect(refused('add column title text to jobs').reason).toBe('public.jobs.title already exists');
    expect(refused('add index on jobs(nosuch)').reason).toBe('column public.jobs.nosuch does not exist');
    expect(refused('add foreign key from estimates.total_cents to jobs.id').reason).toBe('public.estimates.total_cents is integer but public.jobs.id is uuid');
    expect(refused('make jobs.id not null').reason).toMatch(/already NOT NULL/);
    expect(refused('create table jobs with notes text').reason).toMatch(/already exists/);
    expect(refused('enable RLS on jobs with owner policy').reason).toMatch(/name the column/);
  });
  it('refuses what would fail or lock on a live table', () => {
    expect(refused('add column priority integer not null to jobs').reason).toMatch(/NOT NULL column without a default/);
    expect(refused('add column code text unique to jobs').reason).toMatch(/add unique index on jobs\(code\)/);
  });
  it('needs the schema to write a rollback for a dropped column', () => {
    expect(refused('drop column legacy_code from customers', null).reason).toMatch(/current schema/);
  });
  it('does not mutate the intent it is given', () => {
    const intent = { kind: 'add-column' as const, table: 'public.jobs', column: { name: 'customer2_id', type: 'uuid', nullable: true, references: { table: 'public.customers', column: null } } };
    const r = buildMigration(intent, snap);
    expect(r.type).toBe('ok');
    expect(intent.column.references.column).toBeNull();
  });
});
