// Seed section 5.3: system health, active agents n/max, queue size, last deployment and how long ago;
// and, once any is recorded, Claude's usage (tokens, cost, per agent when the row has room).
import { memo } from 'react';
import { Box } from 'ink';
import { useData, useUi } from './context.js';
import { Line } from './Line.js';
import { HEADER_CHROME, headerLines } from './view.js';

export const Header = memo(function Header({ height }: { height: number }) {
  const status = useData((s) => s.status);
  const seen = useData((s) => s.eventsSeen);
  const columns = useUi((s) => s.columns);
  useUi((s) => s.tick); // "2 minutes ago" moves on
  const [first, second] = headerLines(status, Date.now(), seen, columns - HEADER_CHROME);
  return (
    <Box flexDirection="column" height={height} flexShrink={0}>
      <Line segs={first ?? []} />
      <Line segs={second ?? []} />
    </Box>
  );
});
