// Approval dialogs: y / n for ordinary approvals, the typed ticket id for production deploys,
// destructive migrations and emergency actions; requests from another connection pop up and the
// waiting requester continues; a modal takes `y` before the prompt could type it.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cleanupAll, KEY, renderDashboard } from './render.js';
import { guardedCommand } from './commands.js';
import { createApproval, DASHBOARD_SESSION, requireApproval } from '../../src/engine/approvals.js';
import { defaultConfig } from '../../src/config/config.js';
import { StateDb } from '../../src/store/state-db.js';
import { ApprovalRequiredError } from '../../src/errors.js';
import type { Reporter } from '../../src/commands/types.js';
import type { ApprovalRow } from '../../src/store/rows.js';

afterEach(cleanupAll);

const quiet: Reporter = { json: false, color: false, line: () => undefined, print: () => undefined, spin: (_l, w) => w };

/** A pending request to resume `command`, as another process would have stored it. */
function pending(id: string, command: string, args: Record<string, unknown>, row: Partial<ApprovalRow>): ApprovalRow {
  return {
    id, ticket_id: null, run_id: null, category: 'credentialChange', action: 'create the follow-up ticket', summary: 'x', risk: 'high',
    touches: '[]', gates: '[]', resume: JSON.stringify({ command, args }), confirm: null, status: 'pending', requested_by: 'ORCHESTRATOR',
    requested_at: Date.now() - 60_000, decided_by: null, decided_at: null, reason: null, ...row,
  };
}

describe('approval modal', () => {
  it('y approves an ordinary request, by the dashboard, with an audit entry; the prompt gets no "y"', async () => {
    const h = await renderDashboard({
      seed: (s) => void createApproval(s, { category: 'credentialChange', action: 'rotate the Resend API key', touches: ['.env'], requestedBy: 'ORCHESTRATOR' }, 'y/n', 'high'),
    });
    const f = await h.waitForFrame('y then Enter approve');
    expect(f).toContain('APPROVAL REQUIRED APR-1');
    expect(f).toContain('Action:  rotate the Resend API key');
    expect(f).toContain('Risk:    HIGH');
    expect(f).toContain('Touches: .env');
    expect(f).toContain('y then Enter approve · n then Enter reject');
    await h.press('y');
    await h.waitForFrame('press Enter to approve APR-1');
    expect(h.state.approval('APR-1')!.status).toBe('pending'); // y alone decides nothing above low risk
    await h.press(KEY.enter);
    await h.waitForFrame((x) => !x.includes('APPROVAL REQUIRED'));
    const row = h.state.approval('APR-1')!;
    expect(row.status).toBe('approved');
    expect(row.decided_by).toBe('dashboard');
    expect(h.state.audit().some((a) => a.action === 'approval.approved' && a.approval === 'APR-1')).toBe(true);
    expect(h.d.ui.getState().prompt.value).toBe('');
    await h.waitForFrame('✓ Approved APR-1');
  });

  it('n rejects', async () => {
    const h = await renderDashboard({
      seed: (s) => void createApproval(s, { category: 'credentialChange', action: 'rotate a key', requestedBy: 'ORCHESTRATOR' }, 'y/n', 'high'),
    });
    await h.waitForFrame('APPROVAL REQUIRED APR-1');
    await h.press('n', KEY.enter);
    await h.waitFor(() => h.state.approval('APR-1')!.status === 'rejected', 2000, 'the rejection');
    await h.waitForFrame('✗ Rejected APR-1');
  });

  it('wants the ticket id typed for a production deploy; y alone and a wrong id do not approve', async () => {
    const h = await renderDashboard({
      seed: (s) =>
        void createApproval(
          s,
          {
            category: 'productionDeployment',
            action: 'deploy BUG-2026-001 to production',
            ticketId: 'BUG-2026-001',
            touches: ['app/api/estimates/route.ts'],
            gates: [
              { gate: 'test-coverage', ok: true, detail: '86%' },
              { gate: 'zero-post-errors', ok: false, detail: '1 error' },
            ],
            requestedBy: 'STAGEAGENT',
          },
          'typed',
          'high',
        ),
    });
    const f = await h.waitForFrame('Type BUG-2026-001 and press Enter to approve');
    expect(f).toContain('✓ test-coverage');
    expect(f).toContain('✗ zero-post-errors');
    await h.press('y');
    await h.waitForFrame('this one needs BUG-2026-001 typed');
    await h.press('BUG-2026-009', KEY.enter);
    await h.waitForFrame('"BUG-2026-009" is not BUG-2026-001');
    expect(h.state.approval('APR-1')!.status).toBe('pending');
    await h.press(KEY.backspace);
    await h.waitForFrame('approve: BUG-2026-00 ');
    await h.press('1', KEY.enter);
    await h.waitFor(() => h.state.approval('APR-1')!.status === 'approved', 2000, 'the approval');
    expect(h.state.approval('APR-1')!.decided_by).toBe('dashboard');
  });

  it('n rejects a typed request while nothing is typed; Esc puts it off and P brings it back', async () => {
    const h = await renderDashboard({
      seed: (s) => {
        createApproval(s, { category: 'emergency', action: 'stop all running agents', requestedBy: 'ORCHESTRATOR' }, 'typed', 'critical');
        createApproval(s, { category: 'emergency', action: 'maintenance mode on', requestedBy: 'ORCHESTRATOR' }, 'typed', 'critical');
      },
    });
    await h.waitForFrame('Type APR-1 and press Enter'); // no ticket: the approval id confirms (shown once it takes keys)
    expect(h.frame()).toContain('APPROVAL REQUIRED APR-1');
    expect(h.frame()).toContain('1 more waiting');
    await h.press(KEY.esc);
    await h.waitForFrame('APPROVAL REQUIRED APR-2');
    // The hint names the command that would work: a typed request needs its --confirm.
    expect(h.d.ui.getState().notice?.text).toContain('run `approve APR-1 --confirm APR-1`');
    await h.press('n');
    await h.waitForFrame('press Enter to reject APR-2');
    await h.press(KEY.enter);
    await h.waitFor(() => h.state.approval('APR-2')!.status === 'rejected', 2000, 'APR-2 rejected');
    await h.waitForFrame('1 put off (P)');
    expect(h.frame()).not.toContain('APPROVAL REQUIRED');
    await h.press(KEY.esc, 'p');
    await h.waitForFrame('APPROVAL REQUIRED APR-1');
    await h.press('APR-1', KEY.enter);
    await h.waitFor(() => h.state.approval('APR-1')!.status === 'approved', 2000, 'APR-1 approved');
  });

  it('a command from the prompt waits for its approval and continues once the modal approves', async () => {
    const h = await renderDashboard({ extraCommands: [guardedCommand] });
    await h.run('test guarded BUG-2026-004');
    await h.waitForFrame('Type BUG-2026-004 and press Enter to approve');
    await h.press('bug-2026-004', KEY.enter); // case does not matter
    await h.waitForFrame('guarded action carried out for BUG-2026-004');
    expect(h.state.approval('APR-1')!.status).toBe('approved');
  });

  it("carries an approved request out when its requester is not waiting for it (like `agent approve`), also one made while the dashboard was open", async () => {
    const h = await renderDashboard({
      seed: (s) =>
        s.insertApproval(pending('APR-9', 'create ticket', { description: 'resumed by an approval in the dashboard' }, { requested_at: Date.now() + 60_000 })),
    });
    await h.waitForFrame('APPROVAL REQUIRED APR-9');
    await h.press('y', KEY.enter);
    await h.waitForFrame('Ticket created');
    expect(h.state.tickets().some((t) => t.description === 'resumed by an approval in the dashboard')).toBe(true);
  });

  it('leaves the action to a requester that was waiting at the moment of approval, however recent or old the request', async () => {
    const h = await renderDashboard({
      seed: (s) => {
        // requester_pid alive: this test process stands in for the waiting requester
        s.insertApproval(pending('APR-5', 'create ticket', { description: 'must be created by the requester, not the dashboard' }, { requester_pid: process.pid }));
        s.setApprovalWaiting('APR-5', true);
      },
    });
    await h.waitForFrame('APPROVAL REQUIRED APR-5');
    await h.press('y', KEY.enter);
    await h.waitForFrame(`process ${process.pid} was waiting for APR-5 and continues now`);
    expect(h.state.approval('APR-5')!.status).toBe('approved');
    expect(h.state.tickets()).toEqual([]);
  });

  it('keeps a shell-only action pending when its requester has gone, rather than use the approval up for nothing', async () => {
    const h = await renderDashboard({
      seed: (s) =>
        s.insertApproval(pending('APR-7', 'emergency access', { user_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }, { category: 'emergency', action: 'emergency sign-in link as user ana@example.com', risk: 'critical', confirm: 'typed' })),
    });
    await h.waitForFrame('Type APR-7 and press Enter to approve');
    await h.press('APR-7', KEY.enter);
    await h.waitForFrame('only a shell can carry this out now that its requester has gone');
    expect(h.d.ui.getState().confirm.error).toContain('`agent approve APR-7 --confirm APR-7` there');
    expect(h.state.approval('APR-7')!.status).toBe('pending');
    expect(h.state.audit().some((a) => a.approval === 'APR-7')).toBe(false);
  });

  it("pops up another connection's request; that requester waits because the dashboard session is live", async () => {
    const h = await renderDashboard();
    await h.waitFor(() => h.state.liveSessions(DASHBOARD_SESSION, 15_000).length === 1, 2000, 'the dashboard session');
    const other = new StateDb(join(h.dir, '.agent', 'state.db')); // as a one-shot command would open it
    const abort = new AbortController();
    const waiting = requireApproval(
      { state: other, config: defaultConfig('t'), out: quiet, signal: abort.signal, initiator: 'mcp' },
      { category: 'databaseDestructive', action: 'drop column estimates.legacy_total', ticketId: 'MIG-2026-003', requestedBy: 'MIGRATOR' },
    );
    await h.waitForFrame('drop column estimates.legacy_total');
    await h.press('MIG-2026-003', KEY.enter);
    const record = await waiting;
    expect(record?.status).toBe('approved');
    expect(record?.decidedBy).toBe('dashboard');
    // Once the dashboard is gone, nobody can answer: the requester gets "approval required" (exit 3).
    h.d.stop();
    await expect(
      requireApproval({ state: other, config: defaultConfig('t'), out: quiet, signal: abort.signal, initiator: 'mcp' }, { category: 'productionDeployment', action: 'deploy', requestedBy: 'X' }),
    ).rejects.toBeInstanceOf(ApprovalRequiredError);
    other.close();
  });
});
