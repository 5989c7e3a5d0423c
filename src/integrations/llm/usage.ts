// Token and cost accounting, and the per-ticket budget verdict. Pure.
import type { Usage } from './types.js';

export interface Tally {
  calls: number;
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  costUsd: number;
}

export const emptyTally = (): Tally => ({ calls: 0, input: 0, output: 0, cacheWrite: 0, cacheRead: 0, costUsd: 0 });

/** USD per million tokens: input, output, cache write (5 min), cache read. */
interface Price {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

// Published list prices. An unknown model is priced as the dearest family member we know of,
// so a budget errs on the safe side.
const PRICES: Array<[RegExp, Price]> = [
  [/haiku-4|haiku-4-5/, { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 }],
  [/haiku/, { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 }],
  [/opus-4-[5-9]/, { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 }],
  [/opus/, { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 }],
  [/sonnet/, { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 }],
];
const UNKNOWN: Price = { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 };

export function priceOf(model: string): Price {
  return PRICES.find(([re]) => re.test(model))?.[1] ?? UNKNOWN;
}

export function costOf(u: Usage, model: string): number {
  const p = priceOf(model);
  return (u.input_tokens * p.input + u.output_tokens * p.output + (u.cache_creation_input_tokens ?? 0) * p.cacheWrite + (u.cache_read_input_tokens ?? 0) * p.cacheRead) / 1e6;
}

export function addUsage(t: Tally, u: Usage, model: string): Tally {
  return {
    calls: t.calls + 1,
    input: t.input + u.input_tokens,
    output: t.output + u.output_tokens,
    cacheWrite: t.cacheWrite + (u.cache_creation_input_tokens ?? 0),
    cacheRead: t.cacheRead + (u.cache_read_input_tokens ?? 0),
    costUsd: t.costUsd + costOf(u, model),
  };
}

export function sumTallies(a: Tally, b: Tally): Tally {
  return { calls: a.calls + b.calls, input: a.input + b.input, output: a.output + b.output, cacheWrite: a.cacheWrite + b.cacheWrite, cacheRead: a.cacheRead + b.cacheRead, costUsd: a.costUsd + b.costUsd };
}

/** What `a` holds beyond `b` (b a part of a), never below zero. */
export function minusTally(a: Tally, b: Tally): Tally {
  const d = (x: number, y: number) => Math.max(0, x - y);
  return { calls: d(a.calls, b.calls), input: d(a.input, b.input), output: d(a.output, b.output), cacheWrite: d(a.cacheWrite, b.cacheWrite), cacheRead: d(a.cacheRead, b.cacheRead), costUsd: d(a.costUsd, b.costUsd) };
}

/** Every token the ticket was billed for: sent (fresh, cache write, cache read) and received. */
export const tokensOf = (t: Tally): number => t.input + t.cacheWrite + t.cacheRead + t.output;
/** Tokens sent to the model (the context), cached or not. */
export const sentOf = (t: Tally): number => t.input + t.cacheWrite + t.cacheRead;

export interface Budget {
  maxTokens: number;
  maxCostUsd: number;
}

export type BudgetVerdict = { type: 'ok'; remainingTokens: number } | { type: 'stop'; reason: string };

/** May another call be made? `minReply` is the least room a useful reply needs. */
export function checkBudget(spent: Tally, budget: Budget, minReply = 256): BudgetVerdict {
  const used = tokensOf(spent);
  if (spent.costUsd >= budget.maxCostUsd) return { type: 'stop', reason: `cost budget spent: $${spent.costUsd.toFixed(4)} of $${budget.maxCostUsd} per ticket` };
  const remainingTokens = budget.maxTokens - used;
  if (remainingTokens < minReply) return { type: 'stop', reason: `token budget spent: ${used} of ${budget.maxTokens} per ticket` };
  return { type: 'ok', remainingTokens };
}

export function formatTally(t: Tally): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `${t.calls} call(s), ${n(sentOf(t))} tokens sent (${n(t.cacheRead)} from cache), ${n(t.output)} received, $${t.costUsd.toFixed(4)}`;
}
