// The zustand vanilla store: a projection of the state database that renderers read.
// SQLite stays the source of truth; sync() pulls what any process committed since last time.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AgentConfig } from '../config/config.js';
import { readStatus, type StatusSnapshot } from '../engine/status.js';
import type { ApprovalRow, EventRow, StateDb } from './state-db.js';

/** How many events the store keeps in memory; older ones stay in SQLite and can be paged in. */
export const EVENT_WINDOW = 2000;

export interface AgentStoreState {
  status: StatusSnapshot | null;
  /** The newest events, oldest first, at most EVENT_WINDOW of them. */
  events: EventRow[];
  lastEventId: number;
  /** Events seen since the store was created (none are dropped from this count). */
  eventsSeen: number;
  pendingApprovals: ApprovalRow[];
  ticketIds: string[];
  /** Re-reads everything derived (status, approvals, tickets) from the database. */
  refresh(): void;
  /** Pulls new events and refreshes what they change. Returns how many arrived. */
  sync(): number;
}

export type AgentStore = StoreApi<AgentStoreState>;

export function createAgentStore(state: StateDb, config: AgentConfig, root: string): AgentStore {
  return createStore<AgentStoreState>()((set, get) => ({
    status: null,
    events: [],
    lastEventId: 0,
    eventsSeen: 0,
    pendingApprovals: [],
    ticketIds: [],
    refresh() {
      set({
        status: readStatus(state, config, root),
        pendingApprovals: state.approvals({ status: 'pending' }),
        ticketIds: state.tickets({ limit: 500 }).map((t) => t.id),
      });
    },
    sync() {
      if (!state.changed() && get().status) return 0;
      let arrived = 0;
      let last = get().lastEventId;
      let events = get().events;
      // Page through a burst so no event is skipped, keeping only the window in memory.
      for (;;) {
        const batch = state.events({ afterId: last, limit: 5000 });
        if (!batch.length) break;
        arrived += batch.length;
        last = batch[batch.length - 1]!.id;
        events = events.concat(batch);
        if (events.length > EVENT_WINDOW) events = events.slice(events.length - EVENT_WINDOW);
        if (batch.length < 5000) break;
      }
      set({ events, lastEventId: last, eventsSeen: get().eventsSeen + arrived });
      get().refresh();
      return arrived;
    },
  }));
}

/** Polls the database and syncs the store; 150 ms keeps other processes' events under 0.5 s. */
export function startSync(store: AgentStore, intervalMs = 150): () => void {
  store.getState().sync();
  const t = setInterval(() => store.getState().sync(), intervalMs);
  return () => clearInterval(t);
}
