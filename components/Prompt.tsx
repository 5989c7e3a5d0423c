// The command prompt (ink-text-input). It types only while it is on top of the key stack; its
// history, completion and Esc go through the router. The second row shows what runs, completion
// candidates, or the last error, inline.
import { memo, useCallback } from 'react';
import { Box, Text } from 'ink';
import TextInput from 'ink-text-input';
import { useDashboard, useUi } from './context.js';
import { SPINNER } from './view.js';

export const Prompt = memo(function Prompt({ height }: { height: number }) {
  const d = useDashboard();
  const value = useUi((s) => s.prompt.value);
  const rev = useUi((s) => s.prompt.rev);
  const candidates = useUi((s) => s.prompt.candidates);
  const running = useUi((s) => s.running);
  const notice = useUi((s) => s.notice);
  const tick = useUi((s) => s.tick);
  const active = useUi((s) => s.focus === 'prompt' && !s.help.open);

  const onChange = useCallback(
    (next: string) => {
      // A paste (or a fast terminal) can deliver the text and its Enter in one chunk.
      if (/[\r\n]/.test(next)) {
        const line = next.replace(/[\r\n]+/g, '');
        d.ui.getState().setPrompt(line);
        void d.submit(line);
        return;
      }
      d.ui.getState().setPrompt(next);
    },
    [d],
  );
  const onSubmit = useCallback(() => {
    void d.submit(d.ui.getState().prompt.value);
  }, [d]);

  let hint: { text: string; color?: 'red' | 'yellow' | 'green' | 'cyan'; dim?: boolean };
  if (candidates.length) hint = { text: `Tab: ${candidates.slice(0, 12).join('  ')}${candidates.length > 12 ? '  …' : ''}`, dim: true };
  else if (notice) hint = { text: notice.text, color: notice.level === 'error' ? 'red' : notice.level === 'warn' ? 'yellow' : notice.level === 'ok' ? 'green' : undefined };
  else if (running.length)
    hint = { text: `${SPINNER[tick % SPINNER.length]} ${running.map((r) => r.label ?? r.line).join(' · ')}`, color: 'cyan' };
  else hint = { text: active ? 'Enter runs · Tab completes · ↑↓ history · Esc panes (quick keys) · H help' : 'Esc or Enter: back to the prompt', dim: true };

  return (
    <Box borderStyle="round" borderColor={active ? 'cyan' : 'gray'} flexDirection="column" height={height} paddingX={1} flexShrink={0}>
      {/* The one clipped box: a line longer than the screen must not wrap into the rows below. */}
      <Box height={1} overflow="hidden">
        <Text color="cyan" bold>
          {'agent › '}
        </Text>
        <TextInput key={rev} value={value} onChange={onChange} onSubmit={onSubmit} focus={active} showCursor={active} placeholder={active ? 'type a command, e.g. create ticket "…" or status' : ''} />
      </Box>
      <Text wrap="truncate" color={hint.color} dimColor={hint.dim}>
        {hint.text}
      </Text>
    </Box>
  );
});
