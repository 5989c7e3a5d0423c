// Matching words to registered commands: the longest command name that prefixes the words.
import type { CommandDef } from './types.js';
import { editDistance } from './fuzzy.js';

export function findCommand(words: readonly string[], commands: readonly CommandDef[]): { def: CommandDef; wordCount: number } | null {
  let best: { def: CommandDef; wordCount: number } | null = null;
  const lower = words.map((w) => w.toLowerCase());
  for (const def of commands) {
    const name = def.name.split(' ');
    if (name.length > lower.length) continue;
    if (name.every((w, i) => lower[i] === w) && (!best || name.length > best.wordCount)) best = { def, wordCount: name.length };
  }
  return best;
}

/** Command names close to what was typed, best first (for "did you mean"). */
export function suggestCommands(typed: string, commands: readonly CommandDef[], max = 3): string[] {
  const t = typed.toLowerCase().trim();
  const scored = commands
    .filter((c) => !c.hidden)
    .map((c) => {
      const words = c.name.split(' ');
      const prefix = words.slice(0, Math.max(1, t.split(/\s+/).length)).join(' ');
      const d = Math.min(editDistance(t, c.name), editDistance(t, prefix), editDistance(t.split(/\s+/)[0] ?? t, words[0]!) + (words.length > 1 ? 1 : 0));
      return { name: c.name, d };
    })
    .filter((s) => s.d <= Math.max(2, Math.floor(t.length / 3)))
    .sort((a, b) => a.d - b.d || a.name.length - b.name.length);
  return [...new Set(scored.map((s) => s.name))].slice(0, max);
}
