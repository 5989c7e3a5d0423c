// Commands typed at the prompt run in a child process of the built CLI (as `agent dashboard`
// does): the work happens in another process on the dashboard's behalf, its printed text and
// progress come back into the log, the approvals it asks for pop up in the modal and it waits for
// them like a shell command would, and Ctrl-C interrupts it. Needs `npm run build` (dist/cli.js).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logLines } from '../../src/store/store.js';
import { cleanupAll, KEY, renderDashboard } from './render.js';
import { isAlive } from '../../src/store/state-db.js';
import { IN_PROCESS } from '../../components/controller.js';

afterEach(cleanupAll);

describe('prompt commands in a child process', () => {
  it('creates a ticket from another process on the dashboard\'s behalf; printed text and cheap reads come back', async () => {
    const h = await renderDashboard({ childCli: true });
    await h.run('create ticket "Estimates crash when the save button is pressed"');
    await h.waitForFrame(/Ticket created: BUG-\d{4}-001/);
    const created = h.state.events({ tail: true, limit: 50 }).find((e) => e.message.startsWith('Ticket created'))!;
    expect(created.pid).not.toBe(process.pid); // written by the child
    expect(h.state.tickets()[0]!.created_by).toBe('dashboard'); // acting for the dashboard
    await h.waitFor(() => h.d.ui.getState().running.length === 0, 5000, 'the child to finish');

    // Printed text (health's table) comes back as text records of the child's NDJSON.
    await h.run('health');
    await h.waitForFrame(/✓ state database +ok/);
    // A read of the open state database stays in this process: its table at once, no child.
    expect(IN_PROCESS.has('tickets')).toBe(true);
    await h.run('tickets');
    await h.waitForFrame(/ID +STATUS +PRIORITY/);
  });

  it('an approval the child asks for pops up; the child waits for the modal and carries on (audited as the dashboard)', async () => {
    const h = await renderDashboard({ childCli: true });
    await h.run('agents purge logs');
    await h.waitForFrame('APPROVAL REQUIRED APR-1');
    const asked = await h.waitFor(() => h.state.approval('APR-1')?.waiting ? h.state.approval('APR-1') : null, 5000, 'the child to wait');
    expect(asked.requester_pid).not.toBe(process.pid);
    expect(isAlive(asked.requester_pid!)).toBe(true);
    await h.press('APR-1', KEY.enter);
    await h.waitForFrame(/Purged 0 event\(s\) older than/);
    await h.waitFor(() => h.d.ui.getState().running.length === 0, 5000, 'the child to finish');
    expect(h.state.approval('APR-1')!.decided_by).toBe('dashboard');
    const purge = h.state.audit().find((a) => a.action === 'agents.purge-logs')!;
    expect(purge.initiator).toBe('dashboard');
    expect(h.frame()).not.toContain('exited');
  });

  it('Ctrl-C interrupts the child (SIGINT): it winds down, exits 130 and the log says cancelled', async () => {
    const h = await renderDashboard({ childCli: true });
    await h.run('agents purge logs');
    const asked = await h.waitFor(() => h.state.approval('APR-1')?.waiting ? h.state.approval('APR-1') : null, 8000, 'the child to wait');
    await h.write(KEY.ctrlC);
    await h.waitForFrame('⏹ agent agents purge logs: cancelled');
    await h.waitFor(() => !isAlive(asked.requester_pid!), 5000, 'the child to exit');
    expect(h.state.approval('APR-1')!.waiting).toBeFalsy(); // it stopped waiting, nothing was decided
    expect(h.state.approval('APR-1')!.status).toBe('pending');
    expect(h.d.ui.getState().running).toEqual([]);
  });

  it('approving a request whose requester has gone runs `agent approve --confirm` in a child, which decides and carries it out', async () => {
    const h = await renderDashboard({
      childCli: true,
      seed: (s) =>
        s.insertApproval({
          id: 'APR-9', ticket_id: null, run_id: null, category: 'emergency', action: 'create ticket', summary: 'create ticket', risk: 'critical',
          touches: '[]', gates: '[]', resume: JSON.stringify({ command: 'create ticket', args: { description: 'resumed by a child approve' } }),
          confirm: 'typed', status: 'pending', requested_by: 'TEST', requested_at: Date.now(), decided_by: null, decided_at: null, reason: null,
        }),
    });
    await h.waitForFrame('Type APR-9 and press Enter to approve');
    await h.press('APR-9', KEY.enter); // the child gets the typed confirmation as --confirm
    // The ticket row is written before its line: wait for the line.
    const created = await h.waitFor(() => h.state.events({ tail: true, limit: 50 }).find((e) => e.message.startsWith('Ticket created')), 8000, 'the ticket the approval carries out');
    const ticket = h.state.tickets()[0]!;
    expect(ticket.description).toBe('resumed by a child approve');
    expect(created.pid).not.toBe(process.pid);
    expect(h.state.approval('APR-9')!.decided_by).toBe('dashboard');
    await h.waitForFrame('› approve APR-9 --confirm APR-9');
  });
});

describe('free text in a child', () => {
  it('is routed by the child, which says how it understood it, once', async () => {
    const h = await renderDashboard({ childCli: true });
    await h.run('please create a ticket: the jobs page crashes on save');
    const f = await h.waitForFrame('Ticket created');
    expect(f.split('\n').filter((l) => l.includes('Understood as `agent create ticket`'))).toHaveLength(1);
  });
});

describe('what a child passes on', () => {
  it('AGENT_DASHBOARD_CHILD reaches the child CLI only, not the programs it runs (the project\'s tests)', async () => {
    // The test command writes what it sees of the variable; the fix run's BugHunter runs it.
    const seen = 'env-seen.txt';
    const probe = `node -e "require('fs').appendFileSync('${seen}', String(process.env.AGENT_DASHBOARD_CHILD) + '\\\\n')"`;
    const h = await renderDashboard({
      childCli: true,
      seed: (_s, dir) => writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ test: { command: probe } })),
    });
    await h.run('create ticket "The jobs page crashes when saving"');
    await h.waitFor(() => h.state.tickets()[0], 8000, 'the ticket');
    await h.waitFor(() => h.d.ui.getState().running.length === 0, 8000, 'create to finish');
    await h.run(`fix ticket ${h.state.tickets()[0]!.id}`);
    await h.waitFor(() => h.d.ui.getState().running.length === 0 && h.state.runs({})[0]?.status !== 'running' ? true : null, 20000, 'the fix run to end');
    const run = h.state.runs({})[0]!;
    expect(run.pid).not.toBe(process.pid);
    expect(existsSync(join(h.dir, seen))).toBe(true); // the test command did run
    expect(readFileSync(join(h.dir, seen), 'utf8').trim().split('\n')).toEqual(['undefined']);
    // …and the child itself still acted for the dashboard.
    expect(h.state.audit().some((a) => a.initiator === 'dashboard')).toBe(true);

    // The ticket view shows what the real fix run recorded: BugHunter's understand phase, its
    // checklist with evidence and the gate that blocked it.
    await h.run(`ticket ${run.ticket_id}`);
    const f = await h.waitForFrame(/✗ understand +gate BLOCKED understanding-confidence/);
    expect(f).toMatch(/bughunter-\d+ blocked/);
    expect(f).toMatch(/○ analyze +not reached/);
    const items = h.state.checklist({ runId: run.id });
    expect(items.length).toBeGreaterThan(0);
    expect(f).toContain(`${items[0]!.ok ? '✓' : '✗'} ${items[0]!.item}`);
  });

  it('a child that fails with exit 1 and recorded why: the log shows the error once, the notice says it too', async () => {
    // An MCP server that exits during the handshake: `mcp tools` fails with exit 1 and records command.failed.
    const h = await renderDashboard({
      childCli: true,
      seed: (_s, dir) => writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ mcp: { server: { command: process.execPath, args: ['-e', 'process.exit(3)'] } } })),
    });
    await h.run('mcp tools');
    await h.waitFor(() => h.d.ui.getState().running.length === 0 && h.d.ui.getState().notice ? true : null, 15000, 'the child to fail');
    const why = 'the server closed the connection during initialize';
    const stored = h.state.events({}).filter((e) => e.message.includes(why));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.pid).not.toBe(process.pid);
    expect(h.d.ui.getState().notice!.text).toContain(why);
    expect(h.d.ui.getState().notice!.level).toBe('error');
    await h.waitFor(() => h.d.data.getState().log.rows.some((r) => r.message.includes(why)), 5000, 'the stored line in the log');
    const s = h.d.data.getState();
    expect(logLines(s.log.rows, s.console, s.log).filter((r) => r.message.includes(why))).toHaveLength(1);
    const f = await h.waitForFrame('✗ mcp tools: MCP server:');
    expect(f).not.toContain('exited 1');
  });
});
