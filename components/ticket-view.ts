// The ticket view (T, Enter on an activity line, or `ticket <id>` at the prompt): a ticket and each
// agent's six phases with their checklist items and evidence, as `agent ticket <id>` prints them.
// loadTicket reads the state database (the same agentPhases the CLI uses); the rest is pure:
// model in, rows of coloured segments out, so what the view shows is testable without a terminal.
import { PHASES } from '../src/engine/gates.js';
import { agentPhases, type AgentPhases } from '../src/engine/run-gates.js';
import type { StateDb } from '../src/store/state-db.js';
import { cellWidth, clean, phaseBar, type Line, type Seg } from './view.js';

export interface TicketModel {
  id: string;
  kind: string;
  status: string;
  priority: string;
  description: string;
  createdBy: string;
  approvals: Array<{ id: string; status: string; action: string }>;
  /** Each agent of the ticket's runs, oldest first, with the phases it reached. */
  agents: AgentPhases[];
}

/** The ticket as the view shows it, or null when there is no such ticket. */
export function loadTicket(state: StateDb, id: string): TicketModel | null {
  const t = state.ticket(id);
  if (!t) return null;
  const runs = state.runs({ ticketId: t.id });
  return {
    id: t.id,
    kind: t.kind,
    status: t.status,
    priority: t.priority,
    description: t.description,
    createdBy: t.created_by,
    approvals: state.approvals({ ticketId: t.id }).map((a) => ({ id: a.id, status: a.status, action: a.action })),
    agents: agentPhases(state, [...runs].reverse()),
  };
}

const seg = (text: string, style: Omit<Seg, 'text'> = {}): Seg => ({ text: clean(text), ...style });
const FINISHED = new Set(['done', 'failed', 'blocked', 'cancelled', 'interrupted']);

/** One row of the phases list: what it shows truncated, and its whole text for Enter. */
export interface PhaseRow {
  line: Line;
  whole: string;
}

/** The selected agent's six phases, each followed by its checklist items with their evidence. */
export function phaseRows(a: AgentPhases | undefined, ticketId: string): PhaseRow[] {
  if (!a)
    return [
      { line: [seg('No agent has worked on it yet.', { dim: true })], whole: `No agent has worked on ${ticketId} yet.` },
      { line: [seg(`fix ticket ${ticketId}`, { bold: true }), seg(' starts one', { dim: true })], whole: `\`fix ticket ${ticketId}\` starts one.` },
    ];
  const rows: PhaseRow[] = [];
  const reached = a.phases.map((p) => p.phase);
  const last = reached[reached.length - 1];
  for (const phase of PHASES) {
    const p = a.phases.find((x) => x.phase === phase);
    const name = phase.padEnd(11);
    if (!p) {
      rows.push({ line: [seg('○ ', { dim: true }), seg(name, { dim: true }), seg('not reached', { dim: true })], whole: `${phase}: not reached` });
      continue;
    }
    let sym: Seg;
    let verdict: Seg[];
    let whole: string;
    if (p.gate) {
      sym = p.gate.ok ? seg('✓ ', { color: 'green' }) : seg('✗ ', { color: 'red' });
      verdict = [seg(p.gate.ok ? 'gate passed ' : 'gate BLOCKED ', { color: p.gate.ok ? 'green' : 'red', bold: !p.gate.ok }), seg(p.gate.gate, { bold: true }), seg(`: ${p.gate.detail}`, { dim: true })];
      whole = `${phase}: ${p.gate.ok ? 'gate passed' : 'gate BLOCKED'} ${p.gate.gate}: ${p.gate.detail}`;
    } else {
      const working = !FINISHED.has(a.state) && phase === last;
      sym = seg('… ', { color: 'yellow' });
      verdict = [seg(working ? 'in progress' : 'no gate decided (the agent stopped in this phase)', { color: 'yellow' })];
      whole = `${phase}: ${working ? 'in progress' : 'no gate decided (the agent stopped in this phase)'}`;
    }
    rows.push({ line: [sym, seg(name, { bold: true }), ...verdict], whole });
    for (const i of p.items) {
      rows.push({
        line: [seg('   '), i.ok ? seg('✓ ', { color: 'green' }) : seg('✗ ', { color: 'red' }), seg(i.item), seg(`: ${i.evidence}`, { dim: true })],
        whole: `${i.ok ? '✓' : '✗'} ${i.item}: ${i.evidence}`,
      });
    }
  }
  return rows;
}

/**
 * The segments that fit in `width` cells: the first always (cut by its box if it must), then each
 * later one whole or not at all, so a label is never cut in half.
 */
export function fitSegs(segs: readonly Seg[], width: number): Line {
  const out: Line = [];
  let used = 0;
  for (const [i, sg] of segs.entries()) {
    const w = cellWidth(sg.text);
    if (i > 0 && used + w > width) break;
    out.push(sg);
    used += w;
  }
  return out;
}

/** An agent in the list: who, its state, how far through the six phases (the run when there is room). */
export function agentRow(a: AgentPhases, selected: boolean, width = Number.POSITIVE_INFINITY): Line {
  // As the agents pane counts: the phases it reached (the one it stopped in included).
  const { bar, index: reached } = phaseBar(a.phases[a.phases.length - 1]?.phase ?? null);
  const blocked = a.phases.some((p) => p.gate && !p.gate.ok);
  return fitSegs([
    seg(selected ? '› ' : '  ', { color: 'cyan', bold: true }),
    seg(a.agentId, { bold: selected, inverse: selected }),
    seg(` ${a.state} `, { dim: !selected, color: a.state === 'done' ? 'green' : blocked || a.state === 'failed' ? 'red' : undefined }),
    seg(bar, { color: blocked ? 'red' : 'cyan' }),
    seg(` ${reached}/${PHASES.length}`, { dim: true }),
    seg(`  ${a.runId}`, { dim: true }),
    seg(` ${a.command}`, { dim: true }),
  ], width);
}

/** The ticket's own lines: what it is, its description (up to `descRows` rows of `width`), approvals. */
export function ticketSummary(m: TicketModel, width: number, descRows: number): Line[] {
  const lines: Line[] = [fitSegs([seg(`${m.kind} · `), seg(m.status, { bold: true }), seg(` · ${m.priority} priority`, { dim: true }), seg(` · by ${m.createdBy}`, { dim: true })], width)];
  for (const row of wrapText(m.description, width).slice(0, Math.max(0, descRows))) lines.push([seg(row)]);
  for (const a of m.approvals) lines.push([seg(`${a.id} `, { bold: true }), seg(a.status, { color: a.status === 'approved' ? 'green' : a.status === 'pending' ? 'yellow' : 'red' }), seg(` ${a.action}`, { dim: true })]);
  return lines;
}

/** Text wrapped to `width` cells: at the last space that fits, else mid-word (a long path or id). */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let rest = clean(para);
    while (rest.length > w) {
      const cut = rest.lastIndexOf(' ', w);
      const at = cut > w / 3 ? cut : w;
      out.push(rest.slice(0, at));
      rest = rest.slice(at).replace(/^ /, '');
    }
    out.push(rest);
  }
  return out;
}

/** The rows on screen: every phase row, the one the cursor is on whole (wrapped) when expanded. */
export function visualRows(rows: readonly PhaseRow[], cursor: number, expanded: boolean, width: number): Array<{ line: Line; index: number }> {
  const out: Array<{ line: Line; index: number }> = [];
  rows.forEach((r, index) => {
    const on = index === cursor;
    if (on && expanded) for (const t of wrapText(r.whole, width)) out.push({ line: [seg(t, { inverse: true })], index });
    else out.push({ line: on ? r.line.map((s) => ({ ...s, inverse: true })) : r.line, index });
  });
  return out;
}

/** The first visual row to show: `scroll`, moved just enough that the cursor's rows are all in sight. */
export function windowTop(rows: ReadonlyArray<{ index: number }>, cursor: number, height: number, scroll: number): number {
  const first = rows.findIndex((r) => r.index === cursor);
  if (first < 0) return 0;
  let last = first;
  while (last + 1 < rows.length && rows[last + 1]!.index === cursor) last++;
  const h = Math.max(1, height);
  let top = Math.max(0, scroll);
  if (first < top) top = first;
  if (last >= top + h) top = last - h + 1;
  if (top > first) top = first; // a cursor row longer than the window shows its start
  return Math.max(0, Math.min(top, rows.length - h));
}

/** How the ticket view splits its rows: side by side from STACK_BELOW columns, stacked under it, one box when short. */
export interface TicketLayout {
  mode: 'side' | 'stacked' | 'single';
  /** The ticket box (side: its width; stacked: its height); 0 in single mode. */
  ticketBox: number;
  /** Rows of phase lines that fit. */
  phaseRows: number;
  /** Agent rows the ticket box shows (stacked). */
  agentRows: number;
}

export function ticketLayout(height: number, columns: number, agents: number, stackBelow: number): TicketLayout {
  if (height < 12) return { mode: 'single', ticketBox: 0, phaseRows: Math.max(1, height - 3), agentRows: 0 };
  if (columns >= stackBelow) return { mode: 'side', ticketBox: Math.max(32, Math.floor(columns * 0.34)), phaseRows: Math.max(1, height - 3), agentRows: 0 };
  // Stacked: the ticket's summary line, a description row and up to 3 agents over the phases.
  const agentRows = Math.max(1, Math.min(3, agents));
  const box = 2 + 1 + 1 + 1 + agentRows;
  return { mode: 'stacked', ticketBox: box, phaseRows: Math.max(1, height - box - 3), agentRows };
}
