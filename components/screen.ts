// The DialogManager's choice and the screen's layout, as pure functions of the two stores.
import type { ApprovalRow } from '../src/store/rows.js';

export type Dialog =
  | { type: 'approval'; approval: ApprovalRow; others: number }
  | { type: 'deploy'; choices: string[] }
  | null;

/** The single modal to show: the oldest pending approval not put off, else the deploy chooser. */
export function chooseDialog(pending: readonly ApprovalRow[], snoozed: readonly string[], deployChooser: { choices: string[] } | null): Dialog {
  const waiting = pending
    .filter((a) => a.status === 'pending' && !snoozed.includes(a.id))
    .sort((a, b) => a.requested_at - b.requested_at || a.id.localeCompare(b.id, 'en', { numeric: true }));
  if (waiting[0]) return { type: 'approval', approval: waiting[0], others: waiting.length - 1 };
  if (deployChooser) return { type: 'deploy', choices: deployChooser.choices };
  return null;
}

export interface Layout {
  /** The whole frame: one line shorter than the terminal, so Ink never clears the screen. */
  height: number;
  header: number;
  /** Agents and recent activity (0 when the log is maximized or the screen is short). */
  top: number;
  /** Below STACK_BELOW columns the agents pane sits above the activity pane instead of beside it. */
  stacked: boolean;
  /** The agents pane's height and the activity pane's (each `top` side by side; they add up to it stacked). */
  agents: number;
  activity: number;
  /** The log pane, borders included (0 while help is open). */
  log: number;
  /** Log lines that fit in the log pane. */
  logVisible: number;
  /** The help overlay's height (0 when closed). */
  help: number;
  /** The prompt or the dialog in its place, borders included. */
  bottom: number;
  footer: number;
}

/** Two rows of data, no border. */
export const HEADER_HEIGHT = 2;
export const PROMPT_HEIGHT = 4;
export const FOOTER_HEIGHT = 1;

/** Narrower than this, agents and activity stack (side by side, an agent row lost its phase bar at 80 columns). */
export const STACK_BELOW = 100;

export function computeLayout(rows: number, o: { agents: number; logsMaximized: boolean; helpOpen: boolean; dialogLines: number; columns?: number }): Layout {
  const stacked = (o.columns ?? STACK_BELOW) < STACK_BELOW;
  const height = Math.max(HEADER_HEIGHT + FOOTER_HEIGHT + PROMPT_HEIGHT, rows - 1);
  const header = HEADER_HEIGHT;
  // The footer stays at every size: its first keys (Ctrl-C, :, H) are how to get anywhere.
  const footer = FOOTER_HEIGHT;
  // Under 16 rows (minimal mode) a dialog may take the log's rows too.
  const maxBottom = height - header - footer - (height >= 16 ? 3 : 0);
  // Minimal mode: the prompt without its border (2 rows), so the log keeps a few lines.
  const bottom = o.dialogLines > 0 ? Math.min(maxBottom, o.dialogLines + 2) : height >= 16 ? PROMPT_HEIGHT : PROMPT_HEIGHT - 2;
  const remaining = height - header - footer - bottom;
  if (o.helpOpen) return { height, header, top: 0, stacked, agents: 0, activity: 0, log: 0, logVisible: 0, help: remaining, bottom, footer };
  if (stacked) {
    // Stacked: idle, the agents pane is its title row alone ("Agents 0/5 active · No agents
    // running."); activity keeps 1 line, 3 when there is room. The log keeps 5 rows or more.
    const agents = 3 + Math.min(6, o.agents);
    for (const lines of remaining >= 24 ? [3, 1] : [1]) {
      const top = agents + 3 + lines;
      if (!o.logsMaximized && remaining - top >= 5) {
        const log = remaining - top;
        return { height, header, top, stacked, agents, activity: 3 + lines, log, logVisible: Math.max(0, log - 3), help: 0, bottom, footer };
      }
    }
    const log = remaining;
    return { height, header, top: 0, stacked, agents: 0, activity: 0, log, logVisible: Math.max(0, log - 3), help: 0, bottom, footer };
  }
  // Agents and activity: a title row and 3 to 6 rows (4 when there is room), as long as the log
  // keeps 5 rows (3 lines) or more.
  // Idle (no agent to show), the panes collapse to one line each.
  const want = 2 + 1 + (o.agents === 0 ? 1 : Math.min(6, Math.max(remaining >= 20 ? 4 : 3, o.agents)));
  const top = o.logsMaximized || remaining - want < 5 ? 0 : want;
  const log = remaining - top;
  return { height, header, top, stacked, agents: top, activity: top, log, logVisible: Math.max(0, log - 3), help: 0, bottom, footer };
}

/** Help lines that fit in the overlay (borders and its title row taken off). */
export function helpRows(l: Layout): number {
  return Math.max(1, l.help - 3);
}
