// An approval as a modal: the action, what it touches, its risk, the gates' results. Ordinary ones
// take y / n; production deploys, destructive migrations and emergency actions want the ticket id.
import { memo, useEffect, useState } from 'react';
import { Box } from 'ink';
import type { ApprovalRow } from '../src/store/rows.js';
import { useDashboard, useUi } from './context.js';
import { Line } from './Line.js';
import { approvalLines } from './view.js';

/** What fits: the first two lines (who asks, the action) and the last ones (the keys), middle lines dropped first. */
function fit<T>(lines: T[], n: number): T[] {
  if (lines.length <= n) return lines;
  const head = Math.min(2, Math.max(0, n - 1));
  return [...lines.slice(0, head), ...lines.slice(lines.length - (n - head))];
}

export const ApprovalModal = memo(function ApprovalModal({ approval, others, height }: { approval: ApprovalRow; others: number; height: number }) {
  const d = useDashboard();
  const confirm = useUi((s) => s.confirm);
  const shown = useUi((s) => s.dialogShown);
  useUi((s) => s.tick);
  // Drawn as "just opened" until its arming time has passed: then its keys are shown.
  const armedAt = shown?.key === approval.id ? shown.at + d.armMs : null;
  const [, rerender] = useState(0);
  useEffect(() => {
    if (armedAt === null) return;
    const t = setTimeout(() => rerender((n) => n + 1), Math.max(0, armedAt - performance.now()) + 1);
    return () => clearTimeout(t);
  }, [armedAt]);
  const armed = armedAt !== null && performance.now() >= armedAt;
  const mine = confirm.approvalId === approval.id ? confirm : { text: '', error: null };
  const lines = approvalLines(approval, mine, others, Date.now(), armed);
  const tone = approval.risk === 'critical' || approval.risk === 'high' ? 'red' : 'yellow';
  return (
    <Box borderStyle="double" borderColor={tone} flexDirection="column" height={height} paddingX={1} flexShrink={0}>
      {fit(lines, Math.max(1, height - 2)).map((l, i) => (
        <Line key={i} segs={l} />
      ))}
    </Box>
  );
});
