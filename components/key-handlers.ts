// Every key the dashboard knows, as handlers on the one priority stack, plus the table the help
// overlay and the footer are generated from (so the help can never drift from the keys).
import { LOG_LEVELS, LOG_VIEW_MAX, logLines } from '../src/store/store.js';
import { confirmationText } from '../src/engine/approval-policy.js';
import type { Dashboard } from './controller.js';
import { isPrintable, PRIORITY, type KeyHandler } from './keys.js';
import type { KeyHelp } from './view.js';
import type { LineEdit } from './line-edit.js';
import { helpRows } from './screen.js';
import { activityItems, approveCommand, logDetailLines, logRowKey, visibleAgents } from './view.js';
import { phaseRows, ticketLayout, visualRows, windowTop } from './ticket-view.js';
import { STACK_BELOW } from './screen.js';
import { PANES } from './ui-store.js';

export const KEY_HELP: readonly KeyHelp[] = [
  { when: 'Anywhere', keys: 'Ctrl-C', what: 'cancel the running commands; quit when none runs (Ctrl-C again within 2 s quits anyway)' },
  { when: 'Panes focused', keys: ': or Enter', what: 'focus the prompt (the dashboard opens with the panes focused: quick keys work at once)' },
  { when: 'At the prompt', keys: 'Enter', what: 'run the line: the same commands as the CLI (@agent is fine); free text goes to the router' },
  { when: 'At the prompt', keys: '↑ / ↓', what: 'previous / next line from the history' },
  { when: 'At the prompt', keys: 'Tab', what: 'complete command words, flags and their values, ticket, approval and agent ids' },
  { when: 'At the prompt', keys: '← → Home End', what: 'move the cursor (Ctrl-A / Ctrl-E: start / end; Alt-B / Alt-F: a word back / forward)' },
  { when: 'At the prompt', keys: 'Ctrl-W Ctrl-U Ctrl-K', what: 'delete the word before the cursor / to the start / to the end' },
  { when: 'At the prompt', keys: 'Ctrl-R', what: 'search the history (Ctrl-R again: older; Enter takes the line; Esc drops the search)' },
  { when: 'At the prompt', keys: 'PgUp / PgDn', what: 'scroll the log' },
  { when: 'At the prompt', keys: 'Esc', what: 'leave the prompt: back to the panes (quick keys below)' },
  { when: 'Panes focused', keys: 'Tab or 1 / 2 / 3', what: 'choose the pane: agents, recent activity, log' },
  { when: 'Panes focused', keys: '↑ ↓ then Enter', what: 'in the agents pane: pick an agent; Enter shows its log only' },
  { when: 'Panes focused', keys: '↑ ↓ then Enter', what: 'in the log pane: ↑ puts the cursor on a line; Enter shows it whole (Esc closes); Esc drops the cursor' },
  { when: 'Panes focused', keys: '↑ ↓ then Enter', what: 'in recent activity: pick a line; Enter opens its ticket' },
  { when: 'Panes focused', keys: 'T', what: 'the ticket view: the selected agent\'s, activity line\'s or log line\'s ticket (else the newest); also `ticket <id>` at the prompt' },
  { when: 'Panes focused', keys: '/', what: 'search the log: lines containing the text typed, then Enter (an empty line: all lines)' },
  { when: 'Panes focused', keys: 'R', what: 'refresh everything from the state database' },
  { when: 'Panes focused', keys: 'L', what: 'logs: the log pane fills the screen (L again: back)' },
  { when: 'Panes focused', keys: 'D', what: 'deploy: asks which target' },
  { when: 'Panes focused', keys: 'H or ?', what: 'this help' },
  { when: 'Panes focused', keys: 'Q', what: 'quit' },
  { when: 'Panes focused', keys: 'P', what: 'bring back approvals put off with Esc' },
  { when: 'Panes focused', keys: 'A', what: 'filter the log by agent (cycles through the agents seen)' },
  { when: 'Panes focused', keys: 'V', what: 'filter the log by level (debug, info, warn, error)' },
  { when: 'Panes focused', keys: '↑ ↓ PgUp PgDn', what: 'scroll the log; older events are read back from SQLite' },
  { when: 'Panes focused', keys: 'Home / End or F', what: 'oldest loaded / follow the newest' },
  { when: 'Approval dialog', keys: 'y / n', what: 'approve / reject a low-risk request; above low risk, y or n then Enter' },
  { when: 'Approval dialog', keys: 'ID then Enter', what: 'approve a production deploy, destructive migration or emergency action (type its ticket id)' },
  { when: 'Approval dialog', keys: 'Esc', what: 'decide later (P brings it back)' },
  { when: 'Approval dialog', keys: '(300 ms)', what: 'keys that arrive before a dialog is drawn, and for 300 ms after, are ignored: typing never answers it' },
  { when: 'Deploy chooser', keys: '1-9', what: 'the target by its number (letters choose nothing)' },
  { when: 'Help', keys: '↑ ↓ PgUp PgDn', what: 'scroll this help' },
  { when: 'Help', keys: 'Esc, H or Q', what: 'close it' },
  { when: 'Ticket view', keys: '↑ ↓ PgUp PgDn', what: 'move through the phases, their checklist items and evidence (Home / End: first / last)' },
  { when: 'Ticket view', keys: '← → or Tab', what: 'the previous / next agent that worked on the ticket' },
  { when: 'Ticket view', keys: 'Enter', what: 'the row under the cursor whole, wrapped (Enter again: one row)' },
  { when: 'Ticket view', keys: 'Esc or Q', what: 'back' },
  { when: 'Log line', keys: '↑ ↓ PgUp PgDn', what: 'scroll a long line; Esc, Enter or Q closes it' },
];

const lower = (input: string) => input.toLowerCase();

const CTRL_EDITS: Record<string, LineEdit> = { a: 'home', e: 'end', u: 'killToStart', w: 'killWordBack', k: 'killToEnd', b: 'left', f: 'right', d: 'delete' };
/** Alt-B / Alt-F / Alt-D (ESC+letter in one read while the prompt has the focus). */
export const ALT_EDITS: Record<string, LineEdit> = { b: 'wordLeft', f: 'wordRight' };

/** Registers the dashboard's handlers on its router; returns the function that removes them. */
export function installKeys(d: Dashboard): () => void {
  const { ui, data, router } = d;
  const noOverlay = () => !ui.getState().help.open && !ui.getState().logDetail && !ui.getState().ticket && d.dialog() === null;
  const page = () => Math.max(1, d.layout().logVisible - 1);

  const global: KeyHandler = (input, key) => {
    if (key.ctrl && lower(input) === 'c') {
      d.interrupt();
      return true;
    }
    return false;
  };

  const modal: KeyHandler = (input, key) => {
    const dlg = d.dialog();
    if (!dlg) return false;
    if (dlg.type === 'deploy') {
      if (key.escape) ui.getState().closeDeployChooser();
      else if (/^[1-9]$/.test(input) && !key.ctrl && !key.meta) {
        const choice = dlg.choices[Number(input) - 1];
        if (choice) void d.chooseDeploy(choice);
      }
      return true;
    }
    const a = dlg.approval;
    const u = ui.getState();
    // A dialog that opens while the admin types never answers itself: keys that arrived before it
    // was drawn, or within the arming time after, are dropped (Ctrl-C is above this handler).
    const shown = u.dialogShown;
    if (!shown || shown.key !== a.id || d.readAt() < shown.at + d.armMs) {
      if ((isPrintable(input, key) || key.return) && !u.confirm.error) u.setConfirm(a.id, '', `keys typed before ${a.id} appeared were ignored: it answers to keys pressed once it is on screen`);
      return true;
    }
    const text = u.confirm.approvalId === a.id ? u.confirm.text : '';
    if (key.escape) {
      if ((a.confirm === 'typed' && text) || (u.confirm.approvalId === a.id && u.confirm.choice)) u.setConfirm(a.id, '');
      else {
        u.snooze(a.id);
        u.notify(`${a.id} put off: press P (panes focused) to bring it back, or run \`${approveCommand(a)}\``, 'warn');
      }
      return true;
    }
    const choice = u.confirm.approvalId === a.id ? (u.confirm.choice ?? null) : null;
    if (a.confirm === 'typed') {
      if (key.return) void d.decide(choice ?? 'approved');
      else if (choice) {
        if (key.backspace || key.delete || isPrintable(input, key)) u.setChoice(a.id, null);
      } else if (key.backspace || key.delete) u.setConfirm(a.id, text.slice(0, -1));
      else if (!text && lower(input) === 'n' && !key.ctrl && !key.meta) u.setChoice(a.id, 'rejected');
      else if (!text && lower(input) === 'y') u.setConfirm(a.id, '', `this one needs ${confirmationText(a)} typed, then Enter`);
      else if (isPrintable(input, key)) u.setConfirm(a.id, (text + input).replace(/\s+/g, '').slice(0, 64));
      return true;
    }
    // Above low risk, y or n only chooses; Enter carries the choice out.
    const needsEnter = a.risk !== 'low';
    if (lower(input) === 'y' && !key.ctrl && !key.meta) needsEnter ? u.setChoice(a.id, 'approved') : void d.decide('approved');
    else if (lower(input) === 'n' && !key.ctrl && !key.meta) needsEnter ? u.setChoice(a.id, 'rejected') : void d.decide('rejected');
    else if (key.return) {
      if (choice) void d.decide(choice);
      else u.setConfirm(a.id, '', needsEnter ? 'press y (approve) or n (reject), then Enter' : 'press y to approve or n to reject');
    } else if (choice && (key.backspace || key.delete || isPrintable(input, key))) u.setChoice(a.id, null);
    return true;
  };

  const overlay: KeyHandler = (input, key) => {
    const u = ui.getState();
    const visible = helpRows(d.layout());
    if (key.escape || key.return || ['h', 'q', '?'].includes(lower(input))) u.closeHelp();
    else if (key.upArrow) u.scrollHelp(-1, Number.MAX_SAFE_INTEGER);
    else if (key.downArrow) u.scrollHelp(1, Number.MAX_SAFE_INTEGER);
    else if (key.pageUp) u.scrollHelp(-visible, Number.MAX_SAFE_INTEGER);
    else if (key.pageDown) u.scrollHelp(visible, Number.MAX_SAFE_INTEGER);
    return true;
  };

  /** Enter on a log line: the line whole; Esc (or Enter, q) closes it, arrows scroll a long one. */
  const detail: KeyHandler = (input, key) => {
    const u = ui.getState();
    const open = u.logDetail;
    if (!open) return false;
    const l = d.layout();
    const visible = Math.max(1, l.logVisible);
    const max = logDetailLines(open.row, u.columns - 4).length - visible;
    if (key.escape || key.return || lower(input) === 'q') u.closeLogDetail();
    else if (key.upArrow) u.scrollLogDetail(-1, max);
    else if (key.downArrow) u.scrollLogDetail(1, max);
    else if (key.pageUp) u.scrollLogDetail(-visible, max);
    else if (key.pageDown) u.scrollLogDetail(visible, max);
    return true;
  };

  /** The ticket view: the cursor over the chosen agent's phase rows, the agent, Enter for a whole row. */
  const ticketView: KeyHandler = (input, key) => {
    const u = ui.getState();
    const t = u.ticket;
    if (!t) return false;
    const l = ticketLayout(d.layout().help, u.columns, t.model.agents.length, STACK_BELOW);
    const width = (l.mode === 'side' ? u.columns - l.ticketBox : u.columns) - 4;
    const count = phaseRows(t.model.agents[t.agent], t.id).length;
    const moveTo = (cursor: number, expanded = false) => {
      const c = Math.max(0, Math.min(count - 1, cursor));
      const rows = visualRows(phaseRows(t.model.agents[t.agent], t.id), c, expanded, width);
      u.updateTicket({ cursor: c, expanded, scroll: windowTop(rows, c, l.phaseRows, t.scroll) });
    };
    const agents = t.model.agents.length;
    const ch = lower(input);
    if (key.escape || ch === 'q') u.closeTicket();
    else if (ch === 'h' || ch === '?') u.openHelp();
    else if (key.upArrow) moveTo(t.cursor - 1);
    else if (key.downArrow) moveTo(t.cursor + 1);
    else if (key.pageUp) moveTo(t.cursor - Math.max(1, l.phaseRows - 1));
    else if (key.pageDown) moveTo(t.cursor + Math.max(1, l.phaseRows - 1));
    else if (key.home) moveTo(0);
    else if (key.end) moveTo(count - 1);
    else if (key.return) moveTo(t.cursor, !t.expanded);
    else if ((key.leftArrow || key.rightArrow || key.tab) && agents > 1) {
      const back = key.leftArrow || (key.tab && key.shift);
      u.updateTicket({ agent: (t.agent + (back ? agents - 1 : 1)) % agents, cursor: 0, scroll: 0, expanded: false });
    } else if (ch === 'r') {
      if (d.openTicket(t.id)) u.updateTicket({ agent: Math.min(t.agent, Math.max(0, agents - 1)), cursor: t.cursor, scroll: t.scroll });
    }
    return true;
  };

  /** T: the ticket of what is selected (an agent, an activity line, a log line), else the newest ticket. */
  const selectedTicket = (): string | null => {
    const u = ui.getState();
    const s = data.getState();
    const l = d.layout();
    if (l.top > 0 && u.pane === 'agents') {
      const shown = visibleAgents(s.agents, Date.now());
      const a = shown[Math.min(u.agentCursor, shown.length - 1)];
      if (a?.ticket_id) return a.ticket_id;
    }
    if (l.top > 0 && u.pane === 'activity') {
      const items = activityItems(s.status, s.agents, Date.now(), Math.max(1, l.activity - 3));
      const it = items[Math.min(u.activityCursor, items.length - 1)];
      if (it?.ticketId) return it.ticketId;
    }
    if (u.logSelected !== null) {
      const row = s.log.rows.find((r) => String(r.id) === u.logSelected);
      if (row?.ticket_id) return row.ticket_id;
    }
    return s.ticketIds[0] ?? null;
  };
  const openSelectedTicket = () => {
    const id = selectedTicket();
    if (id) d.openTicket(id);
    else ui.getState().notify('No ticket yet: `create ticket "<what fails>"` makes one.', 'info');
  };

  /** ↑ / ↓ / Enter / Esc in the log pane: the line cursor (by the line's key, so it stays on its line as others arrive). */
  const logCursor = (key: { upArrow: boolean; downArrow: boolean; return: boolean; escape: boolean }): boolean => {
    const u = ui.getState();
    const s = data.getState();
    const visible = d.layout().logVisible;
    const window = () => {
      const st = data.getState();
      const lines = logLines(st.log.rows, st.console, st.log);
      const end = Math.max(0, lines.length - st.log.offset);
      return { lines, end, start: Math.max(0, end - visible) };
    };
    let { lines } = window();
    const { end, start } = window();
    const at = u.logSelected === null ? -1 : lines.findIndex((r) => logRowKey(r) === u.logSelected);
    const selected = at >= start && at < end ? at : -1;
    if (key.return) {
      if (selected < 0) return false;
      u.openLogDetail(lines[selected]!);
      return true;
    }
    if (key.escape) {
      if (u.logSelected === null) return false;
      u.selectLogLine(null);
      return true;
    }
    if (key.upArrow) {
      if (selected < 0) {
        if (end > 0) u.selectLogLine(logRowKey(lines[end - 1]!));
      } else if (selected > start) u.selectLogLine(logRowKey(lines[selected - 1]!));
      else {
        const keep = logRowKey(lines[selected]!);
        s.scrollLog(1, visible);
        ({ lines } = window());
        const i = lines.findIndex((r) => logRowKey(r) === keep);
        if (i > 0) u.selectLogLine(logRowKey(lines[i - 1]!));
      }
      return true;
    }
    if (key.downArrow) {
      if (selected < 0) {
        if (u.logSelected !== null) u.selectLogLine(null);
        s.scrollLog(-1, visible);
      } else if (selected < end - 1) u.selectLogLine(logRowKey(lines[selected + 1]!));
      else if (s.log.follow && s.log.offset === 0) u.selectLogLine(null); // past the newest line: no cursor
      else {
        const keep = logRowKey(lines[selected]!);
        s.scrollLog(-1, visible);
        ({ lines } = window());
        const i = lines.findIndex((r) => logRowKey(r) === keep);
        if (i >= 0 && i + 1 < lines.length) u.selectLogLine(logRowKey(lines[i + 1]!));
      }
      return true;
    }
    return false;
  };

  const prompt: KeyHandler = (input, key) => {
    const u = ui.getState();
    const ch = lower(input);
    const search = u.prompt.search;
    if (u.prompt.logSearch) {
      // `/`: the line is the log's search text. Enter applies it (empty: no search), Esc keeps the old one.
      if (key.return) {
        const text = u.endLogSearch();
        data.getState().setLogFilter({ text: text || null });
        u.notify(text ? `Log: lines containing "${text}" (/ then Enter on an empty line: all lines)` : 'Log: all lines', 'info');
        return true;
      }
      if (key.escape) {
        u.endLogSearch();
        return true;
      }
      if (key.upArrow || key.downArrow || key.tab || (key.ctrl && ch === 'r')) return true;
    }
    if (key.ctrl && ch === 'r') u.searchHistory();
    else if (search) {
      // Reverse history search: text narrows it, Enter or an editing key takes the match, Esc drops it.
      if (key.escape || (key.ctrl && ch === 'g')) u.endSearch(false);
      else if (key.backspace) u.searchHistory(search.query.slice(0, -1));
      else if (isPrintable(input, key)) u.searchHistory(search.query + input);
      else {
        u.endSearch(true);
        if (!key.return) return prompt(input, key);
      }
    } else if (key.escape) u.setFocus('panes');
    else if (key.return) void d.submit(u.prompt.value);
    else if (key.upArrow) u.historyPrev();
    else if (key.downArrow) u.historyNext();
    else if (key.tab) d.completePrompt();
    else if (key.pageUp) data.getState().scrollLog(page(), d.layout().logVisible);
    else if (key.pageDown) data.getState().scrollLog(-page(), d.layout().logVisible);
    else if (key.backspace) u.editPrompt(key.meta || (key.ctrl && ch === 'h') ? 'killWordBack' : 'backspace');
    else if (key.delete) u.editPrompt('delete');
    else if (key.leftArrow) u.editPrompt(key.ctrl || key.meta ? 'wordLeft' : 'left');
    else if (key.rightArrow) u.editPrompt(key.ctrl || key.meta ? 'wordRight' : 'right');
    else if (key.home) u.editPrompt('home');
    else if (key.end) u.editPrompt('end');
    else if (key.ctrl && ch in CTRL_EDITS) u.editPrompt(CTRL_EDITS[ch]!);
    else if (key.meta && ch in ALT_EDITS) u.editPrompt(ALT_EDITS[ch]!);
    else if (isPrintable(input, key)) u.insertPrompt(input);
    else return false;
    return true;
  };

  const panes: KeyHandler = (input, key) => {
    const u = ui.getState();
    const s = data.getState();
    const visible = d.layout().logVisible;
    const shownAgents = visibleAgents(s.agents, Date.now());
    const panesShown = d.layout().top > 0;
    if (key.tab) u.setPane(panesShown ? PANES[(PANES.indexOf(u.pane) + (key.shift ? PANES.length - 1 : 1)) % PANES.length]! : 'log');
    else if (/^[123]$/.test(input)) u.setPane(panesShown ? PANES[Number(input) - 1]! : 'log');
    else if (u.pane === 'agents' && panesShown && (key.upArrow || key.downArrow)) u.moveAgentCursor(key.upArrow ? -1 : 1, shownAgents.length);
    else if (u.pane === 'activity' && panesShown && (key.upArrow || key.downArrow)) {
      u.moveActivityCursor(key.upArrow ? -1 : 1, activityItems(s.status, s.agents, Date.now(), Math.max(1, d.layout().activity - 3)).length);
    } else if (u.pane === 'activity' && panesShown && key.return) {
      const items = activityItems(s.status, s.agents, Date.now(), Math.max(1, d.layout().activity - 3));
      const it = items[Math.min(u.activityCursor, items.length - 1)];
      if (it?.ticketId) d.openTicket(it.ticketId);
      else u.notify(it ? 'That line is about no ticket: T opens the newest ticket.' : 'No activity yet.', 'info');
    } else if (u.pane === 'agents' && panesShown && key.return) {
      // Enter on an agent: the log shows that agent only (A cycles on, A back to all).
      const agent = shownAgents[Math.min(u.agentCursor, shownAgents.length - 1)];
      if (!agent) u.notify('No agent to pick: the log shows every agent.', 'info');
      else {
        s.setLogFilter({ agent: agent.id });
        u.setPane('log');
        u.notify(`Log: ${agent.id} (A: next agent, all agents after the last)`, 'info');
      }
    } else if ((u.pane === 'log' || !panesShown) && (key.upArrow || key.downArrow || key.return || key.escape) && !key.ctrl && !key.meta && logCursor(key)) return true;
    else if (input === '/') u.startLogSearch(s.log.filter.text ?? '');
    else if (key.return || input === ':') u.setFocus('prompt');
    else if (key.escape) return true; // the panes are the bottom of the stack: nothing to leave
    else if (key.upArrow) s.scrollLog(1, visible);
    else if (key.downArrow) s.scrollLog(-1, visible);
    else if (key.pageUp) s.scrollLog(page(), visible);
    else if (key.pageDown) s.scrollLog(-page(), visible);
    else if (key.home) s.scrollLog(LOG_VIEW_MAX, visible);
    else if (key.end) s.followLog();
    else if (key.ctrl || key.meta) return false;
    else
      switch (lower(input)) {
        case 'r':
          d.refresh();
          break;
        case 'l':
          u.toggleLogs();
          break;
        case 'd':
          d.deploy();
          break;
        case 't':
          openSelectedTicket();
          break;
        case 'h':
        case '?':
          u.openHelp();
          break;
        case 'q':
          d.quit();
          break;
        case 'f':
          s.followLog();
          break;
        case 'p':
          if (u.snoozed.length) u.unsnoozeAll();
          else u.notify(s.pendingApprovals.length ? 'The pending approval is open below.' : 'No approval is waiting.', 'info');
          break;
        case 'a': {
          const agents = [...new Set([...s.agents.map((a) => a.id), ...s.events.map((e) => e.agent).filter((x): x is string => !!x)])];
          const choices: Array<string | null> = [null, ...agents];
          const next = choices[(choices.indexOf(s.log.filter.agent) + 1) % choices.length] ?? null;
          s.setLogFilter({ agent: next });
          u.notify(`Log: ${next ?? 'all agents'}`, 'info');
          break;
        }
        case 'v': {
          const next = LOG_LEVELS[(LOG_LEVELS.indexOf(s.log.filter.minLevel) + 1) % LOG_LEVELS.length]!;
          s.setLogFilter({ minLevel: next });
          u.notify(`Log: ${next} and above`, 'info');
          break;
        }
        default:
          return false;
      }
    return true;
  };

  const removers = [
    router.register(PRIORITY.global, global),
    router.register(PRIORITY.modal, modal, () => d.dialog() !== null),
    router.register(PRIORITY.overlay, overlay, () => ui.getState().help.open),
    router.register(PRIORITY.overlay, ticketView, () => !!ui.getState().ticket && !ui.getState().help.open && d.dialog() === null),
    router.register(PRIORITY.overlay, detail, () => !!ui.getState().logDetail && !ui.getState().help.open && d.dialog() === null),
    router.register(PRIORITY.prompt, prompt, () => ui.getState().focus === 'prompt' && noOverlay()),
    router.register(PRIORITY.panes, panes, () => ui.getState().focus === 'panes' && noOverlay()),
  ];
  return () => removers.forEach((r) => r());
}

/** The prompt takes text only while it is on top of the stack. */
export function promptActive(d: Dashboard): boolean {
  const u = d.ui.getState();
  return u.focus === 'prompt' && !u.help.open && !u.logDetail && !u.ticket && d.dialog() === null;
}
