// The foreign-key fix the Migrator stages (issue 14): several migrations, each safe on a table that
// holds rows, and an ON DELETE action from the column's nullability. Pure.
import { describe, expect, it } from 'vitest';
import { columnNullable, foreignKeyMigrations } from '../../agents/migrator/agent.js';
import { lintMigrations } from '../../agents/migrator/linter/index.js';
import { mustRunOutsideTransaction } from '../../agents/migrator/run-sql.js';

const FILES = [
  { sql: 'create table public.tasks (\n  id bigint primary key,\n  sales_id bigint,\n  owner_id uuid not null\n);' },
  { sql: 'alter table public.tasks add column if not exists contact_id bigint not null default 0;\nalter table public.tasks alter column owner_id drop not null;' },
];

describe('columnNullable', () => {
  it('reads the create table, later add column and SET/DROP NOT NULL', () => {
    expect(columnNullable(FILES, 'tasks', 'sales_id')).toBe(true);
    expect(columnNullable(FILES, 'tasks', 'contact_id')).toBe(false);
    expect(columnNullable(FILES, 'tasks', 'owner_id')).toBe(true);
    expect(columnNullable(FILES, 'tasks', 'id')).toBe(false);
    expect(columnNullable(FILES, 'nope', 'x')).toBeNull();
  });
});

describe('foreignKeyMigrations', () => {
  const ms = foreignKeyMigrations(
    [
      { table: 'tasks', column: 'sales_id', target: 'sales', nullable: true },
      { table: 'tasks', column: 'contact_id', target: 'contacts', nullable: false },
    ],
    '20261201235959',
  );

  it('keys NOT VALID under lock_timeout, VALIDATE alone, then one CONCURRENTLY index per file, versions in order', () => {
    expect(ms.map((m) => `${m.version}_${m.name}`)).toEqual(['20261201235959_add_tasks_foreign_keys', '20261202000000_validate_tasks_foreign_keys', '20261202000001_tasks_sales_id_idx', '20261202000002_tasks_contact_id_idx']);
    expect(ms[0]!.up).toMatch(/^-- .*\nset lock_timeout = '5s';\n/);
    expect(ms[0]!.up).toContain('foreign key (sales_id) references public.sales (id) on delete set null not valid;');
    expect(ms[0]!.up).toContain('foreign key (contact_id) references public.contacts (id) not valid;');
    expect(ms[0]!.up).not.toMatch(/validate constraint/);
    expect(ms[1]!.up).toMatch(/validate constraint tasks_sales_id_fkey;\n.*validate constraint tasks_contact_id_fkey;/);
    for (const m of ms.slice(2)) {
      expect(m.up).toMatch(/^create index concurrently if not exists tasks_\w+_idx on public\.tasks \(\w+\);\n$/);
      expect(mustRunOutsideTransaction(m.up)).toBe(true);
      expect(m.down).toMatch(/^drop index concurrently if exists public\.tasks_\w+_idx;\n$/);
    }
    expect(ms[0]!.down).toContain('drop constraint if exists tasks_contact_id_fkey');
  });

  it("its own linter finds nothing above info in it (the old single file had require-concurrent-index-creation)", () => {
    const findings = lintMigrations(ms.map((m) => ({ path: m.upPath, sql: m.up })));
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});

describe('orphans', () => {
  it('the VALIDATE migration names the query that counts the rows it would reject and the cleanup to approve', async () => {
    const { orphanCountSql, orphanCleanupSql } = await import('../../agents/migrator/agent.js');
    const t = { table: 'tasks', column: 'sales_id', target: 'sales', nullable: true };
    expect(orphanCountSql(t)).toBe('select count(*) from public.tasks c where c.sales_id is not null and not exists (select 1 from public.sales p where p.id = c.sales_id);');
    expect(orphanCleanupSql(t)).toMatch(/^update public\.tasks set sales_id = null where/);
    expect(orphanCleanupSql({ ...t, nullable: false })).toMatch(/^delete from public\.tasks where/);
    const validate = foreignKeyMigrations([t], '20261201000000')[1]!.up;
    expect(validate).toContain(`--   ${orphanCountSql(t)}`);
    // Only comments beside the VALIDATE: nothing destructive runs.
    expect(lintMigrations([{ path: 'v.sql', sql: validate }]).filter((f) => f.severity !== 'info')).toEqual([]);
  });
});
