// The dashboard in a real terminal, under a private tmux server: type a command and see its line,
// watch another process's agent move through its six phases, approve its production deploy in the
// modal by typing the ticket id, see that process finish, quit with Esc and q in one read, find the terminal restored; quick keys
// on the first frame and screens at three sizes.
// Needs `npm run build` first (the dashboard and the fixture run from dist/).
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CLI, cleanupProjects, makeProject, ROOT } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';

const FIXTURE = join(ROOT, 'test', 'e2e', 'fixtures', 'phased-agent.mjs');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `crm-agent-e2e-${process.pid}-${randomBytes(3).toString('hex')}`;
/** A clean environment for the tmux server and everything it starts: no CI flag, no credentials. */
const ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', SHELL: '/bin/sh', TERM: 'xterm-256color' };

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, '-u', ...args], { env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const screen = (scrollback = false) => tmux('capture-pane', '-p', ...(scrollback ? ['-S', '-'] : []), '-t', 'e2e');

async function waitScreen(what: string, test: (s: string) => boolean, timeoutMs = 15_000, scrollback = false): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = screen(scrollback);
    if (test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { env: ENV });
  cleanupProjects();
});

describe('agent dashboard outside a terminal', () => {
  it('exits 2 and points to `agent status --json`', () => {
    const dir = makeProject();
    const r = spawnSync(process.execPath, [CLI, 'dashboard'], { cwd: dir, env: ENV, encoding: 'utf8', input: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('agent status --json');
    expect(r.stdout).toBe('');
  });
});

describe.skipIf(!hasTmux)(`agent dashboard in a real terminal${hasTmux ? '' : ' (SKIPPED: tmux is not installed; CI installs it)'}`, () => {
  it('runs a command, follows an agent through its phases, approves in the modal, quits and restores the terminal', { timeout: 90_000 }, async () => {
    const dir = makeProject();
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'e2e', '-x', '120', '-y', '40', `cd '${dir}' && '${process.execPath}' '${CLI}' dashboard; echo "__EXIT__=$?"`);
    tmux('set-option', '-t', 'e2e', 'remain-on-exit', 'on');
    await waitScreen('the dashboard', (s) => s.includes('CRM AGENT') && s.includes('agent ›'));
    expect(tmux('display-message', '-p', '-t', 'e2e', '#{alternate_on}').trim()).toBe('1');

    // 1. A command typed at the prompt (`:` focuses it: the panes have the focus on open), and its line.
    const line = 'create ticket "Estimates are not saved when the form is submitted"';
    tmux('send-keys', '-t', 'e2e', ':');
    await waitScreen('the prompt focused', (s) => s.includes('PROMPT'));
    tmux('send-keys', '-t', 'e2e', '-l', line);
    await waitScreen('the typed command', (s) => s.includes('agent › create ticket "Estimates'));
    tmux('send-keys', '-t', 'e2e', 'Enter');
    const created = await waitScreen('the new ticket', (s) => /Ticket created: (BUG|FEAT|MIG|OPS)-\d{4}-\d{3}/.test(s));
    const ticket = /Ticket created: ((?:BUG|FEAT|MIG|OPS)-\d{4}-\d{3})/.exec(created)![1]!;

    // 2. Another process runs an agent through the six phases, then asks for a production deploy.
    const child = spawn(process.execPath, [FIXTURE, ticket, '700'], { cwd: dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let childOut = '';
    child.stdout.on('data', (d) => (childOut += d));
    child.stderr.on('data', (d) => (childOut += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const phases: number[] = [];
    const modal = await waitScreen(
      'the agent to pass its phases and the approval dialog',
      (s) => {
        const row = s.split('\n').find((l) => /testagent-\d+/.test(l) && /▰/.test(l));
        const m = row ? / (\d)\/6 /.exec(row) : null;
        if (m && Number(m[1]) !== phases.at(-1)) phases.push(Number(m[1]));
        return s.includes('APPROVAL REQUIRED') && s.includes(`Type ${ticket} and press Enter`);
      },
      30_000,
    );
    expect(phases, `phases seen in the agents pane: ${phases.join(', ')}`).toEqual([1, 2, 3, 4, 5, 6]);
    expect(modal).toContain(`deploy ${ticket} to production`);
    expect(modal).toMatch(/Risk: +HIGH/);
    expect(modal).toContain('Touches: app/api/estimates/route.ts');

    // 3. The waiting process continues once the ticket id is typed in the modal (its instructions
    // show once it takes keys: keys typed in its first 300 ms are ignored).
    tmux('send-keys', '-t', 'e2e', '-l', ticket);
    await waitScreen('the typed confirmation', (s) => s.includes(`to approve: ${ticket}`));
    tmux('send-keys', '-t', 'e2e', 'Enter');
    expect(await exited, childOut).toBe(0);
    expect(childOut).toContain(`Fixture finished ${ticket} after approval`);
    await waitScreen("the fixture's last line", (s) => s.includes(`Fixture finished ${ticket}`) && !s.includes('APPROVAL REQUIRED'));

    // 4. Esc then q in one send-keys (one read): Esc leaves the prompt, q quits; the terminal is itself again.
    await waitScreen('the prompt focused', (s) => s.includes('PROMPT'));
    tmux('send-keys', '-t', 'e2e', 'Escape', 'q');
    const after = await waitScreen('the exit marker', (s) => s.includes('__EXIT__='), 15_000, true);
    expect(after).toContain('__EXIT__=0');
    const all = screen(true);
    expect(all).not.toContain('CRM AGENT');
    expect(all).not.toContain('agent ›');
    expect(tmux('display-message', '-p', '-t', 'e2e', '#{alternate_on}').trim()).toBe('0');

    const state = new StateDb(join(dir, '.agent', 'state.db'));
    const approval = state.approvals({ ticketId: ticket })[0]!;
    expect(approval.status).toBe('approved');
    expect(approval.decided_by).toBe('dashboard');
    expect(state.liveSessions('dashboard', 60_000)).toEqual([]); // the session ended with the dashboard
    state.close();
  });

  // The 6 s write-lock test and SIGTERM / SIGHUP are in test/stress/dashboard-terminal.test.ts (npm run stress).
  it('takes R and H on the first frame; 80×24, 120×40 and 40×12 have no cut labels or wrapped rows, the ticket view included', { timeout: 90_000 }, async () => {
    const dir = makeProject();
    // A ticket and a real fix run on it (BugHunter stops at its understand gate in this empty
    // project): the ticket view has phases, checklist items and evidence to show.
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: ENV, encoding: 'utf8' });
    expect(cli('create', 'ticket', 'Estimates are not saved when the form is submitted').status).toBe(0);
    const ticket = new StateDb(join(dir, '.agent', 'state.db'));
    const id = ticket.tickets()[0]!.id;
    ticket.close();
    const fix = cli('fix', 'ticket', id);
    expect(fix.status, fix.stderr).toBe(4);
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'lock', '-x', '80', '-y', '24', `cd '${dir}' && '${process.execPath}' '${CLI}' dashboard; echo "__EXIT__=$?"`);
    tmux('set-option', '-t', 'lock', 'remain-on-exit', 'on');
    tmux('set-option', '-t', 'lock', 'window-size', 'manual');
    const pane = () => tmux('capture-pane', '-p', '-t', 'lock');
    const waitPane = async (what: string, test: (s: string) => boolean, timeoutMs = 15_000) => {
      const t0 = performance.now();
      for (;;) {
        const s = pane();
        if (test(s)) return { s, ms: performance.now() - t0 };
        if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${s}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const helpOpen = (s: string) => s.includes('keys and commands');
    await waitPane('the first frame', (s) => s.includes('CRM AGENT'));
    // Quick keys are live on open: H, then R, with nothing pressed before.
    tmux('send-keys', '-t', 'lock', 'h');
    await waitPane('the help', helpOpen);
    tmux('send-keys', '-t', 'lock', 'Escape');
    await waitPane('the help closed', (s) => !helpOpen(s));
    tmux('send-keys', '-t', 'lock', 'r');
    await waitPane('the refresh', (s) => s.includes('Refreshed from the state database.'));

    // Screens at three sizes: every row fits (no wrapped row), the footer keeps its first keys whole.
    const sizes: Array<[number, number, string]> = [[80, 24, 'PANES ^C quit : prompt H help'], [120, 40, 'PANES ^C quit : prompt H help'], [40, 12, 'PANES ^C quit : prompt']];
    for (const [x, y, footer] of sizes) {
      tmux('resize-window', '-t', 'lock', '-x', String(x), '-y', String(y));
      const { s } = await waitPane(`the ${x}×${y} frame`, (f) => {
        const rows = f.split('\n');
        // The header on the first row, the footer on the last: a row wider than the screen would
        // wrap and push the header off the top (the repaint after a resize may take a frame or two).
        return tmux('display-message', '-p', '-t', 'lock', '#{pane_width}x#{pane_height}').trim() === `${x}x${y}` && rows[0]!.includes('CRM AGENT') && rows.slice(y - 2, y).some((l) => l.startsWith(footer));
      }, 5000);
      const rows = s.split('\n');
      expect(s, `${x}×${y}`).toContain('agent ›');
      expect(rows.find((l) => l.startsWith('PANES'))!.trimEnd(), `${x}×${y}: a hint cut short`).not.toMatch(/…$/);
      // Labels elsewhere are whole too: the header's first row, the log's title, the prompt's hints.
      const labels = [rows[0]!, ...rows.filter((l) => /│ Log · |quick keys live|agent › /.test(l))];
      expect(labels.length, `${x}×${y}`).toBeGreaterThanOrEqual(3); // the hints row may hold a notice (R said "Refreshed")
      for (const row of labels) expect(row.replace(/│/g, '').trimEnd(), `${x}×${y}: a label cut short`).not.toMatch(/…$/);

      // T: the ticket view of the newest ticket, its agent's phases, at this size too.
      tmux('send-keys', '-t', 'lock', 't');
      const { s: tv } = await waitPane(`the ticket view at ${x}×${y}`, (f) => {
        const r = f.split('\n');
        return r[0]!.includes('CRM AGENT') && r.slice(y - 2, y).some((l) => l.startsWith('TICKET ^C quit')) && /✗ understand/.test(f);
      }, 5000);
      const trows = tv.split('\n');
      expect(tv, `${x}×${y}`).toMatch(/bughunter-\d+/);
      if (y >= 24) expect(tv, `${x}×${y}`).toMatch(/○ analyze +not reached/); // 40×12 has 3 phase rows
      // Titles and the footer keep whole labels (evidence, which is data, may be cut: Enter shows it whole).
      for (const row of trows.filter((l) => /Ticket BUG|Phases|TICKET|BUG-\d{4}-\d{3} bughunter/.test(l))) expect(row.replace(/[│╮╭]/g, '').trimEnd(), `${x}×${y}: a label cut short`).not.toMatch(/…$/);
      if (x >= 80) expect(tv, `${x}×${y}`).toContain(`Ticket ${id}`);
      tmux('send-keys', '-t', 'lock', 'Escape');
      await waitPane('the ticket view closed', (f) => !f.includes('TICKET ^C quit'), 5000);
    }
    tmux('resize-window', '-t', 'lock', '-x', '80', '-y', '24');
    await waitPane('back at 80×24', (f) => f.split('\n').some((l) => l.startsWith('PANES ^C quit : prompt H help')));

    if (helpOpen(pane())) {
      tmux('send-keys', '-t', 'lock', 'Escape');
      await waitPane('the help closed', (s) => !helpOpen(s));
    }
    tmux('send-keys', '-t', 'lock', 'q');
    await waitPane('the exit marker', () => tmux('capture-pane', '-p', '-S', '-', '-t', 'lock').includes('__EXIT__=0'));
  });

});
