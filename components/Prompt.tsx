// The command prompt: the line and its cursor from the UI store (the key handlers edit it, see
// line-edit.ts). It takes text only while it is on top of the key stack. The second row shows what
// runs, completion candidates, or the last error, inline.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { useUi } from './context.js';
import { visibleWindow } from './line-edit.js';
import { clean, fitParts, SPINNER } from './view.js';

const LABEL = 'agent › ';

export const Prompt = memo(function Prompt({ height }: { height: number }) {
  const value = useUi((s) => s.prompt.value);
  const cursor = useUi((s) => s.prompt.cursor);
  const columns = useUi((s) => s.columns);
  const candidates = useUi((s) => s.prompt.candidates);
  const running = useUi((s) => s.running);
  const notice = useUi((s) => s.notice);
  const tick = useUi((s) => s.tick);
  const active = useUi((s) => s.focus === 'prompt' && !s.help.open && !s.ticket);
  const search = useUi((s) => s.prompt.search);
  const logSearch = useUi((s) => s.prompt.logSearch !== null);
  const history = useUi((s) => s.prompt.history);

  // Borders (2) and padding (2) around the label and the line.
  const framed = height >= 4;
  const inner = columns - (framed ? 4 : 0);
  let hint: { text: string; color?: 'red' | 'yellow' | 'green' | 'cyan'; dim?: boolean };
  if (candidates.length) hint = { text: `Tab: ${candidates.slice(0, 12).join('  ')}${candidates.length > 12 ? '  …' : ''}`, dim: true };
  else if (notice) hint = { text: notice.text, color: notice.level === 'error' ? 'red' : notice.level === 'warn' ? 'yellow' : notice.level === 'ok' ? 'green' : undefined };
  else if (running.length)
    hint = { text: `${SPINNER[tick % SPINNER.length]} ${running.map((r) => r.label ?? r.line).join(' · ')}`, color: 'cyan' };
  else {
    // Whole hints only, most useful first: a narrow terminal drops the last ones, never cuts one.
    const parts = active ? ['Enter runs', 'Tab completes', '↑↓ history', 'Esc leaves the prompt'] : ['quick keys live: R refresh', 'L logs', 'D deploy', 'T ticket', 'H help', 'Q quit', ': or Enter types a command'];
    hint = { text: fitParts(parts, inner), dim: true };
  }

  const match = search && search.index >= 0 ? (history[search.index] ?? '') : '';
  const line = search ? { value: match, cursor: match.length } : { value, cursor };
  const label = search ? `(search \`${search.query}\`${search.index < 0 && search.query ? ' none' : ''}) ` : logSearch ? 'log / ' : LABEL;
  // Under 16 rows the layout gives the prompt 2 rows: no border, no padding.
  const shown = visibleWindow(line, Math.max(1, columns - (framed ? 4 : 0) - label.length));
  const room = inner - label.length;
  const placeholder = logSearch
    ? fitText(['text to find in the log, then Enter', 'text to find'], room)
    : active
      ? fitText(['type a command, e.g. create ticket "…" or status', 'type a command, e.g. status', 'type a command'], room)
      : value
        ? ''
        : fitText(['press : to type a command', ': types a command'], room);
  return (
    <Box borderStyle={framed ? 'round' : undefined} borderColor={active ? 'cyan' : 'gray'} flexDirection="column" height={height} paddingX={framed ? 1 : 0} flexShrink={0}>
      <Text wrap="truncate">
        <Text color="cyan" bold>
          {label}
        </Text>
        {line.value ? (
          <>
            {shown.text.slice(0, shown.cursor)}
            {active ? <Text inverse>{shown.text[shown.cursor] ?? ' '}</Text> : (shown.text[shown.cursor] ?? '')}
            {shown.text.slice(shown.cursor + 1)}
          </>
        ) : (
          <>
            {active ? <Text inverse>{placeholder[0]}</Text> : null}
            <Text dimColor>{active ? placeholder.slice(1) : placeholder}</Text>
          </>
        )}
      </Text>
      <Text wrap="truncate" color={hint.color} dimColor={hint.dim}>
        {clean(hint.text)}
      </Text>
    </Box>
  );
});

/** The first of the variants (longest first) that fits, else the last. */
function fitText(variants: readonly string[], width: number): string {
  return variants.find((v) => v.length <= width) ?? variants[variants.length - 1]!;
}
