// Seed section 5.3: system health, active agents n/max, queue size, last deployment and how long ago.
import { memo } from 'react';
import { Box } from 'ink';
import { useData, useUi } from './context.js';
import { Line } from './Line.js';
import { headerLines } from './view.js';

export const Header = memo(function Header({ height }: { height: number }) {
  const status = useData((s) => s.status);
  const seen = useData((s) => s.eventsSeen);
  useUi((s) => s.tick); // "2 minutes ago" moves on
  const [first, second] = headerLines(status, Date.now(), seen);
  return (
    <Box borderStyle="round" borderColor="gray" flexDirection="column" height={height} paddingX={1} flexShrink={0}>
      <Line segs={first ?? []} />
      <Line segs={second ?? []} />
    </Box>
  );
});
