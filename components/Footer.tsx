// One row of key hints for the focus at hand: keys in reverse video, labels dimmed, the most
// important first (Ctrl-C, :, H), so what is cut at 80 columns is the least needed.
import { memo, Fragment } from 'react';
import { Box, Text } from 'ink';
import { useDashboard, useData, useUi } from './context.js';

type Hint = readonly [key: string, label: string];

export function footerHints(mode: 'typed' | 'approval' | 'deploy' | 'help' | 'ticket' | 'panes' | 'prompt'): { title: string; hints: Hint[] } {
  switch (mode) {
    case 'typed':
      return { title: 'APPROVAL', hints: [['^C', 'quit'], ['ID⏎', 'approve'], ['n', 'reject'], ['Esc', 'later']] };
    case 'approval':
      return { title: 'APPROVAL', hints: [['^C', 'quit'], ['y⏎', 'approve'], ['n⏎', 'reject'], ['Esc', 'later']] };
    case 'deploy':
      return { title: 'DEPLOY', hints: [['^C', 'quit'], ['1-9', 'target'], ['Esc', 'cancel']] };
    case 'help':
      return { title: 'HELP', hints: [['^C', 'quit'], ['Esc', 'close'], ['↑↓', 'scroll']] };
    case 'ticket':
      return { title: 'TICKET', hints: [['^C', 'quit'], ['Esc', 'back'], ['↑↓', 'move'], ['←→', 'agent'], ['⏎', 'whole row'], ['H', 'help']] };
    case 'panes':
      return { title: 'PANES', hints: [['^C', 'quit'], [':', 'prompt'], ['H', 'help'], ['R', 'refresh'], ['L', 'logs'], ['D', 'deploy'], ['T', 'ticket'], ['Q', 'quit'], ['Tab', 'pane'], ['/', 'search'], ['A', 'agent'], ['V', 'level'], ['↑↓', 'scroll'], ['F', 'follow']] };
    case 'prompt':
      return { title: 'PROMPT', hints: [['^C', 'quit'], ['Esc', 'panes'], ['⏎', 'run'], ['Tab', 'complete'], ['↑↓', 'history'], ['PgUp/Dn', 'scroll']] };
  }
}

export const Footer = memo(function Footer() {
  const d = useDashboard();
  const focus = useUi((s) => s.focus);
  const columns = useUi((s) => s.columns);
  useUi((s) => s.deployChooser);
  const help = useUi((s) => s.help.open);
  const ticket = useUi((s) => s.ticket !== null);
  const snoozed = useUi((s) => s.snoozed.length);
  const pending = useData((s) => s.pendingApprovals.length);
  const dialog = d.dialog();
  const mode =
    dialog?.type === 'approval' ? (dialog.approval.confirm === 'typed' ? 'typed' : 'approval') : dialog?.type === 'deploy' ? 'deploy' : help ? 'help' : ticket ? 'ticket' : focus;
  const { title, hints: all } = footerHints(mode);
  // Whole hints only: the ones that do not fit are dropped from the end, never cut in half.
  const warn = snoozed > 0 && pending > 0 ? `⚠ ${snoozed} put off (P) ` : '';
  let used = warn.length + title.length;
  const hints = all.filter(([key, label]) => {
    const w = 1 + key.length + 1 + label.length;
    if (used + w > columns) return false;
    used += w;
    return true;
  });
  return (
    <Box height={1} flexShrink={0}>
      <Text wrap="truncate">
        {warn ? <Text color="yellow">{warn}</Text> : null}
        <Text color="cyan" bold>
          {title}
        </Text>
        {hints.map(([key, label]) => (
          <Fragment key={key + label}>
            {' '}
            <Text inverse>{key}</Text>
            <Text dimColor>{` ${label}`}</Text>
          </Fragment>
        ))}
      </Text>
    </Box>
  );
});
