// Usage per ticket and per agent, kept in the state database: the kv row `llm.usage.<ticket>`
// holds the running totals (the budget reads it), and an event records every agent's share.
import type { StateDb } from '../../store/state-db.js';
import { emptyTally, formatTally, sumTallies, type Tally } from './usage.js';

export interface TicketUsage {
  model: string;
  total: Tally;
  byAgent: Record<string, Tally>;
}

export const usageKey = (ticketId: string) => `llm.usage.${ticketId}`;

export function ticketUsage(db: StateDb, ticketId: string): TicketUsage | undefined {
  return db.getKv<TicketUsage>(usageKey(ticketId));
}

export interface UsageRecord {
  ticketId: string;
  runId?: string | null;
  agent: string;
  model: string;
  tally: Tally;
}

/**
 * Adds an agent's usage to its ticket's totals. With `event: false` only the totals move (an agent
 * adds each reply as it comes, so agents running side by side see each other's spending against
 * the ticket's budget); usageEvent() then records the agent's share once.
 */
export function recordUsage(db: StateDb, o: UsageRecord, opts: { event?: boolean } = {}): TicketUsage {
  return db.tx(() => {
    const prev = ticketUsage(db, o.ticketId) ?? { model: o.model, total: emptyTally(), byAgent: {} };
    const next: TicketUsage = {
      model: o.model,
      total: sumTallies(prev.total, o.tally),
      byAgent: { ...prev.byAgent, [o.agent]: sumTallies(prev.byAgent[o.agent] ?? emptyTally(), o.tally) },
    };
    db.setKv(usageKey(o.ticketId), next);
    if (opts.event !== false) usageEvent(db, o, next.total);
    return next;
  });
}

/** The event that records one agent's share of a ticket's usage. */
export function usageEvent(db: StateDb, o: UsageRecord, ticketTotal: Tally): void {
  db.appendEvent({
    kind: 'llm.usage',
    level: 'debug',
    agent: o.agent.toUpperCase(),
    ticketId: o.ticketId,
    runId: o.runId ?? null,
    message: `${o.agent} model usage: ${formatTally(o.tally)}; ticket total ${formatTally(ticketTotal)}`,
    data: { model: o.model, agent: o.tally, ticket: ticketTotal },
  });
}
