// argv -> which command, with what input. Pure: no I/O, errors are UsageErrors (exit 2).
import { UsageError } from '../errors.js';
import type { CommandDef, FlagSpec } from '../commands/types.js';
import { findCommand, suggestCommands } from '../commands/lookup.js';
import { editDistance, suggest } from '../commands/fuzzy.js';
import { printable } from './printable.js';

export interface GlobalFlags {
  json: boolean;
  project?: string;
  color?: boolean;
  verbose: boolean;
  /** issue 18: model mode for this run (otherwise llm.enabled decides). */
  model?: boolean;
}

export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'json', type: 'boolean', description: 'Print NDJSON events and a final result object' },
  { name: 'project', type: 'string', placeholder: 'DIR', description: 'The target project (default: the git repository around the current directory)' },
  { name: 'no-color', type: 'boolean', description: 'No colour (also: NO_COLOR=1)' },
  { name: 'verbose', type: 'boolean', short: 'v', description: 'Also show debug events (phases, gates)' },
  { name: 'help', type: 'boolean', short: 'h', description: 'Show help for a command' },
  { name: 'model', type: 'boolean', description: 'Let Claude reason for the agents in this run (ANTHROPIC_API_KEY; default: llm.enabled in agent.config.json)' },
];

export type Parsed =
  | { type: 'version' }
  | { type: 'help'; topic: string[]; globals: GlobalFlags }
  | { type: 'command'; def: CommandDef; input: Record<string, unknown>; globals: GlobalFlags; words: string[] }
  | { type: 'text'; text: string; globals: GlobalFlags };

/**
 * Splits one string the way a shell would (quotes, backslashes); used for "@agent ..." lines and
 * the dashboard's prompt. One exception, for sentences: an apostrophe inside a word that a shell
 * would leave unclosed is a letter ("Here's the ticket: AI-EST-142").
 */
export function splitWords(line: string): string[] {
  const shell = splitShell(line, new Set());
  if (shell.words) return shell.words;
  if (shell.unclosed === "'") {
    const inWord = new Set<number>();
    for (let i = 1; i < line.length - 1; i++) if (line[i] === "'" && /\p{L}/u.test(line[i - 1]!) && /\p{L}/u.test(line[i + 1]!)) inWord.add(i);
    const again = splitShell(line, inWord);
    if (again.words) return again.words;
  }
  throw new UsageError(`unclosed ${shell.unclosed} quote in: ${printable(line)}`);
}

/** Shell word splitting; `letters` are positions of apostrophes that count as letters. */
function splitShell(line: string, letters: ReadonlySet<number>): { words: string[]; unclosed?: undefined } | { words?: undefined; unclosed: '"' | "'" } {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (letters.has(i)) {
      cur += ch;
      has = true;
    } else if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (cur || has) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) return { unclosed: quote };
  if (cur || has) words.push(cur);
  return { words };
}

/** Accepts `@agent` as a first word and one quoted "@agent …" line. */
export function normalizeArgv(argv: readonly string[]): string[] {
  let words = [...argv];
  if (words.length === 1 && /^@agent\s/i.test(words[0]!)) words = splitWords(words[0]!);
  if (words[0]?.toLowerCase() === '@agent') words = words.slice(1);
  else if (words[0]?.toLowerCase().startsWith('@agent ')) words = [...splitWords(words[0]!).slice(1), ...words.slice(1)];
  return words;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const isFlag = (w: string) => w.startsWith('-') && w !== '-' && !/^-\d/.test(w);

export function parseArgv(argv: readonly string[], commands: readonly CommandDef[]): Parsed {
  let words = normalizeArgv(argv);
  const globals: GlobalFlags = { json: false, verbose: false };
  const input: Record<string, unknown> = {};
  let help = false;
  let version = false;

  // Pass 1: the command words are the positionals before the first command flag. Global flags
  // may come anywhere, so they are recognised here already.
  const lead: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (!isFlag(w)) {
      // `--project DIR @agent status`: the command words begin here, so `@agent` may lead them too.
      if (lead.length === 0 && /^@agent(\s|$)/i.test(w)) {
        words = [...words.slice(0, i), ...splitWords(w).slice(1), ...words.slice(i + 1)];
        i--;
        continue;
      }
      lead.push(w);
      continue;
    }
    const g = takeGlobal(words, i, globals);
    if (g === null) break;
    if (g.help) help = true;
    if (g.version) version = true;
    i = g.next;
  }
  if (version && lead.length === 0) return { type: 'version' };
  const match = findCommand(lead, commands);

  // Pass 2: everything after the command words, with the command's own flags known.
  const positional = match ? lead.slice(match.wordCount) : [...lead];
  const specs = match?.def.flags ?? [];
  let onlyPositional = false;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (onlyPositional || !isFlag(w)) {
      positional.push(w);
      continue;
    }
    if (w === '--') {
      onlyPositional = true;
      continue;
    }
    const g = takeGlobal(words, i, globals);
    if (g !== null) {
      if (g.help) help = true;
      i = g.next;
      continue;
    }
    const { name, inline, given } = splitFlag(w);
    const spec = specs.find((s) => s.name === name || s.short === name);
    if (!spec) {
      const where = match ? `\`agent ${match.def.name}\`` : 'agent';
      const all = [...specs, ...GLOBAL_FLAGS];
      const close = suggest(name, all.map((s) => s.name));
      const known = all.filter((s) => s.name !== 'help').map((s) => `--${s.name}`);
      throw new UsageError(`unknown flag ${printable(given)} for ${where}${close ? `; did you mean --${close}?` : `; known flags: ${known.join(', ')}`}`);
    }
    const taken = flagValue(spec, inline, words[i + 1]);
    if (taken.consumedNext) i++;
    input[camel(spec.name)] = taken.value;
  }

  if (help || positional[0] === 'help' || lead[0] === 'help') {
    const topic = lead[0] === 'help' ? [...lead.slice(1)] : match ? match.def.name.split(' ') : lead;
    return { type: 'help', topic, globals };
  }
  if (!match) {
    if (lead.length === 0) return { type: 'help', topic: [], globals };
    // One or two words that are not a command: a typo, not a sentence.
    const wordCount = positional.join(' ').trim().split(/\s+/).length;
    if (wordCount <= 2 && !positional.join(' ').includes('?') && !namesACommand(positional, commands)) {
      const near = suggestCommands(positional.join(' '), commands);
      throw new UsageError(
        `unknown command "${printable(positional.join(' '))}"${near.length ? `; did you mean \`agent ${near[0]}\`?` : ''} (see \`agent --help\`)`,
      );
    }
    return { type: 'text', text: positional.join(' '), globals };
  }
  const def = match.def;
  const args = def.args ?? [];
  const sibling = misspeltSibling(def, positional, commands);
  if (sibling) throw new UsageError(`"${def.name} ${printable(positional[0]!)}" looks like a typo; did you mean \`agent ${sibling}\`? (a ${args[0]!.name} of one word is not taken)`);
  for (let a = 0; a < args.length; a++) {
    const spec = args[a]!;
    if (spec.variadic) {
      const value = positional.slice(a).join(' ').trim();
      if (value) input[camel(spec.name)] = value;
      positional.length = a;
      break;
    }
    if (positional[a] !== undefined) input[camel(spec.name)] = positional[a];
  }
  const extra = positional.slice(args.length);
  if (extra.length) {
    throw new UsageError(`\`agent ${def.name}\` takes ${args.length ? args.map((a) => `<${a.name}>`).join(' ') : 'no arguments'}; unexpected "${printable(extra.join(' '))}"`);
  }
  for (const spec of args) {
    const v = input[camel(spec.name)];
    if (spec.required && (v === undefined || v === '')) {
      throw new UsageError(`\`agent ${def.name}\` needs <${spec.name}> (${spec.description}); usage: ${usageLine(def)}`);
    }
  }
  return { type: 'command', def, input, globals, words: [...def.name.split(' '), ...positional] };
}

/**
 * `migrate statu`: one word after a command whose words run on (`migrate <change>`), a typo of a
 * sibling command's next word (`migrate status`), is that command misspelt, not a description.
 */
function misspeltSibling(def: CommandDef, positional: readonly string[], commands: readonly CommandDef[]): string | null {
  if (positional.length !== 1 || !def.args?.[0]?.variadic) return null;
  const typed = positional[0]!.toLowerCase();
  for (const c of commands) {
    if (c.hidden || !c.name.startsWith(def.name + ' ')) continue;
    const next = c.name.slice(def.name.length + 1).split(' ')[0]!;
    const d = editDistance(typed, next);
    if (d >= 1 && d <= 2) return c.name;
  }
  return null;
}

/** "check health", "show metrics": short text with a command's own word in it is for the router. */
function namesACommand(words: readonly string[], commands: readonly CommandDef[]): boolean {
  const typed = words.join(' ').toLowerCase().split(/\s+/);
  return commands.some((c) => !c.hidden && typed.some((w) => c.name.split(' ').includes(w) || (c.keywords ?? []).includes(w)));
}

function splitFlag(w: string): { name: string; inline: string | null; given: string } {
  const body = w.startsWith('--') ? w.slice(2) : w.slice(1);
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq) : body;
  return { name, inline: eq >= 0 ? body.slice(eq + 1) : null, given: (w.startsWith('--') ? '--' : '-') + name };
}

function flagValue(spec: FlagSpec, inline: string | null, next: string | undefined): { value: string | boolean; consumedNext: boolean } {
  if (spec.type === 'boolean') {
    if (inline === null) return { value: true, consumedNext: false };
    if (inline !== 'true' && inline !== 'false') throw new UsageError(`--${spec.name} is a switch; use --${spec.name} or --${spec.name}=false`);
    return { value: inline === 'true', consumedNext: false };
  }
  let value = inline;
  let consumedNext = false;
  if (value === null) {
    if (next === undefined || isFlag(next)) {
      throw new UsageError(`--${spec.name} needs a value${spec.values ? `: one of ${spec.values.join(', ')}` : spec.placeholder ? ` (${spec.placeholder})` : ''}`);
    }
    value = next;
    consumedNext = true;
  }
  if (spec.values && !spec.values.includes(value)) throw new UsageError(`--${spec.name} ${printable(value)}: expected one of ${spec.values.join(', ')}`);
  return { value, consumedNext };
}

/** Consumes a global flag at words[i]; null when the word is not a global flag. */
function takeGlobal(words: readonly string[], i: number, globals: GlobalFlags): { next: number; help?: boolean; version?: boolean } | null {
  const w = words[i]!;
  if (w === '--version' || w === '-V') return { next: i, version: true };
  if (w === '--help' || w === '-h') return { next: i, help: true };
  const { name, inline } = splitFlag(w);
  const spec = GLOBAL_FLAGS.find((s) => s.name === name || s.short === name);
  if (!spec) return null;
  const taken = flagValue(spec, inline, words[i + 1]);
  if (spec.name === 'json') globals.json = taken.value === true;
  else if (spec.name === 'project') globals.project = taken.value as string;
  else if (spec.name === 'no-color') globals.color = taken.value === true ? false : undefined;
  else if (spec.name === 'verbose') globals.verbose = taken.value === true;
  else if (spec.name === 'model') globals.model = taken.value === true;
  else if (spec.name === 'help') return { next: i, help: true };
  return { next: taken.consumedNext ? i + 1 : i };
}

export function usageLine(def: CommandDef): string {
  const args = (def.args ?? []).map((a) => {
    const inner = a.variadic ? `${a.name}...` : a.name;
    return a.required ? `<${inner}>` : `[${inner}]`;
  });
  const flags = (def.flags ?? []).map((f) => (f.type === 'string' ? `[--${f.name} ${f.placeholder ?? f.values?.join('|') ?? 'VALUE'}]` : `[--${f.name}]`));
  return ['agent', def.name, ...args, ...flags].join(' ');
}

