// The session reset and the stand-ins through the real apply path and a full dry run (issue 14):
// `migrate execute`'s applyPending on an embedded PGlite environment, and a dry run whose pending
// migration uses pg_cron with a verified rollback. Slower than test/migrator's (a database per
// case), so here.
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/integrations/postgres/index.js';
import { applyMigration, applyPending, dryRun, MigrationFailure } from '../../agents/migrator/index.js';
import { foreignKeyMigrations, orphanCleanupSql, orphanCountSql } from '../../agents/migrator/agent.js';
import { cleanupProjects, down, makeProject, mig, TEMPLATE_CACHE } from '../migrator/helpers.js';
import { PULLED } from '../migrator/pulled-fixture.js';

afterAll(cleanupProjects);

describe('the CLI semantics on the real apply path and a dry run', () => {
  it('migrate execute applies every file of such a project to the embedded database', async () => {
    const root = makeProject(PULLED);
    const target = await openDatabase({ projectRoot: root, cacheDir: TEMPLATE_CACHE });
    try {
      const r = await applyPending(root, target);
      expect(r.type).toBe('applied');
      expect(r.type === 'applied' && r.applied.map((a) => a.version)).toEqual(['20250101000000', '20250102000000', '20250103000000']);
      // Nothing of the last file's session is left for the next command either.
      expect((await target.query<{ s: string }>(`select current_setting('search_path') as s`)).rows[0]!.s).toMatch(/public/);
    } finally {
      await target.close();
    }
  });

  it('a dry run whose pending migration uses pg_cron is ok, says not checked, and its rollback (drop extension) is verified', async () => {
    const root = makeProject({
      [mig('20250301000000', 'cron')]: "create extension if not exists pg_cron;\nselect cron.schedule('purge', '0 4 * * *', 'select 1');\n",
      [down('20250301000000', 'cron')]: "select cron.unschedule('purge');\ndrop extension if exists pg_cron;\n",
    });
    const report = await dryRun(root, { templateCacheDir: TEMPLATE_CACHE });
    expect(report.diagnoses).toEqual([]);
    expect(report.notChecked).toEqual(['pg_cron']);
    expect(report.rollback.map((r) => r.status)).toEqual(['verified']);
    expect(report.ok).toBe(true);
  });

  it('the staged foreign-key fix on a database holding an orphan: VALIDATE fails alone, the count shows it, the cleanup lets it apply', async () => {
    const root = makeProject({ [mig('20250501000000', 'crm')]: 'create table public.sales (id bigint primary key);\ncreate table public.tasks (id bigint primary key, sales_id bigint);\n' });
    const db = await openDatabase({ projectRoot: root, cacheDir: TEMPLATE_CACHE });
    try {
      expect((await applyPending(root, db)).type).toBe('applied');
      await db.exec('insert into public.sales values (1); insert into public.tasks values (1, 1), (2, 999), (3, null);');
      const t = { table: 'tasks', column: 'sales_id', target: 'sales', nullable: true };
      const [add, validate, index] = foreignKeyMigrations([t], '20250601000000') as [ReturnType<typeof foreignKeyMigrations>[number], ReturnType<typeof foreignKeyMigrations>[number], ReturnType<typeof foreignKeyMigrations>[number]];
      await applyMigration(db, { version: add.version, name: add.name, sql: add.up });
      const failed = await applyMigration(db, { version: validate.version, name: validate.name, sql: validate.up }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(MigrationFailure);
      expect((failed as MigrationFailure).diagnosis.reason).toMatch(/violates foreign key constraint "tasks_sales_id_fkey"/);
      expect((await db.query<{ count: number }>(orphanCountSql(t).replace('count(*)', 'count(*)::int as count'))).rows).toEqual([{ count: 1 }]);
      await db.exec(orphanCleanupSql(t));
      await applyMigration(db, { version: validate.version, name: validate.name, sql: validate.up });
      await applyMigration(db, { version: index.version, name: index.name, sql: index.up });
      const keys = await db.query<{ conname: string; convalidated: boolean; confdeltype: string }>("select conname, convalidated, confdeltype::text as confdeltype from pg_constraint where conrelid = 'public.tasks'::regclass and contype = 'f'");
      expect(keys.rows).toEqual([{ conname: 'tasks_sales_id_fkey', convalidated: true, confdeltype: 'n' }]);
      expect((await db.query(`select sales_id from public.tasks order by id`)).rows).toEqual([{ sales_id: 1 }, { sales_id: null }, { sales_id: null }]);
    } finally {
      await db.close();
    }
  });
});
