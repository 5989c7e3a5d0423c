// The quality gates of seed section 6.3 as pure verdicts over a phase's measured evidence.
import type { AgentConfig } from '../config/config.js';

export const PHASES = ['understand', 'analyze', 'plan', 'validate', 'execute', 'verify'] as const;
export type Phase = (typeof PHASES)[number];

/** What a phase measured. Each phase fills in the figures its gate reads. */
export interface PhaseMetrics {
  /** understand: 0..100, how sure the agent is of what is asked. */
  confidence?: number;
  /** understand: what the confidence rests on (or why it is low), shown when the gate blocks. */
  confidenceBasis?: string;
  /** analyze: dependency cycles that would make the change unsafe. */
  criticalCycles?: number;
  /** plan: failure scenarios and how many have a mitigation. */
  scenarios?: number;
  mitigated?: number;
  /** validate: the share of the change's lines its tests executed (V8 coverage), 0..100; null: not measured. */
  coverage?: number | null;
  /** validate: what the coverage rests on (the lines no test ran), or why it could not be measured and what would measure it. */
  coverageBasis?: string;
  /** validate: where this phase measures no coverage (no code line changed, or another agent runs the tests), what was checked in its place. */
  coverageInstead?: string;
  /** execute: preconditions checked and how many held. */
  preconditions?: number;
  preconditionsMet?: number;
  /** verify: errors seen after executing. */
  postErrors?: number;
  /** Any phase: what would unblock its gate (a command, a setting), said when it blocks; each gate has a default. */
  unblock?: string;
  /** Any phase: checks that must hold whatever the thresholds say (a new type error, a dry run
   * that failed). Each blocks the phase under its own name, not under the phase's threshold. */
  checksFailed?: string[];
}

export type GateVerdict =
  | { type: 'pass'; gate: string; detail: string }
  | { type: 'block'; gate: string; reason: string };

export const GATE_NAMES: Record<Phase, string> = {
  understand: 'understanding-confidence',
  analyze: 'no-critical-cycles',
  plan: 'all-scenarios-mitigated',
  validate: 'test-coverage',
  execute: 'preconditions-met',
  verify: 'zero-post-errors',
};

/** The checklist items a phase recorded (the same shape as phases.ts's ChecklistItem). */
export interface GateItem {
  item: string;
  ok: boolean;
  evidence: string;
}

/**
 * A blocked gate names what blocked it: the phase's unmet checklist items with their evidence (the
 * cycle's files, the precondition not met), not only a count, and what would unblock it. Pure.
 */
export function evaluateGate(phase: Phase, m: PhaseMetrics, gates: AgentConfig['gates'], items: readonly GateItem[] = [], ticketId: string | null = null): GateVerdict {
  const verdict = gateVerdict(phase, m, gates);
  if (verdict.type === 'pass') return verdict;
  // An item whose evidence the reason already gives (the coverage basis) is not said twice.
  const unmet = items.filter((i) => !i.ok && !verdict.reason.includes(i.evidence) && !(m.coverageBasis && i.evidence.includes(m.coverageBasis)));
  // A phase that measured nothing is the agent's fault: no step of the admin's unblocks it.
  const silent = verdict.reason.startsWith(`the ${phase} phase reported no `);
  const hint = m.unblock ?? (m.checksFailed?.length || silent ? null : defaultUnblock(phase, m, ticketId));
  const unblock = hint ? `; to unblock: ${hint}` : '';
  // A failed check names itself; an understand gate with a basis already says why.
  if (!unmet.length || m.checksFailed?.length || (phase === 'understand' && m.confidenceBasis)) return { ...verdict, reason: `${verdict.reason}${unblock}` };
  const named = unmet.slice(0, 3).map((i) => `${i.item} (${i.evidence.length > 200 ? `${i.evidence.slice(0, 199)}…` : i.evidence})`);
  return { ...verdict, reason: `${verdict.reason}; unmet: ${named.join('; ')}${unmet.length > 3 ? `; and ${unmet.length - 3} more` : ''}${unblock}` };
}

/** What unblocks a gate when the phase did not say: the step or command, per gate. Pure. */
function defaultUnblock(phase: Phase, m: PhaseMetrics, ticketId: string | null): string {
  const logs = ticketId ? `\`agent logs ${ticketId} --level debug\`` : '`agent logs --level debug`';
  switch (phase) {
    case 'understand':
      return `${logs} shows what was checked`;
    case 'analyze':
      return 'break the cycle (move what its files share into a module of their own), then run the command again';
    case 'plan':
      return `${logs} lists each failure scenario and its mitigation`;
    case 'validate':
      return m.coverage === null || m.coverage === undefined
        ? 'set test.command in agent.config.json to a command that runs the tests on Node (or gates.testCoverage to 0 to stage without coverage)'
        : 'add a test that runs the changed lines (`agent generate test <file>`), or lower gates.testCoverage in agent.config.json';
    case 'execute':
      return `${logs} lists each precondition and what was measured`;
    case 'verify':
      return '`git status` shows edits to the changed files since HEAD: commit them, then run the command again';
  }
}

function gateVerdict(phase: Phase, m: PhaseMetrics, gates: AgentConfig['gates']): GateVerdict {
  const gate = GATE_NAMES[phase];
  const missing = (what: string): GateVerdict => ({ type: 'block', gate, reason: `the ${phase} phase reported no ${what}` });
  if (m.checksFailed?.length) return { type: 'block', gate: `${phase}-checks`, reason: m.checksFailed.join('; ') };
  switch (phase) {
    case 'understand':
      if (m.confidence === undefined) return missing('confidence');
      return m.confidence >= gates.understandingConfidence
        ? { type: 'pass', gate, detail: `confidence ${m.confidence}% >= ${gates.understandingConfidence}%${m.confidenceBasis ? ` (${m.confidenceBasis})` : ''}` }
        : { type: 'block', gate, reason: m.confidenceBasis ? `${m.confidenceBasis} (confidence ${m.confidence}%, required ${gates.understandingConfidence}%)` : `confidence ${m.confidence}% is below the required ${gates.understandingConfidence}%` };
    case 'analyze':
      if (m.criticalCycles === undefined) return missing('dependency analysis');
      return m.criticalCycles <= gates.maxCriticalCycles
        ? { type: 'pass', gate, detail: `${m.criticalCycles} critical circular dependencies` }
        : { type: 'block', gate, reason: `${m.criticalCycles} critical circular dependencies (at most ${gates.maxCriticalCycles} allowed)` };
    case 'plan': {
      if (m.scenarios === undefined) return missing('failure scenarios');
      const mitigated = m.mitigated ?? 0;
      if (!gates.requireMitigations || mitigated >= m.scenarios) {
        return { type: 'pass', gate, detail: `${mitigated}/${m.scenarios} failure scenarios mitigated` };
      }
      return { type: 'block', gate, reason: `${m.scenarios - mitigated} of ${m.scenarios} failure scenarios have no mitigation` };
    }
    case 'validate':
      if (m.coverage === undefined) return missing('test coverage');
      if (m.coverage === null) {
        if (m.coverageInstead) return { type: 'pass', gate, detail: `in place of test coverage: ${m.coverageInstead}` };
        return gates.testCoverage === 0
          ? { type: 'pass', gate, detail: 'coverage not measured; threshold is 0%' }
          : { type: 'block', gate, reason: `test coverage could not be measured: ${m.coverageBasis ?? 'the validate phase said not why'} (required ${gates.testCoverage}%)` };
      }
      return m.coverage >= gates.testCoverage
        ? { type: 'pass', gate, detail: `coverage ${m.coverage}% >= ${gates.testCoverage}%${m.coverageBasis ? ` (${m.coverageBasis})` : ''}` }
        : { type: 'block', gate, reason: `test coverage ${m.coverage}% is below the required ${gates.testCoverage}%${m.coverageBasis ? `: ${m.coverageBasis}` : ''}` };
    case 'execute': {
      if (m.preconditions === undefined) return missing('preconditions');
      const met = m.preconditionsMet ?? 0;
      if (!gates.requirePreconditions || met >= m.preconditions) {
        return { type: 'pass', gate, detail: `${met}/${m.preconditions} preconditions met` };
      }
      return { type: 'block', gate, reason: `${m.preconditions - met} of ${m.preconditions} preconditions not met` };
    }
    case 'verify':
      if (m.postErrors === undefined) return missing('post-execution check');
      return m.postErrors <= gates.maxPostErrors
        ? { type: 'pass', gate, detail: `${m.postErrors} post-execution errors` }
        : { type: 'block', gate, reason: `${m.postErrors} post-execution errors (at most ${gates.maxPostErrors} allowed)` };
  }
}
