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

export function sumTallies(...ts: Tally[]): Tally {
  return ts.reduce((a, b) => ({ calls: a.calls + b.calls, input: a.input + b.input, output: a.output + b.output, cacheWrite: a.cacheWrite + b.cacheWrite, cacheRead: a.cacheRead + b.cacheRead, costUsd: a.costUsd + b.costUsd }), emptyTally());
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

export interface CallLimits {
  budget: Budget;
  /** llm.maxTurns: model calls per ticket, every agent's counted. */
  maxCalls: number;
  /** The max_tokens a call asks for when the budget leaves room for it. */
  maxReply: number;
  /** The least room a useful reply needs. */
  minReply?: number;
}

export type CallPlan =
  | { type: 'ok'; maxTokens: number; /** The most this call can add to the ticket's spending. */ ceiling: Tally }
  | { type: 'stop'; stop: 'max_turns' | 'budget'; reason: string };

const n = (x: number) => x.toLocaleString('en-US');
const usd = (x: number) => `$${x < 0.01 && x > 0 ? x.toFixed(4) : x.toFixed(2)}`;

/**
 * May the ticket make one more call, and with what max_tokens? `spent` is everything the ticket
 * spent (every agent; calls in flight at their ceiling), `promptTokens` an upper bound of the call's
 * prompt. The call's ceiling (its prompt plus max_tokens, priced at the model's dearest input rate
 * and its output rate) must fit what is left of both budgets, so no reply can carry the ticket past
 * either: max_tokens shrinks to fit, and below `minReply` the call is not made. Pure.
 */
export function planCall(spent: Tally, limits: CallLimits, promptTokens: number, model: string): CallPlan {
  const minReply = limits.minReply ?? 256;
  const { maxTokens: tokenLimit, maxCostUsd } = limits.budget;
  if (spent.calls >= limits.maxCalls) {
    return { type: 'stop', stop: 'max_turns', reason: `the ticket's model calls are used up: ${spent.calls} of ${limits.maxCalls} (llm.maxTurns, per ticket)` };
  }
  const used = tokensOf(spent);
  const p = priceOf(model);
  const promptCost = (promptTokens * Math.max(p.input, p.cacheWrite)) / 1e6;
  const byTokens = tokenLimit - used - promptTokens;
  const byCost = Math.floor(((maxCostUsd - spent.costUsd - promptCost) * 1e6) / p.output);
  const maxTokens = Math.min(limits.maxReply, byTokens, byCost);
  if (maxTokens < minReply) {
    const reason =
      byTokens <= byCost
        ? `token budget: ${n(used)} of ${n(tokenLimit)} tokens spent for this ticket, and the next call may take up to ${n(promptTokens + minReply)} (its prompt and a ${minReply}-token reply)`
        : `cost budget: ${usd(spent.costUsd)} of ${usd(maxCostUsd)} spent for this ticket, and the next call may cost up to ${usd(promptCost + (minReply * p.output) / 1e6)}`;
    return { type: 'stop', stop: 'budget', reason };
  }
  const ceiling: Tally = { ...emptyTally(), calls: 1, cacheWrite: promptTokens, output: maxTokens, costUsd: promptCost + (maxTokens * p.output) / 1e6 };
  return { type: 'ok', maxTokens, ceiling };
}

export function formatTally(t: Tally): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `${t.calls} call(s), ${n(sentOf(t))} tokens sent (${n(t.cacheRead)} from cache), ${n(t.output)} received, $${t.costUsd.toFixed(4)}`;
}

/** "11 of the ticket's 12 calls, 6,000 of its 12,000 tokens and $0.98 of its $1 left". Pure. */
export function budgetLeft(spent: Tally, settings: { maxTurns: number; budget: Budget }): string {
  const n = (x: number) => Math.max(0, x).toLocaleString('en-US');
  const cost = Math.max(0, settings.budget.maxCostUsd - spent.costUsd);
  return `${n(settings.maxTurns - spent.calls)} of the ticket's ${n(settings.maxTurns)} calls, ${n(settings.budget.maxTokens - tokensOf(spent))} of its ${n(settings.budget.maxTokens)} tokens and $${cost.toFixed(2)} of its $${settings.budget.maxCostUsd} left`;
}
