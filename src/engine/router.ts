// Free text that is no command goes here. Pure: text and the registry's metadata in, a verdict
// out. Only a confident match runs; anything else gets "did you mean" suggestions (exit 2).
import type { CommandDef } from '../commands/types.js';

export type Route =
  | { type: 'command'; name: string; input: Record<string, unknown>; confidence: number; reason: string }
  | { type: 'suggest'; suggestions: string[]; reason: string };

const TICKET_ID = /\b(BUG|FEAT|MIG|OPS)-\d{4}-\d{3,}\b/i;
const APPROVAL_ID = /\bAPR-\d+\b/i;
const AGENT_ID = /\b(bughunter|codesmith|migrator|stageagent|testagent)-\d+\b/i;
const STOP = new Set(['the', 'a', 'an', 'to', 'for', 'of', 'me', 'my', 'please', 'i', 'need', 'want', 'can', 'you', 'and', 'on', 'in', 'is', 'it', 'this', 'that', 'with', 'what', 'show', 'give', 'let', 'see']);

interface Scored {
  def: CommandDef;
  score: number;
  nameHits: number;
  input: Record<string, unknown> | null;
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9\s-]/g, ' ').split(/\s+/).filter(Boolean);
}

export function route(text: string, commands: readonly CommandDef[]): Route {
  const lower = text.toLowerCase();
  const tokens = new Set(tokenize(text));
  const scored: Scored[] = [];
  for (const def of commands) {
    if (def.hidden) continue;
    const nameWords = def.name.split(' ');
    const nameHits = nameWords.filter((w) => tokens.has(w) || tokens.has(w + 's')).length;
    // Every name word the text lacks counts against a command ("status" is not "system status").
    let score = nameHits * 2 - (nameWords.length - nameHits) * 1.5;
    let keywordHits = 0;
    for (const k of def.keywords ?? []) {
      if (k.includes(' ') ? lower.includes(k) : tokens.has(k)) {
        score += k.includes(' ') ? 2 : 1;
        keywordHits++;
      }
    }
    if (nameHits === 0 && keywordHits === 0) continue;
    scored.push({ def, score, nameHits, input: fillArgs(def, text) });
  }
  scored.sort((a, b) => b.score - a.score || b.nameHits - a.nameHits);
  const [best, second] = scored;
  if (!best) return { type: 'suggest', suggestions: [], reason: 'no command matches these words' };
  const allNameWords = best.nameHits === best.def.name.split(' ').length;
  const margin = best.score - (second?.score ?? 0);
  // A runner-up with a negative score would push the share past 100%.
  const confidence = Math.min(1, Math.round((best.score / (best.score + Math.max(0, second?.score ?? 0))) * 100) / 100);
  if (allNameWords && best.input && margin >= 2) {
    return { type: 'command', name: best.def.name, input: best.input, confidence, reason: `matched "${best.def.name}" (score ${best.score}, next ${second?.score ?? 0})` };
  }
  const suggestions = scored.slice(0, 3).map((s) => exampleFor(s.def, s.input));
  const why = !best.input
    ? `"${best.def.name}" needs ${missingArgs(best.def, text).join(', ')}`
    : margin < 2 && second
      ? `"${best.def.name}" and "${second.def.name}" fit equally well`
      : margin < 2
        ? `"${best.def.name}" is only a weak match`
        : `not sure this means "${best.def.name}"`;
  return { type: 'suggest', suggestions, reason: why };
}

function fillArgs(def: CommandDef, text: string): Record<string, unknown> | null {
  const input: Record<string, unknown> = {};
  for (const arg of def.args ?? []) {
    let value: string | undefined;
    if (arg.complete === 'ticket') value = TICKET_ID.exec(text)?.[0]?.toUpperCase();
    else if (arg.complete === 'approval') value = APPROVAL_ID.exec(text)?.[0]?.toUpperCase() ?? TICKET_ID.exec(text)?.[0]?.toUpperCase();
    else if (arg.complete === 'agent') value = TICKET_ID.exec(text)?.[0]?.toUpperCase() ?? /\bRUN-\d+\b/i.exec(text)?.[0]?.toUpperCase() ?? AGENT_ID.exec(text)?.[0]?.toLowerCase();
    else if (arg.variadic) value = textAfterCommandWords(def, text);
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

function missingArgs(def: CommandDef, text: string): string[] {
  const filled = fillArgs(def, text) ?? {};
  return (def.args ?? []).filter((a) => a.required && filled[a.name] === undefined).map((a) => `<${a.name}>`);
}

function exampleFor(def: CommandDef, input: Record<string, unknown> | null): string {
  const parts = [def.name];
  for (const a of def.args ?? []) {
    const v = input?.[a.name];
    if (v !== undefined) parts.push(/\s/.test(String(v)) ? JSON.stringify(v) : String(v));
    else if (a.required) parts.push(`<${a.name}>`);
  }
  return parts.join(' ');
}
