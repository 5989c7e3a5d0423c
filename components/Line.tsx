// One terminal row of coloured segments, truncated to its box: rows never wrap, so every pane's
// height is exactly what the layout computed.
import { memo } from 'react';
import { Text } from 'ink';
import type { Line as LineModel } from './view.js';

export const Line = memo(function Line({ segs }: { segs: LineModel }) {
  return (
    <Text wrap="truncate">
      {segs.length === 0
        ? ' '
        : segs.map((s, i) => (
            <Text key={i} color={s.color} dimColor={s.dim} bold={s.bold} inverse={s.inverse}>
              {s.text}
            </Text>
          ))}
    </Text>
  );
});
