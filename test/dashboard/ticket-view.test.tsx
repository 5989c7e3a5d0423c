// The ticket view: a ticket and each agent's six phases with their checklist items and evidence,
// read from a real state database whose phases were recorded through the real phase runner
// (Orchestrator.runAgent → runPhases → gates), as `agent ticket <id>` shows them. Opened with T,
// Enter on an activity line or `ticket <id>` at the prompt; keyboard only; Esc goes back.
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import { Orchestrator, type AgentTask } from '../../src/engine/orchestrator.js';
import { item, type PhaseHandlers } from '../../src/engine/phases.js';
import { PHASES, type PhaseMetrics } from '../../src/engine/gates.js';
import type { Reporter } from '../../src/commands/types.js';
import { cleanupAll, KEY, renderDashboard, type Harness } from './render.js';

afterEach(cleanupAll);

const PASS: Record<string, PhaseMetrics> = {
  understand: { confidence: 97 },
  analyze: { criticalCycles: 0 },
  plan: { scenarios: 2, mitigated: 2 },
  validate: { coverage: 90 },
  execute: { preconditions: 1, preconditionsMet: 1 },
  verify: { postErrors: 0 },
};
const LONG = 'the estimates.job_id column is written by saveEstimate in lib/estimates.ts:42 and read back by the voice agent in app/api/voice/route.ts:17, where the insert result was never checked';

/** An agent whose phases each record checklist items with evidence; `blockAt` fails that phase's gate. */
function task(type: string, blockAt?: string): AgentTask {
  const phases = {} as PhaseHandlers;
  for (const phase of PHASES) {
    phases[phase] = async () => ({
      items:
        phase === 'plan'
          ? [item('Failure scenario: a busy table', true, "set lock_timeout = '5s'"), item('Failure scenario: rows violate the key', blockAt !== 'plan', blockAt === 'plan' ? 'no NOT VALID step' : 'NOT VALID, then VALIDATE')]
          : phase === 'understand'
            ? [item('Root cause located', true, LONG)]
            : [item(`${phase} checked`, true, `${type} measured ${phase}`)],
      metrics: phase === blockAt && phase === 'plan' ? { scenarios: 2, mitigated: 1 } : PASS[phase]!,
    });
  }
  return { type, phases };
}

const quiet: Reporter = { json: false, color: false, line() {}, print() {}, spin: (_label, work) => work };

/** A ticket (created at the prompt) with two runs: one agent through all six phases, one blocked at plan. */
async function ticketWithPhases(h: Harness): Promise<string> {
  await h.d.submit('create ticket "Estimates are not saved when the voice agent says success"');
  const id = h.state.tickets()[0]!.id;
  const orch = new Orchestrator(h.state, defaultConfig('t'), quiet, new AbortController().signal);
  await orch.withRun({ command: `fix ticket ${id}`, ticketId: id }, async (run) => {
    await orch.runAgent(run, task('Hunter'));
  });
  await expect(
    orch.withRun({ command: `migrate for ${id}`, ticketId: id }, async (run) => {
      await orch.runAgent(run, task('Mover', 'plan'));
    }),
  ).rejects.toThrow(/all-scenarios-mitigated/);
  orch.dispose();
  return id;
}

const rowsOf = (f: string) => f.split('\n');

describe('the ticket view', () => {
  it('T opens the newest ticket: the newest agent\'s six phases, checklist items and evidence; ← the other agent; Esc back', async () => {
    const h = await renderDashboard({ columns: 100, rows: 40 });
    const id = await ticketWithPhases(h);
    await h.waitFor(() => h.d.data.getState().ticketIds.includes(id), 5000, 'the ticket in the store');
    await h.press('t');
    let f = await h.waitForFrame(`Ticket ${id}`);
    // The newest agent first: blocked at plan, the phases after it not reached.
    expect(f).toMatch(/Phases mover-\d+ \(2\/2 ←→\) · blocked/);
    expect(f).toMatch(/✓ understand +gate passed understanding-confidence/);
    expect(f).toContain('✓ Root cause located: the estimates.job_id');
    expect(f).toMatch(/✗ plan +gate BLOCKED all-scenarios-mitigated/);
    expect(f).toContain('✗ Failure scenario: rows violate the key: no NOT VALID step');
    expect(f).toMatch(/○ validate +not reached/);
    expect(f).toMatch(/○ verify +not reached/);
    // Side by side from 100 columns: the ticket and both agents on the left.
    expect(f).toMatch(/Agents ←→ choose/);
    expect(f).toMatch(/hunter-\d+ done ▰▰▰▰▰▰ 6\/6/);
    expect(f).toMatch(/mover-\d+ blocked ▰▰▰▱▱▱ 3\/6/); // stopped in plan, the third phase
    expect(f).toContain('TICKET');

    await h.press(KEY.left);
    f = await h.waitForFrame(/Phases hunter-\d+ \(1\/2 ←→\) · done/);
    expect(f).toMatch(/✓ verify +gate passed/);
    expect(f).toContain('✓ verify checked: Hunter measured verify');
    expect(f).not.toContain('not reached');

    // ↓ to the understand item, Enter: its whole evidence, wrapped over several rows.
    await h.press(KEY.down);
    expect(rowsOf(h.frame()).some((r) => r.includes('never checked'))).toBe(false);
    await h.press(KEY.enter);
    f = await h.waitForFrame('never checked');
    expect(f).toContain('✓ Root cause located: the estimates.job_id');
    await h.press(KEY.enter);
    await h.waitForFrame((fr) => !fr.includes('never checked'));

    // The cursor reaches the last row; the window scrolls with it.
    await h.press(KEY.end);
    f = await h.waitForFrame(/verify checked/);
    expect(h.d.ui.getState().ticket!.cursor).toBe(h.d.ui.getState().ticket!.model.agents[0]!.phases.reduce((n, p) => n + 1 + p.items.length, 0) - 1);

    await h.press(KEY.esc);
    f = await h.waitForFrame('Recent Activity');
    expect(f).not.toContain(`Ticket ${id}`);
    expect(h.d.ui.getState().focus).toBe('panes');
  });

  it('`ticket <id>` at the prompt opens it; an unknown id is the command\'s error; Enter on an activity line opens its ticket', async () => {
    const h = await renderDashboard({ columns: 100, rows: 40 });
    const id = await ticketWithPhases(h);
    await h.run(`ticket ${id}`);
    await h.waitForFrame(`Ticket ${id}`);
    await h.press(KEY.esc);
    await h.waitForFrame((f) => !f.includes(`Ticket ${id}`));
    expect(h.d.ui.getState().focus).toBe('prompt'); // back where it was opened from
    await h.run('ticket BUG-1999-404');
    await h.waitForFrame('BUG-1999-404: no such ticket');
    expect(h.d.ui.getState().ticket).toBeNull();

    // Recent activity (2): ↑↓ pick a line about the ticket, Enter opens it.
    await h.press(KEY.esc, '2');
    await h.waitFor(() => h.d.data.getState().status?.recentActivity.some((e) => e.ticketId === id), 5000, 'activity about the ticket');
    await h.waitForFrame('⏎ ticket');
    await h.press(KEY.enter);
    await h.waitForFrame(`Ticket ${id}`);
  });

  it('follows the ticket while it is open: an agent that starts working on it appears with its phases', async () => {
    const h = await renderDashboard({ columns: 100, rows: 40 });
    await h.d.submit('create ticket "Estimates are not saved when the voice agent says success"');
    const id = h.state.tickets()[0]!.id;
    await h.run(`ticket ${id}`);
    await h.waitForFrame('No agent has worked on it yet.');
    const orch = new Orchestrator(h.state, defaultConfig('t'), quiet, new AbortController().signal);
    await orch.withRun({ command: `fix ticket ${id}`, ticketId: id }, async (run) => {
      await orch.runAgent(run, task('Hunter'));
    });
    orch.dispose();
    const f = await h.waitForFrame(/Phases hunter-\d+ · done/);
    expect(f).toMatch(/✓ verify +gate passed/);
    expect(f).not.toContain('No agent has worked on it yet.');
  });

  it('fits 80×24 stacked, 40×12 in one box, 100×30 side by side: no row wider than the terminal, the frame one row shorter', async () => {
    // (ink-testing-library's stdout is 100 columns wide; the tmux test takes 120×40.)
    for (const [columns, rows] of [[80, 24], [40, 12], [100, 30]] as const) {
      const h = await renderDashboard({ columns, rows });
      const id = await ticketWithPhases(h);
      await h.run(`ticket ${id}`);
      const f = await h.waitForFrame(/understand/);
      const lines = rowsOf(f);
      expect(lines.length).toBeLessThanOrEqual(rows - 1);
      for (const l of lines) expect([...l].length, `${columns}×${rows}: "${l}"`).toBeLessThanOrEqual(columns);
      if (columns === 80) {
        expect(f).toContain(`Ticket ${id}`);
        expect(f).toMatch(/hunter-\d+ done/); // the agents above the phases
        expect(f).toMatch(/mover-\d+ \(2\/2 ←→\)/);
      }
      if (columns === 40) expect(f).toContain(`${id} mover-`);
      expect(f).toMatch(/TICKET \S+ quit/);
      h.cleanup();
    }
  });
});
