// BugHunter reproduces through the admin's own MCP server (issue 18): its tools/list says whether
// the tools the code calls are registered (and with which schema), and the read tools the ticket's
// symptom involves are called, their request and response kept as evidence. A ticket whose symptom
// is a write tool answering success without a row gets that call and the row check (through
// supabase-js) as evidence, but only where the approval policy lets the call run unattended:
// staging's own server (environments.staging.mcp) while stagingDeployment needs no approval, never
// a destructive tool, never the production server (mcp.server/mcp.url) without the admin's approval.
// The decisions are pure (the top half); the client I/O is reproduceThroughMcp at the bottom.
import { item, type ChecklistItem, type PhaseContext } from '../../src/engine/phases.js';
import { redact } from '../../src/config/redact.js';
import { toolAccess, type McpClient, type RemoteTool } from '../../src/integrations/mcp-client.js';
import { claimsSuccess, objectsOf, saysNoRow, toolsTheTicketNames, words } from '../../src/integrations/mcp-ticket.js';
import type { RowCheck } from '../../src/integrations/mcp-rows.js';
import type { SourceFile } from '../shared/project-files.js';
import type { RootCause } from './root-cause.js';

export { objectsOf, toolsTheTicketNames };

export interface CallSite {
  name: string;
  /** path:line of each call. */
  at: string[];
}

const CALL = [/\b(?:callTool|executeTool|invokeTool|runTool|useTool)\s*\(\s*(?:\{\s*name\s*:\s*)?['"`]([a-z][a-z0-9_]+)['"`]/g, /\btool\s*:\s*['"`]([a-z][a-z0-9_]+)['"`]/g];

/** The tools the project's code calls by name, with where. */
export function toolCallsIn(files: readonly Pick<SourceFile, 'path' | 'content'>[]): CallSite[] {
  const sites = new Map<string, string[]>();
  for (const f of files) {
    const lines = f.content.split('\n');
    lines.forEach((line, i) => {
      for (const re of CALL) {
        for (const m of line.matchAll(re)) {
          const at = sites.get(m[1]!) ?? [];
          at.push(`${f.path}:${i + 1}`);
          sites.set(m[1]!, at);
        }
      }
    });
  }
  return [...sites].map(([name, at]) => ({ name, at })).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The read tools to call: those about what the ticket (or a tool it names) is about, callable
 * without arguments (no required input), at most `max`.
 */
export function readToolsToCall(ticketText: string, tools: readonly RemoteTool[], named: readonly string[], max = 3): RemoteTool[] {
  const about = new Set([...words(ticketText), ...named.flatMap(objectsOf)]);
  return tools
    .filter((t) => toolAccess(t) === 'read')
    .filter((t) => objectsOf(t.name).some((o) => about.has(o)))
    .filter((t) => !((t.inputSchema as { required?: unknown[] } | undefined)?.required?.length))
    .slice(0, max);
}

export interface ListFinding {
  tool: string;
  registered: boolean;
  at: string[];
  text: string;
}

/** tools/list against the code: every tool called but not registered, and the registered ones the ticket names. */
export function listFindings(calls: readonly CallSite[], listed: readonly RemoteTool[], named: readonly string[], where: string): ListFinding[] {
  const byName = new Map(listed.map((t) => [t.name, t]));
  const out: ListFinding[] = [];
  for (const c of calls) {
    const tool = byName.get(c.name);
    const sites = c.at.slice(0, 3).join(', ');
    if (!tool) {
      out.push({ tool: c.name, registered: false, at: c.at, text: `tools/list of ${where}: ${c.name} (called at ${sites}) is not registered; the server lists ${listed.length} tool${listed.length === 1 ? '' : 's'}` });
    } else if (named.includes(c.name)) {
      out.push({ tool: c.name, registered: true, at: c.at, text: `tools/list of ${where}: ${c.name} (called at ${sites}) is registered, input ${schemaLine(tool.inputSchema)}` });
    }
  }
  return out;
}

/** `{name: string (required), notes: string}` from a JSON Schema object. */
export function schemaLine(schema: Record<string, unknown> | undefined): string {
  const props = (schema?.properties ?? {}) as Record<string, { type?: unknown }>;
  const required = new Set((schema?.required as string[] | undefined) ?? []);
  const parts = Object.entries(props).map(([k, p]) => `${k}: ${typeof p.type === 'string' ? p.type : 'any'}${required.has(k) ? ' (required)' : ''}`);
  return `{${parts.join(', ')}}`;
}

/** What a response shows, in a few words: "0 rows", "2 rows", "an object (id, name)". */
export function whatItShows(value: unknown): string {
  const rows = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value as object).find(Array.isArray) : undefined;
  if (Array.isArray(rows)) return rows.length === 0 ? 'no rows' : `${rows.length} row${rows.length === 1 ? '' : 's'}`;
  if (value && typeof value === 'object') return `an object (${Object.keys(value as object).slice(0, 6).join(', ')})`;
  return value === null || value === undefined || value === '' ? 'nothing' : `"${String(value).slice(0, 60)}"`;
}

export interface ToolCallRecord {
  tool: string;
  request: Record<string, unknown>;
  response?: unknown;
  error?: string;
  shows: string;
}

/** The write tool a "success without a row" ticket names: called and its row looked for, or why not. */
export type WriteCheck = { status: 'checked'; check: RowCheck } | { status: 'skipped'; tool: string | null; reason: string };

export type McpEvidence =
  | { status: 'skipped'; reason: string }
  | { status: 'gathered'; where: string; protocol: string; tools: number; findings: ListFinding[]; calls: ToolCallRecord[]; write?: WriteCheck };

/** The checklist rows: what tools/list and the calls showed, or why this was skipped. */
export function evidenceItems(e: McpEvidence): ChecklistItem[] {
  if (e.status === 'skipped') return [item('Reproduced through the MCP server', false, `skipped: ${e.reason}`)];
  const items = [
    item(
      'Checked the tools the code calls against tools/list',
      e.findings.every((f) => f.registered),
      e.findings.length ? e.findings.map((f) => f.text).join('; ') : `${e.where} (${e.protocol}) lists ${e.tools} tools; none the ticket is about is missing`,
    ),
  ];
  if (e.calls.length) items.push(item('Called the read tools the symptom involves', e.calls.every((c) => !c.error), e.calls.map(callLine).join('; ')));
  if (e.write) {
    const w = e.write;
    const label = 'Called the write tool the symptom names and looked for its row';
    items.push(w.status === 'checked' ? item(label, w.check.outcome === 'no-row' || w.check.outcome === 'row-found', w.check.outcome === 'row-found' ? `not reproduced: ${w.check.text}` : w.check.text) : item(label, false, `skipped: ${w.reason}`));
  }
  return items;
}

export function callLine(c: ToolCallRecord): string {
  const req = JSON.stringify(c.request);
  if (c.error) return `${c.tool} ${req} failed: ${c.error}`;
  return `${c.tool} ${req} -> ${redact(JSON.stringify(c.response) ?? 'undefined').slice(0, 300)} (${c.shows})`;
}

/** The server's answer is one more independent signal: root-cause.ts's step of 15, capped at 99 (never lowered). */
const corroborated = (confidence: number) => Math.max(confidence, Math.min(99, confidence + 15));

/**
 * Adds the server's word to the root causes it bears on (a missing MCP tool the server lacks too,
 * the missing row to a cause about its table or tool); each so corroborated gains confidence.
 */
export function attachToCauses(e: McpEvidence, causes: RootCause[]): void {
  if (e.status !== 'gathered') return;
  const w = e.write?.status === 'checked' && e.write.check.outcome === 'no-row' ? e.write.check : null;
  for (const c of causes) {
    const f = e.findings.find((x) => x.tool === c.subject && !x.registered);
    const found = f && c.fix === 'mcp-tool' ? f.text : null;
    const row = w && w.table && (c.subject.replace(/^public\./, '') === w.table || c.subject === w.tool) ? w.text : null;
    for (const text of [found, row]) if (text && !c.evidence.includes(text)) c.evidence.push(text);
    if (found || row) c.confidence = corroborated(c.confidence);
  }
}

export interface ToolDefinition {
  path: string;
  /** 1-based lines of the registration and the last line of its handler. */
  line: number;
  end: number;
  body: string;
}

const escaped = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// What starts a tool's handler in the server's code: registerTool('x', server.tool('x', case 'x':, a map entry x: async (…) =>.
function definitionOf(name: string): RegExp {
  const q = `['"\`]${escaped(name)}['"\`]`;
  return new RegExp(`(?:registerTool|\\.tool)\\(\\s*${q}|\\bcase\\s+${q}\\s*:|^\\s*(?:${q}|${escaped(name)})\\s*:\\s*(?:async\\b|function\\b|\\()`);
}
const ANY_DEFINITION = /(?:registerTool|\.tool)\(\s*['"`]|\bcase\s+['"`]/;

/** Where the project registers a tool, with its handler's lines (up to the next tool's). Null when no file does. */
export function toolDefinitionIn(files: readonly Pick<SourceFile, 'path' | 'content'>[], tool: string): ToolDefinition | null {
  const def = definitionOf(tool);
  for (const f of files) {
    if (/\.(test|spec)\.[cm]?[jt]sx?$/.test(f.path)) continue;
    const lines = f.content.split('\n');
    const at = lines.findIndex((l) => def.test(l) && !/\b(?:callTool|executeTool|invokeTool|runTool|useTool)\b/.test(l));
    if (at < 0) continue;
    let end = at + 1;
    while (end < lines.length && end - at < 80 && !ANY_DEFINITION.test(lines[end]!)) end++;
    while (end > at + 1 && !lines[end - 1]!.trim()) end--;
    return { path: f.path, line: at + 1, end, body: lines.slice(at, end).join('\n') };
  }
  return null;
}

/** Whether code writes a table: supabase-js's from('t')…insert/upsert, or SQL's INSERT INTO t. */
export function writesTable(code: string, table: string): boolean {
  const t = table.replace(/[^A-Za-z0-9_]/g, '');
  return new RegExp(`from\\(\\s*['"\`](?:public\\.)?${t}['"\`]\\s*\\)[\\s\\S]{0,300}?\\.(?:insert|upsert)\\s*\\(`).test(code) || new RegExp(`insert\\s+into\\s+(?:"?public"?\\.)?"?${t}"?(?![A-Za-z0-9_])`, 'i').test(code);
}

/**
 * A "success without a row" ticket reproduced through the server is a root cause of its own: the
 * call answered success and the row is not there (one signal), the project's code registers the
 * tool (its handler located: two), and that handler writes nothing to the table (three: what,
 * where and why). Confidence on root-cause.ts's scale, the ticket naming the tool as its relevance.
 * Null when the reproduction did not show the symptom.
 */
export function noRowCause(e: McpEvidence, files: readonly Pick<SourceFile, 'path' | 'content'>[]): RootCause | null {
  if (e.status !== 'gathered' || e.write?.status !== 'checked') return null;
  const check = e.write.check;
  if (check.outcome !== 'no-row' || !check.table || !claimsSuccess(check.response)) return null;
  const def = toolDefinitionIn(files, check.tool);
  const writes = def ? writesTable(def.body, check.table) : null;
  const signals = 1 + (def ? 1 : 0) + (def && !writes ? 1 : 0);
  const confidence = Math.min(99, 60 + Math.min(signals - 1, 2) * 15 + 10 + (signals >= 3 ? 5 : 0));
  const table = `public.${check.table}`;
  const where = def ? `${def.path}:${def.line}` : null;
  // No " (" in the summary: the understand gate shows it up to the first one.
  const summary = !def
    ? `${check.tool} answers success without saving its row in ${table}; no file of this project registers ${check.tool}`
    : writes
      ? `${check.tool} answers success without saving its row in ${table}; its handler at ${where} writes ${check.table}, so what stops the row is not located offline`
      : `${check.tool} answers success without saving its row: its handler at ${where} never inserts into ${table}`;
  return {
    id: `mcp-no-row:${check.tool}`,
    summary,
    fix: 'logic',
    subject: def?.path ?? check.tool,
    evidence: [
      `the ticket names ${check.tool}`,
      check.text,
      def ? `${where}: registers ${check.tool}; its handler (lines ${def.line}-${def.end}) ${writes ? `writes ${check.table}` : `has no insert into ${check.table}`}` : `no file of the project registers ${check.tool} (looked for registerTool, .tool(, case and handler-map entries)`,
    ],
    confidence,
  };
}

/** What unblocks a reproduced missing row that is not understood enough: where the handler is, or why it saves nothing. */
export function noRowUnblock(c: RootCause, ticketId: string, command: 'analyze' | 'fix' = 'analyze'): string | null {
  if (!c.id.startsWith('mcp-no-row:') || c.confidence >= 99) return null;
  const tool = c.id.slice('mcp-no-row:'.length);
  return c.subject === tool
    ? `run it in the project that holds the MCP server's code, where ${tool} is registered (\`agent ${command} ticket ${ticketId} --project <dir>\`)`
    : `\`agent ${command} ticket ${ticketId} --model\` (with ANTHROPIC_API_KEY) lets the model read ${c.subject} and find what stops the row`;
}

/** The server's causes beside the analyzers': corroborated ones gain confidence, a reproduced missing row is added; strongest first. */
export function withMcpEvidence(e: McpEvidence, causes: readonly RootCause[], files: readonly Pick<SourceFile, 'path' | 'content'>[]): RootCause[] {
  const out = causes.map((c) => ({ ...c, evidence: [...c.evidence] }));
  attachToCauses(e, out);
  const noRow = noRowCause(e, files);
  if (noRow && !out.some((c) => c.id === noRow.id)) out.push(noRow);
  return out.sort((a, b) => b.confidence - a.confidence);
}

/**
 * A ticket about a tool whose reproduction was skipped: what is missing (said in the blocked gate)
 * and what unblocks it (configuring the server lets BugHunter call it). Null when the reproduction
 * ran, or the ticket is about no tool.
 */
export function reproductionGap(e: McpEvidence, ticketText: string, calls: readonly CallSite[]): { missing: string; unblock: string } | null {
  if (e.status !== 'skipped') return null;
  const aboutTool = saysNoRow(ticketText) || calls.some((c) => ticketText.toLowerCase().includes(c.name)) || /\b[a-z]+_[a-z0-9_]+\b/.test(ticketText);
  if (!aboutTool) return null;
  if (/^no MCP server is configured/.test(e.reason)) {
    return { missing: 'not reproduced: no MCP server is configured', unblock: 'set environments.staging.mcp (or mcp.server / mcp.url) in agent.config.json so BugHunter reproduces it through your MCP server (`agent health` checks it)' };
  }
  return { missing: `not reproduced: ${e.reason.slice(0, 200)}`, unblock: 'make the MCP server answer (`agent health` checks it) so BugHunter reproduces it' };
}

// ── I/O: the client ─────────────────────────────────────────────────────────────────────────────

/** Lists the server's tools and calls the relevant read tools; never throws (a failure is evidence too). */
export async function reproduceThroughMcp(
  ctx: Pick<PhaseContext, 'config' | 'signal' | 'log'>,
  input: { root: string; ticketText: string; files: readonly Pick<SourceFile, 'path' | 'content'>[] },
): Promise<McpEvidence> {
  const [{ connectMcp, mcpTarget, environmentMcpTarget, NOT_CONFIGURED }, { loadSecrets }] = await Promise.all([import('../../src/integrations/mcp-client.js'), import('../../src/config/secrets.js')]);
  const secrets = loadSecrets(input.root);
  // The admin's server (mcp.server / mcp.url), else staging's own.
  const main = mcpTarget(ctx.config, secrets, input.root);
  const target = main ?? environmentMcpTarget(ctx.config, secrets, 'staging', input.root);
  const isStaging = !main && target !== null;
  if (!target) {
    const reason = `no MCP server is configured (${NOT_CONFIGURED})`;
    ctx.log('info', `Reproduction through the MCP server skipped: ${reason}`);
    return { status: 'skipped', reason };
  }
  let client;
  try {
    client = await connectMcp(target, { signal: ctx.signal, timeoutMs: ctx.config.network.timeoutMs });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const reason = `the MCP server did not connect: ${(err as Error).message}`;
    ctx.log('warn', `Reproduction through the MCP server skipped: ${reason}`);
    return { status: 'skipped', reason };
  }
  try {
    const tools = await client.listTools();
    const calls = toolCallsIn(input.files);
    const named = toolsTheTicketNames(input.ticketText, [...new Set([...tools.map((t) => t.name), ...calls.map((c) => c.name)])]);
    const findings = listFindings(calls, tools, named, client.where);
    ctx.log('info', `MCP tools/list of ${client.where} (${client.protocol}): ${tools.length} tools`, { mcp: { where: client.where, tools: tools.map((t) => t.name) } });
    for (const f of findings) ctx.log(f.registered ? 'info' : 'warn', f.text, { mcp: { tool: f.tool, registered: f.registered } });
    const records: ToolCallRecord[] = [];
    for (const tool of readToolsToCall(input.ticketText, tools, named)) {
      const request = {};
      try {
        const response = await client.callTool(tool.name, request);
        records.push({ tool: tool.name, request, response, shows: whatItShows(response) });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        records.push({ tool: tool.name, request, error: (err as Error).message, shows: 'an error' });
      }
      ctx.log('info', `MCP call ${callLine(records.at(-1)!)}`, { mcp: { tool: tool.name, request } });
    }
    const write = await reproduceMissingRow(ctx, input, client, tools, isStaging ? 'staging' : 'production', secrets, environmentMcpTarget(ctx.config, secrets, 'staging', input.root), connectMcp);
    if (write) ctx.log(write.status === 'checked' ? (write.check.outcome === 'no-row' ? 'warn' : 'info') : 'info', write.status === 'checked' ? `MCP call ${write.check.text}` : `The write tool's call was skipped: ${write.reason}`, { mcp: { write: write.status } });
    return { status: 'gathered', where: client.where, protocol: client.protocol, tools: tools.length, findings, calls: records, ...(write ? { write } : {}) };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const reason = `the MCP server failed: ${(err as Error).message}`;
    ctx.log('warn', `Reproduction through the MCP server incomplete: ${reason}`);
    return { status: 'skipped', reason };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * A ticket about a write tool answering success without a row: the tool it names (with its example
 * arguments) called once where the policy lets it run unattended, and the row looked for. Null when
 * the ticket's symptom is not that. Never throws for the server's or the database's failures.
 */
async function reproduceMissingRow(
  ctx: Pick<PhaseContext, 'config' | 'signal'>,
  input: { ticketText: string },
  client: McpClient,
  tools: readonly RemoteTool[],
  env: 'staging' | 'production',
  secrets: import('../../src/config/secrets.js').Secrets,
  staging: import('../../src/integrations/mcp-client.js').McpTarget | null,
  connect: typeof import('../../src/integrations/mcp-client.js').connectMcp,
): Promise<WriteCheck | null> {
  const [{ exampleArgs, saysNoRow, writeToolsNamed }, { callAndCheckRow, mayCallUnattended, openRows, supabaseFor }] = await Promise.all([
    import('../../src/integrations/mcp-ticket.js'),
    import('../../src/integrations/mcp-rows.js'),
  ]);
  if (!saysNoRow(input.ticketText)) return null;
  const named = writeToolsNamed(input.ticketText, tools, toolAccess);
  if (!named.length) return null;
  const pick = named.map((tool) => ({ tool, args: exampleArgs(input.ticketText, tool.name) })).find((x) => x.args) ?? { tool: named[0]!, args: null };
  const { tool, args } = pick;
  if (!args) return { status: 'skipped', tool: tool.name, reason: `the ticket gives no example arguments for ${tool.name} (as JSON after its name, e.g. ${tool.name} {"name":"Ada"})` };
  // A write runs on staging's own server when there is one; the admin's server counts as production.
  let server = client;
  let where: 'staging' | 'production' = env;
  let own: McpClient | null = null;
  try {
    if (env === 'production' && staging) {
      own = await connect(staging, { signal: ctx.signal, timeoutMs: ctx.config.network.timeoutMs });
      const onStaging = (await own.listTools()).find((t) => t.name === tool.name);
      if (!onStaging) return { status: 'skipped', tool: tool.name, reason: `staging's MCP server (${own.where}) has no tool ${tool.name}; it is not called on production without the admin's approval` };
      server = own;
      where = 'staging';
    }
    const allowed = mayCallUnattended(tool, where, ctx.config, server.where, args);
    if (!allowed.ok) return { status: 'skipped', tool: tool.name, reason: allowed.reason };
    const creds = supabaseFor(ctx.config, secrets, where);
    if ('reason' in creds) return { status: 'skipped', tool: tool.name, reason: `its row cannot be looked for: ${creds.reason}` };
    const rows = await openRows(creds, { signal: ctx.signal, timeoutMs: ctx.config.network.timeoutMs });
    return { status: 'checked', check: await callAndCheckRow(server, rows, tool, args, where) };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { status: 'skipped', tool: tool.name, reason: `the check could not finish: ${(err as Error).message}` };
  } finally {
    await own?.close().catch(() => undefined);
  }
}
