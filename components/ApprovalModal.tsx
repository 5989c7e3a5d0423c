// An approval as a modal: the action, what it touches, its risk, the gates' results. Ordinary ones
// take y / n; production deploys, destructive migrations and emergency actions want the ticket id.
import { memo } from 'react';
import { Box } from 'ink';
import type { ApprovalRow } from '../src/store/rows.js';
import { useUi } from './context.js';
import { Line } from './Line.js';
import { approvalLines } from './view.js';

export const ApprovalModal = memo(function ApprovalModal({ approval, others, height }: { approval: ApprovalRow; others: number; height: number }) {
  const confirm = useUi((s) => s.confirm);
  useUi((s) => s.tick);
  const mine = confirm.approvalId === approval.id ? confirm : { text: '', error: null };
  const lines = approvalLines(approval, mine, others, Date.now());
  const tone = approval.risk === 'critical' || approval.risk === 'high' ? 'red' : 'yellow';
  return (
    <Box borderStyle="double" borderColor={tone} flexDirection="column" height={height} paddingX={1} flexShrink={0}>
      {lines.slice(0, Math.max(1, height - 2)).map((l, i) => (
        <Line key={i} segs={l} />
      ))}
    </Box>
  );
});
