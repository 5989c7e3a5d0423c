// A run whose process died (killed, crashed, machine rebooted) is marked interrupted with what
// it completed, so `agent status` tells the truth and its locks are released.
import { isAlive, type RunRow, type StateDb } from '../store/state-db.js';

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

export function recoverInterrupted(state: StateDb, staleAfterMs: number, now = Date.now()): InterruptedRun[] {
  const found: InterruptedRun[] = [];
  const active = state.runs({ status: ['queued', 'running', 'waiting'] });
  for (const run of active) {
    if (run.pid === process.pid) continue;
    const reason = isOrphaned(run, now, staleAfterMs, isAlive);
    if (!reason) continue;
    const completed = JSON.parse(run.completed) as string[];
    state.tx(() => {
      state.updateRun(run.id, { status: 'interrupted', finished_at: now, error: `interrupted: ${reason}` });
      for (const a of state.agents({ runId: run.id })) {
        if (!['done', 'failed', 'blocked', 'cancelled'].includes(a.state)) state.updateAgent(a.id, { state: 'interrupted', finished_at: now });
      }
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
