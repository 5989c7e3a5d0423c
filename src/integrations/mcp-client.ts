// A client for the admin's own MCP tool server (seed 3.3.1), in either of its two shapes:
//  - 'streamable-http': the standard protocol, through the SDK's StreamableHTTPClientTransport;
//  - 'edge-function': the seed's Supabase function, `POST {tool, arguments}` with the
//    service-role bearer. Its tool list is asked for as `POST {"tool":"list_tools"}`; a server
//    that does not know that tool is asked with a plain GET, and one that answers neither is
//    reachable but lists nothing (callTool still works).
// The service-role key goes into the Authorization header and nowhere else.
import { WorkFailedError } from '../errors.js';
import { redact } from '../config/redact.js';
import type { AgentConfig } from '../config/config.js';
import type { Secrets } from '../config/secrets.js';

export type McpProtocol = 'streamable-http' | 'edge-function';

export interface McpTarget {
  url: string;
  protocol: McpProtocol;
  /** The service-role key, sent as `Authorization: Bearer …` when present. */
  bearer?: string;
}

export interface RemoteTool {
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
}

export interface McpClient {
  /** The server's tools; throws ToolListUnavailableError when an edge function lists none. */
  listTools(): Promise<RemoteTool[]>;
  /** Runs a tool; resolves with its result data, throws WorkFailedError when the tool failed. */
  callTool(name: string, args?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

export class ToolListUnavailableError extends WorkFailedError {
  constructor(readonly statuses: { listTools: number; get: number }, url: string) {
    super(`${hostOf(url)} is reachable but does not list its tools (${describeStatuses(statuses)})`);
  }
}

export function describeStatuses(s: { listTools: number; get: number }): string {
  return `list_tools: HTTP ${s.listTools}, GET: HTTP ${s.get}`;
}

export class McpHttpError extends WorkFailedError {
  constructor(readonly status: number, url: string, what: string, body: string) {
    const refused = status === 401 || status === 403 ? ' (the service-role bearer was refused)' : '';
    super(redact(`${hostOf(url)} answered ${status}${refused} to ${what}${body ? `: ${body.slice(0, 200)}` : ''}`));
  }
}

/** Where the admin's tool server is: mcp.url, MCP_SERVER_URL, or the Supabase edge function. */
export function mcpTarget(config: AgentConfig, secrets: Secrets): McpTarget | null {
  const supabase = secrets.get('SUPABASE_URL');
  const url = config.mcp.url ?? secrets.get('MCP_SERVER_URL') ?? (supabase ? `${supabase.replace(/\/+$/, '')}/functions/v1/mcp-server` : undefined);
  if (!url) return null;
  return { url, protocol: config.mcp.protocol, bearer: secrets.get('SUPABASE_SERVICE_ROLE_KEY') };
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Per request, in ms (default 30 s). */
  timeoutMs?: number;
}

export async function connectMcp(target: McpTarget, opts: ConnectOptions = {}): Promise<McpClient> {
  return target.protocol === 'streamable-http' ? connectStreamable(target, opts) : edgeFunctionClient(target, opts);
}

async function connectStreamable(target: McpTarget, opts: ConnectOptions): Promise<McpClient> {
  const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  const headers: Record<string, string> = target.bearer ? { authorization: `Bearer ${target.bearer}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers } });
  const client = new Client({ name: 'crm-agent', version: '1' });
  const request = { signal: opts.signal, timeout: opts.timeoutMs ?? 30_000 };
  try {
    await client.connect(transport, request);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw describeSdkError(err, target.url, 'initialize');
  }
  return {
    async listTools() {
      const tools: RemoteTool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {}, request).catch((err: unknown) => {
          throw describeSdkError(err, target.url, 'tools/list');
        });
        tools.push(...page.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema as Record<string, unknown> })));
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    },
    async callTool(name, args = {}) {
      const result = await client.callTool({ name, arguments: args }, undefined, request).catch((err: unknown) => {
        throw describeSdkError(err, target.url, `tool ${name}`);
      });
      const texts = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: string }>).filter((c) => c.type === 'text').map((c) => c.text ?? '') : [];
      if (result.isError) throw new WorkFailedError(redact(`tool ${name} failed: ${texts.join(' ').slice(0, 500) || 'no detail'}`));
      if (result.structuredContent !== undefined) return result.structuredContent;
      return texts.length === 1 ? parseMaybeJson(texts[0]!) : (result.content ?? null);
    },
    close: () => client.close(),
  };
}

function edgeFunctionClient(target: McpTarget, opts: ConnectOptions): McpClient {
  const timeout = opts.timeoutMs ?? 30_000;
  const send = async (method: 'GET' | 'POST', body?: unknown) => {
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeout)]) : AbortSignal.timeout(timeout);
    const headers: Record<string, string> = { accept: 'application/json', ...(target.bearer ? { authorization: `Bearer ${target.bearer}` } : {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(target.url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    const text = await res.text();
    return { status: res.status, ok: res.ok, text, json: parseMaybeJson(text) };
  };
  return {
    async listTools() {
      const posted = await send('POST', { tool: 'list_tools', arguments: {} });
      if (posted.status === 401 || posted.status === 403 || posted.status >= 500) throw new McpHttpError(posted.status, target.url, 'list_tools', posted.text);
      const fromPost = posted.ok ? toolsIn(posted.json) : null;
      if (fromPost) return fromPost;
      const got = await send('GET');
      const fromGet = got.ok ? toolsIn(got.json) : null;
      if (fromGet) return fromGet;
      if (got.status === 401 || got.status === 403 || got.status >= 500) throw new McpHttpError(got.status, target.url, 'GET', got.text);
      throw new ToolListUnavailableError({ listTools: posted.status, get: got.status }, target.url);
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

/** `agent health`'s view of the server. */
export type McpProbe =
  | { type: 'ok'; tools: number; protocol: McpProtocol; host: string }
  | { type: 'no-list'; statuses: { listTools: number; get: number }; protocol: McpProtocol; host: string }
  | { type: 'failing'; detail: string };

export async function probeMcp(target: McpTarget, signal: AbortSignal): Promise<McpProbe> {
  const host = hostOf(target.url);
  let client: McpClient | null = null;
  try {
    client = await connectMcp(target, { signal });
    const tools = await client.listTools();
    return { type: 'ok', tools: tools.length, protocol: target.protocol, host };
  } catch (err) {
    if (err instanceof ToolListUnavailableError) return { type: 'no-list', statuses: err.statuses, protocol: target.protocol, host };
    if (err instanceof WorkFailedError) return { type: 'failing', detail: err.message };
    throw err;
  } finally {
    await client?.close().catch(() => undefined);
  }
}

function describeSdkError(err: unknown, url: string, what: string): Error {
  if (err instanceof WorkFailedError) return err;
  const e = err as { name?: string; code?: number; message?: string; cause?: { code?: string } };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return err as Error;
  if (e.cause?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message ?? '')) return new WorkFailedError(`${hostOf(url)}: connection refused`);
  const status = /HTTP (\d{3})/.exec(e.message ?? '')?.[1] ?? (typeof e.code === 'number' && e.code >= 400 && e.code < 600 ? String(e.code) : undefined);
  if (status) return new McpHttpError(Number(status), url, what, '');
  return new WorkFailedError(redact(`${hostOf(url)}: ${what} failed: ${(e.message ?? String(err)).split('\n')[0]}`));
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
