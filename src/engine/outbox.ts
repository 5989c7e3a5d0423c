// The mail outbox (issue 12): an email is a `mail_outbox` row written before its send is tried, so
// a process that dies between the record and the send loses nothing: the next command sends it.
// Every send is bounded by network.timeoutMs and never fails the work that produced the email.
//
// Which rows are pending is also kept in the kv row `mail.outbox.pending` (ids), so the check every
// command makes at its start is one primary-key read; it changes in the same transaction as the
// rows. A row being sent is held in the `locks` table (`mail:<id>`) by the sending process: a second
// process leaves it alone, and a dead sender's hold is taken over. Attempts are counted when a send
// starts (a send cut short by a kill counts), and Resend's idempotency key keeps a repeated send of
// one row to one delivery.
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { StateDb } from '../store/state-db.js';
import type { CommandContext, LineData, Reporter } from '../commands/types.js';
import { EmailSendError, prepareEmail, sendWithResend, writePreparedToOutbox, type PreparedEmail } from '../integrations/email.js';

export const PENDING_KEY = 'mail.outbox.pending';
export const FAILED_KEY = 'mail.outbox.failed';
/** Sends tried per email before it is given up as 'failed' (its text stays in .agent/outbox/). */
export const MAX_ATTEMPTS = 5;

export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'kept';

export interface OutboxPayload extends PreparedEmail {
  /** Resend's idempotency key for this email. */
  key: string;
  /** The .eml file that holds it, once written (kept, or failed). */
  file?: string;
  resendId?: string;
}

export interface OutboxRow {
  id: number;
  subject: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  last_error: string | null;
  deployment_id: string | null;
  created_at: number;
  sent_at: number | null;
}

/** An email given up on, as `status` lists it. */
export interface FailedMail {
  id: number;
  subject: string;
  error: string;
  file: string | null;
  at: number;
}

export function pendingMail(state: StateDb): number[] {
  return state.getKv<number[]>(PENDING_KEY) ?? [];
}

export function failedMail(state: StateDb): FailedMail[] {
  return state.getKv<FailedMail[]>(FAILED_KEY) ?? [];
}

export function outboxRow(state: StateDb, id: number): OutboxRow | undefined {
  return state.db.prepare('SELECT * FROM mail_outbox WHERE id = ?').get(id) as OutboxRow | undefined;
}

/**
 * Records an email to be sent; returns its row id. Synchronous, so that it can run inside the
 * transaction that records what the email reports (a deployment's final record). The message is
 * redacted again here: nothing secret is ever stored.
 */
export function queueEmail(state: StateDb, msg: PreparedEmail, opts: { deploymentId?: string | null; now?: number } = {}): number {
  const clean = prepareEmail({ to: msg.to, from: msg.from }, msg);
  const payload: OutboxPayload = { ...clean, key: randomUUID() };
  return state.tx(() => {
    const id = Number(
      state.db
        .prepare("INSERT INTO mail_outbox (subject, payload, status, attempts, deployment_id, created_at) VALUES (?, ?, 'pending', 0, ?, ?)")
        .run(clean.subject, JSON.stringify(payload), opts.deploymentId ?? null, opts.now ?? Date.now()).lastInsertRowid,
    );
    state.setKv(PENDING_KEY, [...pendingMail(state), id]);
    return id;
  });
}

/**
 * The newest row holding this very email for a deployment, if any: the deploy queues it in its final
 * transaction and the command then sends that row instead of a second one. A different text (a
 * rollback completed after an incomplete one) is a different email.
 */
export function queuedFor(state: StateDb, deploymentId: string, msg: Pick<PreparedEmail, 'subject' | 'text'>): number | undefined {
  const row = state.db
    .prepare("SELECT id FROM mail_outbox WHERE deployment_id = ? AND subject = ? AND json_extract(payload, '$.text') = ? ORDER BY id DESC LIMIT 1")
    .get(deploymentId, msg.subject, msg.text) as { id: number } | undefined;
  return row?.id;
}

export interface FlushResult {
  id: number;
  subject: string;
  deploymentId: string | null;
  /** busy: another live process is sending it right now. */
  status: OutboxStatus | 'busy';
  attempts: number;
  /** sent: Resend's id; kept: the .eml path; pending/failed: why it was not sent. */
  detail: string;
  /** failed: where its text was kept. */
  file?: string;
  /** False when another process had already settled it (or is sending it): this call did nothing. */
  tried: boolean;
}

export type OutboxContext = Pick<CommandContext, 'state' | 'project' | 'secrets' | 'signal'>;

/**
 * Sends pending emails (the given ones, or all pending): through Resend when RESEND_API_KEY is set,
 * else to a .eml file under .agent/outbox/ (the row is then 'kept'). Takes at most `timeoutMs`
 * (default network.timeoutMs) in all; what is not sent by then stays pending for the next command.
 * Throws only when the command is interrupted.
 */
export async function flushOutbox(ctx: OutboxContext, opts: { timeoutMs?: number; ids?: readonly number[] } = {}): Promise<FlushResult[]> {
  const state = ctx.state();
  const timeoutMs = opts.timeoutMs ?? ctx.project.config().network.timeoutMs;
  const ends = Date.now() + timeoutMs;
  const holder = `mail-${process.pid}-${randomUUID().slice(0, 8)}`;
  const results: FlushResult[] = [];
  for (const id of opts.ids ?? pendingMail(state)) {
    const claim = claimRow(state, holder, id);
    if (claim.type !== 'claimed') {
      if (claim.row) results.push({ ...resultOf(claim.row, claim.type === 'busy' ? 'busy' : claim.row.status), tried: false });
      continue;
    }
    try {
      results.push(await sendRow(ctx, state, claim.row, { timeoutMs: Math.max(1, ends - Date.now()), limitMs: timeoutMs }));
    } finally {
      state.unlock(holder);
    }
    if (Date.now() >= ends) {
      // Out of time: the rest wait for the next command, with no attempt counted.
      break;
    }
  }
  return results;
}

type Claim = { type: 'claimed'; row: OutboxRow } | { type: 'busy'; row: OutboxRow } | { type: 'done'; row: OutboxRow | undefined };

function claimRow(state: StateDb, holder: string, id: number): Claim {
  return state.tx(() => {
    const row = outboxRow(state, id);
    if (!row || row.status !== 'pending') {
      dropPending(state, id);
      return { type: 'done' as const, row };
    }
    if (!state.tryLock(holder, [`mail:${id}`]).ok) return { type: 'busy' as const, row };
    state.db.prepare('UPDATE mail_outbox SET attempts = attempts + 1 WHERE id = ?').run(id);
    return { type: 'claimed' as const, row: { ...row, attempts: row.attempts + 1 } };
  });
}

async function sendRow(ctx: OutboxContext, state: StateDb, row: OutboxRow, time: { timeoutMs: number; limitMs: number }): Promise<FlushResult> {
  const payload = JSON.parse(row.payload) as OutboxPayload;
  const key = ctx.secrets.get('RESEND_API_KEY');
  if (!key) {
    let kept;
    try {
      kept = writePreparedToOutbox({ project: ctx.project }, payload);
    } catch (err) {
      // The file was the delivery: a disk that will not take it is the admin's to fix, not to retry.
      const why = err instanceof Error ? err.message : String(err);
      finish(state, row, 'failed', { payload, error: why });
      return resultOf({ ...row, last_error: why }, 'failed', why);
    }
    finish(state, row, 'kept', { payload: { ...payload, file: kept.path } });
    return resultOf({ ...row, status: 'kept' }, 'kept', kept.path);
  }
  try {
    const sent = await sendWithResend(key, ctx.secrets.get('RESEND_BASE_URL'), payload, { ...time, signal: ctx.signal, idempotencyKey: `crm-agent-${payload.key}` });
    finish(state, row, 'sent', { payload: { ...payload, resendId: sent.id } });
    return resultOf({ ...row, status: 'sent' }, 'sent', sent.id);
  } catch (err) {
    if (ctx.signal.aborted) {
      state.db.prepare('UPDATE mail_outbox SET last_error = ? WHERE id = ?').run('interrupted while sending', row.id);
      throw err;
    }
    const why = err instanceof Error ? err.message : String(err);
    const giveUp = (err instanceof EmailSendError && err.permanent) || row.attempts >= MAX_ATTEMPTS;
    if (!giveUp) {
      state.db.prepare('UPDATE mail_outbox SET last_error = ? WHERE id = ?').run(why, row.id);
      return resultOf({ ...row, last_error: why }, 'pending', why);
    }
    // Given up: its text is kept where the admin can read or forward it (when the disk takes it).
    let file: string | undefined;
    try {
      file = writePreparedToOutbox({ project: ctx.project }, payload).path;
    } catch {
      file = undefined;
    }
    finish(state, row, 'failed', { payload: { ...payload, ...(file ? { file } : {}) }, error: why });
    return { ...resultOf({ ...row, last_error: why }, 'failed', why), ...(file ? { file } : {}) };
  }
}

function resultOf(row: OutboxRow, status: FlushResult['status'], detail?: string): FlushResult {
  return { ...describe(row, status, detail), tried: true };
}

function describe(row: OutboxRow, status: FlushResult['status'], detail?: string): Omit<FlushResult, 'tried'> {
  const payload = JSON.parse(row.payload) as OutboxPayload;
  const fallback = status === 'sent' ? (payload.resendId ?? '') : status === 'kept' ? (payload.file ?? '') : (row.last_error ?? '');
  return { id: row.id, subject: row.subject, deploymentId: row.deployment_id, status, attempts: row.attempts, detail: detail ?? fallback, ...(status === 'failed' && payload.file ? { file: payload.file } : {}) };
}

function finish(state: StateDb, row: OutboxRow, status: Exclude<OutboxStatus, 'pending'>, o: { payload: OutboxPayload; error?: string }): void {
  const now = Date.now();
  state.tx(() => {
    state.db
      .prepare('UPDATE mail_outbox SET status = ?, payload = ?, last_error = ?, sent_at = ? WHERE id = ?')
      .run(status, JSON.stringify(o.payload), o.error ?? null, status === 'failed' ? null : now, row.id);
    dropPending(state, row.id);
    if (status === 'failed') {
      const failed: FailedMail = { id: row.id, subject: row.subject, error: o.error ?? '', file: o.payload.file ?? null, at: now };
      state.setKv(FAILED_KEY, [...failedMail(state), failed].slice(-20));
    }
  });
}

function dropPending(state: StateDb, id: number): void {
  const ids = pendingMail(state);
  if (ids.includes(id)) state.setKv(PENDING_KEY, ids.filter((x) => x !== id));
}

export interface MailStatus {
  pending: number;
  failed: Array<{ id: number; subject: string; error: string; file: string | null; at: string }>;
}

const FAILED_SHOWN_MS = 7 * 86_400_000;

/** What `agent status` says about the outbox: two kv reads. */
export function mailStatus(state: StateDb, now = Date.now()): MailStatus {
  const failed = failedMail(state).filter((f) => now - f.at < FAILED_SHOWN_MS);
  return { pending: pendingMail(state).length, failed: failed.map((f) => ({ ...f, at: new Date(f.at).toISOString() })) };
}

/** The line a command prints for an email's outcome. `after`: words that say where it came from. */
export function reportMail(out: Pick<Reporter, 'line'>, r: FlushResult, data: LineData = {}, after = ''): void {
  const tail = after ? ` ${after}` : '';
  const line = { ...data, outboxId: r.id };
  if (r.status === 'sent') out.line('ORCHESTRATOR', 'ok', `Email sent via Resend (${r.detail})${tail}`, line);
  else if (r.status === 'kept') out.line('ORCHESTRATOR', 'ok', `Email written to the outbox: ${r.detail}${tail}`, line);
  else if (r.status === 'failed') out.line('ORCHESTRATOR', 'warn', `Email not sent (${r.detail})${r.file ? `; kept in the outbox: ${r.file}` : ''}${tail}`, line);
  else if (r.status === 'pending') {
    out.line('ORCHESTRATOR', 'warn', `Email not sent yet (${r.detail}); it stays pending (attempt ${r.attempts} of ${MAX_ATTEMPTS}) and the next agent command tries again${tail}`, line);
  } else if (r.status === 'busy') out.line('ORCHESTRATOR', 'info', `Email is being sent by another agent process${tail}`, line);
}

/**
 * The check every command makes at its start: one kv read when nothing is pending. Otherwise the
 * pending emails are sent alongside the command, which waits for them (network.timeoutMs at most)
 * before it ends. Never fails the command: an unreadable state database is the command's business.
 */
export function retryPendingMail(ctx: CommandContext): Promise<void> | undefined {
  let ids: number[];
  try {
    if (!existsSync(join(ctx.project.agentDir, 'state.db'))) return undefined;
    ids = pendingMail(ctx.state());
  } catch {
    return undefined;
  }
  if (!ids.length) return undefined;
  return flushOutbox(ctx, { ids }).then(
    (results) => {
      for (const r of results) if (r.tried) reportMail(ctx.out, r, {}, `(${r.subject}, queued earlier)`);
    },
    () => undefined, // interrupted: the command itself says so
  );
}
