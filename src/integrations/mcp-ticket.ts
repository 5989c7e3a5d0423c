// What a ticket says about the admin's MCP tools (issue 18), decided without I/O: the tools it
// names, the example arguments it gives one, whether its symptom is "success, but no row", the
// table such a row would be in, and how to find the row a tool's answer claims. BugHunter and
// StageAgent both read tickets this way (src/integrations/mcp-rows.ts does the calls).
import type { RemoteTool } from './mcp-client.js';

export const words = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 2)
    .map((w) => w.replace(/(?<=[^s])s$/, ''));

const VERBS = new Set(['list', 'get', 'search', 'create', 'update', 'delete', 'add', 'remove', 'send', 'set', 'find', 'fetch', 'via', 'insert', 'save', 'upsert', 'log', 'record', 'new']);

/** The tools a ticket is about: it names them (`create_customer`), or all their words (`create a customer`). */
export function toolsTheTicketNames(ticketText: string, names: readonly string[]): string[] {
  const lower = ticketText.toLowerCase();
  const said = new Set(words(ticketText));
  return names.filter((n) => lower.includes(n.toLowerCase()) || words(n).every((w) => said.has(w)));
}

/** What a tool acts on: its name without the verbs (`list_customers` -> customer). */
export const objectsOf = (name: string) => words(name).filter((w) => !VERBS.has(w));

/**
 * The example arguments a ticket gives a tool: the first JSON object written after the tool's name
 * (`create_customer {"name":"Ada"} says ok`). Null when the ticket gives none, or not as JSON.
 */
export function exampleArgs(ticketText: string, tool: string): Record<string, unknown> | null {
  const lower = ticketText.toLowerCase();
  for (let at = lower.indexOf(tool.toLowerCase()); at >= 0; at = lower.indexOf(tool.toLowerCase(), at + 1)) {
    const open = ticketText.indexOf('{', at + tool.length);
    if (open < 0) return null;
    // Only an object close after the name (the same sentence) is this tool's.
    if (/[.!?\n]\s/.test(ticketText.slice(at + tool.length, open)) || open - (at + tool.length) > 40) continue;
    const end = objectEnd(ticketText, open);
    if (end < 0) continue;
    try {
      const v = JSON.parse(ticketText.slice(open, end + 1)) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* not JSON: look further */
    }
  }
  return null;
}

/** The index of the `}` closing the object opened at `open` (strings respected); -1 when it never closes. */
function objectEnd(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** "answers success but no row is saved", "says ok, yet the customer never appears": a write that leaves nothing. */
export function saysNoRow(ticketText: string): boolean {
  return /\b(?:no|not|never|nothing|missing|without|isn't|wasn't|doesn't|didn't)\b[^.;\n]{0,60}?\b(?:rows?|records?|saved|stored|persist\w*|inserted|written|appears?|shows? up|created)\b/i.test(ticketText);
}

/** A noun's plural the way table names are written (customer -> customers, company -> companies). */
export function plural(noun: string): string {
  if (/[^aeiou]y$/.test(noun)) return `${noun.slice(0, -1)}ies`;
  if (/(?:s|x|z|ch|sh)$/.test(noun)) return `${noun}es`;
  return `${noun}s`;
}

/** The tables a write tool's row may be in, likeliest first: create_customer_note -> customer_notes, customer_note, notes, note. */
export function tablesFor(toolName: string): string[] {
  const objects = objectsOf(toolName);
  if (!objects.length) return [];
  const joined = objects.join('_');
  const last = objects.at(-1)!;
  return [...new Set([`${objects.slice(0, -1).concat(plural(last)).join('_')}`, joined, plural(last), last])];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The id of the row a tool's answer names: `{id}`, or one level down (`{data: {id}}`, `{customer: {id}}`). */
export function idIn(response: unknown): string | number | null {
  const idOf = (o: Json) => (typeof o.id === 'string' || typeof o.id === 'number' ? o.id : null);
  if (!isObject(response)) return null;
  const top = idOf(response);
  if (top !== null) return top;
  for (const v of Object.values(response)) {
    if (isObject(v) && idOf(v) !== null) return idOf(v);
    if (Array.isArray(v) && v.length === 1 && isObject(v[0]) && idOf(v[0]) !== null) return idOf(v[0]);
  }
  return null;
}

/** Whether a tool's answer claims success (it failed neither as a tool error nor in its own words). */
export function claimsSuccess(response: unknown): boolean {
  if (!isObject(response)) return response !== null && response !== undefined && !/\b(?:error|failed|denied)\b/i.test(String(response));
  return response.ok !== false && response.success !== false && response.error == null && response.status !== 'error';
}

/** The arguments that can match a column: strings, numbers and booleans. */
export function scalarArgs(args: Json): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(args)) if ((typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) out[k] = v;
  return out;
}

/** The write tools (not read-only) a ticket names, among a server's tools. */
export function writeToolsNamed(ticketText: string, tools: readonly RemoteTool[], access: (t: RemoteTool) => string): RemoteTool[] {
  const named = new Set(toolsTheTicketNames(ticketText, tools.map((t) => t.name)));
  return tools.filter((t) => named.has(t.name) && access(t) !== 'read');
}
