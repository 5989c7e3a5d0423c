// A client for the admin's own MCP tool server (seed 3.3.1), in any of its shapes:
//  - 'stdio': a command (mcp.server in agent.config.json, like an entry of .mcp.json) started as a
//    child process, through the SDK's StdioClientTransport;
//  - 'streamable-http': the standard protocol, through the SDK's StreamableHTTPClientTransport;
//  - 'edge-function': the seed's Supabase function, `POST {tool, arguments}` with the
//    service-role bearer. Its tool list is asked for as `POST {"tool":"list_tools"}`, then a plain GET.
// An HTTP URL whose protocol is not named is tried as MCP first (the `initialize` handshake), then as
// the edge function (a tool list); a server that answers neither is not an MCP server, never "ok".
// Every request is bounded by network.timeoutMs. The service-role key goes into the Authorization
// header and nowhere else; a stdio server gets only the environment variables its config names.
import { WorkFailedError } from '../errors.js';
import { redact } from '../config/redact.js';
import type { AgentConfig, McpConfig } from '../config/config.js';
import type { CredentialName, Secrets } from '../config/secrets.js';

export type HttpProtocol = 'streamable-http' | 'edge-function';
export type McpProtocol = HttpProtocol | 'stdio';

export interface HttpTarget {
  url: string;
  /** Named in config; absent: found by the handshake. */
  protocol?: HttpProtocol;
  /** The service-role key, sent as `Authorization: Bearer …` when present. */
  bearer?: string;
}

export interface StdioTarget {
  command: string;
  args: string[];
  /** Only these variables (plus the SDK's safe defaults: PATH, HOME, …) reach the server. */
  env: Record<string, string>;
  cwd?: string;
  /** Names mcp.server.env lists that are set neither in the environment nor in .env. */
  missingEnv?: string[];
}

export type McpTarget = HttpTarget | StdioTarget;

export const isStdio = (t: McpTarget): t is StdioTarget => 'command' in t;

export interface RemoteTool {
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  annotations?: { title?: string; readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean };
}

export interface McpClient {
  readonly protocol: McpProtocol;
  /** Where the server is, for messages: a host, or the stdio command. Never a secret. */
  readonly where: string;
  /** The server's tools (the handshake already proved it lists them). */
  listTools(): Promise<RemoteTool[]>;
  /** Runs a tool; resolves with its result data, throws WorkFailedError when the tool failed. */
  callTool(name: string, args?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** Reachable over HTTP, but neither an MCP server nor an edge function that lists its tools. */
export class NotMcpError extends WorkFailedError {
  constructor(readonly statuses: { initialize?: string; listTools: number; get: number }, url: string) {
    super(`${hostOf(url)} is not an MCP server: it answered ${describeStatuses(statuses)}; expected an MCP \`initialize\` result or an edge function's tool list`);
  }
}

export function describeStatuses(s: { initialize?: string; listTools: number; get: number }): string {
  return `${s.initialize ? `initialize: ${s.initialize}, ` : ''}list_tools: HTTP ${s.listTools}, GET: HTTP ${s.get}`;
}

export class McpHttpError extends WorkFailedError {
  constructor(readonly status: number, url: string, what: string, body: string) {
    const refused = status === 401 || status === 403 ? ' (the service-role bearer was refused)' : '';
    super(redact(`${hostOf(url)} answered ${status}${refused} to ${what}${body ? `: ${body.slice(0, 200)}` : ''}`));
  }
}

/** mcp.server's env: the variables it names, from the environment or .env; those set nowhere are left out. */
export function stdioEnv(names: readonly string[] | undefined, lookup: (name: string) => string | undefined): { env: Record<string, string>; missing: string[] } {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names ?? []) {
    const value = lookup(name);
    if (value === undefined) missing.push(name);
    else env[name] = value;
  }
  return { env, missing };
}

/**
 * Where the admin's tool server is: mcp.server (a stdio command), else mcp.url, MCP_SERVER_URL, or
 * the Supabase edge function under SUPABASE_URL. Null when none is configured.
 */
export function mcpTarget(config: AgentConfig, secrets: Secrets, root?: string): McpTarget | null {
  const server = config.mcp.server;
  if (server) return stdioTarget(server, secrets, root);
  const supabase = secrets.get('SUPABASE_URL');
  const url = config.mcp.url ?? secrets.get('MCP_SERVER_URL') ?? (supabase ? `${supabase.replace(/\/+$/, '')}/functions/v1/mcp-server` : undefined);
  if (!url) return null;
  return { url, ...(config.mcp.protocol ? { protocol: config.mcp.protocol } : {}), bearer: secrets.get('SUPABASE_SERVICE_ROLE_KEY') };
}

function stdioTarget(server: NonNullable<McpConfig['server']>, secrets: Secrets, cwd?: string): StdioTarget {
  const { env, missing } = stdioEnv(server.env, (n) => secrets.get(n as CredentialName));
  return { command: server.command, args: server.args ?? [], env, ...(cwd ? { cwd } : {}), ...(missing.length ? { missingEnv: missing } : {}) };
}

/**
 * environments.<env>.mcp (issue 18): that environment's own server, null when not set. A stdio
 * server runs in `cwd` (StageAgent: the deployed worktree, so it is the deployed code that answers);
 * an HTTP one gets the environment's service-role key (environments.<env>.supabase) as its bearer.
 */
export function environmentMcpTarget(config: AgentConfig, secrets: Secrets, env: 'staging' | 'production', cwd?: string): McpTarget | null {
  const m = config.environments[env].mcp;
  if (!m) return null;
  if (m.server) return stdioTarget(m.server, secrets, cwd);
  if (!m.url) return null;
  const keyVar = config.environments[env].supabase?.serviceRoleKey;
  const bearer = keyVar ? secrets.get(keyVar as CredentialName) : undefined;
  return { url: m.url, ...(m.protocol ? { protocol: m.protocol } : {}), ...(bearer ? { bearer } : {}) };
}

/** What the config lacks for a server, as the line health and `mcp tools` print. */
export const NOT_CONFIGURED = 'set mcp.server (a stdio command) or mcp.url in agent.config.json (or MCP_SERVER_URL, or SUPABASE_URL for the edge function)';

/** A server described for messages: its host, or its command line (arguments are not secrets; env values are never shown). */
export function describeTarget(t: McpTarget): string {
  return isStdio(t) ? [t.command, ...t.args].join(' ').slice(0, 120) : hostOf(t.url);
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Per request, in ms (network.timeoutMs; default 30 s). */
  timeoutMs?: number;
}

/** read: runs without approval (the server says readOnlyHint, or it is named list_/get_/search_). */
export type ToolAccess = 'read' | 'write' | 'destructive';

export function toolAccess(tool: Pick<RemoteTool, 'name' | 'annotations'>): ToolAccess {
  const a = tool.annotations ?? {};
  if (a.readOnlyHint === true) return 'read';
  if (a.readOnlyHint !== false && /^(list|get|search)_/i.test(tool.name)) return 'read';
  return a.destructiveHint === true ? 'destructive' : 'write';
}

export async function connectMcp(target: McpTarget, opts: ConnectOptions = {}): Promise<McpClient> {
  if (isStdio(target)) return connectStdio(target, opts);
  if (target.protocol === 'streamable-http') return connectStreamable(target, opts);
  if (target.protocol === 'edge-function') return connectEdge(target, opts);
  // Not named: the MCP handshake first, then the edge function's tool list.
  let initialize: string;
  try {
    return await connectStreamable(target, opts);
  } catch (err) {
    if (!(err instanceof McpHttpError) && !(err instanceof HandshakeError)) throw err;
    initialize = err instanceof McpHttpError ? `HTTP ${err.status}` : err.answer;
  }
  try {
    return await connectEdge(target, opts);
  } catch (err) {
    if (err instanceof NotMcpError) throw new NotMcpError({ initialize, ...err.statuses }, target.url);
    throw err;
  }
}

/** The server answered HTTP, but not with an MCP `initialize` result. */
class HandshakeError extends WorkFailedError {
  constructor(readonly answer: string, where: string) {
    super(`${where}: no MCP initialize result (${answer})`);
  }
}

type SdkClient = import('@modelcontextprotocol/sdk/client/index.js').Client;
type SdkTransport = import('@modelcontextprotocol/sdk/shared/transport.js').Transport;

async function connectStdio(target: StdioTarget, opts: ConnectOptions): Promise<McpClient> {
  const { StdioClientTransport, getDefaultEnvironment } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  const transport = new StdioClientTransport({ command: target.command, args: target.args, env: { ...getDefaultEnvironment(), ...target.env }, cwd: target.cwd, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const where = describeTarget(target);
  return connectSdk(transport, 'stdio', where, opts, () => {
    const last = stderr.trim().split('\n').at(-1);
    return last ? `; its stderr: ${redact(last).slice(0, 200)}` : '';
  });
}

async function connectStreamable(target: HttpTarget, opts: ConnectOptions): Promise<McpClient> {
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const headers: Record<string, string> = target.bearer ? { authorization: `Bearer ${target.bearer}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers } });
  return connectSdk(transport, 'streamable-http', hostOf(target.url), opts);
}

async function connectSdk(transport: SdkTransport, protocol: McpProtocol, where: string, opts: ConnectOptions, tail: () => string = () => ''): Promise<McpClient> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const client: SdkClient = new Client({ name: 'crm-agent', version: '1' });
  const request = { signal: opts.signal, timeout: opts.timeoutMs ?? 30_000 };
  try {
    await client.connect(transport, request);
  } catch (err) {
    await client.close().catch(() => undefined);
    const e = describeSdkError(err, where, 'initialize', request.timeout);
    if (e instanceof WorkFailedError && !(e instanceof McpHttpError) && protocol !== 'stdio' && !/connection refused|no answer to /.test(e.message)) {
      throw new HandshakeError((err as Error).message?.split('\n')[0]?.slice(0, 120) ?? 'no result', where);
    }
    if (protocol === 'stdio' && e instanceof WorkFailedError) throw new WorkFailedError(`${e.message}${tail()}`);
    throw e;
  }
  return {
    protocol,
    where,
    async listTools() {
      const tools: RemoteTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {}, request).catch((err: unknown) => {
          throw describeSdkError(err, where, 'tools/list', request.timeout);
        });
        tools.push(
          ...page.tools.map((t) => ({
            name: t.name,
            ...(t.description !== undefined ? { description: t.description } : {}),
            inputSchema: t.inputSchema as Record<string, unknown>,
            ...(t.annotations ? { annotations: t.annotations } : {}),
          })),
        );
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    },
    async callTool(name, args = {}) {
      const result = await client.callTool({ name, arguments: args }, undefined, request).catch((err: unknown) => {
        throw describeSdkError(err, where, `tool ${name}`, request.timeout);
      });
      const texts = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: string }>).filter((c) => c.type === 'text').map((c) => c.text ?? '') : [];
      if (result.isError) throw new WorkFailedError(redact(`tool ${name} failed: ${texts.join(' ').slice(0, 500) || 'no detail'}`));
      if (result.structuredContent !== undefined) return result.structuredContent;
      return texts.length === 1 ? parseMaybeJson(texts[0]!) : (result.content ?? null);
    },
    close: () => client.close(),
  };
}

/** The edge function, proven by its tool list (its handshake): without one it is not an MCP server. */
async function connectEdge(target: HttpTarget, opts: ConnectOptions): Promise<McpClient> {
  const timeout = opts.timeoutMs ?? 30_000;
  const send = async (method: 'GET' | 'POST', body?: unknown) => {
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeout)]) : AbortSignal.timeout(timeout);
    const headers: Record<string, string> = { accept: 'application/json', ...(target.bearer ? { authorization: `Bearer ${target.bearer}` } : {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(target.url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
      const text = await res.text();
      return { status: res.status, ok: res.ok, text, json: parseMaybeJson(text) };
    } catch (err) {
      throw describeSdkError(err, hostOf(target.url), method === 'GET' ? 'GET' : 'a request', timeout);
    }
  };
  const list = async (): Promise<RemoteTool[]> => {
    const posted = await send('POST', { tool: 'list_tools', arguments: {} });
    if (posted.status === 401 || posted.status === 403 || posted.status >= 500) throw new McpHttpError(posted.status, target.url, 'list_tools', posted.text);
    const fromPost = posted.ok ? toolsIn(posted.json) : null;
    if (fromPost) return fromPost;
    const got = await send('GET');
    const fromGet = got.ok ? toolsIn(got.json) : null;
    if (fromGet) return fromGet;
    if (got.status === 401 || got.status === 403 || got.status >= 500) throw new McpHttpError(got.status, target.url, 'GET', got.text);
    throw new NotMcpError({ listTools: posted.status, get: got.status }, target.url);
  };
  let tools: RemoteTool[] | null = await list();
  return {
    protocol: 'edge-function',
    where: hostOf(target.url),
    async listTools() {
      const now = tools ?? (await list());
      tools = null; // the handshake's list is used once; later calls ask again
      return now;
    },
    async callTool(name, args = {}) {
      const res = await send('POST', { tool: name, arguments: args });
      if (!res.ok) throw new McpHttpError(res.status, target.url, `tool ${name}`, res.text);
      return res.json;
    },
    close: async () => undefined,
  };
}

/** The tool list in the shapes edge functions answer with: {tools}, {result: {tools}}, {data: …} or a bare array. */
export function toolsIn(body: unknown): RemoteTool[] | null {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  let list: unknown = body;
  for (let i = 0; i < 3 && obj(list); i++) list = list.tools ?? list.result ?? list.data;
  if (!Array.isArray(list)) return null;
  const tools: RemoteTool[] = [];
  for (const t of list) {
    if (typeof t === 'string') tools.push({ name: t });
    else if (obj(t) && typeof t.name === 'string') {
      tools.push({
        name: t.name,
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        ...(obj(t.inputSchema) ? { inputSchema: t.inputSchema } : obj(t.input_schema) ? { inputSchema: t.input_schema } : {}),
      });
    } else return null;
  }
  return tools;
}

/** `agent health`'s view of the server: ok only after its handshake and its tool list. */
export type McpProbe =
  | { type: 'ok'; tools: string[]; access: Record<ToolAccess, number>; protocol: McpProtocol; where: string }
  | { type: 'failing'; detail: string };

/** How many of the tools run without approval (read), change data (write), or destroy it. */
export function rateTools(tools: readonly Pick<RemoteTool, 'name' | 'annotations'>[]): Record<ToolAccess, number> {
  const access: Record<ToolAccess, number> = { read: 0, write: 0, destructive: 0 };
  for (const t of tools) access[toolAccess(t)]++;
  return access;
}

export async function probeMcp(target: McpTarget, signal: AbortSignal, timeoutMs?: number): Promise<McpProbe> {
  let client: McpClient | null = null;
  try {
    client = await connectMcp(target, { signal, timeoutMs });
    const tools = await client.listTools();
    return { type: 'ok', tools: tools.map((t) => t.name), access: rateTools(tools), protocol: client.protocol, where: client.where };
  } catch (err) {
    if (err instanceof WorkFailedError) return { type: 'failing', detail: err.message };
    throw err;
  } finally {
    await client?.close().catch(() => undefined);
  }
}

/** "3 tools (2 read, 1 write): a, b, c" (the first `max` names; `agent mcp tools` shows them all). */
export function describeTools(names: readonly string[], max = 30, access?: Record<ToolAccess, number>): string {
  const rated = access ? (['read', 'write', 'destructive'] as const).filter((k) => access[k]).map((k) => `${access[k]} ${k}`).join(', ') : '';
  const head = `${names.length} tool${names.length === 1 ? '' : 's'}${rated ? ` (${rated})` : ''}`;
  if (!names.length) return head;
  const shown = names.slice(0, max).join(', ');
  return `${head}: ${shown}${names.length > max ? `, … ${names.length - max} more (agent mcp tools)` : ''}`;
}

function describeSdkError(err: unknown, where: string, what: string, timeoutMs: number): Error {
  if (err instanceof WorkFailedError) return err;
  const e = err as { name?: string; code?: number | string; message?: string; cause?: { code?: string } };
  if (e.name === 'AbortError') return err as Error;
  // The SDK's own request timeout (McpError -32001) and fetch's AbortSignal.timeout.
  if (e.name === 'TimeoutError' || e.code === -32001) return new WorkFailedError(`${where}: no answer to ${what} within ${timeoutMs} ms (network.timeoutMs)`);
  if (e.cause?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message ?? '')) return new WorkFailedError(`${where}: connection refused`);
  if (e.code === 'ENOENT' || /ENOENT/.test(e.message ?? '')) return new WorkFailedError(`${where}: the command was not found (spawn ENOENT)`);
  if (e.code === -32000 || /Connection closed/i.test(e.message ?? '')) return new WorkFailedError(`${where}: the server closed the connection during ${what}`);
  const status = /HTTP (\d{3})/.exec(e.message ?? '')?.[1] ?? (typeof e.code === 'number' && e.code >= 400 && e.code < 600 ? String(e.code) : undefined);
  if (status) return new McpHttpError(Number(status), `http://${where}`, what, '');
  return new WorkFailedError(redact(`${where}: ${what} failed: ${(e.message ?? String(err)).split('\n')[0]}`));
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function hostOf(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return 'the MCP server';
  }
}
