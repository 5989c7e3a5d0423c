// Which failures of a model call are worth another try, and how long to wait. Pure.

export interface CallFailure {
  status?: number | undefined;
  name?: string;
  message: string;
  /** The response's retry-after-ms / retry-after headers, when there was a response. */
  retryAfter?: { ms?: string | null; s?: string | null };
}

export type FailureVerdict =
  | { type: 'retry'; reason: string }
  | { type: 'unavailable'; reason: string }
  | { type: 'refused'; reason: string };

export function classify(f: CallFailure): FailureVerdict {
  const s = f.status;
  if (s === 429) return { type: 'retry', reason: 'rate limited (429)' };
  if (s === 529 || /overloaded/i.test(f.message)) return { type: 'retry', reason: `overloaded${s ? ` (${s})` : ''}` };
  if (s !== undefined && (s >= 500 || s === 408 || s === 409)) return { type: 'retry', reason: `server error (${s})` };
  if (s === 401 || s === 403) return { type: 'refused', reason: `the API refused the key (${s}); check ANTHROPIC_API_KEY` };
  if (s !== undefined) return { type: 'refused', reason: `the API rejected the request (${s}): ${f.message.slice(0, 200)}` };
  if (/timed? ?out|timeout/i.test(`${f.name} ${f.message}`)) return { type: 'retry', reason: 'the call timed out' };
  if (/SyntaxError|JSON/i.test(`${f.name} ${f.message}`)) return { type: 'retry', reason: 'malformed response (not JSON)' };
  if (/Connection|ECONNREFUSED|ENOTFOUND|fetch failed|socket/i.test(`${f.name} ${f.message}`)) return { type: 'retry', reason: 'cannot connect' };
  return { type: 'unavailable', reason: f.message.slice(0, 200) };
}

/** Waits the server's retry-after when it gave one (capped), else exponential backoff with jitter. */
export function backoffMs(attempt: number, f: CallFailure, opts: { baseMs?: number; capMs?: number; random?: () => number } = {}): number {
  const cap = opts.capMs ?? 8_000;
  const ms = Number(f.retryAfter?.ms);
  if (f.retryAfter?.ms && Number.isFinite(ms) && ms >= 0) return Math.min(ms, cap);
  const s = Number(f.retryAfter?.s);
  if (f.retryAfter?.s && Number.isFinite(s) && s >= 0) return Math.min(s * 1000, cap);
  const base = (opts.baseMs ?? 500) * 2 ** attempt;
  return Math.min(cap, Math.round(base * (0.75 + 0.5 * (opts.random ?? Math.random)())));
}
