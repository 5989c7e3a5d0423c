// What a run's agents recorded of their six phases: the gate verdicts (phase.gate events) and the
// checklist items with their evidence. REVIEW.md lists the gates; `agent ticket <id>` shows both.
import type { StateDb } from '../store/state-db.js';
import type { EventRow } from '../store/rows.js';
import { PHASES, type Phase } from './gates.js';

export interface RunGate {
  agent: string;
  phase: string;
  gate: string;
  ok: boolean;
  detail: string;
}

function gateOf(e: EventRow): RunGate | null {
  if (e.kind !== 'phase.gate' || !e.data) return null;
  const d = JSON.parse(e.data) as { phase?: string; gate?: string; ok?: boolean; detail?: string };
  if (!d.phase || !d.gate) return null;
  return { agent: e.agent_id ?? e.agent ?? 'agent', phase: d.phase, gate: d.gate, ok: Boolean(d.ok), detail: d.detail ?? '' };
}

/** Every gate the run's agents have passed or been blocked by so far, in the order they were decided. */
export function runGates(state: StateDb, runId: string): RunGate[] {
  return state.events({ runId }).map(gateOf).filter((g): g is RunGate => g !== null);
}

export interface AgentPhases {
  runId: string;
  command: string;
  agentId: string;
  type: string;
  state: string;
  phases: Array<{ phase: Phase; items: Array<{ item: string; ok: boolean; evidence: string }>; gate: RunGate | null }>;
}

/** Each agent of the runs, oldest first, with the phases it reached: checklist items with evidence, then the gate. */
export function agentPhases(state: StateDb, runs: ReadonlyArray<{ id: string; command: string }>): AgentPhases[] {
  const out: AgentPhases[] = [];
  for (const run of runs) {
    const gates = runGates(state, run.id);
    const agents = state.agents({ runId: run.id }).sort((a, b) => a.started_at - b.started_at || a.id.localeCompare(b.id));
    for (const a of agents) {
      const items = state.checklist({ agentId: a.id });
      const phases = PHASES.map((phase) => ({
        phase,
        items: items.filter((i) => i.phase === phase).map((i) => ({ item: i.item, ok: Boolean(i.ok), evidence: i.evidence })),
        gate: gates.find((g) => g.agent === a.id && g.phase === phase) ?? null,
      })).filter((p) => p.items.length || p.gate);
      out.push({ runId: run.id, command: run.command, agentId: a.id, type: a.type, state: a.state, phases });
    }
  }
  return out;
}
