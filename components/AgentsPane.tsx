// Each running agent: its ticket, its phase of the six with progress, elapsed time. Finished ones
// stay dimmed for a moment, then fade into recent activity.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { useData, useUi } from './context.js';
import { Line } from './Line.js';
import { agentLines, lineText } from './view.js';

export const AgentsPane = memo(function AgentsPane({ height, width }: { height: number; width: number }) {
  const agents = useData((s) => s.agents);
  const active = useData((s) => s.status?.agents.active ?? 0);
  const max = useData((s) => s.status?.agents.max ?? 0);
  const tick = useUi((s) => s.tick);
  const selected = useUi((s) => s.focus === 'panes' && s.pane === 'agents');
  const cursor = useUi((s) => s.agentCursor);
  const all = agentLines(agents, Date.now(), tick);
  // Stacked and idle, the pane is its title row alone: what would be its one line joins the title.
  const rows = height - 3;
  const inline = rows <= 0 ? lineText(all[0] ?? []) : null;
  const from = selected ? Math.max(0, Math.min(cursor, all.length - 1) - rows + 1) : 0;
  const lines = all
    .map((l, i) => (selected && i === Math.min(cursor, all.length - 1) && all.length > 0 ? l.map((sg, j) => (j === 1 ? { ...sg, inverse: true } : sg)) : l))
    .slice(from, from + rows);
  return (
    <Box borderStyle="round" borderColor={selected ? 'cyan' : 'gray'} flexDirection="column" height={height} width={width} flexShrink={0} paddingX={1}>
      <Text bold wrap="truncate">
        Agents <Text dimColor>{`${active}/${max} active${inline ? ` · ${inline}` : ''}`}</Text>
      </Text>
      {lines.map((l, i) => (
        <Line key={i} segs={l} />
      ))}
    </Box>
  );
});
