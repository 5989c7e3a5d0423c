// Recent activity: the newest ✓ ⚠ ✗ lines and the agents that finished.
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
  const lines = activityLines(status, agents, Date.now(), Math.max(1, height - 3));
  return (
    <Box borderStyle="round" borderColor={selected ? 'cyan' : 'gray'} flexDirection="column" height={height} width={width} flexShrink={0} paddingX={1}>
      <Text bold>Recent Activity</Text>
      {lines.map((l, i) => (
        <Line key={i} segs={l} />
      ))}
    </Box>
  );
});
