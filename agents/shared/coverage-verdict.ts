// The validate phase's coverage figures from what was measured: the share of changed lines the
// change's tests executed, or, where no code line changed, what was checked in its place (a
// migration's dry run, tests that ran), or why nothing could be measured and what would measure it.
import type { PhaseMetrics } from '../../src/engine/gates.js';
import { describeMissed, NO_CODE, NO_SOURCE, NO_V8, type LineCoverage } from './line-coverage.js';

export interface CoverageFacts {
  coverage: LineCoverage | null;
  /** The project's test command; null when it has none. */
  testCommand: string | null;
  /** The command that ran with the change (null: none ran, no test file can reach it). */
  ran: string | null;
  /** Tests that passed with the change, when the run passed. */
  passed: number | null;
  /** The changed paths. */
  changed: readonly string[];
  migrations: number;
  /** The detail of the Migrator's passed dry-run gate, when there is one. */
  dryRun: string | null;
}

export type CoverageMetrics = Pick<PhaseMetrics, 'coverage' | 'coverageBasis' | 'coverageInstead' | 'unblock'>;

const TEST = /(\.(test|spec)\.[cm]?[jt]sx?$)|(^|\/)__tests__\//;
const NOT_MEASURED = 'set test.command in agent.config.json to a command that runs the tests on Node (or gates.testCoverage to 0 to stage without coverage)';

/** The checklist evidence and the gate's figures. Pure. */
export function coverageOutcome(f: CoverageFacts, threshold: number): { ok: boolean; evidence: string; metrics: CoverageMetrics } {
  const c = f.coverage;
  // A change with no code line (a migration alone) is measured otherwise, test command or not.
  const noCode = c?.reason === NO_SOURCE || c?.reason === NO_CODE;
  if (!f.testCommand && !noCode) {
    const basis = 'the project has no test command to run the change with';
    return { ok: false, evidence: basis, metrics: { coverage: null, coverageBasis: basis, unblock: 'set test.command in agent.config.json, or a "test" script in package.json' } };
  }
  if (c && c.percent !== null) {
    const where = f.ran ? `\`${f.ran}\`` : 'no test run (no test file imports the changed files)';
    const missed = describeMissed(c.files);
    const basis = `${c.executed} of ${c.lines} changed lines ran in ${where}${missed ? `; not run: ${missed}` : ''}`;
    const first = c.files.find((x) => x.missed.length);
    return {
      ok: c.percent >= threshold,
      evidence: `${c.percent}% of the changed lines: ${basis}`,
      metrics: { coverage: c.percent, coverageBasis: basis, unblock: `add a test that runs them${first ? ` (\`agent generate test ${first.path}\`)` : ''}, or lower gates.testCoverage in agent.config.json` },
    };
  }
  const reason = c?.reason ?? NO_V8;
  if (reason === NO_V8) {
    const basis = f.ran ? `\`${f.ran}\` ${reason.replace(/^the test run /, '')}` : reason;
    return { ok: false, evidence: basis, metrics: { coverage: null, coverageBasis: basis, unblock: NOT_MEASURED } };
  }
  if (reason !== NO_SOURCE && reason !== NO_CODE) {
    // Measured in part (a worker's coverage lost): nothing is claimed.
    return { ok: false, evidence: reason, metrics: { coverage: null, coverageBasis: reason, unblock: 'run the command again; if it recurs, set gates.testCoverage to 0 in agent.config.json to stage without coverage' } };
  }
  if (reason === NO_SOURCE) {
    if (f.migrations) {
      if (f.dryRun) {
        const instead = `the Migrator's dry run of the ${f.migrations} migration(s): ${f.dryRun.replace(/^in place of test coverage: /, '')}`;
        return { ok: true, evidence: instead, metrics: { coverage: null, coverageInstead: instead } };
      }
      const basis = `no code line changed, and no dry run of the ${f.migrations} migration(s) passed`;
      return { ok: false, evidence: basis, metrics: { coverage: null, coverageBasis: basis, unblock: '`agent migrate execute --dry-run` applies and reverts them in a shadow database' } };
    }
    const tests = f.changed.filter((p) => TEST.test(p));
    if (tests.length && f.passed) {
      const instead = `the change is tests (${tests.join(', ')}), and they ran with it: ${f.passed} passed`;
      return { ok: true, evidence: instead, metrics: { coverage: null, coverageInstead: instead } };
    }
  }
  // No changed line holds code (types, comments, documents): there is nothing to execute.
  const instead = reason === NO_SOURCE ? `no code line changed (${f.changed.slice(0, 3).join(', ')}${f.changed.length > 3 ? ', …' : ''})` : reason;
  return { ok: true, evidence: instead, metrics: { coverage: null, coverageInstead: instead } };
}
