// The dashboard's own UI state (focus, overlays, the prompt and its history, the modal's typed
// text) as a zustand vanilla store. The data itself lives in the agent store (src/store/store.ts).
// Headless: components select from it, the controller and key handlers call its actions.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { LogRow } from '../src/store/store.js';
import { cleanText, editLine, insertText, type LineEdit } from './line-edit.js';
import type { TicketModel } from './ticket-view.js';

export type Focus = 'prompt' | 'panes';
/** Which pane the quick keys' arrows and Enter act on (Tab or 1/2/3). */
export type Pane = 'agents' | 'activity' | 'log';
export const PANES: readonly Pane[] = ['agents', 'activity', 'log'];

export interface Notice {
  text: string;
  level: 'info' | 'ok' | 'warn' | 'error';
  at: number;
}

export interface RunningCommand {
  id: number;
  line: string;
  startedAt: number;
  /** The label of a spinner the command asked for (Reporter.spin). */
  label: string | null;
}

/** The ticket view: which ticket, what was read of it, the agent chosen and the cursor in its phases. */
export interface TicketViewState {
  id: string;
  model: TicketModel;
  /** The agent whose phases show (index into model.agents). */
  agent: number;
  /** The phase row the cursor is on. */
  cursor: number;
  /** Enter: the cursor's row whole, wrapped. */
  expanded: boolean;
  /** The first visual row shown. */
  scroll: number;
}

export interface UiState {
  columns: number;
  rows: number;
  focus: Focus;
  pane: Pane;
  /** The selected row of the agents pane. */
  agentCursor: number;
  help: { open: boolean; scroll: number };
  /** The log pane fills the body (L). */
  logsMaximized: boolean;
  /** The log line the cursor is on (↑ in the log pane), by its key (view.ts logRowKey); null: none. */
  logSelected: string | null;
  /** Enter on a log line: that line whole, over the log pane, until Esc. */
  logDetail: { row: LogRow; scroll: number } | null;
  /** The selected line of the recent activity pane. */
  activityCursor: number;
  /** The ticket view, over the panes until Esc. */
  ticket: TicketViewState | null;
  prompt: {
    value: string;
    /** Where the cursor stands in `value` (0 … value.length). */
    cursor: number;
    /** Bumped when the value is set from outside (history, completion) so the input re-mounts with the cursor at the end. */
    rev: number;
    history: string[];
    /** Position while browsing the history with ↑/↓; null when editing a fresh line. */
    historyIndex: number | null;
    draft: string;
    /** Completion candidates shown under the prompt. */
    candidates: string[];
    /** `/` from the panes: the line is the log's search text until Enter or Esc; `saved` is the command line put aside. */
    logSearch: { saved: string } | null;
    /** Ctrl-R: the history search, when on (query typed, index of the match in history, -1 none). */
    search: { query: string; index: number } | null;
  };
  /** Approval ids the admin put off with Esc; they return with P. */
  snoozed: string[];
  /** What has been typed into a typed-confirmation dialog, per approval id. */
  confirm: { approvalId: string | null; text: string; error: string | null; choice?: 'approved' | 'rejected' | null };
  /** The dialog on screen and when it was first drawn: keys that arrived earlier never answer it. */
  dialogShown: { key: string; at: number } | null;
  /** The deploy-target chooser (D), when open. */
  deployChooser: { choices: string[] } | null;
  notice: Notice | null;
  running: RunningCommand[];
  /** Advances on a throttled timer: spinners and elapsed times read it. */
  tick: number;

  setSize(columns: number, rows: number): void;
  setFocus(focus: Focus): void;
  toggleFocus(): void;
  setPane(pane: Pane): void;
  moveAgentCursor(delta: number, count: number): void;
  openHelp(): void;
  closeHelp(): void;
  scrollHelp(delta: number, max: number): void;
  toggleLogs(): void;
  selectLogLine(key: string | null): void;
  openLogDetail(row: LogRow): void;
  scrollLogDetail(delta: number, max: number): void;
  closeLogDetail(): void;
  moveActivityCursor(delta: number, count: number): void;
  /** Opens the ticket view on `model` (its newest agent chosen). */
  openTicket(model: TicketModel): void;
  /** Re-read ticket: the choices stay where they were, within the new model's bounds. */
  setTicketModel(model: TicketModel): void;
  updateTicket(patch: Partial<Omit<TicketViewState, 'id' | 'model'>>): void;
  closeTicket(): void;
  setPrompt(value: string, fromOutside?: boolean): void;
  /** Inserts typed or pasted text at the cursor (control characters are dropped). */
  insertPrompt(text: string): void;
  editPrompt(edit: LineEdit): void;
  /** `/`: the prompt takes the log's search text (starting from `current`). */
  startLogSearch(current: string): void;
  /** Leaves the log search; returns the text typed (the command line comes back). */
  endLogSearch(): string;
  /** Ctrl-R: starts the history search, or goes to the next older match. */
  searchHistory(query?: string): void;
  /** Leaves the search: `accept` puts the match on the line. */
  endSearch(accept: boolean): void;
  setCandidates(candidates: string[]): void;
  /** Records a submitted line and resets the prompt. */
  pushHistory(line: string): void;
  historyPrev(): void;
  historyNext(): void;
  snooze(id: string): void;
  unsnoozeAll(): void;
  setConfirm(approvalId: string | null, text: string, error?: string | null): void;
  /** y or n pressed on an approval that wants Enter after it. */
  setChoice(approvalId: string, choice: 'approved' | 'rejected' | null, error?: string | null): void;
  markDialogShown(key: string | null, at: number): void;
  openDeployChooser(choices: string[]): void;
  closeDeployChooser(): void;
  notify(text: string, level?: Notice['level']): void;
  clearNotice(): void;
  startCommand(line: string): number;
  setCommandLabel(id: number, label: string | null): void;
  finishCommand(id: number): void;
  advanceTick(): void;
}

export type UiStore = StoreApi<UiState>;

export const HISTORY_MAX = 200;

export function createUiStore(init: { columns?: number; rows?: number; history?: string[] } = {}): UiStore {
  let commandSeq = 0;
  return createStore<UiState>()((set, get) => ({
    columns: init.columns ?? 80,
    rows: init.rows ?? 24,
    // Quick keys are live on open (htop, k9s, lazygit): `:` or Enter focuses the prompt.
    focus: 'panes',
    pane: 'log',
    agentCursor: 0,
    help: { open: false, scroll: 0 },
    logsMaximized: false,
    logSelected: null,
    logDetail: null,
    activityCursor: 0,
    ticket: null,
    prompt: { value: '', cursor: 0, rev: 0, history: (init.history ?? []).filter((l) => typeof l === 'string' && l === cleanText(l)), historyIndex: null, draft: '', candidates: [], search: null, logSearch: null },
    snoozed: [],
    confirm: { approvalId: null, text: '', error: null },
    dialogShown: null,
    deployChooser: null,
    notice: null,
    running: [],
    tick: 0,

    setSize(columns, rows) {
      if (columns !== get().columns || rows !== get().rows) set({ columns, rows });
    },
    setFocus(focus) {
      set({ focus });
    },
    setPane(pane) {
      set({ pane });
    },
    moveAgentCursor(delta, count) {
      set({ agentCursor: Math.max(0, Math.min(Math.max(0, count - 1), get().agentCursor + delta)) });
    },
    toggleFocus() {
      set({ focus: get().focus === 'prompt' ? 'panes' : 'prompt' });
    },
    openHelp() {
      set({ help: { open: true, scroll: 0 } });
    },
    closeHelp() {
      set({ help: { open: false, scroll: 0 } });
    },
    scrollHelp(delta, max) {
      const scroll = Math.max(0, Math.min(Math.max(0, max), get().help.scroll + delta));
      set({ help: { open: true, scroll } });
    },
    toggleLogs() {
      set({ logsMaximized: !get().logsMaximized });
    },
    selectLogLine(key) {
      if (get().logSelected !== key) set({ logSelected: key });
    },
    openLogDetail(row) {
      set({ logDetail: { row, scroll: 0 } });
    },
    scrollLogDetail(delta, max) {
      const cur = get().logDetail;
      if (cur) set({ logDetail: { ...cur, scroll: Math.max(0, Math.min(Math.max(0, max), cur.scroll + delta)) } });
    },
    closeLogDetail() {
      if (get().logDetail) set({ logDetail: null });
    },
    moveActivityCursor(delta, count) {
      set({ activityCursor: Math.max(0, Math.min(Math.max(0, count - 1), get().activityCursor + delta)) });
    },
    openTicket(model) {
      set({ ticket: { id: model.id, model, agent: Math.max(0, model.agents.length - 1), cursor: 0, expanded: false, scroll: 0 }, help: { open: false, scroll: 0 }, logDetail: null });
    },
    setTicketModel(model) {
      const t = get().ticket;
      if (!t || t.id !== model.id) return;
      // A new agent appears: follow it when the newest was chosen.
      const agent = t.agent >= t.model.agents.length - 1 ? Math.max(0, model.agents.length - 1) : Math.min(t.agent, Math.max(0, model.agents.length - 1));
      set({ ticket: { ...t, model, agent, cursor: agent === t.agent ? t.cursor : 0, expanded: agent === t.agent && t.expanded, scroll: agent === t.agent ? t.scroll : 0 } });
    },
    updateTicket(patch) {
      const t = get().ticket;
      if (t) set({ ticket: { ...t, ...patch } });
    },
    closeTicket() {
      if (get().ticket) set({ ticket: null });
    },
    setPrompt(value, fromOutside = false) {
      const p = get().prompt;
      const v = cleanText(value);
      set({ prompt: { ...p, value: v, cursor: fromOutside || p.cursor > v.length ? v.length : p.cursor, rev: fromOutside ? p.rev + 1 : p.rev, candidates: fromOutside ? p.candidates : [] } });
    },
    insertPrompt(text) {
      const p = get().prompt;
      const next = insertText(p, text);
      if (next.value !== p.value) set({ prompt: { ...p, ...next, candidates: [] } });
    },
    startLogSearch(current) {
      const p = get().prompt;
      set({ focus: 'prompt', prompt: { ...p, logSearch: { saved: p.logSearch?.saved ?? p.value }, value: current, cursor: current.length, rev: p.rev + 1, candidates: [], search: null } });
    },
    endLogSearch() {
      const p = get().prompt;
      if (!p.logSearch) return '';
      const text = p.value.trim();
      set({ focus: 'panes', prompt: { ...p, logSearch: null, value: p.logSearch.saved, cursor: p.logSearch.saved.length, rev: p.rev + 1 } });
      return text;
    },
    searchHistory(query) {
      const p = get().prompt;
      const q = query ?? p.search?.query ?? '';
      // A new query searches from the newest line; Ctrl-R again from just before the match.
      const from = query === undefined && p.search ? (p.search.index >= 0 ? p.search.index - 1 : -1) : p.history.length - 1;
      let index = -1;
      for (let i = from; i >= 0; i--) {
        if (p.history[i]!.toLowerCase().includes(q.toLowerCase())) {
          index = i;
          break;
        }
      }
      // Ctrl-R past the oldest match keeps the match it has.
      if (index < 0 && query === undefined && p.search && p.search.index >= 0) index = p.search.index;
      set({ prompt: { ...p, search: { query: q, index }, candidates: [] } });
    },
    endSearch(accept) {
      const p = get().prompt;
      if (!p.search) return;
      const match = p.search.index >= 0 ? p.history[p.search.index] : undefined;
      if (accept && match !== undefined) set({ prompt: { ...p, search: null, value: match, cursor: match.length, rev: p.rev + 1, historyIndex: null } });
      else set({ prompt: { ...p, search: null } });
    },
    editPrompt(edit) {
      const p = get().prompt;
      const next = editLine(p, edit);
      if (next.value !== p.value || next.cursor !== p.cursor) set({ prompt: { ...p, ...next, candidates: next.value === p.value ? p.candidates : [] } });
    },
    setCandidates(candidates) {
      set({ prompt: { ...get().prompt, candidates } });
    },
    pushHistory(line) {
      const p = get().prompt;
      const trimmed = line.trim();
      let history = p.history;
      // A line with a control character in it is broken, never history.
      if (trimmed && trimmed === cleanText(trimmed) && history[history.length - 1] !== trimmed) history = [...history, trimmed].slice(-HISTORY_MAX);
      set({ prompt: { value: '', cursor: 0, rev: p.rev + 1, history, historyIndex: null, draft: '', candidates: [], search: null, logSearch: null } });
    },
    historyPrev() {
      const p = get().prompt;
      if (!p.history.length) return;
      const index = p.historyIndex === null ? p.history.length - 1 : Math.max(0, p.historyIndex - 1);
      const draft = p.historyIndex === null ? p.value : p.draft;
      set({ prompt: { ...p, historyIndex: index, draft, value: p.history[index]!, cursor: p.history[index]!.length, rev: p.rev + 1, candidates: [] } });
    },
    historyNext() {
      const p = get().prompt;
      if (p.historyIndex === null) return;
      const index = p.historyIndex + 1;
      if (index >= p.history.length) set({ prompt: { ...p, historyIndex: null, value: p.draft, cursor: p.draft.length, draft: '', rev: p.rev + 1, candidates: [] } });
      else set({ prompt: { ...p, historyIndex: index, value: p.history[index]!, cursor: p.history[index]!.length, rev: p.rev + 1, candidates: [] } });
    },
    snooze(id) {
      if (!get().snoozed.includes(id)) set({ snoozed: [...get().snoozed, id], confirm: { approvalId: null, text: '', error: null } });
    },
    unsnoozeAll() {
      set({ snoozed: [] });
    },
    setConfirm(approvalId, text, error = null) {
      set({ confirm: { approvalId, text, error, choice: null } });
    },
    setChoice(approvalId, choice, error = null) {
      set({ confirm: { approvalId, text: '', error, choice } });
    },
    markDialogShown(key, at) {
      const cur = get().dialogShown;
      if (key === null) {
        if (cur) set({ dialogShown: null });
      } else if (cur?.key !== key) set({ dialogShown: { key, at } });
    },
    openDeployChooser(choices) {
      set({ deployChooser: { choices } });
    },
    closeDeployChooser() {
      set({ deployChooser: null });
    },
    notify(text, level = 'info') {
      set({ notice: { text, level, at: Date.now() } });
    },
    clearNotice() {
      set({ notice: null });
    },
    startCommand(line) {
      const id = ++commandSeq;
      set({ running: [...get().running, { id, line, startedAt: Date.now(), label: null }] });
      return id;
    },
    setCommandLabel(id, label) {
      set({ running: get().running.map((r) => (r.id === id ? { ...r, label } : r)) });
    },
    finishCommand(id) {
      set({ running: get().running.filter((r) => r.id !== id) });
    },
    advanceTick() {
      set({ tick: get().tick + 1 });
    },
  }));
}
