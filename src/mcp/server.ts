// `agent mcp`: the command registry as MCP tools over stdio, for Claude Code. Every call is
// dispatched through the same registry as the CLI, with initiator 'mcp' and nobody to ask, so
// an action that needs approval comes back as "approval required" with its id.
// Loaded only by the `mcp` command (import()), so the SDK never slows the one-shot CLI.
import { Writable, type Readable } from 'node:stream';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolRequest,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { redact, redactDeep } from '../config/redact.js';
import type { ProjectContext } from '../config/project.js';
import type { Secrets } from '../config/secrets.js';
import { createContext, runCommand, type OpenContext } from '../commands/dispatch.js';
import type { CommandDef, Level } from '../commands/types.js';
import { createMcpReporter } from './reporter.js';
import { errorResult, successResult, type ToolResult } from './result.js';
import { DECIDERS, toCommandInput, toolSpecs } from './tools.js';
import { ApprovalRequiredError } from '../errors.js';
import { confirmationText } from '../engine/approval-policy.js';
import { loadZodMini } from '../config/zod-mini.js';

export interface McpServerOptions {
  project: ProjectContext;
  secrets: Secrets;
  commands: readonly CommandDef[];
  version: string;
  /** Aborts every running tool call (the server is shutting down). */
  signal: AbortSignal;
  /** Tool calls still running; the stdio server lets them finish when stdin ends. */
  inflight?: Set<Promise<unknown>>;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const LOG_LEVEL: Record<Level, LoggingLevel> = { debug: 'debug', info: 'info', ok: 'notice', warn: 'warning', error: 'error' };

const INSTRUCTIONS =
  'crm-agent runs specialist agents against this project\'s CRM: tickets, status, logs, health, staged changes, deploys. ' +
  'Every tool is one `agent <command>`; its result has the text the command line would print (summary and warnings) and the --json data. ' +
  'Actions that need the admin\'s approval answer status "approval_required" with an approval id and the exact command the admin runs: ' +
  'tell the admin; nothing was done, and a model can never approve or reject.';

export function createMcpServer(opts: McpServerOptions): Server {
  const specs = toolSpecs(opts.commands);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const server = new Server({ name: 'crm-agent', version: opts.version }, { capabilities: { tools: {}, logging: {} }, instructions: INSTRUCTIONS });

  // What a tool call may dispatch to: never a command that decides an approval (a model can never
  // approve, not even through a command that carries out another).
  const reachable = opts.commands.filter((c) => !DECIDERS.has(c.name));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: specs.map((s) => ({
      name: s.name,
      title: s.title,
      description: s.description,
      inputSchema: s.inputSchema,
      outputSchema: s.outputSchema as unknown as { type: 'object'; [key: string]: unknown },
      annotations: s.annotations,
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, (req, extra): Promise<ToolResult> => {
    const call = callTool(req, extra);
    opts.inflight?.add(call);
    return call.finally(() => opts.inflight?.delete(call));
  });

  async function callTool(req: CallToolRequest, extra: Extra): Promise<ToolResult> {
    const spec = byName.get(req.params.name);
    if (!spec) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${req.params.name}"; tools/list names the ${specs.length} tools`);
    const def = opts.commands.find((c) => c.name === spec.command)!;
    const token = req.params._meta?.progressToken;
    let progress = 0;
    let ctx: OpenContext | null = null;
    // The result waits until its progress and log notifications are sent: a client drops progress
    // that comes after the response it belongs to.
    const notified: Array<Promise<unknown>> = [];
    const out = createMcpReporter({
      state: () => ctx?.openedState() ?? null,
      onLine: (level, agent, text) => {
        const message = redact(text);
        if (token !== undefined) {
          notified.push(extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: ++progress, message } }).catch(() => undefined));
        }
        notified.push(server.sendLoggingMessage({ level: LOG_LEVEL[level], logger: agent, data: message }).catch(() => undefined));
      },
    });
    ctx = createContext({
      project: opts.project,
      secrets: opts.secrets,
      out,
      signal: AbortSignal.any([opts.signal, extra.signal]),
      interactive: false,
      initiator: 'mcp',
      commands: reachable,
    });
    const said = () => ({ transcript: redact(out.transcript()), warnings: out.warnings().map((w) => redact(w)) });
    try {
      const result = await runCommand(def, ctx, toCommandInput(spec, req.params.arguments));
      // A JSON round trip turns rows and dates into plain values that redactDeep reaches.
      const data = result.data === undefined ? null : redactDeep(JSON.parse(JSON.stringify(result.data)) as unknown);
      return successResult(data, result.exitCode ?? 0, said(), def.name);
    } catch (err) {
      const row = err instanceof ApprovalRequiredError ? ctx.openedState()?.approval(err.approvalId) : undefined;
      const approval = row ? { id: row.id, action: redact(row.action), category: row.category, risk: row.risk, confirm: row.confirm === 'typed' ? confirmationText(row) : null } : undefined;
      return errorResult(err, redact(err instanceof Error ? err.message : String(err)), said(), { approval, usage: spec.usage });
    } finally {
      ctx.close();
      await Promise.all(notified);
    }
  }
  return server;
}

/**
 * Serves over this process's stdin/stdout until stdin ends or `signal` aborts. While it runs,
 * anything else that writes to stdout (a stray console.log) goes to stderr instead: stdout
 * carries protocol messages only.
 */
export async function serveStdio(opts: Omit<McpServerOptions, 'signal'> & { signal: AbortSignal; stdin?: Readable }): Promise<void> {
  const stdin = opts.stdin ?? process.stdin;
  const realWrite = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array, cb?: (err?: Error | null) => void) => boolean;
  const protocolOut = new Writable({
    write(chunk: Buffer, _enc, cb) {
      realWrite(chunk, cb);
    },
  });
  const stray = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    (process.stderr.write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(typeof chunk === 'string' ? redact(chunk) : chunk, ...rest)) as typeof process.stdout.write;

  const calls = new AbortController();
  const onAbort = () => calls.abort();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const inflight = new Set<Promise<unknown>>();
  await loadZodMini(); // the tool specs carry each command's schema as JSON Schema
  const server = createMcpServer({ ...opts, signal: calls.signal, inflight });
  const transport = new StdioServerTransport(stdin, protocolOut);
  try {
    await new Promise<void>((resolve) => {
      // The client hung up: answer what it already asked, then stop.
      // Requests are dispatched a tick after they are read and replies sent a tick after
      // they resolve, hence the setImmediate on both sides.
      const drain = async () => {
        do {
          await new Promise((r) => setImmediate(r));
          await Promise.allSettled([...inflight]);
          await new Promise((r) => setImmediate(r));
        } while (inflight.size);
        resolve();
      };
      stdin.once('end', () => void drain());
      calls.signal.addEventListener('abort', () => resolve(), { once: true });
      server.onclose = () => resolve();
      void server.connect(transport).catch(() => resolve());
    });
  } finally {
    calls.abort();
    opts.signal.removeEventListener('abort', onAbort);
    await server.close().catch(() => undefined);
    await new Promise<void>((resolve) => protocolOut.end(resolve));
    process.stdout.write = stray;
  }
}
