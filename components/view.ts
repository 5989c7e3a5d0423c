// Pure view models: store state in, lines of coloured segments out. The components only lay
// these out, so what each pane shows is testable without a terminal and the layout's heights are
// known before rendering (the live region must stay shorter than the screen).
import { PHASES } from '../src/engine/gates.js';
import { ago, HEALTH_LABEL, type StatusSnapshot } from '../src/engine/status.js';
import { confirmationText } from '../src/engine/approval-policy.js';
import { printable } from '../src/cli/printable.js';
import type { AgentRow, ApprovalRow } from '../src/store/rows.js';
import type { CommandDef } from '../src/commands/types.js';
import { isConsoleLine, type LogRow } from '../src/store/store.js';

export type Tone = 'green' | 'yellow' | 'red' | 'cyan' | 'gray' | 'magenta' | 'blue';
export interface Seg {
  text: string;
  color?: Tone;
  dim?: boolean;
  bold?: boolean;
  inverse?: boolean;
}
export type Line = Seg[];

/**
 * One row of text: no newlines or tabs (they would break the row count); colours dropped; every
 * other control character, escape sequence or bidi override shown escaped (`\x1b[2J`), never sent
 * to the terminal: a ticket title cannot clear the screen or move the cursor.
 */
export const clean = (text: string): string =>
  printable(text.replace(/\r?\n/g, ' ⏎ ').replace(/\t/g, '  ').replace(/\x1b\[[0-9;]*m/g, ''));
const seg = (text: string, style: Omit<Seg, 'text'> = {}): Seg => ({ text: clean(text), ...style });
export const lineText = (line: Line): string => line.map((s) => s.text).join('');

/** The parts joined with ' · ', as many whole ones as fit in `width` (the first always). */
export function fitParts(parts: readonly string[], width: number): string {
  let out = parts[0] ?? '';
  for (const p of parts.slice(1)) {
    if (out.length + 3 + p.length > width) break;
    out += ` · ${p}`;
  }
  return out;
}


export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** A finished agent stays (dimmed) in the agents pane this long, then lives on in recent activity. */
export const FADE_MS = 5000;
const FINISHED = new Set(['done', 'failed', 'blocked', 'cancelled', 'interrupted']);

export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export const clock = (ts: number) => new Date(ts).toISOString().slice(11, 19);

const LEVEL_SYMBOL: Record<string, Seg> = {
  ok: seg('✓', { color: 'green' }),
  warn: seg('⚠', { color: 'yellow' }),
  error: seg('✗', { color: 'red' }),
};

// ---- header: seed section 5.3 ----

/** Border and padding of the header box: its rows are this much narrower than the terminal. */
/** Cells the header spends around its text: none (borderless, like htop's). */
export const HEADER_CHROME = 0;

/** Terminal cells a row of text takes: emoji presentation characters (🟢) take two. */
export function cellWidth(text: string): number {
  let n = 0;
  for (const ch of text) n += /\p{Emoji_Presentation}/u.test(ch) ? 2 : 1;
  return n;
}

const lineWidth = (line: Line) => cellWidth(lineText(line));

/** 950, 12.3k, 4.56M */
export function compactTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1).replace(/\.?0+$/, '')}k`;
  return `${(n / 1_000_000).toFixed(2).replace(/\.?0+$/, '')}M`;
}

export function usd(n: number): string {
  return n > 0 && n < 0.01 ? '<$0.01' : `$${n.toFixed(2)}`;
}

export interface UsageSummary {
  tokens: number;
  costUsd: number;
  tickets: number;
  /** Tokens per agent over every ticket, most first. */
  byAgent: Array<{ agent: string; tokens: number }>;
}

/** The model usage the state database records (every ticket), or null while there is none. */
export function usageSummary(u: StatusSnapshot['modelUsage'] | undefined): UsageSummary | null {
  if (!u || !u.tickets.length || (u.tokens === 0 && u.costUsd === 0)) return null;
  const agents = new Map<string, number>();
  for (const t of u.tickets) for (const [agent, n] of Object.entries(t.byAgent)) agents.set(agent, (agents.get(agent) ?? 0) + n);
  const byAgent = [...agents].map(([agent, tokens]) => ({ agent, tokens })).sort((a, b) => b.tokens - a.tokens || a.agent.localeCompare(b.agent));
  return { tokens: u.tokens, costUsd: u.costUsd, tickets: u.tickets.length, byAgent };
}

/** The usage segments, widest first: with the agents, with the ticket count, bare. */
export function usageVariants(u: UsageSummary): Line[] {
  const label = seg('  Claude ');
  const figures = [seg(`${compactTokens(u.tokens)} tokens`, { bold: true }), seg(' · '), seg(usd(u.costUsd), { bold: true })];
  const on = seg(` on ${u.tickets} ticket${u.tickets === 1 ? '' : 's'}`, { dim: true });
  const agents = seg(` (${u.byAgent.map((a) => `${a.agent} ${compactTokens(a.tokens)}`).join(', ')})`, { dim: true });
  return [...(u.byAgent.length ? [[label, ...figures, on, agents]] : []), [label, ...figures, on], [label, ...figures]];
}

/**
 * Puts the widest usage variant that fits on the first row with room for one. Without room
 * anywhere, the least telling segments make way (`droppable`, least telling first: the events
 * count, when health was checked, the project's name), so recorded usage is not cut off.
 */
function placeUsage(rows: Line[], u: UsageSummary, width: number, droppable: readonly Seg[]): void {
  const variants = usageVariants(u);
  const drop = (gone: ReadonlySet<Seg>) => {
    for (const r of rows) r.splice(0, r.length, ...r.filter((x) => !gone.has(x)));
  };
  for (let n = 0; n <= droppable.length; n++) {
    const gone = new Set(droppable.slice(0, n));
    for (const row of rows) {
      const kept = row.filter((x) => !gone.has(x));
      const v = variants.find((c) => lineWidth(kept) + lineWidth(c) <= width);
      if (!v) continue;
      drop(gone);
      row.push(...v);
      return;
    }
  }
  // A very narrow terminal: the bare figures on the shortest first row; its end is truncated.
  drop(new Set(droppable));
  rows[0]!.push(...variants[variants.length - 1]!);
}

export function headerLines(s: StatusSnapshot | null, now: number, eventsSeen: number, width = Number.POSITIVE_INFINITY): Line[] {
  if (!s) return [[seg('CRM AGENT', { bold: true }), seg(' · loading…', { dim: true })], []];
  const healthTone: Tone = s.health.overall === 'optimal' ? 'green' : s.health.overall === 'degraded' ? 'yellow' : s.health.overall === 'failing' ? 'red' : 'gray';
  const checked = s.health.checkedAt ? ` (checked ${ago(s.health.checkedAt, now)})` : ' (run `health`)';
  const checkedSeg = seg(checked, { dim: true });
  const nameSeg = seg(` · ${s.project.name}`, { dim: true });
  const healthSeg = seg('System Health: ');
  const first: Line = [
    seg('CRM AGENT', { bold: true }),
    nameSeg,
    seg('  '),
    healthSeg,
    seg(HEALTH_LABEL[s.health.overall], { color: healthTone, bold: true }),
    checkedSeg,
  ];
  const failing = s.health.checks.filter((c) => c.status === 'failing');
  if (failing.length) first.push(seg(`  ✗ ${failing.map((c) => c.name).join(', ')}`, { color: 'red' }));
  if (s.maintenance?.on) first.push(seg('  ⚠ MAINTENANCE: deploys paused', { color: 'yellow', bold: true }));
  const unfinished = s.unfinishedDeployments ?? [];
  if (unfinished.length) first.push(seg(`  ✗ ${unfinished.map((d) => `${d.id} ${d.status.replace('_', ' ')}`).join(', ')} (agent status)`, { color: 'red', bold: true }));
  const { line: second, eventsSeg } = countsLine(s, now, eventsSeen, width);
  const usage = usageSummary(s.modelUsage);
  if (usage) placeUsage([first, second], usage, width, [eventsSeg, checkedSeg, nameSeg]);
  // Narrow: when it was checked, then the project's name make way, then the label gets short, so
  // the health itself is never cut off.
  for (const drop of [checkedSeg, nameSeg]) {
    if (lineWidth(first) <= width) break;
    const at = first.indexOf(drop);
    if (at >= 0) first.splice(at, 1);
  }
  if (lineWidth(first) > width) healthSeg.text = 'Health: ';
  return [first, second];
}

/**
 * The header's second row: agents, queue, last deployment, tickets, pending approvals, events.
 * Where it does not fit, the event count goes first, then the ticket count, then the labels get
 * short; still too wide, the pending approvals (an alert) move to the front, so what is cut off at
 * the end matters least.
 */
function countsLine(s: StatusSnapshot, now: number, eventsSeen: number, width: number): { line: Line; eventsSeg: Seg } {
  const dep = s.lastDeployment;
  const approvals = s.pendingApprovals.length;
  const alert = approvals ? seg(`⚠ ${approvals} approval${approvals === 1 ? '' : 's'} pending`, { color: 'yellow', bold: true }) : null;
  const eventsSeg = seg(`  ${eventsSeen.toLocaleString('en-US')} event${eventsSeen === 1 ? '' : 's'}`, { dim: true });
  const build = (short: boolean, tickets = true): Line => [
    seg(short ? 'Agents ' : 'Active Agents: '),
    seg(`${s.agents.active}/${s.agents.max}`, { bold: true, color: s.agents.active ? 'cyan' : undefined }),
    seg(short ? '  Queue ' : '  Queue: '),
    seg(String(s.queue.size), { bold: true }),
    seg(short ? '  Last ' : '  Last Deployment: '),
    dep
      ? seg(`${dep.id} → ${dep.target}${dep.status === 'succeeded' ? '' : ` (${dep.status})`} ${ago(dep.at, now)}`, { color: dep.status === 'succeeded' ? undefined : 'yellow' })
      : seg('none yet', { dim: true }),
    ...(tickets ? [seg(short ? '  Tickets ' : '  Tickets: '), seg(`${s.tickets.open} open`)] : []),
  ];
  const tail = alert ? [seg('  '), alert] : [];
  // The seed's own figures (section 5.3) keep their labels longest; the ticket count is ours.
  for (const line of [[...build(false), ...tail, eventsSeg], [...build(false), ...tail], [...build(false, false), ...tail], [...build(true), ...tail], [...build(true, false), ...tail]]) {
    if (lineWidth(line) <= width) return { line, eventsSeg };
  }
  return { line: alert ? [alert, seg('  '), ...build(true, false)] : build(true, false), eventsSeg };
}

// ---- agents pane ----

export function phaseBar(phase: string | null): { bar: string; index: number } {
  const i = phase ? PHASES.indexOf(phase as (typeof PHASES)[number]) : -1;
  const done = i < 0 ? 0 : i + 1;
  return { bar: '▰'.repeat(done) + '▱'.repeat(PHASES.length - done), index: done };
}

/** Agents that are running, waiting, or finished within FADE_MS (dimmed), newest first. */
export function visibleAgents(agents: readonly AgentRow[], now: number): AgentRow[] {
  return agents.filter((a) => !FINISHED.has(a.state) || (a.finished_at !== null && now - a.finished_at < FADE_MS));
}

export function agentLines(agents: readonly AgentRow[], now: number, tick: number): Line[] {
  const shown = visibleAgents(agents, now);
  if (!shown.length) return [[seg('No agents running.', { dim: true })]];
  return shown.map((a) => {
    const finished = FINISHED.has(a.state);
    const { bar, index } = phaseBar(a.phase);
    const took = elapsed((a.finished_at ?? now) - a.started_at);
    const sym = finished
      ? a.state === 'done'
        ? seg('✓', { color: 'green' })
        : seg('✗', { color: 'red' })
      : a.state === 'waiting' || a.state === 'starting'
        ? seg('…', { color: 'yellow' })
        : seg(SPINNER[tick % SPINNER.length]!, { color: 'cyan' });
    const phase = finished ? a.state : a.state === 'waiting' && !a.phase ? 'waiting for a slot' : (a.phase ?? a.state);
    // Most telling first, so a narrow pane loses the least: who, which ticket, which phase.
    return [
      sym,
      seg(` ${a.id.padEnd(12)} `, { bold: !finished, dim: finished }),
      seg(`${(a.ticket_id ?? '-').padEnd(13)}`, { dim: finished }),
      seg(`${phase.padEnd(11)}`, { dim: finished, bold: !finished }),
      seg(`${index}/${PHASES.length} `, { dim: finished }),
      seg(bar, { color: finished ? undefined : 'cyan', dim: finished }),
      seg(` ${took}`, { dim: true }),
    ];
  });
}

// ---- recent activity ----

export interface ActivityItem {
  ts: number;
  line: Line;
  /** The ticket the line is about (Enter or T opens it), if any. */
  ticketId: string | null;
}

/** Recent activity, newest first: ✓ ⚠ ✗ events and the agents that finished (at most `max`). */
export function activityItems(s: StatusSnapshot | null, agents: readonly AgentRow[], now: number, max: number): ActivityItem[] {
  const items: ActivityItem[] = [];
  for (const e of s?.recentActivity ?? []) {
    items.push({
      ts: Date.parse(e.ts),
      line: [seg(`${clock(Date.parse(e.ts)).slice(0, 5)} `, { dim: true }), LEVEL_SYMBOL[e.level] ?? seg('·'), seg(` ${e.ticketId ? e.ticketId + ': ' : ''}${e.message}`)],
      ticketId: e.ticketId ?? null,
    });
  }
  // Finished agents fade out of the agents pane into here.
  for (const a of agents) {
    if (!FINISHED.has(a.state) || a.finished_at === null || now - a.finished_at < FADE_MS) continue;
    const sym = a.state === 'done' ? LEVEL_SYMBOL.ok! : a.state === 'interrupted' || a.state === 'cancelled' ? LEVEL_SYMBOL.warn! : LEVEL_SYMBOL.error!;
    const verb = a.state === 'done' ? 'finished' : a.state;
    items.push({
      ts: a.finished_at,
      line: [seg(`${clock(a.finished_at).slice(0, 5)} `, { dim: true }), sym, seg(` ${a.id} ${verb}${a.ticket_id ? ` (${a.ticket_id})` : ''} after ${elapsed(a.finished_at - a.started_at)}`)],
      ticketId: a.ticket_id,
    });
  }
  items.sort((a, b) => b.ts - a.ts);
  return items.slice(0, Math.max(1, max));
}

export function activityLines(s: StatusSnapshot | null, agents: readonly AgentRow[], now: number, max: number): Line[] {
  const items = activityItems(s, agents, now, max);
  if (!items.length) return [[seg('Nothing yet.', { dim: true })]];
  return items.map((i) => i.line);
}

// ---- log pane ----

export function logLine(row: LogRow): Line {
  if (isConsoleLine(row)) {
    if (row.level === 'input') return [seg(row.message, { color: 'cyan', bold: true })];
    if (row.level === 'error') return [seg(row.message, { color: 'red' })];
    if (row.level === 'warn') return [seg(row.message, { color: 'yellow' })];
    return [seg(row.message)];
  }
  const sym = LEVEL_SYMBOL[row.level];
  return [
    seg(clock(row.ts), { dim: true }),
    seg(` [${row.agent ?? 'SYSTEM'}] `, { color: 'cyan' }),
    ...(sym ? [sym, seg(' ')] : []),
    seg(row.message, { dim: row.level === 'debug', color: row.level === 'error' ? 'red' : undefined }),
    ...(row.ticket_id ? [seg(`  (${row.ticket_id})`, { dim: true })] : []),
  ];
}

/** A log row's identity (its React key too): an event's id, a console line's sequence number. */
export const logRowKey = (row: LogRow): string => (isConsoleLine(row) ? `c${row.seq}` : String(row.id));

/**
 * Enter on a log line: the line whole, wrapped to `width` cells: its time, speaker, level and
 * ticket, run and agent, then the message over as many rows as it needs, then its data.
 */
export function logDetailLines(row: LogRow, width: number): Line[] {
  const w = Math.max(10, width);
  const wrap = (text: string, style: Omit<Seg, 'text'> = {}): Line[] =>
    text.split('\n').flatMap((para) => {
      const t = clean(para);
      if (!t) return [[seg(' ')]];
      const out: Line[] = [];
      let rest = t;
      while (rest.length > w) {
        // At the last space that fits, else mid-word (a long path or id).
        const cut = rest.lastIndexOf(' ', w);
        const at = cut > w / 3 ? cut : w;
        out.push([{ text: rest.slice(0, at), ...style }]);
        rest = rest.slice(at).replace(/^ /, '');
      }
      out.push([{ text: rest, ...style }]);
      return out;
    });
  if (isConsoleLine(row)) return [[seg(`${clock(row.ts)} printed by this dashboard`, { dim: true })], ...wrap(row.message)];
  const where = [row.ticket_id && `ticket ${row.ticket_id}`, row.run_id && `run ${row.run_id}`, row.agent_id && `agent ${row.agent_id}`, `event #${row.id}`, row.kind !== 'line' && row.kind].filter(Boolean).join(' · ');
  const lines: Line[] = [
    [seg(new Date(row.ts).toISOString().replace('T', ' ').slice(0, 23), { dim: true }), seg(` [${row.agent ?? 'SYSTEM'}] `, { color: 'cyan' }), seg(row.level, { bold: true })],
    ...wrap(where, { dim: true }),
    ...wrap(row.message),
  ];
  if (row.data) {
    let pretty = row.data;
    try {
      pretty = JSON.stringify(JSON.parse(row.data), null, 2);
    } catch {
      // shown as stored
    }
    lines.push([seg('data:', { dim: true })], ...wrap(pretty, { dim: true }));
  }
  return lines;
}

// ---- approval dialog ----

/** The command that approves `a` from a prompt or a shell, with the typed confirmation when it needs one (as `agent approve` wants it). */
export function approveCommand(a: Pick<ApprovalRow, 'id' | 'confirm' | 'ticket_id'>): string {
  return `approve ${a.id}${a.confirm === 'typed' ? ` --confirm ${confirmationText(a)}` : ''}`;
}

/** Who asked: the agent, the process and the command it would carry out. */
export function requesterText(a: ApprovalRow): string {
  let command: string | null = null;
  try {
    const r = a.resume ? (JSON.parse(a.resume) as { command?: unknown }) : null;
    if (typeof r?.command === 'string') command = `agent ${r.command}`;
  } catch {
    // an unreadable resume names no command
  }
  const where = [a.requester_pid != null ? `process ${a.requester_pid}` : null, command].filter(Boolean).join(', ');
  return `asked by ${a.requested_by}${where ? ` (${where})` : ''}`;
}

export function approvalLines(
  a: ApprovalRow,
  confirm: { text: string; error: string | null; choice?: 'approved' | 'rejected' | null },
  others: number,
  now: number,
  /** False while the dialog has just opened and ignores keys. */
  armed = true,
): Line[] {
  const riskTone: Tone = a.risk === 'critical' || a.risk === 'high' ? 'red' : a.risk === 'medium' ? 'yellow' : 'green';
  const touches = JSON.parse(a.touches) as string[];
  const gates = JSON.parse(a.gates) as Array<{ gate: string; ok: boolean; detail: string }>;
  const lines: Line[] = [
    [seg('APPROVAL REQUIRED ', { bold: true, color: 'yellow' }), seg(`${a.id}`, { bold: true }), seg(`  ${requesterText(a)} ${ago(new Date(a.requested_at).toISOString(), now)} · ${a.category}`, { dim: true })],
    [seg('Action:  '), seg(a.action, { bold: true })],
  ];
  if (a.summary && a.summary !== a.action) lines.push([seg('         '), seg(a.summary, { dim: true })]);
  lines.push([seg('Risk:    '), seg(a.risk.toUpperCase(), { bold: true, color: riskTone }), seg(a.ticket_id ? `   Ticket: ${a.ticket_id}` : '')]);
  lines.push([seg('Touches: '), seg(touches.length ? touches.slice(0, 4).join(', ') + (touches.length > 4 ? ` (+${touches.length - 4} more)` : '') : 'nothing named', { dim: !touches.length })]);
  if (gates.length) {
    lines.push([seg('Gates:   '), ...gates.slice(0, 6).flatMap((g, i) => [seg(i ? '  ' : ''), seg(g.ok ? '✓' : '✗', { color: g.ok ? 'green' : 'red' }), seg(` ${g.gate}`)])]);
  } else lines.push([seg('Gates:   '), seg('none reported', { dim: true })]);
  if (!armed) {
    lines.push([seg('Just opened: keys are ignored for a moment, so typing never answers it…', { dim: true })]);
    if (a.confirm === 'typed' || confirm.error) lines.push([seg(confirm.error ?? '', { color: 'red' })]);
  } else if (confirm.choice) {
    const approve = confirm.choice === 'approved';
    lines.push([seg(approve ? 'Approve' : 'Reject', { bold: true, color: approve ? 'green' : 'red' }), seg(`: press `), seg('Enter', { bold: true }), seg(` to ${approve ? 'approve' : 'reject'} ${a.id} · any other key or `), seg('Esc', { bold: true }), seg(' takes it back')]);
  } else if (a.confirm === 'typed') {
    const want = confirmationText(a);
    lines.push([seg(`Type ${want} and press Enter to approve: `), seg(confirm.text, { bold: true }), seg(' ', { inverse: true })]);
    lines.push(
      confirm.error
        ? [seg(confirm.error, { color: 'red' })]
        : [seg('n', { bold: true }), seg(' reject · '), seg('Esc', { bold: true }), seg(' decide later', { dim: false }), seg(others ? ` · ${others} more waiting` : '', { dim: true })],
    );
  } else {
    const then = a.risk === 'low' ? '' : ' then Enter';
    lines.push([seg('y', { bold: true, color: 'green' }), seg(`${then} approve · `), seg('n', { bold: true, color: 'red' }), seg(`${then} reject · `), seg('Esc', { bold: true }), seg(' decide later'), seg(others ? ` · ${others} more waiting` : '', { dim: true })]);
    if (confirm.error) lines.push([seg(confirm.error, { color: 'red' })]);
  }
  return lines;
}

export function deployChooserLines(choices: readonly string[]): Line[] {
  return [
    [seg('DEPLOY', { bold: true, color: 'yellow' }), seg(' · which target?')],
    choices.map((c, i) => seg(`${i ? '   ' : ''}[${i + 1}] ${c}`, { bold: true })),
    [seg('press its number · Esc cancels', { dim: true })],
  ];
}

// ---- help overlay: every key and every command ----

export interface KeyHelp {
  keys: string;
  what: string;
  when: string;
}

export function helpLines(keys: readonly KeyHelp[], commands: readonly CommandDef[], groupTitles: Record<string, string>, usage: (c: CommandDef) => string): Line[] {
  const lines: Line[] = [[seg('Keys', { bold: true })]];
  let when = '';
  for (const k of keys) {
    if (k.when !== when) {
      when = k.when;
      lines.push([seg(`  ${when}`, { dim: true })]);
    }
    lines.push([seg(`    ${k.keys.padEnd(18)}`, { bold: true }), seg(k.what)]);
  }
  lines.push([], [seg('Commands', { bold: true }), seg(' (type them at the prompt, as in the CLI; a leading @agent is fine; free text goes to the router)', { dim: true })]);
  const groups = new Map<string, CommandDef[]>();
  for (const c of commands) if (!c.hidden) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const width = Math.max(...commands.filter((c) => !c.hidden).map((c) => c.name.length), 8) + 2;
  for (const [group, defs] of groups) {
    lines.push([seg(`  ${groupTitles[group] ?? group}`, { dim: true })]);
    for (const c of defs) lines.push([seg(`    ${c.name.padEnd(width)}`, { bold: true }), seg(c.summary), seg(`  ${usage(c).replace(/^agent /, '')}`, { dim: true })]);
  }
  return lines;
}
