// Recent activity: the newest ✓ ⚠ ✗ lines and the agents that finished. Focused (2 or Tab), ↑↓
// pick a line and Enter opens its ticket.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { useData, useUi } from './context.js';
import { Line } from './Line.js';
import { activityLines } from './view.js';

export const ActivityPane = memo(function ActivityPane({ height, width }: { height: number; width: number }) {
  const status = useData((s) => s.status);
  const agents = useData((s) => s.agents);
  useUi((s) => s.tick);
  const selected = useUi((s) => s.focus === 'panes' && s.pane === 'activity');
  const cursor = useUi((s) => s.activityCursor);
  const lines = activityLines(status, agents, Date.now(), Math.max(1, height - 3));
  const at = Math.min(cursor, lines.length - 1);
  return (
    <Box borderStyle="round" borderColor={selected ? 'cyan' : 'gray'} flexDirection="column" height={height} width={width} flexShrink={0} paddingX={1}>
      <Text bold wrap="truncate">
        Recent Activity{selected ? <Text dimColor>{' · ⏎ ticket'}</Text> : null}
      </Text>
      {lines.map((l, i) => (
        <Line key={i} segs={selected && i === at ? l.map((sg, j) => (j === 2 ? { ...sg, inverse: true } : sg)) : l} />
      ))}
    </Box>
  );
});
