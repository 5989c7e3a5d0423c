// Orphans before a foreign-key fix is staged (issue 14): the count and cleanup SQL, the log lines,
// and the cleanup migration placed between the key's NOT VALID and its VALIDATE. Pure.
import { describe, expect, it } from 'vitest';
import { describeOrphans, orphanCleanupStatement, orphanPredicate, withOrphanCleanup, type EnvironmentOrphans, type KeyCheck } from '../../agents/migrator/orphans.js';
import { foreignKeyMigrations } from '../../agents/migrator/agent.js';
import { lintMigrations } from '../../agents/migrator/linter/index.js';
import { requiresApproval } from '../../agents/migrator/finding.js';

const SALES: KeyCheck = { table: 'public.tasks', constraint: 'tasks_sales_id_fkey', columns: ['sales_id'], references: { table: 'public.sales', columns: ['id'] }, nullable: true };
const CONTACT: KeyCheck = { table: 'public.tasks', constraint: 'tasks_contact_id_fkey', columns: ['contact_id'], references: { table: 'public.contacts', columns: ['id'] }, nullable: false };
const env = (counts: Array<[KeyCheck, number]>, extra: Partial<EnvironmentOrphans> = {}): EnvironmentOrphans => ({
  env: 'production',
  target: 'embedded PGlite (.agent/pgdata/production)',
  counts: counts.map(([key, count]) => ({ key, count, sample: count ? [{ id: 2, [key.columns[0]!]: 999 }] : [] })),
  missing: [],
  ...extra,
});

describe('orphan SQL', () => {
  it('matches non-null key values with no parent row; the cleanup sets a nullable column to null and deletes otherwise', () => {
    expect(orphanPredicate(SALES)).toBe('c.sales_id is not null and not exists (select 1 from public.sales p where p.id = c.sales_id)');
    expect(orphanCleanupStatement(SALES)).toBe('update public.tasks set sales_id = null where public.tasks.sales_id is not null and not exists (select 1 from public.sales p where p.id = public.tasks.sales_id);');
    expect(orphanCleanupStatement(CONTACT)).toBe('delete from public.tasks where public.tasks.contact_id is not null and not exists (select 1 from public.contacts p where p.id = public.tasks.contact_id);');
  });

  it('says the count and a sample per environment, and why one was not counted', () => {
    expect(describeOrphans(env([[SALES, 1], [CONTACT, 0]]))).toEqual([
      'production (embedded PGlite (.agent/pgdata/production)): 1 row(s) of public.tasks point at no public.sales row, so VALIDATE tasks_sales_id_fkey would fail there (id=2 sales_id=999)',
      'production (embedded PGlite (.agent/pgdata/production)): no row of public.tasks violates tasks_contact_id_fkey',
    ]);
    expect(describeOrphans(env([], { env: 'staging', skipped: 'no database there yet' }))).toEqual(['staging (embedded PGlite (.agent/pgdata/production)): not counted: no database there yet']);
  });
});

describe('withOrphanCleanup', () => {
  const ms = foreignKeyMigrations([{ table: 'tasks', column: 'sales_id', target: 'sales', nullable: true }, { table: 'tasks', column: 'contact_id', target: 'contacts', nullable: false }], '20261202120000');

  it('no orphans anywhere: the migrations as they were', () => {
    const r = withOrphanCleanup(ms, [env([[SALES, 0], [CONTACT, 0]])]);
    expect(r.cleanups).toEqual([]);
    expect(r.migrations.map((m) => `${m.version}_${m.name}`)).toEqual(ms.map((m) => `${m.version}_${m.name}`));
  });

  it('orphans: a destructive cleanup after the key NOT VALID and before its VALIDATE, versions re-stamped in order', () => {
    const r = withOrphanCleanup(ms, [env([[SALES, 1], [CONTACT, 0]]), env([[SALES, 3], [CONTACT, 0]], { env: 'staging' })]);
    expect(r.cleanups.map((k) => k.constraint)).toEqual(['tasks_sales_id_fkey']);
    expect(r.migrations.map((m) => `${m.version}_${m.name}`)).toEqual([
      '20261202120000_add_tasks_foreign_keys',
      '20261202120001_clean_up_tasks_sales_id_fkey_orphans',
      '20261202120002_validate_tasks_foreign_keys',
      '20261202120003_tasks_sales_id_idx',
      '20261202120004_tasks_contact_id_idx',
    ]);
    const cleanup = r.migrations[1]!;
    expect(cleanup.destructive).toBe(true);
    expect(cleanup.upPath).toBe('supabase/migrations/20261202120001_clean_up_tasks_sales_id_fkey_orphans.sql');
    expect(cleanup.up).toContain('(production: 1, staging: 3 when staged)');
    expect(cleanup.up.trim().split('\n').at(-1)).toBe(orphanCleanupStatement(SALES));
    // The linter alone would not call an UPDATE with a WHERE destructive: the flag is what asks for approval.
    expect(requiresApproval(lintMigrations([{ path: cleanup.upPath, sql: cleanup.up }]))).toBe(false);
    expect(ms[1]!.version).toBe('20261202120001'); // the input is not changed
  });
});
