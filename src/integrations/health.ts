// `agent health`: one check per dependency, each with a timeout. Checks never print secrets:
// they report names of variables and HTTP statuses, never values.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { CommandContext } from '../commands/types.js';
import { statePath } from '../commands/dispatch.js';
import { describeStateError } from '../store/state-file.js';

const run = promisify(execFile);

export type CheckStatus = 'ok' | 'not_configured' | 'failing';
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  ms: number;
}

type Check = { name: string; fn: (signal: AbortSignal) => Promise<Omit<CheckResult, 'name' | 'ms'>> };

const ok = (detail: string) => ({ status: 'ok' as const, detail });
const missing = (detail: string) => ({ status: 'not_configured' as const, detail });
const failing = (detail: string) => ({ status: 'failing' as const, detail });

export async function runHealthChecks(ctx: CommandContext): Promise<CheckResult[]> {
  const config = ctx.project.config();
  const timeoutMs = config.health.timeoutMs;
  const s = ctx.secrets;
  const checks: Check[] = [
    { name: 'state database', fn: async () => checkState(ctx) },
    { name: 'git repository', fn: (signal) => checkGit(ctx.project.root, signal) },
    ...(['staging', 'production'] as const).map((env): Check => ({ name: `${env} database`, fn: (signal) => checkEnvironmentDatabase(ctx, env, signal) })),
    {
      name: 'supabase',
      fn: async (signal) => {
        const url = s.get('SUPABASE_URL');
        const key = s.get('SUPABASE_SERVICE_ROLE_KEY');
        if (!url && !key) return missing('set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (env or .env)');
        if (!url) return missing('SUPABASE_SERVICE_ROLE_KEY is set but SUPABASE_URL is not');
        if (!key) return missing('SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is not');
        return httpCheck(`${trimSlash(url)}/rest/v1/`, { apikey: key, authorization: `Bearer ${key}` }, signal, 'service-role key');
      },
    },
    {
      name: 'resend',
      fn: async (signal) => {
        const key = s.get('RESEND_API_KEY');
        if (!key) return missing(`set RESEND_API_KEY to send with Resend; until then email goes to ${relative(ctx.project.root, join(ctx.project.agentDir, 'outbox'))}/`);
        const base = trimSlash(s.get('RESEND_BASE_URL') ?? 'https://api.resend.com');
        const res = await fetchStatus(`${base}/domains`, { authorization: `Bearer ${key}` }, signal);
        if (res.ok) return ok(`key accepted by ${hostOf(base)}`);
        // A sending-only key may not list domains; it is still a working key.
        if (res.status === 401 && /restricted_api_key/.test(res.body)) return ok(`sending-only key accepted by ${hostOf(base)}`);
        return failing(`${hostOf(base)} answered ${res.status}${res.status === 401 || res.status === 403 ? ' (RESEND_API_KEY rejected)' : ''}`);
      },
    },
    {
      name: 'anthropic',
      fn: async (signal) => {
        // issue 18: which mode is on, and whose key, is said whether or not the key works.
        const { llmMode } = await import('./llm/settings.js');
        const mode = llmMode(config, s);
        const key = s.get('ANTHROPIC_API_KEY');
        if (!key) return (config.llm.enabled ? failing : missing)(`${mode.detail}; set ANTHROPIC_API_KEY to let Claude reason for the agents`);
        const base = trimSlash(s.get('ANTHROPIC_BASE_URL') ?? 'https://api.anthropic.com');
        const r = await httpCheck(`${base}/v1/models?limit=1`, { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, signal, 'ANTHROPIC_API_KEY');
        return { ...r, detail: `${r.detail}; ${mode.detail}` };
      },
    },
    {
      name: 'mcp server',
      fn: async (signal) => {
        // issue 18: ok only after the server's handshake; the tools it lists are named.
        const { describeTools, mcpTarget, probeMcp, NOT_CONFIGURED } = await import('./mcp-client.js');
        const target = mcpTarget(config, s, ctx.project.root);
        if (!target) return missing(NOT_CONFIGURED);
        const probe = await probeMcp(target, signal, Math.min(timeoutMs, config.network.timeoutMs));
        const unset = 'missingEnv' in target && target.missingEnv ? `; mcp.server.env names ${target.missingEnv.join(', ')}, set neither in the environment nor in .env` : '';
        if (probe.type === 'failing') return failing(probe.detail + unset);
        return ok(`${probe.where} reachable (${probe.protocol}), ${describeTools(probe.tools, 30, probe.access)}${unset}`);
      },
    },
    // issue 18: each environment's own server (environments.<env>.mcp), ok only after its handshake.
    ...(['staging', 'production'] as const).map((env): Check => ({ name: `${env} mcp server`, fn: (signal) => checkEnvironmentMcp(ctx, env, signal) })),
    ...(['staging', 'production'] as const).map(
      (env): Check => ({
        name: `${env} app`,
        fn: async (signal) => {
          const url = config.environments[env].healthUrl;
          if (!url) return missing(`set environments.${env}.healthUrl in agent.config.json`);
          return httpCheck(url, {}, signal, 'health URL');
        },
      }),
    ),
  ];
  return Promise.all(checks.map((c) => timed(c, timeoutMs)));
}

async function checkEnvironmentMcp(ctx: CommandContext, env: 'staging' | 'production', signal: AbortSignal): Promise<Omit<CheckResult, 'name' | 'ms'>> {
  const config = ctx.project.config();
  const { describeTools, environmentMcpTarget, probeMcp } = await import('./mcp-client.js');
  const key = `environments.${env}.mcp`;
  if (!config.environments[env].mcp) return missing(`set ${key} in agent.config.json (server: a stdio command like an entry of .mcp.json, or url) so the agents call ${env}'s own tools`);
  const target = environmentMcpTarget(config, ctx.secrets, env, ctx.project.root);
  if (!target) return failing(`${key} names neither a server nor a url`);
  const probe = await probeMcp(target, signal, Math.min(config.health.timeoutMs, config.network.timeoutMs));
  const unset = 'missingEnv' in target && target.missingEnv ? `; ${key}.server.env names ${target.missingEnv.join(', ')}, set neither in the environment nor in .env` : '';
  if (probe.type === 'failing') return failing(probe.detail + unset);
  return ok(`${probe.where} reachable (${probe.protocol}), ${describeTools(probe.tools, 30, probe.access)}${unset}`);
}

async function timed(check: Check, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const r = await Promise.race([
      check.fn(signal),
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)), { once: true })),
    ]);
    return { name: check.name, ...r, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { name: check.name, ...failing(describeError(err, timeoutMs)), ms: Math.round(performance.now() - started) };
  }
}

/** Never throws: a state file that cannot be opened or read is this check failing, with the file and the way back. */
function checkState(ctx: CommandContext): Omit<CheckResult, 'name' | 'ms'> {
  const path = statePath(ctx.project);
  try {
    const state = ctx.state();
    const integrity = state.db.pragma('quick_check', { simple: true }) as string;
    if (integrity !== 'ok') return failing(`${relative(ctx.project.root, path)} is damaged (quick_check: ${integrity.split('\n')[0]}); restore it from a backup`);
    const mode = state.db.pragma('journal_mode', { simple: true }) as string;
    return ok(`${relative(ctx.project.root, path)}, schema v${state.schemaVersion}, ${mode}, ${state.countEvents()} events`);
  } catch (err) {
    const e = describeStateError(path, err);
    return failing(e instanceof Error ? e.message : String(e));
  }
}

async function checkGit(root: string, signal: AbortSignal) {
  try {
    const branch = (await run('git', ['-C', root, 'rev-parse', '--abbrev-ref', 'HEAD'], { signal })).stdout.trim();
    const head = (await run('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { signal }).catch(() => ({ stdout: '' }))).stdout.trim();
    const dirty = (await run('git', ['-C', root, 'status', '--porcelain'], { signal })).stdout.split('\n').filter(Boolean).length;
    return ok(`${branch}${head ? ` @ ${head}` : ' (no commits yet)'}, ${dirty ? `${dirty} uncommitted change(s)` : 'clean'}`);
  } catch (err) {
    const msg = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    if (/ENOENT/.test(msg)) return failing('git is not installed or not on PATH');
    if (/unknown revision|ambiguous argument 'HEAD'/.test(msg)) return ok('repository with no commits yet');
    return failing(msg.split('\n')[0]!);
  }
}

/** Each environment's own database: reachable, or for the embedded one present and whole, never "ok" for one that deployments need and is gone. */
async function checkEnvironmentDatabase(ctx: CommandContext, env: 'staging' | 'production', signal: AbortSignal) {
  const { databaseFor } = await import('../engine/environments.js');
  let target;
  try {
    target = databaseFor(ctx, env);
  } catch (err) {
    return missing((err as Error).message);
  }
  if (target.kind === 'url') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: ctx.project.config().health.timeoutMs });
    signal.addEventListener('abort', () => void client.end().catch(() => undefined), { once: true });
    try {
      await client.connect();
      const r = await client.query<{ v: string }>('select current_setting($1) as v', ['server_version']);
      return ok(`${target.description} reachable, Postgres ${r.rows[0]?.v ?? '?'}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  try {
    await import('@electric-sql/pglite');
  } catch {
    return failing('embedded PGlite is not installed (npm ci) and no database is configured for it');
  }
  const { dataDirState, embeddedHadHistory } = await import('./env-database.js');
  const on = dataDirState(ctx.project.root, target);
  const legacy = existsSync(join(ctx.project.agentDir, 'pgdata', 'PG_VERSION'));
  if (on === 'damaged') return failing(`${target.dataDir} is damaged (files missing); restore it from your backup, or \`agent migrate execute --env ${env} --recreate\``);
  if (on === 'present') return ok(`${target.description}, present`);
  if (legacy && env === 'production') return ok(`${target.description}: the shared .agent/pgdata from before environments becomes production's on first use`);
  let history: { at: string; by: string } | undefined;
  try {
    history = embeddedHadHistory(ctx.state(), env);
  } catch {
    history = undefined; // the state check reports an unreadable state file
  }
  if (history) return failing(`${target.dataDir} is missing, but it was created ${history.at.slice(0, 16).replace('T', ' ')} by ${history.by}; restore it from your backup, or \`agent migrate execute --env ${env} --recreate\``);
  return ok(`${target.description}, created on first use (set environments.${env}.database for a real server)`);
}

async function fetchStatus(url: string, headers: Record<string, string>, signal: AbortSignal, method = 'GET', body?: string) {
  const res = await fetch(url, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body, signal });
  const text = await res.text().catch(() => '');
  return { ok: res.ok, status: res.status, body: text.slice(0, 2000) };
}

async function httpCheck(url: string, headers: Record<string, string>, signal: AbortSignal, what: string) {
  const res = await fetchStatus(url, headers, signal);
  if (res.ok) return ok(`${hostOf(url)} answered ${res.status}`);
  if (res.status === 401 || res.status === 403) return failing(`${hostOf(url)} answered ${res.status} (${what} rejected)`);
  return failing(`${hostOf(url)} answered ${res.status}`);
}

function describeError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  return (e.cause?.message ?? e.message ?? String(err)).split('\n')[0]!;
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}

function hostOf(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return 'the server';
  }
}
