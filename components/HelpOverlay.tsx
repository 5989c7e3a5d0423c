// H: every key and every command, generated from the key table and the registry.
import { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import { GROUP_TITLES } from '../src/commands/registry.js';
import { usageLine } from '../src/cli/argv.js';
import { useDashboard, useUi } from './context.js';
import { KEY_HELP } from './key-handlers.js';
import { Line } from './Line.js';
import { helpLines } from './view.js';

export const HelpOverlay = memo(function HelpOverlay({ height }: { height: number }) {
  const d = useDashboard();
  const scroll = useUi((s) => s.help.scroll);
  const lines = useMemo(() => helpLines(KEY_HELP, d.commands, GROUP_TITLES, usageLine), [d.commands]);
  const visible = Math.max(1, height - 3); // borders and the title row
  const top = Math.min(scroll, Math.max(0, lines.length - visible));
  return (
    <Box borderStyle="round" borderColor="cyan" flexDirection="column" height={height} paddingX={1} flexShrink={0}>
      <Text wrap="truncate">
        <Text bold color="cyan">
          HELP
        </Text>
        <Text dimColor>{` · keys and commands · ${top + 1}-${Math.min(lines.length, top + visible)} of ${lines.length} · ↑↓ PgUp PgDn scroll · Esc closes`}</Text>
      </Text>
      {lines.slice(top, top + visible).map((l, i) => (
        <Line key={i} segs={l} />
      ))}
    </Box>
  );
});
