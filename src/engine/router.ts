// Free text that is no command goes here. Pure: text and the registry's metadata in, a verdict
// out. Free text never decides: only a confident match of a command that free text may run
// (see heldBecause) runs; approvals, deploys, rollbacks and the like get the exact command to type,
// words under a negation ("do not approve …") count for nothing, and anything else gets
// "did you mean" suggestions. Every suggestion is exit 2 at the front end.
import type { CommandDef } from '../commands/types.js';
import { printable } from '../cli/printable.js';

export type Route =
  | { type: 'command'; name: string; input: Record<string, unknown>; confidence: number; reason: string }
  | Suggestion;

export type Suggestion =
  /** Unsure which command, or an argument is missing: "did you mean". */
  | { type: 'suggest'; why: 'unclear'; suggestions: string[]; reason: string }
  /** Clear, but free text may not run it: the command to type (one). */
  | { type: 'suggest'; why: 'held'; command: string; suggestions: string[]; reason: string }
  /** The only command words are negated ("do not approve"): nothing to do. */
  | { type: 'suggest'; why: 'negated'; words: string[]; suggestions: string[]; reason: string };

const TICKET_ID = /\b(BUG|FEAT|MIG|OPS)-\d{4}-\d{3,}\b/i;
/** The admin's own tracker's ids ("AI-EST-142"), which `ticket`, `approve` and the rest resolve too. */
const EXTERNAL_REF = /\b(?!(?:APR|RUN|DEPLOY)-)[A-Z][A-Z0-9]{1,9}(?:-[A-Z0-9]{1,9})*-\d{1,6}\b/;
const APPROVAL_ID = /\bAPR-\d+\b/i;
const DEPLOY_ID = /\bDEPLOY-\d+\b/i;
const AGENT_ID = /\b(bughunter|codesmith|migrator|stageagent|testagent)-\d+\b/i;
const STOP = new Set(['the', 'a', 'an', 'to', 'for', 'of', 'me', 'my', 'please', 'i', 'need', 'want', 'can', 'you', 'and', 'on', 'in', 'is', 'it', 'this', 'that', 'with', 'what', 'show', 'give', 'let', 'see']);

/** "not", "no", "never", "don't" (read as "dont"), "won't", "cannot" … */
const NEGATOR = /^(?:not|no|never|nope|cannot|neither|nor|(?:do|does|did|wo|ca|should|must|could|would|need|is|are|was|were|have|has|had)nt)$/;
/** A negation reaches to the end of its clause ("do not under any circumstances purge logs") and no further: "don't deploy, just run the tests". */
const CLAUSE_END = /[,;.!?()[\]{}"]+|\s(?:but|instead|rather|then|just)\s/;

/**
 * Why free text may only suggest this command, or null when it may run it on a confident match.
 * Read from what the definition declares, so a new command is classed without a list to update:
 * taking an approval id means it decides an approval; its risk says whether it changes what runs,
 * deletes or acts in an emergency; a policy means it can need an approval.
 */
export function heldBecause(def: CommandDef): string | null {
  if (def.args?.some((a) => a.complete === 'approval')) return 'it decides an approval';
  if (def.risk === 'deploy') return 'it changes what runs in an environment';
  if (def.risk === 'destructive') return 'it deletes records';
  if (def.risk === 'emergency') return 'it is an emergency action';
  if (def.policy) return `its ${def.policy} policy can ask for an approval`;
  return null;
}

interface Word {
  text: string;
  negated: boolean;
}

/** Lower-case words in order, each marked when a negation before it in its clause reaches it. */
export function readWords(text: string): Word[] {
  const words: Word[] = [];
  // "don't", "here's": an apostrophe inside a word joins it ("dont"), whatever the quote mark.
  const joined = ` ${text.toLowerCase().replace(/(\p{L})['’ʼ‘`´](?=\p{L})/gu, '$1')} `;
  for (const clause of joined.split(CLAUSE_END)) {
    let negated = false;
    for (const w of clause.replace(/[^a-z0-9\s-]/g, ' ').split(/\s+/)) {
      if (!w || w === '-') continue;
      words.push({ text: w, negated });
      negated ||= NEGATOR.test(w);
    }
  }
  return words;
}

export function tokenize(text: string): string[] {
  return readWords(text).map((w) => w.text);
}

interface Scored {
  def: CommandDef;
  score: number;
  nameHits: number;
  input: Record<string, unknown> | null;
}

/** Text as it reads: fullwidth and other compatibility forms folded (NFKC), escape sequences, control and zero-width characters gone. */
function plain(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b[@-_]/g, ' ')
    .replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, '')
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ');
}

export function route(raw: string, commands: readonly CommandDef[]): Route {
  const text = plain(raw);
  const words = readWords(text);
  const said = new Set(words.filter((w) => !w.negated).map((w) => w.text));
  const denied = new Set(words.filter((w) => w.negated && !said.has(w.text)).map((w) => w.text));
  // Multi-word keywords match the words in order; a negated word breaks the run.
  const saidLine = ` ${words.map((w) => (w.negated ? '\u0000' : w.text)).join(' ')} `;
  const deniedLine = ` ${words.map((w) => (w.negated ? w.text : '\u0000')).join(' ')} `;
  const scored: Scored[] = [];
  // Command words that a negation reached: names first ("approve"), then keywords ("production").
  const negatedNames = new Set<string>();
  const negatedKeywords = new Set<string>();
  for (const def of commands) {
    if (def.hidden) continue;
    const nameWords = def.name.split(' ');
    const nameHits = nameWords.filter((w) => said.has(w) || said.has(w + 's')).length;
    for (const w of nameWords) if (denied.has(w) || denied.has(w + 's')) negatedNames.add(w);
    // Every name word the text lacks counts against a command ("status" is not "system status").
    let score = nameHits * 2 - (nameWords.length - nameHits) * 1.5;
    let keywordHits = 0;
    for (const k of def.keywords ?? []) {
      const multi = k.includes(' ');
      if (multi ? saidLine.includes(` ${k} `) : said.has(k)) {
        score += multi ? 2 : 1;
        keywordHits++;
      } else if (multi ? deniedLine.includes(` ${k} `) : denied.has(k)) negatedKeywords.add(k);
    }
    if (nameHits === 0 && keywordHits === 0) continue;
    scored.push({ def, score, nameHits, input: null });
  }
  scored.sort((a, b) => b.score - a.score || b.nameHits - a.nameHits);
  // Arguments only for the candidates that can be shown or run.
  for (const s of scored.slice(0, 3)) s.input = fillArgs(s.def, text, said);
  const [best, second] = scored;
  const negatedWords = negatedNames.size ? negatedNames : negatedKeywords;
  const negated = (): Route => {
    // The first command word the negation reached, as written: "don't stop all agents" -> "stop".
    const first = words.find((w) => w.negated && (negatedWords.has(w.text) || negatedWords.has(w.text.replace(/s$/, ''))))?.text ?? [...negatedWords][0]!;
    return { type: 'suggest', why: 'negated', words: [first], suggestions: [], reason: `it says not to ${first}` };
  };
  if (!best) return negatedWords.size ? negated() : { type: 'suggest', why: 'unclear', suggestions: [], reason: 'no command matches these words' };
  const allNameWords = best.nameHits === best.def.name.split(' ').length;
  const margin = best.score - (second?.score ?? 0);
  // A runner-up with a negative score would push the share past 100%.
  const confidence = Math.min(1, Math.round((best.score / (best.score + Math.max(0, second?.score ?? 0))) * 100) / 100);
  if (allNameWords && best.input && margin >= 2) {
    const held = heldBecause(best.def);
    if (!held) {
      return { type: 'command', name: best.def.name, input: best.input, confidence, reason: `matched "${best.def.name}" (score ${best.score}, next ${second?.score ?? 0})` };
    }
    return { type: 'suggest', why: 'held', command: best.def.name, suggestions: [exampleFor(best.def, best.input, text)], reason: held };
  }
  if (negatedWords.size) return negated();
  const suggestions = scored.slice(0, 3).map((s) => exampleFor(s.def, s.input, text));
  const why = !best.input
    ? `"${best.def.name}" needs ${missingArgs(best.def, text, said).join(', ')}`
    : margin < 2 && second
      ? `"${best.def.name}" and "${second.def.name}" fit equally well`
      : margin < 2
        ? `"${best.def.name}" is only a weak match`
        : `not sure this means "${best.def.name}"`;
  return { type: 'suggest', why: 'unclear', suggestions, reason: why };
}

/**
 * The one line a front end shows for a suggestion (exit 2): what was not done and what to type.
 * `shown` is the text as that front end may echo it (redacted, clipped); `prefix` is how commands
 * are typed there ("agent " in a shell, nothing in the dashboard).
 */
export function explainSuggestion(r: Suggestion, opts: { shown: string; prefix: string; otherwise: string }): string {
  const quoted = `"${printable(opts.shown)}"`;
  const list = r.suggestions.map((s) => `\`${opts.prefix}${printable(s)}\``).join(' or ');
  if (r.why === 'held') return `nothing was done: free text never runs \`${opts.prefix}${r.command}\` (${r.reason}); to do it, type ${list}`;
  if (r.why === 'negated') return `nothing was done: ${quoted} says not to ${r.words.join(' or ')}`;
  return `not sure what ${quoted} asks for (${printable(r.reason)})${list ? `; did you mean ${list}?` : `; ${opts.otherwise}`}`;
}

function ticketIn(text: string): string | undefined {
  return TICKET_ID.exec(text)?.[0]?.toUpperCase() ?? EXTERNAL_REF.exec(text)?.[0];
}

function fillArgs(def: CommandDef, text: string, said: ReadonlySet<string>): Record<string, unknown> | null {
  const input: Record<string, unknown> = {};
  const held = heldBecause(def) !== null;
  let tookId = false;
  for (const arg of def.args ?? []) {
    let value: string | undefined;
    if (arg.complete === 'ticket') value = ticketIn(text);
    else if (arg.complete === 'approval') value = APPROVAL_ID.exec(text)?.[0]?.toUpperCase() ?? ticketIn(text);
    else if (arg.complete === 'agent') value = TICKET_ID.exec(text)?.[0]?.toUpperCase() ?? /\bRUN-\d+\b/i.exec(text)?.[0]?.toUpperCase() ?? AGENT_ID.exec(text)?.[0]?.toLowerCase();
    else if (Array.isArray(arg.complete)) {
      // One of the fixed words, when the text names exactly one of them (`staging` or `production`).
      const named = (arg.complete as readonly string[]).filter((v) => said.has(v.toLowerCase()));
      value = named.length === 1 ? named[0] : undefined;
    }
    // The rest of a held command's words are only its subject when it needs one (`migrate <change>`);
    // an optional tail (`approve <id> [action…]`) is not made up from a sentence.
    else if (arg.variadic && (arg.required || !held)) value = textAfterCommandWords(def, text);
    // What a held command acts on, when it is an id: `emergency rollback BUG-2026-001`, not the last deployment.
    else if (arg.variadic && !tookId) value = DEPLOY_ID.exec(text)?.[0]?.toUpperCase() ?? ticketIn(text);
    if (arg.complete === 'ticket' || arg.complete === 'approval' || arg.complete === 'agent') tookId ||= value !== undefined;
    if (value) input[arg.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
    else if (arg.required) return null;
  }
  return input;
}

/** "please create a ticket: estimates are not saved" -> "estimates are not saved" */
function textAfterCommandWords(def: CommandDef, text: string): string | undefined {
  const last = def.name.split(' ').pop()!;
  const m = new RegExp(`\\b${last}s?\\b[\\s:,-]*(?:for|about|that says|saying)?[\\s:]*`, 'i').exec(text);
  const rest = (m ? text.slice(m.index + m[0].length) : '').trim().replace(/^["']|["']$/g, '');
  const meaningful = tokenize(rest).filter((t) => !STOP.has(t));
  return meaningful.length >= 2 ? rest : undefined;
}

function missingArgs(def: CommandDef, text: string, said: ReadonlySet<string>): string[] {
  const filled = fillArgs(def, text, said) ?? {};
  return (def.args ?? []).filter((a) => a.required && filled[a.name] === undefined).map((a) => `<${a.name}>`);
}

/**
 * The command as it would be typed. One that takes a typed confirmation gets our ticket id (what the
 * confirmation is; the tracker's "AI-EST-142" is not), so that the line works as printed.
 */
function exampleFor(def: CommandDef, input: Record<string, unknown> | null, text: string): string {
  const parts = [def.name];
  for (const a of def.args ?? []) {
    const v = input?.[a.name];
    if (v !== undefined) parts.push(/\s/.test(String(v)) ? JSON.stringify(v) : String(v));
    else if (a.required) parts.push(`<${a.name}>`);
  }
  const ticket = TICKET_ID.exec(text)?.[0]?.toUpperCase();
  if (input && ticket && def.flags?.some((f) => f.name === 'confirm')) parts.push('--confirm', ticket);
  return parts.join(' ');
}
