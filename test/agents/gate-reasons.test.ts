// A blocked gate names what blocked it (the unmet checklist items and their evidence) and what
// would unblock it (issue 15: "1 critical circular dependencies" (which?), "test coverage could not
// be measured" (why?), "confidence 0%" (of what?)).
import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/engine/gates.js';
import { defaultConfig } from '../../src/config/config.js';
import { coverageOutcome } from '../../agents/shared/coverage-verdict.js';
import { NO_SOURCE, NO_V8 } from '../../agents/shared/line-coverage.js';
import { stageAgent } from '../../agents/stage-agent/index.js';
import type { PhaseContext } from '../../src/engine/phases.js';
import { makeProject } from '../helpers.js';

const gates = defaultConfig('demo').gates;

describe('gate reasons', () => {
  it('a count-based block names the unmet items with their evidence and what unblocks it', () => {
    const items = [
      { item: 'Tests run', ok: false, evidence: 'the project has no test command (no "test" or "test:unit" script)' },
      { item: 'Type check clean', ok: true, evidence: '0 errors in 12 files' },
    ];
    expect(evaluateGate('execute', { preconditions: 2, preconditionsMet: 1 }, gates, items, 'BUG-1')).toEqual({
      type: 'block',
      gate: 'preconditions-met',
      reason: '1 of 2 preconditions not met; unmet: Tests run (the project has no test command (no "test" or "test:unit" script)); to unblock: `agent logs BUG-1 --level debug` lists each precondition and what was measured',
    });
    const cycle = [{ item: 'Identified circular dependencies', ok: false, evidence: 'lib/a.ts -> lib/b.ts -> lib/a.ts' }];
    expect(evaluateGate('analyze', { criticalCycles: 1 }, gates, cycle)).toMatchObject({
      reason: '1 critical circular dependencies (at most 0 allowed); unmet: Identified circular dependencies (lib/a.ts -> lib/b.ts -> lib/a.ts); to unblock: break the cycle (move what its files share into a module of their own), then run the command again',
    });
    // The phase's own words for what unblocks it win over the default.
    expect(evaluateGate('execute', { preconditions: 1, preconditionsMet: 0, unblock: 'set test.command in agent.config.json' }, gates, items)).toMatchObject({ reason: expect.stringMatching(/; to unblock: set test\.command in agent\.config\.json$/) });
  });

  it('a pass, a failed check and an understand gate with its basis keep their own words', () => {
    const unmet = [{ item: 'x', ok: false, evidence: 'y' }];
    expect(evaluateGate('execute', { preconditions: 1, preconditionsMet: 1 }, gates, unmet).type).toBe('pass');
    expect(evaluateGate('validate', { coverage: 100, checksFailed: ['1 new type error(s)'] }, gates, unmet)).toMatchObject({ reason: '1 new type error(s)' });
    expect(evaluateGate('understand', { confidence: 0, confidenceBasis: 'no root cause found that explains this ticket' }, gates, unmet, 'BUG-7')).toMatchObject({
      gate: 'understanding-confidence',
      reason: `no root cause found that explains this ticket (confidence 0%, required ${gates.understandingConfidence}%); to unblock: \`agent logs BUG-7 --level debug\` shows what was checked`,
    });
  });

  it('coverage names the lines no test ran, or why it could not be measured, or what was checked instead', () => {
    const facts = { testCommand: 'npm test', ran: 'npm test -- "lib/tax.test.ts"', passed: 3, changed: ['lib/tax.ts', 'lib/tax.test.ts'], migrations: 0, dryRun: null };
    const measured = coverageOutcome({ ...facts, coverage: { percent: 40, lines: 10, executed: 4, files: [{ path: 'lib/tax.ts', lines: 10, executed: 4, missed: [9, 10, 11, 14, 15, 16], loaded: true }] } }, 80);
    expect(measured.ok).toBe(false);
    expect(evaluateGate('validate', measured.metrics, gates, [{ item: 'Test coverage of the changed lines', ok: false, evidence: measured.evidence }])).toEqual({
      type: 'block',
      gate: 'test-coverage',
      reason: 'test coverage 40% is below the required 80%: 4 of 10 changed lines ran in `npm test -- "lib/tax.test.ts"`; not run: lib/tax.ts:9-11,14-16; to unblock: add a test that runs them (`agent generate test lib/tax.ts`), or lower gates.testCoverage in agent.config.json',
    });
    const noV8 = coverageOutcome({ ...facts, ran: 'pytest', coverage: { percent: null, lines: 0, executed: 0, files: [], reason: NO_V8 } }, 80);
    expect(evaluateGate('validate', noV8.metrics, gates).type === 'block' && evaluateGate('validate', noV8.metrics, gates)).toMatchObject({
      reason: '`pytest` wrote no V8 coverage (its command does not run the tests on Node, or it ran none) (required 80%); to unblock: set test.command in agent.config.json to a command that runs the tests on Node (or gates.testCoverage to 0 to stage without coverage)'.replace(/^/, 'test coverage could not be measured: '),
    });
    const none = coverageOutcome({ ...facts, testCommand: null, ran: null, coverage: null }, 80);
    expect(evaluateGate('validate', none.metrics, gates)).toMatchObject({ type: 'block', reason: expect.stringContaining('could not be measured: the project has no test command to run the change with (required 80%); to unblock: set test.command in agent.config.json, or a "test" script in package.json') });
    // A migration alone: the Migrator's dry run is what was measured, not a made-up percentage.
    const migration = coverageOutcome({ ...facts, changed: ['supabase/migrations/1_x.sql'], migrations: 1, dryRun: 'in place of test coverage: no code line changed; the shadow dry run applied the 1 migration(s) (2 schema object(s)) and reverted them', coverage: { percent: null, lines: 0, executed: 0, files: [], reason: NO_SOURCE } }, 80);
    expect(evaluateGate('validate', migration.metrics, gates)).toEqual({ type: 'pass', gate: 'test-coverage', detail: "in place of test coverage: the Migrator's dry run of the 1 migration(s): no code line changed; the shadow dry run applied the 1 migration(s) (2 schema object(s)) and reverted them" });
    // With no test command at all (basejump: SQL and pgTAP only), a migration is still measured by its dry run.
    expect(coverageOutcome({ ...facts, testCommand: null, ran: null, passed: null, changed: ['supabase/migrations/1_x.sql'], migrations: 1, dryRun: 'x', coverage: { percent: null, lines: 0, executed: 0, files: [], reason: NO_SOURCE } }, 80)).toMatchObject({ ok: true, metrics: { coverage: null, coverageInstead: "the Migrator's dry run of the 1 migration(s): x" } });
    const undry = coverageOutcome({ ...facts, changed: ['supabase/migrations/1_x.sql'], migrations: 1, dryRun: null, coverage: { percent: null, lines: 0, executed: 0, files: [], reason: NO_SOURCE } }, 80);
    expect(undry.ok).toBe(false);
    expect(evaluateGate('validate', undry.metrics, gates)).toMatchObject({ reason: expect.stringContaining('to unblock: `agent migrate execute --dry-run`') });
  });
});

describe('StageAgent with nothing to stage', () => {
  it('says no agent produced a change (not a bare "confidence 0%") and where to read why', async () => {
    const root = makeProject();
    const task = stageAgent({ root, change: { ticket: { id: 'BUG-3', title: 't', kind: 'BUG' }, title: 'fix', summary: 's', files: [], migrations: [] }, gates: () => [], testCommand: null }, () => undefined);
    const outcome = await task.phases.understand({ config: defaultConfig('demo') } as unknown as PhaseContext);
    expect(evaluateGate('understand', outcome.metrics, gates, outcome.items, 'BUG-3')).toEqual({
      type: 'block',
      gate: 'understanding-confidence',
      reason: `no agent produced a change to stage (0 files, 0 migrations) (confidence 0%, required ${gates.understandingConfidence}%); to unblock: \`agent logs BUG-3 --level debug\` shows each agent's checklist and why it wrote nothing`,
    });
  });
});
