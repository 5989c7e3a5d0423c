// The CLI's own approval prompt, used when a person sits at the terminal. Loaded only then.
import { createInterface } from 'node:readline/promises';
import { confirmationText } from '../engine/approval-policy.js';
import type { ApprovalRow } from '../store/rows.js';

export async function askOnTerminal(approval: ApprovalRow, signal: AbortSignal): Promise<{ approve: boolean; reason?: string }> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const touches = JSON.parse(approval.touches) as string[];
    process.stderr.write(
      `\n  ${approval.action}\n  risk: ${approval.risk} · category: ${approval.category}${touches.length ? `\n  touches: ${touches.join(', ')}` : ''}\n`,
    );
    if (approval.confirm === 'typed') {
      const want = confirmationText(approval);
      const typed = await rl.question(`  Type ${want} to approve (anything else rejects): `, { signal });
      return typed.trim().toUpperCase() === want.toUpperCase() ? { approve: true } : { approve: false, reason: 'confirmation did not match' };
    }
    const answer = await rl.question('  Approve? [y/N] ', { signal });
    return /^y(es)?$/i.test(answer.trim()) ? { approve: true } : { approve: false, reason: 'declined at the prompt' };
  } finally {
    rl.close();
  }
}
