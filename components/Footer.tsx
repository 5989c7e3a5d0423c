// One row of key hints for the focus at hand.
import { memo } from 'react';
import { Box, Text } from 'ink';
import { useDashboard, useData, useUi } from './context.js';

export const Footer = memo(function Footer() {
  const d = useDashboard();
  const focus = useUi((s) => s.focus);
  useUi((s) => s.deployChooser);
  const help = useUi((s) => s.help.open);
  const snoozed = useUi((s) => s.snoozed.length);
  const pending = useData((s) => s.pendingApprovals.length);
  const dialog = d.dialog();
  const keys = dialog?.type === 'approval'
    ? dialog.approval.confirm === 'typed'
      ? 'APPROVAL · type the id, Enter approves · n rejects · Esc decide later · Ctrl-C quit'
      : 'APPROVAL · y approve · n reject · Esc decide later · Ctrl-C quit'
    : dialog?.type === 'deploy'
      ? 'DEPLOY · 1-9 or first letter chooses · Esc cancels'
      : help
    ? 'HELP · Esc/H/Q close · ↑↓ PgUp PgDn scroll'
    : focus === 'panes'
      ? 'PANES · R refresh · L logs · D deploy · H help · Q quit · A agent · V level · ↑↓ scroll · F follow · Esc prompt'
      : 'PROMPT · Enter run · Tab complete · ↑↓ history · PgUp/PgDn scroll · Esc quick keys · Ctrl-C quit';
  return (
    <Box height={1} flexShrink={0}>
      <Text wrap="truncate">
        {snoozed > 0 && pending > 0 ? <Text color="yellow">{`⚠ ${snoozed} approval${snoozed === 1 ? '' : 's'} put off (P) · `}</Text> : null}
        <Text color="cyan">{keys}</Text>
      </Text>
    </Box>
  );
});
