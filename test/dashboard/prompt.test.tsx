// Keyboard flows through the prompt: the same registry, parser and router as the CLI, results and
// errors inline, history, Tab completion, quick keys, Ctrl-C and quitting.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupAll, KEY, renderDashboard } from './render.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { fakeDeploy, nestCommand, waitCommand } from './commands.js';

afterEach(cleanupAll);

const year = new Date().getUTCFullYear();

describe('prompt → command → result', () => {
  it('creates a ticket through the registry and shows its line; the row is in SQLite', async () => {
    const h = await renderDashboard();
    await h.run('create ticket "Estimates crash when the save button is pressed"');
    const f = await h.waitForFrame(/Ticket created: BUG-\d{4}-001/);
    expect(f).toContain('› create ticket "Estimates crash when the save button is pressed"');
    const t = h.state.ticket(`BUG-${year}-001`)!;
    expect(t.title).toMatch(/Estimates crash/);
    expect(t.created_by).toBe('dashboard');
    // The header and the completion list follow at once.
    await h.waitForFrame('Tickets: 1 open');
  });

  it('accepts @agent and prints human blocks (tables) into the log pane', async () => {
    const h = await renderDashboard({ seed: (s) => s.appendEvent({ kind: 'line', level: 'info', message: 'seed' }) });
    await h.run('create ticket "Jobs page is slow to load on mobile"');
    await h.waitForFrame('Ticket created');
    await h.run('@agent tickets');
    const f = await h.waitForFrame(/ID +STATUS +PRIORITY/);
    expect(f).toMatch(/-2026-001|-\d{4}-001 +open +normal/);
  });

  it('routes free text like the CLI does', async () => {
    const h = await renderDashboard();
    await h.run('please create a ticket: the jobs page crashes on save');
    const f = await h.waitForFrame('Ticket created');
    expect(f).toContain('Understood as `agent create ticket`');
  });

  it('shows usage errors inline and keeps running', async () => {
    const h = await renderDashboard();
    await h.run('create ticket');
    let f = await h.waitForFrame('error: `agent create ticket` needs <description>');
    await h.run('frobnicate');
    f = await h.waitForFrame('error: unknown command "frobnicate"');
    await h.run('status --json');
    f = await h.waitForFrame('--json has no place in the dashboard');
    await h.run('create ticket "unclosed');
    f = await h.waitForFrame('error: unclosed " quote');
    // Still alive: a good command after the errors works.
    await h.run('approvals');
    f = await h.waitForFrame('No pending approvals.');
    expect(f).toContain('› approvals');
  });

  it('answers help in the overlay and help <command> inline; refuses to nest itself', async () => {
    const h = await renderDashboard();
    await h.run('help status');
    await h.waitForFrame('agent status');
    await h.run('dashboard');
    await h.waitForFrame('You are in the dashboard already.');
    await h.run('help');
    await h.waitForFrame('HELP · keys and commands');
  });

  it('refuses a second dashboard dispatched by another command (as `agent demo` does)', async () => {
    const h = await renderDashboard({ extraCommands: [nestCommand] });
    await h.run('test nest');
    await h.waitForFrame('error: the dashboard is already open in this terminal');
  });
});

describe('history and completion', () => {
  it('walks the history with ↑ and ↓ and keeps the draft', async () => {
    const h = await renderDashboard();
    await h.run('approvals');
    await h.run('tickets');
    await h.type('draft');
    await h.press(KEY.up);
    await h.waitFor(() => h.d.ui.getState().prompt.value === 'tickets', 2000, 'tickets');
    await h.press(KEY.up);
    await h.waitFor(() => h.d.ui.getState().prompt.value === 'approvals', 2000, 'approvals');
    await h.waitForFrame('agent › approvals');
    await h.press(KEY.down, KEY.down);
    await h.waitFor(() => h.d.ui.getState().prompt.value === 'draft', 2000, 'the draft back');
    // Typing after a recalled line edits it at its end (the input re-mounts with the cursor there).
    await h.press(KEY.up);
    await h.type(' --all');
    await h.press(KEY.enter);
    await h.waitForFrame('› tickets --all');
  });

  it('survives a restart (history kept in the state database)', async () => {
    const h = await renderDashboard();
    await h.run('approvals');
    const saved = h.state.getKv<string[]>('dashboard.history');
    expect(saved).toEqual(['approvals']);
  });

  it('completes command words and ticket ids with Tab', async () => {
    const h = await renderDashboard({
      seed: (s) => {
        const now = Date.now();
        s.insertTicket({ idPrefix: 'BUG', kind: 'BUG', year, title: 't', description: 'd', status: 'open', priority: 'normal', external_ref: null, created_by: 'admin', created_at: now, updated_at: now });
      },
    });
    await h.type('crea');
    await h.press(KEY.tab);
    await h.waitFor(() => h.d.ui.getState().prompt.value === 'create ticket ', 2000, 'create ticket');
    await h.press(...'\x7f'.repeat(14).split(''));
    await h.waitFor(() => h.d.ui.getState().prompt.value === '', 2000, 'an empty prompt');
    await h.type('tick');
    await h.press(KEY.tab);
    await h.waitForFrame('Tab: tickets  ticket');
    await h.waitFor(() => h.d.ui.getState().prompt.value === 'ticket', 2000, 'the common prefix');
    await h.type(' B');
    await h.press(KEY.tab);
    await h.waitFor(() => h.d.ui.getState().prompt.value === `ticket BUG-${year}-001 `, 2000, 'the ticket id');
    await h.press(KEY.enter);
    // At the prompt, `ticket <id>` opens the ticket view.
    await h.waitForFrame((f) => f.includes(`Ticket BUG-${year}-001`) && f.includes('BUG · open'));
  });
});

describe('quick keys', () => {
  it('opens with the panes focused (quick keys at once); : focuses the prompt, Esc leaves it; D says plainly when the command set has no deploy', async () => {
    const h = await renderDashboard({ commands: COMMANDS.filter((c) => c.name !== 'deploy') });
    await h.waitForFrame('PANES ^C quit : prompt H help R refresh');
    await h.press('d');
    await h.waitForFrame('This command set has no `deploy` command.');
    expect(h.d.ui.getState().prompt.value).toBe(''); // quick keys never type into the prompt
    await h.press(':');
    await h.waitForFrame('PROMPT ^C quit Esc panes');
    await h.press('d');
    expect(h.d.ui.getState().prompt.value).toBe('d');
    await h.press(KEY.esc);
    await h.waitForFrame('PANES ^C quit');
    await h.press(KEY.enter);
    await h.waitForFrame('PROMPT ^C quit');
  });

  it('D asks which target once a deploy command exists, and runs it through the prompt path', async () => {
    const h = await renderDashboard({ commands: [...COMMANDS.filter((c) => c.name !== 'deploy'), fakeDeploy] });
    await h.press('d');
    await h.waitForFrame('DEPLOY · which target?');
    expect(h.frame()).toContain('[1] staging');
    // "describe" typed with the panes focused: letters choose nothing, only digits do.
    await h.write('escribe');
    expect(h.frame()).toContain('DEPLOY · which target?');
    expect(h.frame()).not.toContain('› deploy');
    await h.press('1');
    await h.waitForFrame('fake deploy to staging');
    expect(h.frame()).toContain('› deploy staging');
  });

  it('R refreshes, L maximizes the log, H opens help, Q quits', async () => {
    const h = await renderDashboard();
    await h.press(KEY.esc, 'r');
    await h.waitForFrame('Refreshed from the state database.');
    await h.press('l');
    await h.waitForFrame((f) => !f.includes('Recent Activity'));
    await h.press('l');
    await h.waitForFrame('Recent Activity');
    await h.press('h');
    await h.waitForFrame('HELP · keys and commands');
    await h.press('q'); // closes the help first
    await h.waitForFrame((f) => !f.includes('HELP · keys'));
    let quit = false;
    void h.d.quitting.then(() => (quit = true));
    await h.press('q');
    await h.waitFor(() => quit, 2000, 'quit');
  });

  it('R while a command runs: the notice gives the status row back to its spinner', async () => {
    const h = await renderDashboard({ extraCommands: [waitCommand] });
    await h.run('test wait');
    await h.waitForFrame('waiting…');
    await h.press(KEY.esc, 'r');
    await h.waitForFrame('Refreshed from the state database.');
    // Not for the rest of the command (8 s): the spinner's label is back well before that.
    await h.waitForFrame((f) => f.includes('waiting…') && !f.includes('Refreshed from the state database.'), 5000);
    await h.press(KEY.ctrlC);
    await h.waitFor(() => h.d.ui.getState().running.length === 0, 2000, 'the command to end');
  });

  it('shows the result of health in the header as soon as the prompt has run it', async () => {
    const h = await renderDashboard();
    await h.waitForFrame('UNKNOWN');
    await h.run('health');
    // health writes its results without an event; the header must not wait for R or another process.
    await h.waitForFrame((f) => /System Health: \S+ (OPTIMAL|DEGRADED|FAILING|NOT CONFIGURED)/.test(f), 10_000);
  });

  it('Ctrl-C cancels a running command first, then quits', async () => {
    const h = await renderDashboard({ extraCommands: [waitCommand] });
    await h.run('test wait');
    await h.waitForFrame('waiting…');
    let quit = false;
    void h.d.quitting.then(() => (quit = true));
    await h.press(KEY.ctrlC);
    await h.waitForFrame('⏹');
    expect(quit).toBe(false);
    await h.waitFor(() => h.d.ui.getState().running.length === 0, 2000, 'the command to end');
    await h.press(KEY.ctrlC);
    await h.waitFor(() => quit, 2000, 'quit');
  });
});
