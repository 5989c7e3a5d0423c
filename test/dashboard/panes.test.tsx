// Each pane rendered from real SQLite state: header figures, agents with their phase, recent
// activity, the log with its filters and scroll-back, the help overlay from the registry.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupAll, KEY, renderDashboard } from './render.js';
import { COMMANDS } from '../../src/commands/registry.js';
import type { StateDb } from '../../src/store/state-db.js';

afterEach(cleanupAll);

const HOUR = 3600_000;

function seedWork(state: StateDb): void {
  const now = Date.now();
  state.saveHealth([
    { name: 'state database', status: 'ok', detail: 'writable', checked_at: now - 120_000 },
    { name: 'supabase', status: 'ok', detail: 'reachable', checked_at: now - 120_000 },
  ]);
  state.insertDeployment({ id: 'DEPLOY-7', ticket_id: 'BUG-2026-001', target: 'production', status: 'succeeded', started_at: now - 2 * HOUR - 60_000, finished_at: now - 2 * HOUR, data: '{}' });
  state.insertRun({ id: 'RUN-1', ticket_id: 'BUG-2026-001', command: 'fix ticket BUG-2026-001', priority: 0, resources: [] });
  state.updateRun('RUN-1', { status: 'running', started_at: now });
  state.insertRun({ id: 'RUN-2', ticket_id: 'MIG-2026-002', command: 'migrate', priority: 0, resources: [] });
  state.insertAgent({ id: 'bughunter-1', run_id: 'RUN-1', ticket_id: 'BUG-2026-001', type: 'BugHunter' });
  state.updateAgent('bughunter-1', { state: 'running', phase: 'plan' });
  state.insertAgent({ id: 'migrator-1', run_id: 'RUN-1', ticket_id: 'MIG-2026-002', type: 'Migrator' });
  state.updateAgent('migrator-1', { state: 'done', phase: 'verify', finished_at: now - 60_000 });
  state.appendEvent({ kind: 'line', level: 'ok', agent: 'BUGHUNTER', ticketId: 'BUG-2026-001', message: 'Root cause found in app/api/estimates/route.ts' });
  state.appendEvent({ kind: 'line', level: 'warn', agent: 'MIGRATOR', ticketId: 'MIG-2026-002', message: 'Destructive change needs approval' });
  state.appendEvent({ kind: 'line', level: 'error', agent: 'STAGEAGENT', message: 'Tests failed on staging' });
  state.appendEvent({ kind: 'line', level: 'info', agent: 'ORCHESTRATOR', message: 'Routine info line' });
  state.appendEvent({ kind: 'phase.started', level: 'debug', agent: 'BUGHUNTER', agentId: 'bughunter-1', message: 'plan started' });
}

describe('header', () => {
  it("shows section 5.3's figures: health, active agents n/max, queue, last deployment and how long ago", async () => {
    const h = await renderDashboard({ seed: seedWork });
    const f = await h.waitForFrame('OPTIMAL');
    expect(f).toContain('System Health: 🟢 OPTIMAL (checked 2 minutes ago)');
    expect(f).toMatch(/Active Agents: 1\/5/);
    expect(f).toMatch(/Queue: 1\b/); // RUN-2 is queued
    expect(f).toContain('Last Deployment: DEPLOY-7 → production 2 hours ago');
  });

  it('says so when health was never checked, and names failing checks', async () => {
    const h = await renderDashboard({
      seed: (s) => s.saveHealth([{ name: 'resend', status: 'failing', detail: '401', checked_at: Date.now() }]),
    });
    const f = await h.waitForFrame('DEGRADED');
    expect(f).toContain('✗ resend');
    expect(f).toContain('Last Deployment: none yet');
  });
});

describe('agents and recent activity', () => {
  it('shows each running agent with its ticket, phase of six and elapsed time; finished ones fade into activity', async () => {
    const h = await renderDashboard({ seed: seedWork });
    const f = await h.waitForFrame('bughunter-1');
    const row = f.split('\n').find((l) => l.includes('bughunter-1'))!;
    expect(row).toContain('BUG-2026-001');
    expect(row).toMatch(/plan +3\/6 ▰▰▰▱▱▱ \d+s/);
    // migrator-1 finished a minute ago: gone from the agents pane, present in recent activity.
    expect(f).toMatch(/\d\d:\d\d ✓ migrator-1 finished \(MIG/);
    expect(f.split('\n').filter((l) => l.includes('migrator-1'))).toHaveLength(1);
  });

  it('lists recent ✓ ⚠ ✗ lines', async () => {
    const h = await renderDashboard({ seed: seedWork });
    const f = await h.waitForFrame('Tests failed on staging');
    expect(f).toMatch(/\d\d:\d\d ✓ BUG-2026-001: Root cause/);
    expect(f).toMatch(/\d\d:\d\d ⚠ MIG-2026-002: Destructive/);
    expect(f).toMatch(/\d\d:\d\d ✗ Tests failed on staging/);
  });

  it('moves an agent through its phases as another writer updates it (live)', async () => {
    const h = await renderDashboard({ seed: seedWork });
    await h.waitForFrame(/plan +3\/6 ▰▰▰▱▱▱/);
    h.state.updateAgent('bughunter-1', { phase: 'validate' });
    h.state.appendEvent({ kind: 'phase.started', level: 'debug', agentId: 'bughunter-1', message: 'validate started' });
    await h.waitForFrame(/validate +4\/6 ▰▰▰▰▱▱/, 1000);
  });
});

describe('live', () => {
  it("shows another connection's event at the product's poll interval", async () => {
    const h = await renderDashboard({ syncMs: 150 });
    const { StateDb } = await import('../../src/store/state-db.js');
    const { join } = await import('node:path');
    const other = new StateDb(join(h.dir, '.agent', 'state.db'));
    other.appendEvent({ kind: 'line', level: 'ok', agent: 'CODESMITH', message: 'written by another process' });
    // Within 0.5 s by construction (150 ms polls); timings belong in bench/, so the wait is generous.
    await h.waitForFrame('[CODESMITH] ✓ written by another process', 2000);
    other.close();
  });
});

describe('log pane', () => {
  it('shows events with their speaker, symbol and ticket; debug only at the debug level', async () => {
    const h = await renderDashboard({ seed: seedWork });
    const f = await h.waitForFrame('[BUGHUNTER] ✓ Root cause found');
    expect(f).toContain('(BUG-2026-001)');
    expect(f).toContain('[ORCHESTRATOR] Routine info line');
    expect(f).not.toContain('plan started');
    await h.press(KEY.esc, 'v'); // panes: level filter cycles info -> warn
    await h.waitForFrame('warn+');
    expect(h.frame()).toContain('the level filters events; command output always shows');
    expect(h.frame()).not.toContain('Routine info line');
    expect(h.frame()).toContain('Tests failed on staging');
    await h.press('v', 'v'); // error -> debug
    const dbg = await h.waitForFrame('debug+');
    expect(dbg).toContain('plan started');
  });

  it('filters by agent', async () => {
    const h = await renderDashboard({ seed: seedWork });
    await h.waitForFrame('Routine info line');
    await h.press(KEY.esc);
    await h.waitForFrame('PANES');
    // Cycle until the filter names BUGHUNTER.
    for (let i = 0; i < 10 && !h.frame().includes('· BUGHUNTER ·'); i++) {
      const before = h.frame();
      await h.press('a');
      await h.waitFor(() => h.frame() !== before, 2000, 'the filter to change');
    }
    const f = await h.waitForFrame('· BUGHUNTER ·');
    expect(f).toContain('Root cause found');
    expect(f).not.toContain('Routine info line');
  });

  it('Tab or 1/2/3 chooses the pane; Enter on an agent shows its log only', async () => {
    const h = await renderDashboard({ seed: seedWork });
    await h.waitForFrame('Routine info line');
    await h.press('1');
    expect(h.d.ui.getState().pane).toBe('agents');
    await h.press(KEY.enter);
    const f = await h.waitForFrame('· bughunter-1 ·');
    expect(f).not.toContain('Routine info line');
    expect(h.d.ui.getState()).toMatchObject({ pane: 'log', focus: 'panes' });
    await h.press(KEY.tab);
    expect(h.d.ui.getState().pane).toBe('agents');
    await h.press('3', KEY.enter); // Enter on the log: the prompt
    expect(h.d.ui.getState().focus).toBe('prompt');
  });

  it('/ searches the log (any case, also in SQLite); the command line typed before comes back', async () => {
    const h = await renderDashboard({ seed: seedWork });
    await h.waitForFrame('Routine info line');
    await h.type('status --js');
    await h.press(KEY.esc, '/');
    expect(h.d.ui.getState().prompt.value).toBe('');
    await h.write('ROOT cause');
    await h.waitForFrame('log / ROOT cause');
    await h.press(KEY.enter);
    const f = await h.waitForFrame('· /ROOT cause ·');
    expect(f).toContain('Root cause found');
    expect(f).not.toContain('Routine info line');
    expect(h.d.ui.getState()).toMatchObject({ focus: 'panes', prompt: { value: 'status --js', logSearch: null } });
    expect(h.d.ui.getState().prompt.history).toEqual([]); // a search is not a command
    await h.press('/', KEY.enter); // the old text comes back in the line: Ctrl-U empties it
    await h.press('/', '\x15', KEY.enter);
    await h.waitForFrame('Routine info line');
  });

  it('scrolls back past the in-memory window into SQLite and follows again', async () => {
    const h = await renderDashboard({
      rows: 24,
      seed: (s) =>
        s.tx(() => {
          for (let i = 0; i < 5000; i++) s.appendEvent({ kind: 'line', level: 'info', agent: 'FIXTURE', message: `event number ${i}` });
        }),
    });
    await h.waitForFrame('event number 4999');
    await h.press(KEY.esc);
    await h.waitForFrame('PANES');
    // Home goes to the oldest loaded line, paging older ones in from SQLite each time.
    await h.pressUntil(KEY.home, /event number 0\b/, 20);
    expect(h.frame()).toContain('scrolled back');
    expect(h.d.data.getState().log.rows.length).toBeLessThanOrEqual(2000);
    h.state.appendEvent({ kind: 'line', level: 'info', agent: 'FIXTURE', message: 'arrived while scrolled back' });
    await h.waitForFrame('1 new below');
    await h.press('f');
    await h.waitForFrame('arrived while scrolled back');
    expect(h.frame()).toContain('following');
  });
});

describe('help overlay', () => {
  it('lists every key and every visible command of the registry', async () => {
    const h = await renderDashboard({ rows: 30 });
    await h.press(KEY.esc, 'h');
    await h.waitForFrame('HELP · keys and commands');
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      h.frame().split('\n').forEach((l) => seen.add(l));
      const before = h.frame();
      await h.press(KEY.pageDown);
      const moved = await h.waitFor(() => h.frame() !== before, 300, 'the help to scroll').catch(() => false);
      if (!moved) break; // the end of the help
    }
    const text = [...seen].join('\n');
    for (const c of COMMANDS.filter((c) => !c.hidden)) expect(text, c.name).toMatch(new RegExp(`\\s${c.name}\\s`));
    for (const k of ['Ctrl-C', 'Tab', 'R ', 'L ', 'D ', 'H or ?', 'Q ', 'y / n']) expect(text).toContain(k);
    await h.press(KEY.esc);
    await h.waitForFrame((f) => !f.includes('HELP · keys'));
  });
});

describe('layout', () => {
  it('keeps the frame shorter than the terminal and redraws on resize', async () => {
    const h = await renderDashboard({ rows: 30, columns: 100, seed: seedWork });
    await h.waitForFrame('bughunter-1');
    expect(h.frame().split('\n').length).toBeLessThan(30);
    h.d.ui.getState().setSize(100, 18);
    await h.waitFor(() => h.frame().split('\n').length === 17, 2000, 'the smaller frame');
    h.d.ui.getState().setSize(100, 45);
    await h.waitFor(() => h.frame().split('\n').length === 44, 2000, 'the taller frame');
  });
});

describe('layout by width', () => {
  const rowOf = (f: string, text: string) => f.split('\n').findIndex((l) => l.includes(text));
  it('stacks agents above recent activity below 100 columns (80 and 99), side by side from 100', async () => {
    const h = await renderDashboard({ rows: 24, columns: 80, seed: seedWork });
    for (const [columns, rows] of [[80, 24], [99, 40]] as const) {
      h.d.ui.getState().setSize(columns, rows);
      const f = await h.waitForFrame((f) => f.split('\n').length === rows - 1 && rowOf(f, 'Recent Activity') > rowOf(f, 'bughunter-1'));
      const agentRow = f.split('\n')[rowOf(f, 'bughunter-1')]!;
      // The agent's row has the whole width: its phase bar and elapsed time are not cut off.
      expect(agentRow, `${columns} columns`).toMatch(/plan +3\/6 ▰▰▰▱▱▱ \d+s/);
      expect(agentRow).not.toContain('Recent Activity');
      expect(rowOf(f, 'Agents 1/5 active')).toBeLessThan(rowOf(f, 'Recent Activity'));
      expect(rowOf(f, 'Recent Activity')).toBeLessThan(rowOf(f, 'Log ·'));
      expect(f.split('\n').every((l) => l.length <= columns)).toBe(true);
    }
    h.d.ui.getState().setSize(100, 30);
    const wide = await h.waitForFrame((f) => f.split('\n').length === 29);
    expect(rowOf(wide, 'Recent Activity')).toBe(rowOf(wide, 'Agents 1/5 active')); // one row: side by side
  });

  it('idle and stacked, the agents pane is one title row and the log keeps 6 lines at 80×24', async () => {
    const h = await renderDashboard({ rows: 24, columns: 80 });
    const f = await h.waitForFrame('Agents 0/5 active · No agents running.');
    expect(f.split('\n')).toHaveLength(23);
    expect(h.d.layout()).toMatchObject({ stacked: true, agents: 3, activity: 4, logVisible: 6 });
  });
});

describe('a log line whole', () => {
  const long = `Root cause: ${'the estimate row is written without its customer id, '.repeat(4)}END-OF-MESSAGE`;
  it('↑ puts the cursor on a line, Enter shows it whole (time, speaker, ticket, all of the message, data), Esc closes', async () => {
    const h = await renderDashboard({
      rows: 24,
      columns: 80,
      seed: (s) => {
        s.appendEvent({ kind: 'line', level: 'ok', agent: 'BUGHUNTER', ticketId: 'BUG-2026-001', message: long, data: { file: 'app/api/estimates/route.ts' } });
        s.appendEvent({ kind: 'line', level: 'info', agent: 'ORCHESTRATOR', message: 'the newest line' });
      },
    });
    await h.waitForFrame('the newest line');
    expect(h.frame()).not.toContain('END-OF-MESSAGE'); // cut at the pane's edge
    await h.press(KEY.enter); // no cursor yet: Enter still focuses the prompt
    await h.waitFor(() => h.d.ui.getState().focus === 'prompt', 2000, 'the prompt');
    await h.press(KEY.esc, KEY.up, KEY.up);
    expect(h.d.ui.getState().logSelected).toBe(String(h.state.events({ tail: true, limit: 2 })[0]!.id));
    await h.press(KEY.enter);
    const f = await h.waitForFrame('Log line');
    expect(f).toContain('ticket BUG-2026-001');
    expect(f).not.toContain('the newest line');
    const text = (frame: string) => frame.split('\n').map((l) => l.replace(/^│ | *│$/g, '').trim()).join(' ');
    expect(text(f)).toContain(long); // every word of it, wrapped at spaces
    await h.press(KEY.pageDown);
    await h.waitForFrame('"file": "app/api/estimates/route.ts"');
    await h.press(KEY.esc);
    await h.waitForFrame('the newest line');
    expect(h.frame()).not.toContain('END-OF-MESSAGE');
    expect(h.d.ui.getState().focus).toBe('panes');
    await h.press(KEY.esc); // Esc again drops the cursor; Enter focuses the prompt once more
    expect(h.d.ui.getState().logSelected).toBeNull();
  });

  it('escapes terminal control sequences in event text, errors and notices (a title cannot clear the screen)', async () => {
    const evil = 'Estimates \x1b[2J\x1b[H gone \x9b31m red \u202e reversed';
    const h = await renderDashboard({ seed: (s) => s.appendEvent({ kind: 'line', level: 'error', agent: 'MIGRATOR', message: evil }) });
    const f = await h.waitForFrame('Estimates');
    expect(f).toContain('Estimates \\x1b[2J\\x1b[H gone \\x9b31m red \\u202e reversed');
    // An error the prompt shows (it echoes what the command said about a ticket's title).
    h.d.ui.getState().notify(`✗ ${evil}`, 'error');
    await h.waitFor(() => h.frame().split('\n').filter((l) => l.includes('\\x1b[2J')).length >= 2, 2000, 'the notice escaped');
    // A command line with a control sequence in it (D's chooser and approvals submit lines too):
    // its echo and the error that names the id are escaped as well.
    await h.d.submit('ticket BUG-\x1b[2J');
    await h.waitForFrame('› ticket BUG-\\x1b[2J');
    expect(h.d.data.getState().console.some((c) => c.message.includes('BUG-\\x1b[2J') && c.level === 'error')).toBe(true);
  });
});
