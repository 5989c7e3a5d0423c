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
  /** validate: test coverage of the touched code, 0..100 (null: not measurable here). */
  coverage?: number | null;
  /** execute: preconditions checked and how many held. */
  preconditions?: number;
  preconditionsMet?: number;
  /** verify: errors seen after executing. */
  postErrors?: number;
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
 * cycle's files, the precondition not met), not only a count. Pure.
 */
export function evaluateGate(phase: Phase, m: PhaseMetrics, gates: AgentConfig['gates'], items: readonly GateItem[] = []): GateVerdict {
  const verdict = gateVerdict(phase, m, gates);
  const unmet = items.filter((i) => !i.ok);
  // A failed check names itself; an understand gate with a basis already says why.
  if (verdict.type === 'pass' || !unmet.length || m.checksFailed?.length || (phase === 'understand' && m.confidenceBasis)) return verdict;
  const named = unmet.slice(0, 3).map((i) => `${i.item} (${i.evidence.length > 200 ? `${i.evidence.slice(0, 199)}…` : i.evidence})`);
  return { ...verdict, reason: `${verdict.reason}; unmet: ${named.join('; ')}${unmet.length > 3 ? `; and ${unmet.length - 3} more` : ''}` };
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
        return gates.testCoverage === 0
          ? { type: 'pass', gate, detail: 'coverage not measured; threshold is 0%' }
          : { type: 'block', gate, reason: `test coverage could not be measured (required ${gates.testCoverage}%)` };
      }
      return m.coverage >= gates.testCoverage
        ? { type: 'pass', gate, detail: `coverage ${m.coverage}% >= ${gates.testCoverage}%` }
        : { type: 'block', gate, reason: `test coverage ${m.coverage}% is below the required ${gates.testCoverage}%` };
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
