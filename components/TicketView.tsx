// A ticket and each agent's six phases with their checklist items and evidence (ticket-view.ts
// builds the rows). Side by side from STACK_BELOW columns, stacked under it, one box when short.
import { memo } from 'react';
import { Box } from 'ink';
import { useUi } from './context.js';
import { Line } from './Line.js';
import { STACK_BELOW } from './screen.js';
import { agentRow, fitSegs, phaseRows, ticketLayout, ticketSummary, visualRows, windowTop } from './ticket-view.js';
import { clean, type Seg } from './view.js';

export const TicketView = memo(function TicketView({ height }: { height: number }) {
  const t = useUi((s) => s.ticket);
  const columns = useUi((s) => s.columns);
  if (!t) return null;
  const m = t.model;
  const l = ticketLayout(height, columns, m.agents.length, STACK_BELOW);
  const chosen = m.agents[t.agent];
  const phasesWidth = (l.mode === 'side' ? columns - l.ticketBox : columns) - 4;
  const rows = visualRows(phaseRows(chosen, m.id), t.cursor, t.expanded, phasesWidth);
  const top = windowTop(rows, t.cursor, l.phaseRows, t.scroll);
  const shown = rows.slice(top, top + l.phaseRows);
  const which = m.agents.length > 1 ? ` (${t.agent + 1}/${m.agents.length} ←→)` : '';
  const more = rows.length > l.phaseRows ? ` · ${top + 1}-${Math.min(rows.length, top + l.phaseRows)}/${rows.length}` : '';
  // Whole segments only, most telling first: a label is never cut in half.
  const titleSegs: Seg[] = [
    l.mode === 'single' ? { text: `${m.id} `, bold: true, color: 'cyan' } : { text: 'Phases ', bold: true },
    ...(chosen
      ? [{ text: clean(`${chosen.agentId}${which}`), dim: true }, { text: ` · ${chosen.state}`, dim: true }, { text: more, dim: true }, { text: clean(` · ${chosen.runId} ${chosen.command}`), dim: true }]
      : [{ text: 'no agent yet', dim: true }, { text: more, dim: true }]),
    ...(l.mode === 'single' ? [{ text: ' · Esc back', dim: true }] : []),
  ];
  const phases = (
    <Box borderStyle="round" borderColor="cyan" flexDirection="column" height={l.mode === 'stacked' ? height - l.ticketBox : height} width={l.mode === 'side' ? columns - l.ticketBox : columns} flexShrink={0} paddingX={1}>
      <Line segs={fitSegs(titleSegs.filter((x) => x.text), phasesWidth)} />
      {shown.map((r, i) => (
        <Line key={i} segs={r.line} />
      ))}
    </Box>
  );
  if (l.mode === 'single') return phases;
  const title = (w: number) => <Line segs={fitSegs([{ text: `Ticket ${m.id}`, bold: true, color: 'cyan' }, { text: ' · Esc back', dim: true }, { text: ' · ⏎ whole row', dim: true }], w)} />;
  if (l.mode === 'stacked') {
    // The agents in a window of agentRows around the chosen one.
    const from = Math.max(0, Math.min(t.agent - l.agentRows + 1, m.agents.length - l.agentRows));
    const agents = m.agents.slice(from, from + l.agentRows);
    return (
      <Box flexDirection="column" height={height} flexShrink={0}>
        <Box borderStyle="round" borderColor="gray" flexDirection="column" height={l.ticketBox} flexShrink={0} paddingX={1}>
          {title(columns - 4)}
          {ticketSummary(m, columns - 4, 1).slice(0, 2).map((line, i) => (
            <Line key={i} segs={line} />
          ))}
          {agents.length ? agents.map((a, i) => <Line key={a.agentId} segs={agentRow(a, from + i === t.agent, columns - 4)} />) : <Line segs={[{ text: 'No agent yet.', dim: true }]} />}
        </Box>
        {phases}
      </Box>
    );
  }
  const inner = l.ticketBox - 4;
  const budget = height - 3;
  const agentLines = m.agents.map((a, i) => agentRow(a, i === t.agent, inner));
  // The description gives way to the agents list when rows run short.
  const descRows = Math.max(1, Math.min(4, budget - 2 - m.approvals.length - Math.max(1, agentLines.length)));
  const summary = ticketSummary(m, inner, descRows);
  const from = Math.max(0, Math.min(t.agent, agentLines.length - Math.max(1, budget - summary.length - 1)));
  const body = [...summary, [{ text: 'Agents', bold: true }, { text: m.agents.length > 1 ? ' ←→ choose' : '', dim: true }], ...(agentLines.length ? agentLines.slice(from) : [[{ text: 'No agent yet.', dim: true }]])].slice(0, budget);
  return (
    <Box flexDirection="row" height={height} flexShrink={0}>
      <Box borderStyle="round" borderColor="gray" flexDirection="column" width={l.ticketBox} height={height} flexShrink={0} paddingX={1}>
        {title(inner)}
        {body.map((line, i) => (
          <Line key={i} segs={line} />
        ))}
      </Box>
      {phases}
    </Box>
  );
});
