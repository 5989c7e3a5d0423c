// Approvals are requests in the state database. Whichever front end is attached answers them:
// the CLI's own prompt, the dashboard's modal, or `agent approve` from another process.
// Nobody attached: the command exits 3 and names the approval id.
import { ApprovalRequiredError, UsageError, WorkFailedError } from '../errors.js';
import type { AgentConfig } from '../config/config.js';
import type { Reporter } from '../commands/types.js';
import { isAlive, type ApprovalRow, type StateDb } from '../store/state-db.js';
import { appendAudit } from './audit.js';
import { confirmationText, decideApproval, preApprovalCovers, type ApprovalRecord, type ApprovalRequest } from './approval-policy.js';
import { sleep } from './orchestrator.js';

export const DASHBOARD_SESSION = 'dashboard';
const POLL_MS = 150;

/** A front end's way to ask the person at the terminal. Resolves with the decision. */
export type AskFn = (approval: ApprovalRow, signal: AbortSignal) => Promise<{ approve: boolean; reason?: string }>;

export interface ApprovalEnv {
  state: StateDb;
  config: AgentConfig;
  out: Reporter;
  signal: AbortSignal;
  initiator: string;
  /** Present when a person can answer here and now. */
  ask?: AskFn;
  /** An approval already granted for this very action (the command is being resumed by `agent approve`). */
  preApproved?: ApprovalRow;
}

export function toRecord(row: ApprovalRow): ApprovalRecord {
  return { id: row.id, status: row.status, decidedBy: row.decided_by, reason: row.reason };
}

export function createApproval(state: StateDb, req: ApprovalRequest, confirm: 'y/n' | 'typed', risk: string): ApprovalRow {
  const row: ApprovalRow = {
    id: `APR-${state.nextCounter('approval')}`,
    ticket_id: req.ticketId ?? null,
    run_id: req.runId ?? null,
    category: req.category,
    action: req.action,
    summary: req.summary ?? req.action,
    risk,
    touches: JSON.stringify(req.touches ?? []),
    gates: JSON.stringify(req.gates ?? []),
    resume: req.resume ? JSON.stringify(req.resume) : null,
    confirm: confirm === 'typed' ? 'typed' : null,
    status: 'pending',
    requested_by: req.requestedBy,
    requested_at: Date.now(),
    decided_by: null,
    decided_at: null,
    reason: null,
  };
  state.insertApproval(row);
  return state.approval(row.id)!;
}

export async function requireApproval(env: ApprovalEnv, req: ApprovalRequest): Promise<ApprovalRecord | null> {
  const { state, out } = env;
  if (env.preApproved && env.preApproved.status === 'approved' && preApprovalCovers(env.preApproved, req)) {
    return toRecord(env.preApproved);
  }
  const verdict = decideApproval(req.category, env.config.approvals);
  if (verdict.type === 'auto-approve') return null;

  const row = createApproval(state, req, verdict.confirm, verdict.risk);
  const ids = { ticketId: req.ticketId, runId: req.runId };
  out.line('ORCHESTRATOR', 'warn', `Approval required (${row.id}, ${verdict.risk} risk): ${req.action}`, { ...ids, approvalId: row.id });
  state.appendEvent({ kind: 'approval.requested', level: 'warn', ticketId: req.ticketId, runId: req.runId, message: `approval ${row.id} requested: ${req.action}`, data: { approvalId: row.id } });
  appendAudit(state, { initiator: env.initiator, agent: req.requestedBy, action: 'approval.requested', target: req.action, files: req.touches, approval: row.id, result: 'pending' });

  const dashboards = state.liveSessions(DASHBOARD_SESSION, env.config.agents.staleAfterMs);
  if (!env.ask && dashboards.length === 0) {
    if (req.runId) state.updateRun(req.runId, { status: 'waiting' });
    throw new ApprovalRequiredError(row.id, req.action, row.confirm === 'typed' ? confirmationText(row) : undefined);
  }

  if (req.runId) state.updateRun(req.runId, { status: 'waiting' });
  if (!env.ask) out.line('ORCHESTRATOR', 'info', `Waiting for ${row.id} to be approved in the dashboard (or run \`agent approve ${row.id}${row.confirm === 'typed' ? ` --confirm ${confirmationText(row)}` : ''}\`)`, ids);
  const decided = await waitForDecision(env, row);
  if (req.runId) state.updateRun(req.runId, { status: 'running' });
  if (decided.status === 'approved') {
    out.line('ORCHESTRATOR', 'ok', `Approved ${row.id} by ${decided.decided_by}`, ids);
    return toRecord(decided);
  }
  throw new WorkFailedError(`${req.action} was ${decided.status}${decided.reason ? `: ${decided.reason}` : ''} (${row.id})`);
}

/** Polls for another process's decision while (optionally) asking on this terminal. */
async function waitForDecision(env: ApprovalEnv, row: ApprovalRow): Promise<ApprovalRow> {
  const { state } = env;
  const local = new AbortController();
  const stop = () => local.abort();
  env.signal.addEventListener('abort', stop, { once: true });
  state.setApprovalWaiting(row.id, true);
  try {
    // The terminal's answer is recorded like any other front end's; the loop below picks it up.
    // A prompt cut short, or a decision someone else made first, leaves the loop to settle it.
    env.ask?.(row, local.signal)
      .then((answer) => void decide(state, row.id, answer.approve ? 'approved' : 'rejected', { by: env.initiator, reason: answer.reason ?? null, confirmed: true }))
      .catch(() => undefined);
    const deadline = Date.now() + env.config.approvals.waitForDashboardMs;
    for (;;) {
      const cur = state.approval(row.id)!;
      if (cur.status !== 'pending') return cur;
      if (!env.ask && Date.now() > deadline) {
        state.decideApproval(row.id, 'expired', 'timeout', 'nobody answered in time');
        return state.approval(row.id)!;
      }
      await sleep(POLL_MS, env.signal);
    }
  } finally {
    state.setApprovalWaiting(row.id, false);
    local.abort();
    env.signal.removeEventListener('abort', stop);
  }
}

/** Finds the approval an argument names: an approval id, or a ticket with one pending approval. */
export function resolveApproval(state: StateDb, ref: string, hint?: string): ApprovalRow {
  const direct = state.approval(ref);
  if (direct) return direct;
  const ticket = state.ticket(ref);
  if (!ticket) throw new UsageError(`${ref}: no such approval or ticket; see \`agent approvals\` for pending ids`);
  let pending = state.approvals({ status: 'pending', ticketId: ticket.id });
  if (hint && pending.length) {
    // "deploy to production" must not approve the one request there is when it asks for something else.
    const words = hint.toLowerCase().split(/\s+/).filter((w) => w && w !== 'to');
    const target = /\b(staging|production)\b/.exec(hint.toLowerCase())?.[1];
    const matching = pending.filter((a) => (target && a.category === `${target}Deployment`) || words.every((w) => a.action.toLowerCase().includes(w)));
    if (!matching.length) {
      throw new UsageError(`${ticket.id} has no pending approval for "${hint}"; pending: ${pending.map((a) => `${a.id} (${a.action})`).join(', ')}; name one with \`agent approve <APR-id>\``);
    }
    pending = matching;
  }
  if (pending.length === 0) throw new UsageError(`${ticket.id} has no pending approval; see \`agent approvals\``);
  if (pending.length > 1) {
    throw new UsageError(`${ticket.id} has ${pending.length} pending approvals (${pending.map((a) => a.id).join(', ')}); name one of them`);
  }
  return pending[0]!;
}

export interface DecideOptions {
  by: string;
  reason: string | null;
  /** For typed approvals: the text the admin typed; must equal the ticket (or approval) id. */
  typed?: string;
  /** The front end already checked the typed confirmation. */
  confirmed?: boolean;
}

export function decide(state: StateDb, id: string, status: 'approved' | 'rejected', opts: DecideOptions): ApprovalRow {
  const row = state.approval(id);
  if (!row) throw new UsageError(`${id}: no such approval; see \`agent approvals\``);
  if (row.status !== 'pending') throw new UsageError(`${row.id} is already ${row.status}${row.decided_by ? ` by ${row.decided_by}` : ''}`);
  if (status === 'approved' && row.confirm === 'typed' && !opts.confirmed) {
    const want = confirmationText(row);
    if ((opts.typed ?? '').trim().toUpperCase() !== want.toUpperCase()) {
      throw new UsageError(`${row.id} (${row.category}) needs a typed confirmation: pass --confirm ${want}`);
    }
  }
  const at = state.decideApproval(row.id, status, opts.by, opts.reason);
  if (!at) {
    const now = state.approval(row.id)!;
    throw new UsageError(`${row.id} is already ${now.status}${now.decided_by ? ` by ${now.decided_by}` : ''}`);
  }
  appendAudit(state, {
    initiator: opts.by,
    agent: 'ORCHESTRATOR',
    action: `approval.${status}`,
    target: row.action,
    files: JSON.parse(row.touches) as string[],
    approval: row.id,
    result: status,
    detail: opts.reason ? { reason: opts.reason } : undefined,
  });
  state.appendEvent({
    kind: `approval.${status}`,
    level: status === 'approved' ? 'ok' : 'warn',
    agent: 'ORCHESTRATOR',
    ticketId: row.ticket_id,
    runId: row.run_id,
    message: `${row.id} ${status} by ${opts.by}: ${row.action}${opts.reason ? ` (${opts.reason})` : ''}`,
    data: { approvalId: row.id },
  });
  // `waiting` as it was when the decision was made (see StateDb.decideApproval).
  return { ...state.approval(row.id)!, ...at };
}

/** The command an approved request carries out (run again with the approval), if it names one. */
export function resumeOf(approval: Pick<ApprovalRow, 'resume'>): { command: string; args: Record<string, unknown> } | null {
  return approval.resume ? (JSON.parse(approval.resume) as { command: string; args: Record<string, unknown> }) : null;
}

/** After an approval: does the process that asked carry the action out itself? */
export function requesterCarriesOn(approval: ApprovalRow): boolean {
  return Boolean(approval.waiting) && approval.requester_pid != null && isAlive(approval.requester_pid);
}
