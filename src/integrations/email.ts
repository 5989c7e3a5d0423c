// Email notifications: Resend when RESEND_API_KEY is set, otherwise the outbox
// (.agent/outbox/<timestamp>_<slug>.eml, RFC 5322 files any mail client opens).
// Every address, subject and body passes through redact() before it goes anywhere.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { WorkFailedError } from '../errors.js';
import { redact } from '../config/redact.js';
import type { ProjectContext } from '../config/project.js';
import type { Secrets } from '../config/secrets.js';

export interface EmailMessage {
  /** Defaults to email.to of agent.config.json (the admin). */
  to?: string;
  subject: string;
  text: string;
  html?: string;
}

export type EmailSent =
  | { via: 'resend'; id: string; to: string; subject: string }
  | { via: 'outbox'; path: string; to: string; subject: string };

export interface EmailEnv {
  project: Pick<ProjectContext, 'root' | 'agentDir' | 'config'>;
  secrets: Secrets;
  signal?: AbortSignal;
  now?: () => Date;
}

/** A message as it is stored and sent: sender and recipient resolved, everything redacted. */
export interface PreparedEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string | undefined;
}

type Clean = PreparedEmail;

function cleaned(env: Pick<EmailEnv, 'project'>, msg: EmailMessage): Clean {
  return prepareEmail(env.project.config().email, msg);
}

/** Resolves the sender and the recipient (email.to/from of agent.config.json) and redacts all of it. Pure. */
export function prepareEmail(config: { to: string; from: string }, msg: EmailMessage & { from?: string }): PreparedEmail {
  return {
    from: oneLine(redact(msg.from ?? config.from)),
    to: oneLine(redact(msg.to ?? config.to)),
    subject: oneLine(redact(msg.subject)),
    text: redact(msg.text),
    ...(msg.html === undefined ? {} : { html: redact(msg.html) }),
  };
}

/** Resend did not take a message. `permanent`: asking again cannot help (a 4xx such as a bad address or key). */
export class EmailSendError extends WorkFailedError {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'EmailSendError';
  }
}

/**
 * One POST to Resend, abandoned after `timeoutMs` (a Resend that never answers held `agent email`
 * for 302 s: fetch's own header timeout). The idempotency key makes a retry of a send whose answer
 * was lost (a timeout, a killed process) deliver the message once.
 */
export async function sendWithResend(
  key: string,
  baseUrl: string | undefined,
  msg: PreparedEmail,
  /** limitMs: the configured limit the timeout comes from, for the message (timeoutMs may be what is left of it). */
  opts: { timeoutMs: number; limitMs?: number; signal?: AbortSignal | undefined; idempotencyKey?: string | undefined },
): Promise<{ id: string }> {
  const { Resend } = await import('resend');
  const resend = new Resend(key, baseUrl ? { baseUrl: baseUrl.replace(/\/+$/, '') } : undefined);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const { data, error } = await resend.emails.send(
    { from: msg.from, to: msg.to, subject: msg.subject, text: msg.text, ...(msg.html !== undefined ? { html: msg.html } : {}) },
    { signal, ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}) } as never,
  );
  if (data?.id && !error) return { id: data.id };
  if (opts.signal?.aborted) throw opts.signal.reason;
  if (deadline.aborted) throw new EmailSendError(`Resend did not answer within ${seconds(opts.limitMs ?? opts.timeoutMs)} (network.timeoutMs)`, false);
  const why = error ? `${error.message}${error.name ? ` (${error.name})` : ''}` : 'no id in the answer';
  const status = (error as { statusCode?: number | null } | null)?.statusCode;
  const transient = !error || (status == null ? TRANSIENT.has(error.name ?? '') : status >= 500 || status === 408 || status === 409 || status === 429);
  throw new EmailSendError(`Resend did not send the email: ${redact(why)}`, !transient);
}

// Resend's error names worth another try (the SDK's own for no answer or an unreadable one is
// application_error); any other error Resend names is a refusal that asking again cannot change.
const TRANSIENT = new Set(['application_error', 'internal_server_error', 'rate_limit_exceeded', 'daily_quota_exceeded', 'concurrent_idempotent_requests']);

const seconds = (ms: number) => (ms % 1000 ? `${ms} ms` : `${ms / 1000} s`);

export async function sendEmail(env: EmailEnv & { timeoutMs?: number }, msg: EmailMessage): Promise<EmailSent> {
  const clean = cleaned(env, msg);
  const key = env.secrets.get('RESEND_API_KEY');
  if (key) {
    const timeoutMs = env.timeoutMs ?? env.project.config().network.timeoutMs;
    const { id } = await sendWithResend(key, env.secrets.get('RESEND_BASE_URL'), clean, { timeoutMs, signal: env.signal });
    return { via: 'resend', id, to: clean.to, subject: clean.subject };
  }
  return outbox(env, clean);
}

/** The outbox half of sendEmail: also where a notification goes when Resend would not take it. */
export function writeToOutbox(env: Omit<EmailEnv, 'secrets'>, msg: EmailMessage): Extract<EmailSent, { via: 'outbox' }> {
  return outbox(env, cleaned(env, msg));
}

/** Writes an already prepared message to .agent/outbox/ as a .eml file. */
export function writePreparedToOutbox(env: Omit<EmailEnv, 'secrets'>, msg: PreparedEmail): Extract<EmailSent, { via: 'outbox' }> {
  return outbox(env, msg);
}

function outbox(env: Omit<EmailEnv, 'secrets'>, clean: Clean): Extract<EmailSent, { via: 'outbox' }> {
  const now = env.now?.() ?? new Date();
  const dir = join(env.project.agentDir, 'outbox');
  mkdirSync(dir, { recursive: true });
  const eml = buildEml({ ...clean, date: now, messageId: messageId(now, clean.from) });
  const base = outboxName(now, clean.subject);
  for (let n = 1; ; n++) {
    const file = join(dir, n === 1 ? `${base}.eml` : `${base}-${n}.eml`);
    try {
      writeFileSync(file, eml, { flag: 'wx' });
      return { via: 'outbox', path: relative(env.project.root, file), to: clean.to, subject: clean.subject };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** `2026-07-01_14-30-05_deploy-of-bug-2026-001-finished` (UTC). */
export function outboxName(date: Date, subject: string): string {
  const stamp = date.toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');
  const slug = subject.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48).replace(/-+$/, '');
  return `${stamp}_${slug || 'message'}`;
}

export interface EmlParts {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  date: Date;
  messageId: string;
}

/** A complete RFC 5322 message (CRLF line ends, MIME, UTF-8). Pure. */
export function buildEml(p: EmlParts): string {
  const headers = [
    `From: ${encodeAddress(p.from)}`,
    `To: ${encodeAddress(p.to)}`,
    `Subject: ${encodeWords(p.subject)}`,
    `Date: ${rfc5322Date(p.date)}`,
    `Message-ID: ${p.messageId}`,
    'MIME-Version: 1.0',
    'X-Mailer: crm-agent',
  ];
  if (p.html === undefined) return [...headers, ...part('text/plain', p.text)].join('\r\n');
  const boundary = `=_crm-agent_${p.date.getTime().toString(36)}`;
  return [
    ...headers,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    ...part('text/plain', p.text),
    `--${boundary}`,
    ...part('text/html', p.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** Headers and body of one text part; quoted-printable only when a line is too long for 8bit. */
function part(type: string, body: string): string[] {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const long = lines.some((l) => Buffer.byteLength(l) > 998);
  const encoded = long ? quotedPrintable(lines) : lines;
  return [`Content-Type: ${type}; charset=utf-8`, `Content-Transfer-Encoding: ${long ? 'quoted-printable' : '8bit'}`, '', ...encoded, ''];
}

function quotedPrintable(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    let cur = '';
    const bytes = Buffer.from(line, 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const last = i === bytes.length - 1;
      const plain = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
      const token = plain ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      if (cur.length + token.length > 75) {
        out.push(cur + '=');
        cur = '';
      }
      cur += token;
    }
    out.push(cur);
  }
  return out;
}

/** `Tue, 01 Jul 2026 14:30:05 +0000` */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

function messageId(date: Date, from: string): string {
  const { randomBytes } = process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'crm-agent.local';
  return `<${date.getTime().toString(36)}.${randomBytes(6).toString('hex')}@${domain}>`;
}

/** Header text as RFC 2047 encoded words when it is not plain ASCII (or is very long). */
function encodeWords(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(text) && text.length <= 900) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

/** `Name <a@b>` with a non-ASCII name encoded; a bare address as it is. */
function encodeAddress(addr: string): string {
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(addr);
  if (!m || !m[1]) return addr.trim();
  // eslint-disable-next-line no-control-regex
  const name = /^[\x20-\x7e]*$/.test(m[1]) ? (/[(),:;<>@[\]"\\]/.test(m[1]) ? `"${m[1].replace(/["\\]/g, '\\$&')}"` : m[1]) : encodeWords(m[1]);
  return `${name} <${m[2]}>`;
}

/** Header values never carry line breaks (no header injection through a subject). */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}
