// The dry run with data (issue 14): what the rolled-back transaction runs of a file, and the lines
// the command prints. Pure; the runs themselves are in test/stress/migrator-with-data.test.ts.
import { describe, expect, it } from 'vitest';
import { describeDataRun, transactionPlan } from '../../agents/migrator/data-dry-run.js';

describe('transactionPlan', () => {
  it('runs the statements; leaves out transaction control and CONCURRENTLY, saying why', () => {
    const plan = transactionPlan("begin;\nset lock_timeout = '5s';\nalter table t validate constraint k;\ncommit;\n");
    expect(plan.map((s) => [s.line, s.run])).toEqual([[1, false], [2, true], [3, true], [4, false]]);
    expect(plan[0]!.why).toMatch(/transaction control/);
    const idx = transactionPlan('create index concurrently if not exists i on t (c);');
    expect(idx).toEqual([{ sql: expect.stringMatching(/^create index concurrently/), line: 1, run: false, why: 'CONCURRENTLY cannot run in a transaction: checked in the shadow only' }]);
  });
});

describe('describeDataRun', () => {
  const base = { env: 'production', target: 'embedded PGlite (.agent/pgdata/production)', mode: 'copy of the data directory' as const, ms: 10 };
  it('names the file that would fail the deploy, and what was not run', () => {
    const lines = describeDataRun({ ...base, ok: false, files: [{ path: 'a.sql', status: 'applied', ms: 3 }, { path: 'b.sql', status: 'failed', ms: 1, detail: 'line 9: violates foreign key constraint "k"' }, { path: 'c.sql', status: 'not-run', ms: 0, detail: 'an earlier file failed' }] });
    expect(lines.map((l) => `${l.level} ${l.text}`)).toEqual([
      'info With data (production, embedded PGlite (.agent/pgdata/production)): applied to a copy of its data directory (the copy is removed)',
      "ok   a.sql applies on production's rows (3 ms)",
      'error   b.sql fails on production\'s rows: line 9: violates foreign key constraint "k"',
      'warn   c.sql not run: an earlier file failed',
      'error With data: the deploy to production would fail at b.sql; nothing was changed there',
    ]);
  });
  it('a database that is not there is said, not counted as a pass', () => {
    expect(describeDataRun({ ...base, mode: 'none', ok: false, skipped: 'no embedded PGlite (.agent/pgdata/production) yet: no rows to try the migrations on', files: [] })).toEqual([
      { level: 'warn', text: 'With data (production, embedded PGlite (.agent/pgdata/production)): not tried: no embedded PGlite (.agent/pgdata/production) yet: no rows to try the migrations on' },
    ]);
  });
});
