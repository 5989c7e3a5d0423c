// The zustand vanilla store: a projection of the state database that renderers read.
// SQLite stays the source of truth; sync() pulls what any process committed since last time.
// The log view is a window over SQLite: it follows the newest events or pages older/newer ones
// in on demand, so memory stays bounded however many events there are.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AgentConfig } from '../config/config.js';
import { readStatus, type StatusSnapshot } from '../engine/status.js';
import { levelRank, type AgentRow, type ApprovalRow, type EventQuery, type EventRow, type StateDb } from './state-db.js';

/** How many events the store keeps in memory; older ones stay in SQLite and can be paged in. */
export const EVENT_WINDOW = 2000;
/** The most log rows the log view holds; scrolling further pages them in from SQLite. */
export const LOG_VIEW_MAX = 2000;
/**
 * How many rows a reload of the log (a new filter, following again, R) reads: one tick's worth,
 * like a backlog sync's page. Older ones are paged in when scrolled to.
 */
export const LOG_RELOAD = 1000;
/** How many rows one page-in reads. */
export const LOG_PAGE = 500;
/** Lines the dashboard printed itself that it keeps (they are not in SQLite). */
export const CONSOLE_MAX = 1000;
/** The newest agents the store keeps (running ones and those that just finished). */
export const RECENT_AGENTS = 30;

export type LogLevelFilter = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevelFilter[] = ['debug', 'info', 'warn', 'error'];

export interface LogFilter {
  /** An agent id (testagent-1) or a speaker (MIGRATOR); null for all. */
  agent: string | null;
  minLevel: LogLevelFilter;
  /** Text the message must contain, any case (the dashboard's `/` search); absent or null for all. */
  text?: string | null;
}

/** A line a front end printed itself (a command's table, an error). Never stored in SQLite. */
export interface ConsoleLine {
  local: true;
  /** The newest event id known when it was printed: it shows after that event. */
  id: number;
  seq: number;
  ts: number;
  level: string;
  message: string;
}

export type LogRow = EventRow | ConsoleLine;

export function isConsoleLine(row: LogRow): row is ConsoleLine {
  return (row as ConsoleLine).local === true;
}

export interface LogView {
  filter: LogFilter;
  /** Events matching the filter, oldest first, at most LOG_VIEW_MAX of them. */
  rows: EventRow[];
  /** The view tracks the newest events. */
  follow: boolean;
  /** How many log lines (events and console lines) lie below the bottom of the viewport. */
  offset: number;
  /** SQLite holds matching events older than rows[0]. */
  hasOlder: boolean;
  /** SQLite holds matching events newer than the last row (only while not following). */
  hasNewer: boolean;
  /** Matching events that arrived while the view was scrolled back. */
  unseen: number;
}

export interface AgentStoreState {
  status: StatusSnapshot | null;
  /** The newest events, oldest first, at most EVENT_WINDOW of them. */
  events: EventRow[];
  lastEventId: number;
  /** Events seen since the store was created (none are dropped from this count). */
  eventsSeen: number;
  pendingApprovals: ApprovalRow[];
  ticketIds: string[];
  /** The newest agents, newest first: running ones and recently finished ones. */
  agents: AgentRow[];
  log: LogView;
  /** Lines printed by this front end, oldest first, at most CONSOLE_MAX. */
  console: ConsoleLine[];
  /** Re-reads everything derived (status, approvals, tickets, agents) from the database. */
  refresh(): void;
  /**
   * Pulls new events and refreshes what they change. Returns how many arrived. With `maxRows`, it
   * reads at most that many (a UI reads a large backlog across ticks) and sets `behind` when more wait.
   */
  sync(maxRows?: number): number;
  /** The last sync(maxRows) left committed events for the next call. */
  behind: boolean;
  /** Appends lines printed by this front end (shown in the log view, not stored). */
  print(text: string, level?: string): void;
  setLogFilter(patch: Partial<LogFilter>): void;
  /** Back to the newest events. */
  followLog(): void;
  /** Scrolls by `delta` lines (positive: older) for a viewport of `viewport` lines. */
  scrollLog(delta: number, viewport: number): void;
}

export type AgentStore = StoreApi<AgentStoreState>;

export function matchesFilter(e: EventRow, f: LogFilter): boolean {
  if (levelRank(e.level) < levelRank(f.minLevel)) return false;
  if (f.text && !e.message.toLowerCase().includes(f.text.toLowerCase())) return false;
  if (f.agent === null) return true;
  return e.agent_id === f.agent || (e.agent !== null && e.agent.toUpperCase() === f.agent.toUpperCase());
}

function filterQuery(f: LogFilter): EventQuery {
  return { minLevel: f.minLevel, ...(f.agent ? { agent: f.agent } : {}), ...(f.text ? { text: f.text } : {}) };
}

/** The log lines of a view: its events with the console lines that fall in its range. */
export function logLines(rows: readonly EventRow[], consoleLines: readonly ConsoleLine[], log: Pick<LogView, 'hasOlder' | 'hasNewer'>): LogRow[] {
  const first = rows[0]?.id;
  const last = rows[rows.length - 1]?.id;
  const inRange = (c: ConsoleLine) =>
    (first === undefined ? true : c.id >= first || !log.hasOlder) && (last === undefined ? !log.hasNewer : c.id <= last || !log.hasNewer);
  const cons = consoleLines.filter(inRange);
  if (!cons.length) return rows as LogRow[];
  const out: LogRow[] = [];
  let i = 0;
  for (const c of cons) {
    while (i < rows.length && rows[i]!.id <= c.id) out.push(rows[i++]!);
    out.push(c);
  }
  while (i < rows.length) out.push(rows[i++]!);
  return out;
}

const countLines = (s: Pick<AgentStoreState, 'log' | 'console'>, rows = s.log.rows, flags: Pick<LogView, 'hasOlder' | 'hasNewer'> = s.log) =>
  logLines(rows, s.console, flags).length;

export function createAgentStore(state: StateDb, config: AgentConfig, root: string): AgentStore {
  let consoleSeq = 0;
  let firstLook = true;
  let lastRefresh = 0;

  /** The newest events matching `filter`, as a following log view. */
  const tailView = (filter: LogFilter): LogView => {
    const rows = state.events({ ...filterQuery(filter), tail: true, limit: LOG_RELOAD });
    const first = rows[0];
    const hasOlder = first ? state.events({ ...filterQuery(filter), beforeId: first.id, limit: 1 }).length > 0 : false;
    return { filter, rows, follow: true, offset: 0, hasOlder, hasNewer: false, unseen: 0 };
  };

  return createStore<AgentStoreState>()((set, get) => ({
    status: null,
    events: [],
    lastEventId: 0,
    eventsSeen: 0,
    pendingApprovals: [],
    ticketIds: [],
    agents: [],
    log: { filter: { agent: null, minLevel: 'info' }, rows: [], follow: true, offset: 0, hasOlder: false, hasNewer: false, unseen: 0 },
    console: [],
    behind: false,
    refresh() {
      set({
        status: readStatus(state, config, root),
        pendingApprovals: state.approvals({ status: 'pending' }),
        ticketIds: state.tickets({ limit: 500 }).map((t) => t.id),
        agents: state.agents({ limit: RECENT_AGENTS }),
      });
    },
    sync(maxRows) {
      if (!get().behind && !state.changed() && get().status) return 0;
      let arrived = 0;
      let last = get().lastEventId;
      let events = get().events;
      let log = get().log;
      if (firstLook) {
        // First look: only the newest window; the older history stays in SQLite.
        firstLook = false;
        const tail = state.events({ tail: true, limit: EVENT_WINDOW });
        arrived += tail.length;
        events = tail;
        last = tail.length ? tail[tail.length - 1]!.id : 0;
        log = tailView(log.filter);
      }
      const fresh: EventRow[] = [];
      let budget = maxRows ?? Number.POSITIVE_INFINITY;
      let behind = false;
      // Page through a burst so no event is skipped, keeping only the window in memory.
      for (;;) {
        const limit = Math.min(5000, budget);
        const batch = state.events({ afterId: last, limit });
        if (!batch.length) break;
        arrived += batch.length;
        last = batch[batch.length - 1]!.id;
        events = events.concat(batch);
        if (events.length > EVENT_WINDOW) events = events.slice(events.length - EVENT_WINDOW);
        for (const e of batch) if (matchesFilter(e, log.filter)) fresh.push(e);
        if (fresh.length > LOG_VIEW_MAX) fresh.splice(0, fresh.length - LOG_VIEW_MAX);
        if (batch.length < limit) break;
        budget -= batch.length;
        if (budget <= 0) {
          behind = true;
          break;
        }
      }
      if (fresh.length) {
        if (log.follow) {
          let rows = log.rows.concat(fresh);
          let hasOlder = log.hasOlder;
          if (rows.length > LOG_VIEW_MAX) {
            rows = rows.slice(rows.length - LOG_VIEW_MAX);
            hasOlder = true;
          }
          log = { ...log, rows, hasOlder };
        } else {
          log = { ...log, hasNewer: true, unseen: log.unseen + fresh.length };
        }
      }
      set({ events, lastEventId: last, eventsSeen: get().eventsSeen + arrived, log, behind });
      // Catching up on a backlog, the derived reads wait for its last page (or 150 ms).
      if (!behind || Date.now() - lastRefresh >= 150) {
        lastRefresh = Date.now();
        get().refresh();
      }
      return arrived;
    },
    print(text, level = 'info') {
      const lines = text.replace(/\n$/, '').split('\n');
      const s = get();
      // What the admin just asked for is worth seeing: printing returns the view to the newest.
      if (!s.log.follow) s.followLog();
      const anchor = Math.max(get().lastEventId, get().log.rows[get().log.rows.length - 1]?.id ?? 0);
      const now = Date.now();
      let cons = get().console.concat(lines.map((message) => ({ local: true as const, id: anchor, seq: ++consoleSeq, ts: now, level, message })));
      if (cons.length > CONSOLE_MAX) cons = cons.slice(cons.length - CONSOLE_MAX);
      set({ console: cons });
    },
    setLogFilter(patch) {
      set({ log: tailView({ ...get().log.filter, ...patch }) });
    },
    followLog() {
      set({ log: tailView(get().log.filter) });
    },
    scrollLog(delta, viewport) {
      const s = get();
      let log = { ...s.log };
      const q = filterQuery(log.filter);
      const view = Math.max(1, viewport);
      if (delta > 0) {
        log.follow = false;
        log.offset += delta;
        if (log.offset + view > countLines(s, log.rows, log) && log.hasOlder && log.rows.length) {
          // Page older rows in at the top; the bottom stays where it is.
          const older = state.events({ ...q, beforeId: log.rows[0]!.id, tail: true, limit: LOG_PAGE });
          const hasOlder = older.length === LOG_PAGE && state.events({ ...q, beforeId: older[0]!.id, limit: 1 }).length > 0;
          let rows = older.concat(log.rows);
          let hasNewer = log.hasNewer;
          if (rows.length > LOG_VIEW_MAX) {
            const before = countLines(s, rows, { hasOlder, hasNewer });
            rows = rows.slice(0, LOG_VIEW_MAX);
            hasNewer = true;
            log.offset -= before - countLines(s, rows, { hasOlder, hasNewer });
          }
          log = { ...log, rows, hasOlder, hasNewer };
        }
        log.offset = Math.max(0, Math.min(log.offset, countLines(s, log.rows, log) - view));
        log.follow = !(log.offset > 0 || log.hasNewer);
      } else if (delta < 0) {
        if (log.follow) return;
        log.offset += delta;
        if (log.offset < 0 && log.hasNewer && log.rows.length) {
          // Page newer rows in at the bottom; keep the viewport on the same lines.
          const lastId = log.rows[log.rows.length - 1]!.id;
          const newer = state.events({ ...q, afterId: lastId, limit: LOG_PAGE });
          const hasNewer = newer.length === LOG_PAGE;
          const before = countLines(s, log.rows, log);
          let rows = log.rows.concat(newer);
          let hasOlder = log.hasOlder;
          const added = countLines(s, rows, { hasOlder, hasNewer }) - before;
          if (rows.length > LOG_VIEW_MAX) {
            rows = rows.slice(rows.length - LOG_VIEW_MAX);
            hasOlder = true;
          }
          log = { ...log, rows, hasOlder, hasNewer, offset: log.offset + added };
        }
        if (log.offset <= 0) {
          if (log.hasNewer) log.offset = 0;
          else {
            // At the newest line again: follow, and pick up whatever arrived meanwhile.
            set({ log: tailView(log.filter) });
            return;
          }
        }
      }
      set({ log });
    },
  }));
}

/** Polls the database and syncs the store; 150 ms keeps other processes' events under 0.5 s. */
export function startSync(store: AgentStore, intervalMs = 150): () => void {
  store.getState().sync();
  const t = setInterval(() => store.getState().sync(), intervalMs);
  return () => clearInterval(t);
}
