// Chooses the single modal the state asks for; while one is open it takes the prompt's place.
import { memo, useEffect } from 'react';
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
  const key = dialog?.type === 'approval' ? dialog.approval.id : dialog?.type === 'deploy' ? 'deploy' : null;
  // When a dialog is first drawn: keys that arrived before (or just after) never answer it.
  useEffect(() => d.ui.getState().markDialogShown(key, performance.now()), [d, key]);
  if (dialog?.type === 'approval') return <ApprovalModal approval={dialog.approval} others={dialog.others} height={height} />;
  if (dialog?.type === 'deploy') return <DeployChooser choices={dialog.choices} height={height} />;
  return <Prompt height={height} />;
});
