// The session reset and the stand-ins through the real apply path and a full dry run (issue 14):
// `migrate execute`'s applyPending on an embedded PGlite environment, and a dry run whose pending
// migration uses pg_cron with a verified rollback. Slower than test/migrator's (a database per
// case), so here.
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/integrations/postgres/index.js';
import { applyPending, dryRun } from '../../agents/migrator/index.js';
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
});
