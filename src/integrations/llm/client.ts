// The one place that talks to the Messages API. The SDK is imported lazily (one-shot commands
// never load it); its own retries are off so ours (retry.ts) decide, log and back off; every
// request passes through redactDeep() on its way out.
import { redactDeep } from '../../config/redact.js';
import { backoffMs, classify, type CallFailure } from './retry.js';
import type { ModelReply, ModelRequest, ReplyBlock } from './types.js';

export class ModelError extends Error {
  constructor(
    readonly kind: 'unavailable' | 'refused',
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

export interface ModelClient {
  readonly baseURL: string;
  send(req: ModelRequest, signal?: AbortSignal): Promise<ModelReply>;
}

export interface ClientOptions {
  apiKey: string;
  baseURL?: string | undefined;
  timeoutMs: number;
  /** Attempts after the first one, for 429, 5xx, overloaded, timeouts and garbled replies. */
  maxRetries?: number;
  retryBaseMs?: number;
  onRetry?: (info: { attempt: number; reason: string; waitMs: number }) => void;
}

/** Checks a reply's shape; a proxy's HTML page or a truncated body is not a reply. Pure. */
export function parseReply(raw: unknown): ModelReply | { error: string } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { error: `malformed response (${typeof raw === 'string' ? 'not JSON' : 'not an object'})` };
  const r = raw as Record<string, unknown>;
  const usage = r.usage as Record<string, unknown> | undefined;
  if (!Array.isArray(r.content) || !usage || typeof usage.input_tokens !== 'number' || typeof usage.output_tokens !== 'number') {
    return { error: 'malformed response (no content or usage)' };
  }
  const content: ReplyBlock[] = [];
  for (const b of r.content as Array<Record<string, unknown>>) {
    if (b?.type === 'text' && typeof b.text === 'string') content.push({ type: 'text', text: b.text });
    else if (b?.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string') content.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} });
    // thinking and other block types are not sent back; they carry nothing the loop acts on.
  }
  return {
    model: typeof r.model === 'string' ? r.model : '',
    content,
    stop_reason: typeof r.stop_reason === 'string' ? r.stop_reason : null,
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_creation_input_tokens: typeof usage.cache_creation_input_tokens === 'number' ? usage.cache_creation_input_tokens : 0,
      cache_read_input_tokens: typeof usage.cache_read_input_tokens === 'number' ? usage.cache_read_input_tokens : 0,
    },
  };
}

function failureOf(err: unknown): CallFailure {
  const e = err as { status?: number; name?: string; message?: string; headers?: Headers; cause?: { code?: string; message?: string } };
  const headers = e.headers && typeof e.headers.get === 'function' ? e.headers : null;
  return {
    status: typeof e.status === 'number' ? e.status : undefined,
    name: e.name ?? 'Error',
    message: `${e.message ?? String(err)}${e.cause?.code ? ` (${e.cause.code})` : ''}`,
    retryAfter: headers ? { ms: headers.get('retry-after-ms'), s: headers.get('retry-after') } : undefined,
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

export const DEFAULT_BASE_URL = 'https://api.anthropic.com';

// An API that could not be reached is not asked again by the next agent of the same run: a fix
// would otherwise wait through every agent's retries. Kept for a minute, per base URL.
const UNAVAILABLE_FOR_MS = 60_000;
const unavailable = new Map<string, { message: string; at: number }>();

/** Why this API was unreachable in this process within the last minute, if it was. */
export function knownUnavailable(baseURL: string | undefined, now = Date.now()): string | undefined {
  const seen = unavailable.get(baseURL || DEFAULT_BASE_URL);
  return seen && now - seen.at < UNAVAILABLE_FOR_MS ? seen.message : undefined;
}

export async function createModelClient(o: ClientOptions): Promise<ModelClient> {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const baseURL = o.baseURL || DEFAULT_BASE_URL;
  const sdk = new Anthropic({ apiKey: o.apiKey, baseURL, timeout: o.timeoutMs, maxRetries: 0 });
  const maxRetries = o.maxRetries ?? 3;
  return {
    baseURL,
    async send(req, signal) {
      const body = redactDeep(req);
      for (let attempt = 0; ; attempt++) {
        let failure: CallFailure;
        try {
          const raw: unknown = await sdk.messages.create(body as never, { signal });
          const reply = parseReply(raw);
          if (!('error' in reply)) {
            unavailable.delete(baseURL);
            return reply;
          }
          failure = { name: 'SyntaxError', message: reply.error };
        } catch (err) {
          if (signal?.aborted) throw err;
          failure = failureOf(err);
        }
        const verdict = classify(failure);
        if (verdict.type === 'refused') throw new ModelError('refused', `Claude refused the call: ${verdict.reason}`);
        if (verdict.type === 'retry' && attempt < maxRetries) {
          const waitMs = backoffMs(attempt, failure, { baseMs: o.retryBaseMs });
          o.onRetry?.({ attempt: attempt + 1, reason: verdict.reason, waitMs });
          await sleep(waitMs, signal);
          continue;
        }
        const message = `Claude unavailable at ${baseURL}: ${verdict.reason}${attempt ? ` after ${attempt + 1} attempts` : ''}`;
        unavailable.set(baseURL, { message, at: Date.now() });
        throw new ModelError('unavailable', message);
      }
    },
  };
}
