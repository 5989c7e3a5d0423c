// The six-phase protocol of seed section 6: understand -> analyze -> plan -> validate -> execute
// -> verify. Each phase records checklist items with their evidence, then its gate decides.
import { GateBlockedError, InterruptedError } from '../errors.js';
import type { AgentConfig } from '../config/config.js';
import type { Level } from '../commands/types.js';
import type { StateDb } from '../store/state-db.js';
import { evaluateGate, PHASES, type Phase, type PhaseMetrics } from './gates.js';

export interface ChecklistItem {
  item: string;
  ok: boolean;
  /** What was measured or seen that makes `ok` true or false. Required: no decoration. */
  evidence: string;
}

export interface PhaseOutcome<O = unknown> {
  items: ChecklistItem[];
  metrics: PhaseMetrics;
  output?: O;
}

export interface PhaseContext {
  readonly phase: Phase;
  readonly agentId: string;
  readonly runId: string;
  readonly ticketId: string | null;
  readonly signal: AbortSignal;
  readonly config: AgentConfig;
  /** A progress line spoken by this agent: `[MIGRATOR] ✓ …`. */
  log(level: Level, message: string, data?: Record<string, unknown>): void;
  /** Outputs of the phases already completed. */
  readonly outputs: Partial<Record<Phase, unknown>>;
}

export type PhaseHandlers = { [P in Phase]: (ctx: PhaseContext) => Promise<PhaseOutcome> };

export interface PhaseRecord {
  phase: Phase;
  items: ChecklistItem[];
  gate: { gate: string; ok: boolean; detail: string };
  ms: number;
}

export interface PhaseRunOptions {
  state: StateDb;
  config: AgentConfig;
  agentId: string;
  runId: string;
  ticketId: string | null;
  signal: AbortSignal;
  log: PhaseContext['log'];
}

/** Builds a checklist item; refuses items without evidence so none can be decoration. */
export function item(label: string, ok: boolean, evidence: string): ChecklistItem {
  if (!evidence.trim()) throw new Error(`checklist item "${label}" has no evidence`);
  return { item: label, ok, evidence };
}

export async function runPhases(opts: PhaseRunOptions, handlers: PhaseHandlers): Promise<{ records: PhaseRecord[]; outputs: Partial<Record<Phase, unknown>> }> {
  const { state, agentId, runId, ticketId } = opts;
  const outputs: Partial<Record<Phase, unknown>> = {};
  const records: PhaseRecord[] = [];
  for (const phase of PHASES) {
    if (opts.signal.aborted) throw new InterruptedError(`cancelled before the ${phase} phase`);
    // Refused when the agent was ended meanwhile (its run finished, or recovery gave it up).
    if (!state.updateAgent(agentId, { phase, state: 'running' })) throw new InterruptedError(`agent ${agentId} was ended before the ${phase} phase`);
    state.appendEvent({ kind: 'phase.started', level: 'debug', agentId, runId, ticketId, message: `${phase} started`, data: { phase } });
    const started = performance.now();
    const outcome = await handlers[phase]({
      phase,
      agentId,
      runId,
      ticketId,
      signal: opts.signal,
      config: opts.config,
      log: opts.log,
      outputs,
    });
    for (const it of outcome.items) {
      if (!it.evidence.trim()) throw new Error(`checklist item "${it.item}" of the ${phase} phase has no evidence`);
      state.addChecklistItem({ run_id: runId, agent_id: agentId, phase, item: it.item, ok: it.ok, evidence: it.evidence });
    }
    const verdict = evaluateGate(phase, outcome.metrics, opts.config.gates, outcome.items, ticketId);
    const ms = Math.round(performance.now() - started);
    const gate =
      verdict.type === 'pass'
        ? { gate: verdict.gate, ok: true, detail: verdict.detail }
        : { gate: verdict.gate, ok: false, detail: verdict.reason };
    records.push({ phase, items: outcome.items, gate, ms });
    state.appendEvent({
      kind: 'phase.gate',
      level: gate.ok ? 'debug' : 'error',
      agentId,
      runId,
      ticketId,
      message: `${phase}: gate ${gate.gate} ${gate.ok ? 'passed' : 'blocked'}: ${gate.detail}`,
      data: { phase, gate: gate.gate, ok: gate.ok, detail: gate.detail, items: outcome.items.length, ms },
    });
    if (verdict.type === 'block') {
      state.updateAgent(agentId, { state: 'blocked', finished_at: Date.now() });
      throw new GateBlockedError(phase, verdict.gate, verdict.reason);
    }
    state.addRunCompleted(runId, `${agentId}:${phase}`);
    outputs[phase] = outcome.output;
  }
  return { records, outputs };
}

/**
 * An agent's first three phases run as a draft: silently, recording nothing, each gate decided as
 * runPhases would. Returns the plan phase's output when all three gates pass, else null. The fix
 * pipeline drafts a change before the agents may start, to start proving it early; the agents'
 * own run is what counts.
 */
export async function draftPhases(handlers: PhaseHandlers, opts: Pick<PhaseRunOptions, 'config' | 'ticketId' | 'signal'>): Promise<unknown> {
  const outputs: Partial<Record<Phase, unknown>> = {};
  for (const phase of ['understand', 'analyze', 'plan'] as const) {
    if (opts.signal.aborted) return null;
    const outcome = await handlers[phase]({ phase, agentId: 'draft', runId: 'draft', ticketId: opts.ticketId, signal: opts.signal, config: opts.config, log: () => undefined, outputs });
    if (evaluateGate(phase, outcome.metrics, opts.config.gates, outcome.items, opts.ticketId).type === 'block') return null;
    outputs[phase] = outcome.output;
  }
  return outputs.plan ?? null;
}
