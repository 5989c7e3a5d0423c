// What `mcp tools` and `mcp call` do when they run (issue 18); src/commands/mcp-client.ts declares
// them and imports this module only then, so the CLI's start-up stays light. Read tools run; any
// other tool waits for the approval the policy asks (production: the typed confirmation).
// The MCP SDK is imported by the client only (src/integrations/mcp-client.ts).
import { UsageError, WorkFailedError } from '../errors.js';
import { redact, redactDeep } from '../config/redact.js';
import { appendAudit } from '../engine/audit.js';
import { mcpToolRequest } from '../engine/approval-policy.js';
import { suggest } from './fuzzy.js';
import type { CommandContext, CommandResult } from './types.js';
import { toolAccess as access, type McpClient, type RemoteTool } from '../integrations/mcp-client.js';

export async function listTools(ctx: CommandContext): Promise<CommandResult> {
  const client = await open(ctx);
  try {
    const tools = await client.listTools();
    const listed = tools.map((t) => ({ name: t.name, access: access(t), description: t.description ?? null, inputSchema: t.inputSchema ?? null, annotations: t.annotations ?? null }));
    ctx.out.line('ORCHESTRATOR', 'ok', `${client.where} (${client.protocol}): ${tools.length} tool${tools.length === 1 ? '' : 's'}`);
    if (tools.length) ctx.out.print(tools.map(describeTool).join('\n'));
    return { data: { server: client.where, protocol: client.protocol, tools: listed } };
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function callTool(ctx: CommandContext, args: { tool: string; json?: string; env?: 'staging' | 'production' }): Promise<CommandResult> {
  const input = parseToolArgs(args.json);
  const env = args.env ?? 'production';
  const client = await open(ctx, env);
  try {
    const tools = await client.listTools();
    const tool = tools.find((t) => t.name === args.tool);
    if (!tool) {
      const near = suggest(args.tool, tools.map((t) => t.name));
      throw new UsageError(`${client.where} has no tool "${args.tool}"${near ? `; did you mean ${near}?` : ''} (\`agent mcp tools\` lists its ${tools.length})`);
    }
    const kind = access(tool);
    const json = JSON.stringify(input);
    const request = mcpToolRequest(tool.name, kind, env, client.where, json);
    if (request) await ctx.requireApproval(request);
    let result: unknown;
    try {
      result = await ctx.out.spin(`Calling ${tool.name}…`, client.callTool(tool.name, input));
    } catch (err) {
      if (kind !== 'read') audit(ctx, tool.name, env, 'failed', { arguments: input, error: (err as Error).message });
      throw err;
    }
    if (kind !== 'read') audit(ctx, tool.name, env, 'called', { arguments: input });
    ctx.out.line('ORCHESTRATOR', 'ok', `${tool.name} (${kind}) on ${client.where} answered`, { tool: tool.name });
    ctx.out.print(redact(typeof result === 'string' ? result : (JSON.stringify(result, null, 2) ?? 'no result')));
    return { data: { server: client.where, protocol: client.protocol, env, tool: tool.name, access: kind, arguments: input, result: redactDeep(result) } };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The JSON argument: an object, or exit 2 naming where it stops being JSON. */
export function parseToolArgs(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Node 20's message names the position for some errors only: find it ourselves.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const pos = jsonErrorAt(text) ?? (at !== undefined ? Number(at) : text.length);
    const what = pos >= text.length ? 'it ends too early' : `unexpected ${JSON.stringify(text[pos])}`;
    throw new UsageError(`the tool's arguments are not valid JSON at position ${pos} (${what}, after ${JSON.stringify(text.slice(Math.max(0, pos - 12), pos))}); give an object such as '{"name":"Ada"}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`the tool's arguments must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}; give an object such as '{"name":"Ada"}'`);
  }
  return value as Record<string, unknown>;
}

/** Where a JSON text first stops being JSON (its length when it ends too early); null when it is JSON. */
export function jsonErrorAt(text: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    for (const ch of word) if (text[i++] !== ch) (i--, fail());
  };
  const string = () => {
    i++; // the opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i]! < ' ') fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) ((i += k), fail());
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x') || i >= text.length) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return null;
  } catch (at) {
    if (typeof at !== 'number') throw at;
    return Math.min(at, text.length);
  }
}

/** The admin's server; with an environment, that environment's own (environments.<env>.mcp) when it has one. */
async function open(ctx: CommandContext, env?: 'staging' | 'production'): Promise<McpClient> {
  const { connectMcp, environmentMcpTarget, mcpTarget, NOT_CONFIGURED } = await import('../integrations/mcp-client.js');
  const config = ctx.project.config();
  const root = ctx.project.root;
  // Without an environment (mcp tools): the admin's server, else one an environment names.
  const target = env
    ? (environmentMcpTarget(config, ctx.secrets, env, root) ?? mcpTarget(config, ctx.secrets, root))
    : (mcpTarget(config, ctx.secrets, root) ?? environmentMcpTarget(config, ctx.secrets, 'staging', root) ?? environmentMcpTarget(config, ctx.secrets, 'production', root));
  if (!target) throw new UsageError(`no MCP server is configured: ${NOT_CONFIGURED}`);
  try {
    return await ctx.out.spin('Connecting to your MCP server…', connectMcp(target, { signal: ctx.signal, timeoutMs: config.network.timeoutMs }));
  } catch (err) {
    if (err instanceof WorkFailedError) throw new WorkFailedError(`MCP server: ${err.message}`);
    throw err;
  }
}

function audit(ctx: CommandContext, tool: string, env: string, result: string, detail: Record<string, unknown>): void {
  appendAudit(ctx.state(), { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'mcp.call', target: `${tool} (${env})`, approval: ctx.approvalIds() ?? undefined, result, detail });
}

/** One tool for the admin's terminal: name, access, description, then its arguments from the schema. */
export function describeTool(t: RemoteTool): string {
  const lines = [`  ${t.name}  [${access(t)}]${t.description ? `  ${t.description.split('\n')[0]!.slice(0, 160)}` : ''}`];
  const schema = t.inputSchema as { properties?: Record<string, { type?: unknown; description?: string }>; required?: string[] } | undefined;
  for (const [name, p] of Object.entries(schema?.properties ?? {})) {
    const type = Array.isArray(p.type) ? p.type.join('|') : typeof p.type === 'string' ? p.type : 'any';
    lines.push(`      ${name}: ${type}${schema?.required?.includes(name) ? ' (required)' : ''}${p.description ? ` ${p.description.slice(0, 100)}` : ''}`);
  }
  return lines.join('\n');
}
