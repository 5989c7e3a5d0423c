// The Supabase admin API (service role) through @supabase/supabase-js: look a user up, make a
// one-time sign-in link. Loaded with import() by the commands that need it, and supabase-js itself
// only when a client is opened, so the one-shot path never parses it.
// Never logs: errors name hosts, statuses and variable names, never a key or a link.
import { UsageError, WorkFailedError } from '../errors.js';
import { registerSecret } from '../config/redact.js';
import type { Secrets } from '../config/secrets.js';

export interface AdminCredentials {
  url: string;
  serviceRoleKey: string;
}

/** The service-role credentials, or a one-line usage error naming what is missing. */
export function adminCredentials(secrets: Secrets): AdminCredentials {
  const url = secrets.get('SUPABASE_URL');
  const serviceRoleKey = secrets.get('SUPABASE_SERVICE_ROLE_KEY');
  const missing = [url ? null : 'SUPABASE_URL', serviceRoleKey ? null : 'SUPABASE_SERVICE_ROLE_KEY'].filter(Boolean);
  if (missing.length || !url || !serviceRoleKey) {
    throw new UsageError(`the Supabase admin API needs ${missing.join(' and ')} (environment or the project's .env); \`agent health\` shows what is set`);
  }
  if (!/^https?:\/\//i.test(url)) throw new UsageError(`SUPABASE_URL must be an http(s) URL, got "${url.slice(0, 40)}"`);
  return { url, serviceRoleKey };
}

export interface AdminUser {
  id: string;
  email: string | null;
}

/** A one-time sign-in link. Its parts are registered with the redactor before it is returned. */
export interface SignInLink {
  actionLink: string;
  /** What the link does once followed ('magiclink'). */
  verificationType: string | null;
}

export interface SupabaseAdmin {
  /** The auth user with this id; a usage error when there is none. */
  getUser(id: string): Promise<AdminUser>;
  /** A one-time magic link for the user with this email. */
  magicLink(email: string): Promise<SignInLink>;
}

export interface AdminOptions {
  signal?: AbortSignal;
  /** Per request, in ms. */
  timeoutMs?: number;
}

/** Used when no network.timeoutMs is passed (agent.config.json's default is the same). */
export const ADMIN_TIMEOUT_MS = 30_000;

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return 'the Supabase URL';
  }
};

interface AuthErrorLike {
  status?: number;
  code?: string;
  message?: string;
}

export async function openSupabaseAdmin(creds: AdminCredentials, opts: AdminOptions = {}): Promise<SupabaseAdmin> {
  const { createClient } = await import('@supabase/supabase-js');
  const host = hostOf(creds.url);
  const timeoutMs = opts.timeoutMs ?? ADMIN_TIMEOUT_MS;
  // auth-js console.error()s a fetch that throws; ours answers 503 instead (auth-js turns that
  // into an error value) and keeps the cause, so nothing bypasses our own output.
  let unreachable: Error | null = null;
  const fetchOnce: typeof fetch = async (input, init) => {
    const signals = [AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : []), ...(init?.signal ? [init.signal] : [])];
    try {
      return await fetch(input, { ...init, signal: AbortSignal.any(signals) });
    } catch (err) {
      unreachable = err as Error;
      return new Response(JSON.stringify({ message: 'unreachable' }), { status: 503, headers: { 'content-type': 'application/json' } });
    }
  };
  const client = createClient(creds.url, creds.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: fetchOnce },
    // Realtime is never used; on Node 20 its default transport would refuse to construct.
    realtime: { transport: NoRealtime as never },
  });
  const admin = client.auth.admin;

  const fail = (what: string, error: AuthErrorLike): never => {
    if (unreachable) {
      const cause = unreachable as Error & { cause?: { code?: string; message?: string } };
      unreachable = null;
      if (opts.signal?.aborted) throw cause;
      const why = cause.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause.cause?.code ?? cause.cause?.message ?? cause.message);
      throw new WorkFailedError(`cannot reach the Supabase admin API at ${host} to ${what}: ${why}`);
    }
    if (error.status === 401 || error.status === 403) {
      throw new WorkFailedError(`${host} answered ${error.status} to ${what} (SUPABASE_SERVICE_ROLE_KEY rejected: is it the service-role key of this project?)`);
    }
    throw new WorkFailedError(`${host} answered ${error.status ?? 'an error'} to ${what}${error.message ? `: ${error.message.slice(0, 200)}` : ''}`);
  };

  return {
    async getUser(id) {
      const { data, error } = await admin.getUserById(id);
      if (error) {
        if (error.status === 404 && !unreachable) throw new UsageError(`no auth user with id ${id} in ${host}`);
        return fail(`look up user ${id}`, error);
      }
      return { id: data.user.id, email: data.user.email ?? null };
    },
    async magicLink(email) {
      const { data, error } = await admin.generateLink({ type: 'magiclink', email });
      if (error) return fail('generate a sign-in link', error);
      const p = data.properties;
      if (!p?.action_link) throw new WorkFailedError(`${host} answered without a sign-in link`);
      // From here on, no byte of the link (or what would stand in for it) can leave the process
      // through the redactor's chokepoint: not in a line, an event, the audit trail or NDJSON.
      registerSecret('EMERGENCY_ACCESS_LINK', p.action_link);
      registerSecret('EMERGENCY_ACCESS_TOKEN', p.hashed_token);
      registerSecret('EMERGENCY_ACCESS_OTP', p.email_otp);
      return { actionLink: p.action_link, verificationType: p.verification_type ?? null };
    },
  };
}

class NoRealtime {
  constructor() {
    throw new Error('crm-agent does not use Supabase realtime');
  }
}
