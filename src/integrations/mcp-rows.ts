// A write tool of the admin's MCP server called, and the row it claims to create looked for
// (issue 18): BugHunter records "success, but no row" as evidence, StageAgent checks a deployed fix.
// Rows are read through supabase-js (PostgREST) with the environment's service-role key,
// environments.<env>.supabase in agent.config.json; the key reaches the Authorization header only.
// Whether the call may run at all is the approval policy's (mayCallUnattended), decided before.
import { WorkFailedError } from '../errors.js';
import { redact, redactDeep, registerSecret } from '../config/redact.js';
import type { AgentConfig } from '../config/config.js';
import type { CredentialName, Secrets } from '../config/secrets.js';
import { decideApproval, mcpToolRequest } from '../engine/approval-policy.js';
import { toolAccess, type McpClient, type RemoteTool } from './mcp-client.js';
import { claimsSuccess, idIn, scalarArgs, tablesFor } from './mcp-ticket.js';

export type EnvName = 'staging' | 'production';

export interface RowsCredentials {
  url: string;
  key: string;
}

/** environments.<env>.supabase resolved: the URL (or the variable holding it) and the key's variable. */
export function supabaseFor(config: AgentConfig, secrets: Secrets, env: EnvName): RowsCredentials | { reason: string } {
  const s = config.environments[env].supabase;
  if (!s) return { reason: `environments.${env}.supabase is not set in agent.config.json (url, and serviceRoleKey: the variable holding ${env}'s service-role key)` };
  const url = /^https?:\/\//.test(s.url) ? s.url : secrets.get(s.url as CredentialName);
  const key = secrets.get(s.serviceRoleKey as CredentialName);
  const missing = [url ? null : s.url, key ? null : s.serviceRoleKey].filter(Boolean);
  if (!url || !key) return { reason: `${missing.join(' and ')} (named by environments.${env}.supabase) ${missing.length > 1 ? 'are' : 'is'} set neither in the environment nor in .env` };
  registerSecret(s.serviceRoleKey, key);
  return { url, key };
}

/**
 * Whether a tool may be called without a person: the policy's verdict for it on this environment
 * (read tools always; a write tool on staging while stagingDeployment needs no approval; never a
 * destructive one, nor one on production). The reason names the command the admin can run instead.
 */
export function mayCallUnattended(tool: RemoteTool, env: EnvName, config: AgentConfig, where: string, args: Record<string, unknown>): { ok: true } | { ok: false; reason: string } {
  const access = toolAccess(tool);
  const json = JSON.stringify(args);
  const req = mcpToolRequest(tool.name, access, env, where, json);
  if (!req) return { ok: true };
  const verdict = decideApproval(req.category, config.approvals);
  if (verdict.type === 'auto-approve') return { ok: true };
  return { ok: false, reason: `${tool.name} is a ${access} tool and calling it on ${env} needs the admin's approval (${req.category}); the admin can run \`agent mcp call ${tool.name} '${json.slice(0, 200)}' --env ${env}\`` };
}

export type CountResult = { count: number; rows: unknown[] } | { missing: 'table' } | { missing: 'column'; column: string };

export interface RowsReader {
  /** The host, for messages. */
  readonly where: string;
  count(table: string, match: Record<string, unknown>): Promise<CountResult>;
}

/** A reader over PostgREST through supabase-js (loaded here only). */
export async function openRows(creds: RowsCredentials, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RowsReader> {
  const { createClient } = await import('@supabase/supabase-js');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const where = hostOf(creds.url);
  const fetchBounded: typeof fetch = async (input, init) => {
    const signals = [AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : []), ...(init?.signal ? [init.signal] : [])];
    try {
      return await fetch(input, { ...init, signal: AbortSignal.any(signals) });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const e = err as Error & { cause?: { code?: string } };
      throw new WorkFailedError(`${where}: ${e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms (network.timeoutMs)` : (e.cause?.code ?? e.message)}`);
    }
  };
  const client = createClient(creds.url, creds.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: fetchBounded },
    realtime: { transport: NoRealtime as never },
  });
  return {
    where,
    async count(table, match) {
      const res = await client.from(table).select('*', { count: 'exact' }).match(match).limit(3);
      if (!res.error) return { count: res.count ?? res.data?.length ?? 0, rows: res.data ?? [] };
      const e = res.error as { code?: string; message?: string };
      if (e.code === 'PGRST205' || e.code === '42P01' || res.status === 404) return { missing: 'table' };
      const column = e.code === '42703' || e.code === 'PGRST204' ? /column\s+(?:\w+\.)?"?(\w+)"?/.exec(e.message ?? '')?.[1] : undefined;
      if (column) return { missing: 'column', column };
      throw new WorkFailedError(redact(`${where} answered ${res.status} reading ${table}: ${(e.message ?? 'no detail').slice(0, 200)}`));
    },
  };
}

class NoRealtime {
  constructor() {
    throw new Error('crm-agent does not use Supabase realtime');
  }
}

export interface RowCheck {
  tool: string;
  env: EnvName;
  request: Record<string, unknown>;
  response?: unknown;
  error?: string;
  table?: string;
  /** What the row was looked for by: the id the answer names, else the arguments that are columns. */
  match?: Record<string, unknown>;
  before?: number;
  after?: number;
  /** The row found (redacted when shown). */
  row?: unknown;
  outcome: 'row-found' | 'no-row' | 'tool-failed' | 'no-table';
  /** One line of evidence: the call, its answer, and what the table holds. */
  text: string;
}

/**
 * Finds the tool's table and how to match its row, calls the tool once, and looks for the row.
 * The tool is not called when no candidate table exists (nothing could be checked).
 */
export async function callAndCheckRow(client: McpClient, rows: RowsReader, tool: RemoteTool, args: Record<string, unknown>, env: EnvName): Promise<RowCheck> {
  const base = { tool: tool.name, env, request: args };
  const call = `${tool.name} ${JSON.stringify(args)} on ${env} (${client.where})`;
  let table: string | undefined;
  let match: Record<string, unknown> = scalarArgs(args);
  let before = 0;
  const tried = tablesFor(tool.name);
  for (const t of tried) {
    let m = { ...match };
    for (let i = 0; i < 20; i++) {
      const r = await rows.count(t, m);
      if ('count' in r) {
        table = t;
        match = m;
        before = r.count;
        break;
      }
      if (r.missing === 'table') break;
      const { [r.column]: _dropped, ...rest } = m; // an argument that is no column of the table
      if (!(r.column in m)) throw new WorkFailedError(`${rows.where}: column ${r.column} of ${t} does not exist`);
      m = rest;
    }
    if (table) break;
  }
  if (!table) {
    return { ...base, outcome: 'no-table', text: `${tool.name} not called: ${rows.where} has no table ${tried.map((t) => `public.${t}`).join(' or ') || 'named after it'} to check its row in` };
  }
  let response: unknown;
  try {
    response = await client.callTool(tool.name, args);
  } catch (err) {
    const error = (err as Error).message;
    return { ...base, table, error, outcome: 'tool-failed', text: `${call} failed: ${error}` };
  }
  const answered = `${call} -> ${redact(JSON.stringify(response) ?? 'nothing').slice(0, 300)}`;
  const kept = redactDeep(response); // what is recorded (deployment data, evidence) never holds a secret
  const id = idIn(response);
  const after = await rows.count(table, match);
  const afterCount = 'count' in after ? after.count : before;
  let found: unknown;
  let by = match;
  if (id !== null) {
    const byId = await rows.count(table, { id });
    if ('count' in byId && byId.count > 0) found = byId.rows[0];
    by = { id };
  } else if (afterCount > before && 'count' in after) found = after.rows[0];
  const args$ = Object.keys(match).length ? JSON.stringify(match) : 'any row';
  const checked = `checked through supabase-js at ${rows.where}`;
  if (found !== undefined) {
    const what = id !== null ? `id ${JSON.stringify(id)}` : args$;
    return { ...base, response: kept, table, match: by, before, after: afterCount, row: redactDeep(found), outcome: 'row-found', text: `${answered}; public.${table} has the row (${what}: ${redact(JSON.stringify(found)).slice(0, 200)}; ${checked})` };
  }
  const claim = claimsSuccess(response) ? 'it answered success' : 'it answered';
  const missing = id !== null ? `no row with id ${JSON.stringify(id)}` : `no new row matching ${args$}`;
  return {
    ...base,
    response: kept,
    table,
    match: by,
    before,
    after: afterCount,
    outcome: 'no-row',
    text: `${answered}; ${claim}, but public.${table} has ${missing} (rows matching ${args$}: ${before} before the call, ${afterCount} after; ${checked})`,
  };
}

function hostOf(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return 'the Supabase URL';
  }
}
