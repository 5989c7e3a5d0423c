// D: which target to deploy to (the choices come from the deploy command's argument spec).
import { memo } from 'react';
import { Box } from 'ink';
import { Line } from './Line.js';
import { deployChooserLines } from './view.js';

export const DeployChooser = memo(function DeployChooser({ choices, height }: { choices: string[]; height: number }) {
  return (
    <Box borderStyle="double" borderColor="yellow" flexDirection="column" height={height} paddingX={1} flexShrink={0}>
      {deployChooserLines(choices).map((l, i) => (
        <Line key={i} segs={l} />
      ))}
    </Box>
  );
});
