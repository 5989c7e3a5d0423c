// The log: a window of lines over SQLite. Only the visible rows are rendered; scrolling past the
// loaded ones pages more in from the database (the store does that), so memory stays bounded.
import { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import { logLines, type LogRow } from '../src/store/store.js';
import { useData, useUi } from './context.js';
import { Line } from './Line.js';
import { clean, fitParts, logDetailLines, logLine, logRowKey } from './view.js';

export const LogPane = memo(function LogPane({ height, visible }: { height: number; visible: number }) {
  const log = useData((s) => s.log);
  const consoleLines = useData((s) => s.console);
  const focused = useUi((s) => s.focus === 'panes' && s.pane === 'log');
  const selected = useUi((s) => s.logSelected);
  const detail = useUi((s) => s.logDetail);
  const columns = useUi((s) => s.columns);
  const lines = useMemo(
    () => logLines(log.rows, consoleLines, log),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [log.rows, consoleLines, log.hasOlder, log.hasNewer],
  );
  const end = Math.max(0, lines.length - log.offset);
  const start = Math.max(0, end - visible);
  const shown = lines.slice(start, end);
  if (detail) return <LogDetail height={height} visible={visible} width={columns - 4} detail={detail} />;
  const where = log.follow
    ? 'following'
    : `scrolled back${log.unseen ? ` · ${log.unseen.toLocaleString('en-US')} new below` : ''} · F follows`;
  // Whole parts only, most telling first: a narrow terminal drops the last ones, never cuts one.
  const title = fitParts(
    [
      'Log',
      clean(log.filter.agent ?? 'all agents'),
      `${log.filter.minLevel}+`,
      ...(log.filter.text ? [clean(`/${log.filter.text}`)] : []),
      where,
      ...(start > 0 || log.hasOlder ? ['↑ older'] : []),
      ...(log.filter.minLevel === 'info' ? [] : ['the level filters events; command output always shows']),
    ],
    columns - 4,
  );
  return (
    <Box borderStyle="round" borderColor={focused ? 'cyan' : 'gray'} flexDirection="column" height={height} paddingX={1} flexShrink={0}>
      <Text wrap="truncate">
        <Text bold>Log</Text>
        <Text dimColor>{title.slice(3)}</Text>
      </Text>
      {shown.map((row) => (
        <LogLine key={logRowKey(row)} row={row} selected={selected !== null && selected === logRowKey(row)} />
      ))}
    </Box>
  );
});

/** One log row; rows are immutable store objects, so an unchanged row never re-renders. */
const LogLine = memo(function LogLine({ row, selected }: { row: LogRow; selected: boolean }) {
  const segs = logLine(row);
  return <Line segs={selected ? segs.map((s) => ({ ...s, inverse: true })) : segs} />;
});

/** Enter on a log line: the line whole, wrapped, in the log pane's place. */
function LogDetail({ height, visible, width, detail }: { height: number; visible: number; width: number; detail: { row: LogRow; scroll: number } }) {
  const lines = useMemo(() => logDetailLines(detail.row, width), [detail.row, width]);
  const rows = Math.max(1, visible);
  const top = Math.min(detail.scroll, Math.max(0, lines.length - rows));
  return (
    <Box borderStyle="round" borderColor="cyan" flexDirection="column" height={height} paddingX={1} flexShrink={0}>
      <Text wrap="truncate">
        <Text bold color="cyan">
          Log line
        </Text>
        <Text dimColor>{` · ${lines.length > rows ? `${top + 1}-${Math.min(lines.length, top + rows)} of ${lines.length} · ↑↓ scroll · ` : ''}Esc closes`}</Text>
      </Text>
      {lines.slice(top, top + rows).map((l, i) => (
        <Line key={i} segs={l} />
      ))}
    </Box>
  );
}
