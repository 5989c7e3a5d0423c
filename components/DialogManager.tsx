// Chooses the single modal the state asks for; while one is open it takes the prompt's place.
import { memo } from 'react';
import { useDashboard, useData, useUi } from './context.js';
import { ApprovalModal } from './ApprovalModal.js';
import { DeployChooser } from './DeployChooser.js';
import { Prompt } from './Prompt.js';

export const DialogManager = memo(function DialogManager({ height }: { height: number }) {
  const d = useDashboard();
  useData((s) => s.pendingApprovals);
  useUi((s) => s.snoozed);
  useUi((s) => s.deployChooser);
  const dialog = d.dialog();
  if (dialog?.type === 'approval') return <ApprovalModal approval={dialog.approval} others={dialog.others} height={height} />;
  if (dialog?.type === 'deploy') return <DeployChooser choices={dialog.choices} height={height} />;
  return <Prompt height={height} />;
});
