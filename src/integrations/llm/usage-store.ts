// Usage per ticket and per agent, kept in the state database: the kv row `llm.usage.<ticket>`
// holds the running totals (the budget reads it), and an event records every agent's share. The kv
// row `llm.holds.<ticket>` holds the ceilings of the ticket's calls in flight, in any process.
import { randomUUID } from 'node:crypto';
import { isAlive, type StateDb } from '../../store/state-db.js';
import type { SpendLedger } from './loop.js';
import { emptyTally, formatTally, sumTallies, type CallPlan, type Tally } from './usage.js';

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

interface Hold {
  pid: number;
  agent: string;
  at: number;
  tally: Tally;
}

export const holdsKey = (ticketId: string) => `llm.holds.${ticketId}`;
/** A hold older than this is a leftover (a call is bounded by llm.timeoutMs and its retries). */
const HOLD_MAX_AGE_MS = 30 * 60_000;


/** The holds of calls still in flight: those of dead processes and leftovers are dropped. */
function liveHolds(db: StateDb, ticketId: string, now = Date.now()): Record<string, Hold> {
  const all = db.getKv<Record<string, Hold>>(holdsKey(ticketId)) ?? {};
  return Object.fromEntries(Object.entries(all).filter(([, h]) => now - h.at < HOLD_MAX_AGE_MS && isAlive(h.pid)));
}

/**
 * The ticket's account for one agent's loop: every call is decided against the ticket's recorded
 * usage plus the ceilings of its calls in flight (other agents, other processes), in one write
 * transaction, and its own ceiling held until the reply's usage replaces it. So the ticket's calls
 * and spending survive a kill (each reply is recorded as it arrives) and agents side by side never
 * both take the last of a budget. `finish` records the agent's share as one event.
 */
export function ticketLedger(db: StateDb, rec: Omit<UsageRecord, 'tally'>): SpendLedger & { finish(own: Tally): TicketUsage } {
  let holdId: string | null = null;
  const drop = () => {
    if (!holdId) return;
    const holds = liveHolds(db, rec.ticketId);
    delete holds[holdId];
    db.setKv(holdsKey(rec.ticketId), holds);
    holdId = null;
  };
  return {
    reserve(decide: (spent: Tally) => CallPlan): CallPlan {
      return db.tx(() => {
        drop();
        const holds = liveHolds(db, rec.ticketId);
        const spent = sumTallies(ticketUsage(db, rec.ticketId)?.total ?? emptyTally(), ...Object.values(holds).map((h) => h.tally));
        const plan = decide(spent);
        if (plan.type === 'ok') {
          holdId = `${process.pid}-${randomUUID().slice(0, 8)}`;
          holds[holdId] = { pid: process.pid, agent: rec.agent, at: Date.now(), tally: plan.ceiling };
        }
        db.setKv(holdsKey(rec.ticketId), holds);
        return plan;
      });
    },
    settle(usage: Tally): void {
      db.tx(() => {
        drop();
        recordUsage(db, { ...rec, tally: usage }, { event: false });
      });
    },
    release(): void {
      db.tx(drop);
    },
    finish(own: Tally): TicketUsage {
      const usage = ticketUsage(db, rec.ticketId) ?? { model: rec.model, total: own, byAgent: { [rec.agent]: own } };
      if (own.calls) usageEvent(db, { ...rec, tally: own }, usage.total);
      return usage;
    },
  };
}
