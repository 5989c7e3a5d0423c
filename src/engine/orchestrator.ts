// The orchestrator core: runs, agent instances, a priority queue with a concurrency limit,
// resource locks, heartbeats and cancellation. Agents are plain objects with six phase handlers.
import { AgentError, InterruptedError } from '../errors.js';
import type { AgentConfig } from '../config/config.js';
import type { Level, Reporter } from '../commands/types.js';
import type { StateDb } from '../store/state-db.js';
import { runPhases, type PhaseHandlers, type PhaseRecord } from './phases.js';
import type { Phase } from './gates.js';
import { recoverInterrupted } from './recovery.js';

export interface AgentTask {
  /** BugHunter, CodeSmith, Migrator, StageAgent (or a test agent). */
  type: string;
  /** The speaker in progress lines: BUGHUNTER. Defaults to the type in upper case. */
  speaker?: string;
  /** Files and tables it touches: `file:app/api/x.ts`, `table:public.estimates`. */
  resources?: string[];
  /** Higher runs first when agents wait for a slot. */
  priority?: number;
  phases: PhaseHandlers;
}

export interface AgentOutcome {
  agentId: string;
  records: PhaseRecord[];
  outputs: Partial<Record<Phase, unknown>>;
}

export interface Run {
  readonly id: string;
  readonly ticketId: string | null;
  readonly command: string;
}

interface Waiter {
  priority: number;
  seq: number;
  resolve: () => void;
}

const POLL_MS = 100;

export class Orchestrator {
  private active = 0;
  private waiters: Waiter[] = [];
  private seq = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private openRuns = new Set<string>();

  constructor(
    private readonly state: StateDb,
    private readonly config: AgentConfig,
    private readonly out: Reporter,
    private readonly signal: AbortSignal,
  ) {
    recoverInterrupted(state, config.agents.staleAfterMs);
  }

  get maxConcurrent(): number {
    return this.config.agents.maxConcurrent;
  }

  startRun(opts: { command: string; ticketId?: string | null; priority?: number; resources?: string[] }): Run {
    const id = `RUN-${this.state.nextCounter('run')}`;
    const ticketId = opts.ticketId ?? null;
    this.state.insertRun({ id, ticket_id: ticketId, command: opts.command, priority: opts.priority ?? 0, resources: opts.resources ?? [] });
    this.state.updateRun(id, { status: 'running', started_at: Date.now() });
    this.state.appendEvent({ kind: 'run.started', level: 'debug', runId: id, ticketId, message: `run ${id} started: ${opts.command}` });
    this.openRuns.add(id);
    this.startHeartbeat();
    return { id, ticketId, command: opts.command };
  }

  finishRun(run: Run, outcome: { status: 'succeeded' | 'failed' | 'blocked' | 'cancelled' | 'needs_approval'; error?: string }): void {
    this.state.updateRun(run.id, { status: outcome.status, finished_at: Date.now(), error: outcome.error ?? null });
    this.state.unlock(run.id);
    this.state.appendEvent({
      kind: 'run.finished',
      level: outcome.status === 'succeeded' || outcome.status === 'needs_approval' ? 'debug' : 'error',
      runId: run.id,
      ticketId: run.ticketId,
      message: `run ${run.id} ${outcome.status}${outcome.error ? ': ' + outcome.error : ''}`,
      data: { status: outcome.status },
    });
    this.openRuns.delete(run.id);
    if (!this.openRuns.size) this.stopHeartbeat();
  }

  /** Runs a whole command as one run; maps thrown errors to the run's final status. */
  async withRun<T>(opts: Parameters<Orchestrator['startRun']>[0], fn: (run: Run) => Promise<T>): Promise<T> {
    const run = this.startRun(opts);
    try {
      const result = await fn(run);
      this.finishRun(run, { status: 'succeeded' });
      return result;
    } catch (err) {
      const code = err instanceof AgentError ? err.code : 'failed';
      const status =
        code === 'gate_blocked' ? 'blocked' : code === 'interrupted' ? 'cancelled' : code === 'approval_required' ? 'needs_approval' : 'failed';
      this.finishRun(run, { status, error: (err as Error).message });
      throw err;
    }
  }

  /** Queues one agent: waits for a slot and its resources, then runs its six phases. */
  async runAgent(run: Run, task: AgentTask): Promise<AgentOutcome> {
    const speaker = task.speaker ?? task.type.toUpperCase();
    const agentId = `${task.type.toLowerCase()}-${this.state.nextCounter(`agent:${task.type.toLowerCase()}`)}`;
    this.state.insertAgent({ id: agentId, run_id: run.id, ticket_id: run.ticketId, type: task.type });
    this.state.updateAgent(agentId, { state: 'waiting' });
    const log = (level: Level, message: string, data?: Record<string, unknown>) =>
      this.out.line(speaker, level, message, { ...data, runId: run.id, ticketId: run.ticketId ?? undefined, agentId });
    await this.acquireSlot(task.priority ?? 0);
    try {
      await this.acquireResources(run, agentId, task.resources ?? [], log);
      this.state.appendEvent({ kind: 'agent.started', level: 'debug', agent: speaker, agentId, runId: run.id, ticketId: run.ticketId, message: `${task.type} agent started` });
      const { records, outputs } = await runPhases(
        { state: this.state, config: this.config, agentId, runId: run.id, ticketId: run.ticketId, signal: this.signal, log },
        task.phases,
      );
      this.state.updateAgent(agentId, { state: 'done', finished_at: Date.now() });
      this.state.appendEvent({ kind: 'agent.finished', level: 'debug', agent: speaker, agentId, runId: run.id, ticketId: run.ticketId, message: `${task.type} agent finished` });
      return { agentId, records, outputs };
    } catch (err) {
      const cur = this.state.agent(agentId);
      if (cur && cur.state !== 'blocked') {
        const interrupted = err instanceof InterruptedError || (err as Error).name === 'AbortError';
        this.state.updateAgent(agentId, { state: interrupted ? 'cancelled' : 'failed', finished_at: Date.now() });
      }
      throw err;
    } finally {
      this.releaseSlot();
    }
  }

  // ---- concurrency: a priority queue of waiters, bounded here and across processes ----

  private async acquireSlot(priority: number): Promise<void> {
    while (!this.slotFree()) {
      await new Promise<void>((resolve) => {
        this.waiters.push({ priority, seq: this.seq++, resolve });
        this.waiters.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
        // Other processes free slots too; re-check on a timer as well as on local releases.
        setTimeout(() => this.wake(resolve), POLL_MS * 2).unref();
      });
      this.checkAbort();
    }
    this.active++;
  }

  private slotFree(): boolean {
    if (this.active >= this.maxConcurrent) return false;
    // Agents of other live processes count against the same limit.
    return this.active + this.state.runningAgentsElsewhere(process.pid) < this.maxConcurrent;
  }

  private wake(resolve: () => void): void {
    const i = this.waiters.findIndex((w) => w.resolve === resolve);
    if (i >= 0) this.waiters.splice(i, 1);
    resolve();
  }

  private releaseSlot(): void {
    this.active--;
    const next = this.waiters.shift();
    next?.resolve();
  }

  private async acquireResources(run: Run, agentId: string, resources: string[], log: (l: Level, m: string) => void): Promise<void> {
    if (!resources.length) return;
    let announced = false;
    for (;;) {
      const res = this.state.tryLock(run.id, resources);
      if (res.ok) return;
      if (!announced) {
        log('info', `Waiting for ${res.heldBy.join(', ')} to release ${resources.join(', ')}`);
        this.state.updateAgent(agentId, { state: 'waiting' });
        announced = true;
      }
      await sleep(POLL_MS, this.signal);
    }
  }

  private checkAbort(): void {
    if (this.signal.aborted) throw new InterruptedError('cancelled while waiting for an agent slot');
  }

  // ---- heartbeats: a run whose process dies is shown as interrupted by the next reader ----

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.state.heartbeat(process.pid);
    this.heartbeat = setInterval(() => {
      try {
        this.state.heartbeat(process.pid);
      } catch {
        // The database may be closing at exit; the next beat or the recovery pass settles it.
      }
    }, this.config.agents.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  dispose(): void {
    this.stopHeartbeat();
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new InterruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
