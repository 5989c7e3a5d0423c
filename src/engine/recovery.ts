// A run whose process died (killed, crashed, machine rebooted) is marked interrupted with what
// it completed, so `agent status` tells the truth and its locks are released. Agents a run left
// unfinished when it ended are cancelled, so nothing counts them as busy.
import { isAlive, type RunRow, type StateDb } from '../store/state-db.js';
import { settleHint } from './deployment-states.js';

export interface CancelledAgent {
  id: string;
  runId: string;
  reason: string;
}

export interface InterruptedRun {
  id: string;
  ticketId: string | null;
  completed: string[];
  reason: string;
}

/** Pure: is this active run's owner gone? */
export function isOrphaned(run: Pick<RunRow, 'pid' | 'heartbeat_at'>, now: number, staleAfterMs: number, alive: (pid: number) => boolean): string | null {
  if (run.pid !== null && !alive(run.pid)) return `process ${run.pid} is gone`;
  if (run.heartbeat_at !== null && now - run.heartbeat_at > staleAfterMs) {
    return `no heartbeat for ${Math.round((now - run.heartbeat_at) / 1000)}s`;
  }
  return null;
}

/** Cancels the unfinished agents of a run that has ended, each with an event that says why. */
export function cancelAgentsOfRun(state: StateDb, run: { id: string; ticketId: string | null }, reason: string, now = Date.now()): CancelledAgent[] {
  return state.cancelUnfinishedAgents(run.id, now).map((a) => {
    state.appendEvent({
      kind: 'agent.cancelled',
      level: 'warn',
      agent: 'ORCHESTRATOR',
      agentId: a.id,
      runId: run.id,
      ticketId: run.ticketId,
      message: `${a.type} agent ${a.id} cancelled${a.phase ? ` in its ${a.phase} phase` : ''}: ${reason}`,
      data: { reason, phase: a.phase },
    });
    return { id: a.id, runId: run.id, reason };
  });
}

/** Every recovery pass: interrupted runs of dead processes, and agents stranded by ended runs. */
export function recoverAll(state: StateDb, staleAfterMs: number, now = Date.now()): { runs: InterruptedRun[]; agents: CancelledAgent[]; deployments: InterruptedDeployment[] } {
  const runs = recoverInterruptedRuns(state, staleAfterMs, now);
  const deployments = recoverDeployments(state, now);
  const agents: CancelledAgent[] = [];
  const byRun = new Map<string, { ticketId: string | null; status: string }>();
  for (const a of state.strandedAgents()) byRun.set(a.run_id, { ticketId: a.ticket_id, status: a.run_status });
  for (const [runId, r] of byRun) {
    state.tx(() => agents.push(...cancelAgentsOfRun(state, { id: runId, ticketId: r.ticketId }, `its run ${runId} had already ended (${r.status})`, now)));
  }
  return { runs, agents, deployments };
}

export function recoverInterrupted(state: StateDb, staleAfterMs: number, now = Date.now()): InterruptedRun[] {
  return recoverAll(state, staleAfterMs, now).runs;
}

export interface InterruptedDeployment {
  id: string;
  ticketId: string | null;
  status: 'interrupted' | 'rollback_interrupted';
  step: string | null;
  reason: string;
}

/**
 * A deployment (or its rollback) whose process died is marked interrupted at the step its journal
 * names, with the commands that finish or undo it. A deployment still waiting for its lock when
 * its process died had done nothing: it is cancelled.
 */
export function recoverDeployments(state: StateDb, now = Date.now()): InterruptedDeployment[] {
  const found: InterruptedDeployment[] = [];
  for (const d of state.deploymentsWithStatus(['queued', 'running', 'rolling_back'])) {
    if (d.pid === process.pid) continue;
    // Rows from before deployments recorded their process cannot be checked: they were never resumable.
    const reason = d.pid === null || d.pid === undefined ? 'its process was not recorded' : isAlive(d.pid) ? null : `process ${d.pid} is gone`;
    if (!reason) continue;
    const nothingDone = d.status === 'queued' && !state.journal(d.id).some((j) => j.phase === 'done');
    const status = d.status === 'rolling_back' ? 'rollback_interrupted' : nothingDone ? 'cancelled' : 'interrupted';
    const next = settleHint({ id: d.id, status });
    state.tx(() => {
      state.updateDeployment(d.id, { status, finished_at: now });
      state.appendJournal(d.id, d.step ?? 'start', status === 'cancelled' ? 'cancelled' : 'interrupted', { reason });
      state.appendEvent({
        kind: 'deploy.interrupted',
        level: status === 'cancelled' ? 'info' : 'warn',
        agent: 'ORCHESTRATOR',
        ticketId: d.ticket_id,
        message:
          status === 'cancelled'
            ? `${d.id} (${d.target}) was cancelled before it started: ${reason}`
            : `${d.id} (${d.target}) ${status === 'rollback_interrupted' ? 'rollback ' : ''}was interrupted at step ${d.step ?? 'start'}: ${reason}; ${next}`,
        data: { deployment: d.id, step: d.step, reason },
      });
    });
    if (status !== 'cancelled') found.push({ id: d.id, ticketId: d.ticket_id, status, step: d.step ?? null, reason });
  }
  return found;
}

function recoverInterruptedRuns(state: StateDb, staleAfterMs: number, now: number): InterruptedRun[] {
  const found: InterruptedRun[] = [];
  const active = state.runs({ status: ['queued', 'running', 'waiting'] });
  for (const run of active) {
    if (run.pid === process.pid) continue;
    const reason = isOrphaned(run, now, staleAfterMs, isAlive);
    if (!reason) continue;
    const completed = JSON.parse(run.completed) as string[];
    state.tx(() => {
      state.updateRun(run.id, { status: 'interrupted', finished_at: now, error: `interrupted: ${reason}` });
      for (const a of state.agents({ runId: run.id })) state.updateAgent(a.id, { state: 'interrupted', finished_at: now });
      state.unlock(run.id);
      state.appendEvent({
        kind: 'run.interrupted',
        level: 'warn',
        agent: 'ORCHESTRATOR',
        runId: run.id,
        ticketId: run.ticket_id,
        message: `Run ${run.id} (${run.command}) was interrupted: ${reason}; completed: ${completed.length ? completed.join(', ') : 'nothing'}`,
        data: { completed, reason },
      });
    });
    found.push({ id: run.id, ticketId: run.ticket_id, completed, reason });
  }
  return found;
}
