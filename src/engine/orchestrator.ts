// The orchestrator core: runs, agent instances, a priority queue with a concurrency limit,
// resource locks, heartbeats and cancellation. Agents are plain objects with six phase handlers.
import { AgentError, InterruptedError } from '../errors.js';
import type { AgentConfig } from '../config/config.js';
import type { Level, Reporter } from '../commands/types.js';
import type { StateDb } from '../store/state-db.js';
import { runPhases, type PhaseHandlers, type PhaseRecord } from './phases.js';
import type { Phase } from './gates.js';
import { cancelAgentsOfRun, recoverInterrupted } from './recovery.js';
import { sleep } from './sleep.js';
import { holdLocks } from './locks.js';

export { sleep };

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

interface OpenRun {
  run: Run;
  /** Aborted when the run ends (or the command is cancelled): its agents still at work stop. */
  abort: AbortController;
  unlink: () => void;
}

const POLL_MS = 100;

export class Orchestrator {
  private active = 0;
  private waiters: Waiter[] = [];
  private seq = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private openRuns = new Map<string, OpenRun>();
  // A process that exits mid-run (a second Ctrl-C) still records how its runs ended.
  private readonly onExit = () => {
    for (const { run } of [...this.openRuns.values()]) {
      try {
        this.finishRun(run, { status: 'cancelled', error: 'the process exited before the run finished' });
      } catch {
        // The database is already closed; the next recovery pass sees the dead process.
      }
    }
  };

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
    const run = { id, ticketId, command: opts.command };
    const abort = new AbortController();
    const onAbort = () => abort.abort(new InterruptedError());
    this.signal.addEventListener('abort', onAbort, { once: true });
    if (this.signal.aborted) onAbort();
    if (!this.openRuns.size) process.on('exit', this.onExit);
    this.openRuns.set(id, { run, abort, unlink: () => this.signal.removeEventListener('abort', onAbort) });
    this.startHeartbeat();
    return run;
  }

  /**
   * Ends a run. Its agents still at work (a sibling of the agent whose gate blocked) are cancelled
   * in the same transaction, so no reader ever sees an ended run with a running agent, and are
   * told to stop.
   */
  finishRun(run: Run, outcome: { status: 'succeeded' | 'failed' | 'blocked' | 'cancelled' | 'needs_approval'; error?: string }): void {
    const open = this.openRuns.get(run.id);
    this.openRuns.delete(run.id);
    if (!this.openRuns.size) {
      this.stopHeartbeat();
      process.off('exit', this.onExit);
    }
    open?.unlink();
    const reason = `run ${run.id} ended ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}`;
    this.state.tx(() => {
      this.state.updateRun(run.id, { status: outcome.status, finished_at: Date.now(), error: outcome.error ?? null });
      cancelAgentsOfRun(this.state, run, reason);
      this.state.unlock(run.id);
    });
    open?.abort.abort(new InterruptedError(reason));
    this.state.appendEvent({
      kind: 'run.finished',
      level: outcome.status === 'succeeded' || outcome.status === 'needs_approval' ? 'debug' : 'error',
      runId: run.id,
      ticketId: run.ticketId,
      message: `run ${run.id} ${outcome.status}${outcome.error ? ': ' + outcome.error : ''}`,
      data: { status: outcome.status },
    });
  }

  /** Runs a whole command as one run; maps thrown errors to the run's final status. */
  async withRun<T>(opts: Parameters<Orchestrator['startRun']>[0], fn: (run: Run) => Promise<T>): Promise<T> {
    const run = this.startRun(opts);
    try {
      // A run's resources (its ticket) are held for the whole run: a second fix of one ticket waits.
      if (opts.resources?.length) {
        const signal = this.openRuns.get(run.id)!.abort.signal;
        await holdLocks(this.state, run.id, opts.resources, {
          signal,
          announce: (held) => {
            const who = held.map((h) => (this.state.run(h) ? `${h} (${this.state.run(h)!.command})` : h)).join(', ');
            this.out.line('ORCHESTRATOR', 'info', `Waiting for ${who} to finish`, { runId: run.id, ticketId: run.ticketId ?? undefined });
          },
        });
      }
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
    const open = this.openRuns.get(run.id);
    if (!open) throw new InterruptedError(`run ${run.id} has already ended`);
    const signal = open.abort.signal;
    const speaker = task.speaker ?? task.type.toUpperCase();
    const agentId = `${task.type.toLowerCase()}-${this.state.nextCounter(`agent:${task.type.toLowerCase()}`)}`;
    this.state.insertAgent({ id: agentId, run_id: run.id, ticket_id: run.ticketId, type: task.type });
    this.state.updateAgent(agentId, { state: 'waiting' });
    const log = (level: Level, message: string, data?: Record<string, unknown>) =>
      this.out.line(speaker, level, message, { ...data, runId: run.id, ticketId: run.ticketId ?? undefined, agentId });
    try {
      await this.acquireSlot(task.priority ?? 0, signal, (busy) =>
        this.out.line('ORCHESTRATOR', 'info', `Waiting for an agent slot (${busy}/${this.maxConcurrent} busy)`, { runId: run.id, ticketId: run.ticketId ?? undefined, agentId }),
      );
    } catch (err) {
      this.state.updateAgent(agentId, { state: 'cancelled', finished_at: Date.now() });
      throw err;
    }
    try {
      await this.acquireResources(run, agentId, task.resources ?? [], log, signal);
      this.state.appendEvent({ kind: 'agent.started', level: 'debug', agent: speaker, agentId, runId: run.id, ticketId: run.ticketId, message: `${task.type} agent started` });
      const { records, outputs } = await runPhases(
        { state: this.state, config: this.config, agentId, runId: run.id, ticketId: run.ticketId, signal, log },
        task.phases,
      );
      this.state.updateAgent(agentId, { state: 'done', finished_at: Date.now() });
      this.state.appendEvent({ kind: 'agent.finished', level: 'debug', agent: speaker, agentId, runId: run.id, ticketId: run.ticketId, message: `${task.type} agent finished` });
      return { agentId, records, outputs };
    } catch (err) {
      // A blocked agent, or one cancelled because its run ended, keeps that state.
      const interrupted = err instanceof InterruptedError || (err as Error).name === 'AbortError';
      this.state.updateAgent(agentId, { state: interrupted ? 'cancelled' : 'failed', finished_at: Date.now() });
      throw err;
    } finally {
      this.releaseSlot();
    }
  }

  // ---- concurrency: a priority queue of waiters, bounded here and across processes ----

  private async acquireSlot(priority: number, signal: AbortSignal, announce: (busy: number) => void): Promise<void> {
    let announced = false;
    while (!this.slotFree()) {
      if (signal.aborted) throw new InterruptedError('cancelled while waiting for an agent slot');
      if (!announced) {
        announce(this.active + this.state.runningAgentsElsewhere(process.pid));
        announced = true;
      }
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake(done);
          resolve();
        };
        this.waiters.push({ priority, seq: this.seq++, resolve: done });
        this.waiters.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
        // Other processes free slots too; re-check on a timer as well as on local releases. The
        // timer stays referenced: while the command waits it is all that keeps the process alive.
        timer = setTimeout(done, POLL_MS * 2);
        signal.addEventListener('abort', done, { once: true });
      });
      if (signal.aborted) throw new InterruptedError('cancelled while waiting for an agent slot');
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
  }

  private releaseSlot(): void {
    this.active--;
    const next = this.waiters.shift();
    next?.resolve();
  }

  private async acquireResources(run: Run, agentId: string, resources: string[], log: (l: Level, m: string) => void, signal: AbortSignal): Promise<void> {
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
      await sleep(POLL_MS, signal);
    }
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
