// Every key the dashboard knows, as handlers on the one priority stack, plus the table the help
// overlay and the footer are generated from (so the help can never drift from the keys).
import { LOG_LEVELS, LOG_VIEW_MAX } from '../src/store/store.js';
import { confirmationText } from '../src/engine/approval-policy.js';
import type { Dashboard } from './controller.js';
import { isPrintable, PRIORITY, type KeyHandler } from './keys.js';
import type { KeyHelp } from './view.js';
import { helpRows } from './screen.js';

export const KEY_HELP: readonly KeyHelp[] = [
  { when: 'Anywhere', keys: 'Ctrl-C', what: 'cancel the running commands; quit when none runs' },
  { when: 'At the prompt', keys: 'Enter', what: 'run the line: the same commands as the CLI (@agent is fine); free text goes to the router' },
  { when: 'At the prompt', keys: '↑ / ↓', what: 'previous / next line from the history' },
  { when: 'At the prompt', keys: 'Tab', what: 'complete command words, flags and their values, ticket, approval and agent ids' },
  { when: 'At the prompt', keys: 'PgUp / PgDn', what: 'scroll the log' },
  { when: 'At the prompt', keys: 'Esc', what: 'focus the panes (quick keys below)' },
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
  { when: 'Panes focused', keys: 'Esc, Enter or :', what: 'back to the prompt' },
  { when: 'Approval dialog', keys: 'y / n', what: 'approve / reject' },
  { when: 'Approval dialog', keys: 'ID then Enter', what: 'approve a production deploy, destructive migration or emergency action (type its ticket id)' },
  { when: 'Approval dialog', keys: 'Esc', what: 'decide later (P brings it back)' },
  { when: 'Help', keys: '↑ ↓ PgUp PgDn', what: 'scroll this help' },
  { when: 'Help', keys: 'Esc, H or Q', what: 'close it' },
];

const lower = (input: string) => input.toLowerCase();

/** Registers the dashboard's handlers on its router; returns the function that removes them. */
export function installKeys(d: Dashboard): () => void {
  const { ui, data, router } = d;
  const noOverlay = () => !ui.getState().help.open && d.dialog() === null;
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
      else {
        const n = Number(input);
        const choice = Number.isInteger(n) && n >= 1 ? dlg.choices[n - 1] : dlg.choices.find((c) => input.length === 1 && lower(c).startsWith(lower(input)));
        if (choice) void d.chooseDeploy(choice);
      }
      return true;
    }
    const a = dlg.approval;
    const u = ui.getState();
    const text = u.confirm.approvalId === a.id ? u.confirm.text : '';
    if (key.escape) {
      if (a.confirm === 'typed' && text) u.setConfirm(a.id, '');
      else {
        u.snooze(a.id);
        u.notify(`${a.id} put off: press P (panes focused) to bring it back, or run \`approve ${a.id}\``, 'warn');
      }
      return true;
    }
    if (a.confirm === 'typed') {
      if (key.return) void d.decide('approved');
      else if (key.backspace || key.delete) u.setConfirm(a.id, text.slice(0, -1));
      else if (!text && lower(input) === 'n') void d.decide('rejected');
      else if (!text && lower(input) === 'y') u.setConfirm(a.id, '', `this one needs ${confirmationText(a)} typed, then Enter`);
      else if (/[\r\n]/.test(input)) {
        // Pasted text with its Enter in one chunk.
        u.setConfirm(a.id, text + input.split(/[\r\n]/)[0]!.trim());
        void d.decide('approved');
      } else if (isPrintable(input, key)) u.setConfirm(a.id, (text + input).replace(/\s+/g, '').slice(0, 64));
      return true;
    }
    if (lower(input) === 'y') void d.decide('approved');
    else if (lower(input) === 'n') void d.decide('rejected');
    else if (key.return) u.setConfirm(a.id, '', 'press y to approve or n to reject');
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

  const prompt: KeyHandler = (_input, key) => {
    const u = ui.getState();
    if (key.escape) u.setFocus('panes');
    else if (key.upArrow) u.historyPrev();
    else if (key.downArrow) u.historyNext();
    else if (key.tab) d.completePrompt();
    else if (key.pageUp) data.getState().scrollLog(page(), d.layout().logVisible);
    else if (key.pageDown) data.getState().scrollLog(-page(), d.layout().logVisible);
    else return false; // text and Enter belong to ink-text-input
    return true;
  };

  const panes: KeyHandler = (input, key) => {
    const u = ui.getState();
    const s = data.getState();
    const visible = d.layout().logVisible;
    if (key.escape || key.return || input === ':') u.setFocus('prompt');
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
    router.register(PRIORITY.prompt, prompt, () => ui.getState().focus === 'prompt' && noOverlay()),
    router.register(PRIORITY.panes, panes, () => ui.getState().focus === 'panes' && noOverlay()),
  ];
  return () => removers.forEach((r) => r());
}

/** ink-text-input types only while the prompt is on top of the stack. */
export function promptActive(d: Dashboard): boolean {
  const u = d.ui.getState();
  return u.focus === 'prompt' && !u.help.open && d.dialog() === null;
}
