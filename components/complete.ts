// Tab completion for the dashboard prompt, generated from the registry: command words, flags and
// their values, and the ids an argument takes (tickets, approvals, agents). Pure.
import type { CommandDef } from '../src/commands/types.js';
import { findCommand } from '../src/commands/lookup.js';

export interface CompletionSources {
  tickets: readonly string[];
  approvals: readonly string[];
  agents: readonly string[];
}

export interface Completion {
  /** The prompt text after completion (unchanged when nothing fits). */
  value: string;
  /** What fits at the cursor; more than one when the choice is the admin's. */
  candidates: string[];
}

const TICKET_LIKE = /^(BUG|FEAT|MIG|OPS)(-|$)/i;
/** Flags that make sense in the dashboard (no --json, no --project). */
const DASHBOARD_GLOBALS = ['--verbose', '--help'];

function commonPrefix(words: readonly string[]): string {
  if (!words.length) return '';
  let p = words[0]!;
  for (const w of words) {
    let i = 0;
    while (i < p.length && i < w.length && p[i]!.toLowerCase() === w[i]!.toLowerCase()) i++;
    p = p.slice(0, i);
  }
  return p;
}

function apply(line: string, current: string, candidates: string[]): Completion {
  const unique = [...new Set(candidates)];
  if (!unique.length) return { value: line, candidates: [] };
  const head = line.slice(0, line.length - current.length);
  if (unique.length === 1) return { value: `${head}${unique[0]} `, candidates: unique };
  const prefix = commonPrefix(unique);
  return { value: prefix.length > current.length ? head + prefix : line, candidates: unique };
}

const startsWith = (word: string, prefix: string) => word.toLowerCase().startsWith(prefix.toLowerCase());

export function complete(line: string, commands: readonly CommandDef[], src: CompletionSources): Completion {
  // Inside an open quote the admin is writing prose: nothing to complete.
  if ((line.match(/"/g)?.length ?? 0) % 2 === 1 || (line.match(/'/g)?.length ?? 0) % 2 === 1) return { value: line, candidates: [] };
  const words = line.trimStart().split(/\s+/);
  const current = /\s$/.test(line) || line.trim() === '' ? '' : words.pop()!;
  let before = words.filter(Boolean);
  if (before[0]?.toLowerCase() === '@agent') before = before.slice(1);
  const visible = commands.filter((c) => !c.hidden);
  const lower = before.map((w) => w.toLowerCase());

  // Command words: the next word of every command whose name begins with what was typed; when only
  // one command fits, its whole name.
  const fitting = visible
    .map((c) => c.name.split(' '))
    .filter((name) => name.length > lower.length && lower.every((w, i) => name[i] === w) && startsWith(name[lower.length]!, current));
  const exact = findCommand(before, visible);
  if (fitting.length && !(exact && exact.wordCount === before.length && current.startsWith('-'))) {
    if (fitting.length === 1) return apply(line, current, [fitting[0]!.slice(lower.length).join(' ')]);
    // A finished command word that is also the start of longer names ("ticket" / "tickets"): offer both.
    return apply(line, current, fitting.map((name) => name[lower.length]!));
  }
  const match = exact;
  if (!match) return apply(line, current, TICKET_LIKE.test(current) ? src.tickets.filter((t) => startsWith(t, current)) : []);
  const def = match.def;
  const rest = before.slice(match.wordCount);
  const flags = def.flags ?? [];

  if (current.startsWith('-')) {
    const names = [...flags.map((f) => `--${f.name}`), ...DASHBOARD_GLOBALS];
    return apply(line, current, names.filter((n) => startsWith(n, current)));
  }
  const prev = rest[rest.length - 1];
  const prevFlag = prev?.startsWith('--') ? flags.find((f) => f.name === prev.slice(2)) : undefined;
  if (prevFlag && prevFlag.type === 'string') {
    return apply(line, current, (prevFlag.values ?? []).filter((v) => startsWith(v, current)));
  }
  // Which positional argument the cursor is on: words after the name, minus flags and their values.
  let index = 0;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w.startsWith('-')) {
      const f = flags.find((x) => x.name === w.replace(/^-+/, '').split('=')[0]);
      if (f?.type === 'string' && !w.includes('=')) i++;
      continue;
    }
    index++;
  }
  const args = def.args ?? [];
  const spec = args[index] ?? (args[args.length - 1]?.variadic ? args[args.length - 1] : undefined);
  let pool: readonly string[] = [];
  if (spec?.complete === 'ticket') pool = src.tickets;
  else if (spec?.complete === 'approval') pool = [...src.approvals, ...src.tickets];
  else if (spec?.complete === 'agent') pool = [...src.agents, ...src.tickets];
  else if (Array.isArray(spec?.complete)) pool = spec.complete as readonly string[];
  else if (TICKET_LIKE.test(current)) pool = src.tickets;
  return apply(line, current, pool.filter((w) => startsWith(w, current)));
}
