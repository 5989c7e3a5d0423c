// The dashboard in a real terminal, the slower cases (issue 17): SIGTERM exits 143 and SIGHUP 129,
// each leaving the alternate screen; and the dashboard under another process's SQLite write lock, under a
// private tmux server: while this process holds a write transaction for 6 s (the dashboard's
// once-a-second heartbeat falls in it six times), each keypress (h / Esc toggling the help) must
// show on the screen within 200 ms, polled with capture-pane. Before the fix the heartbeat waited
// out the lock on the UI thread (10 s busy timeout): one press took ~10 s. And a fix typed at the
// prompt on a copy of examples/crm runs in a child process, which Ctrl-C cancels. ~15 s; needs a build.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CLI, cleanupProjects, makeProject, waitFor } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `crm-agent-lock-${process.pid}-${randomBytes(3).toString('hex')}`;
const ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', SHELL: '/bin/sh', TERM: 'xterm-256color' };

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, '-u', ...args], { env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { env: ENV });
  cleanupProjects();
});

describe.skipIf(!hasTmux)(`the dashboard in a real terminal: signals, another process's write lock${hasTmux ? '' : ' (SKIPPED: tmux is not installed)'}`, () => {
  it('shows each keypress within 200 ms while the lock is held for 6 s', { timeout: 60_000 }, async () => {
    const dir = makeProject();
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'lock', '-x', '80', '-y', '24', `cd '${dir}' && '${process.execPath}' '${CLI}' dashboard; echo "__EXIT__=$?"`);
    tmux('set-option', '-t', 'lock', 'remain-on-exit', 'on');
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
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    await waitPane('the session row', () => state.liveSessions('dashboard', 60_000).length === 1);
    state.close();

    // Another process takes SQLite's write lock and keeps it for 6 s (the dashboard's heartbeat
    // falls in it every second); each h / Esc must still show within 200 ms.
    const holder = new StateDb(join(dir, '.agent', 'state.db'));
    holder.db.exec('BEGIN IMMEDIATE');
    const latencies: number[] = [];
    const t0 = performance.now();
    try {
      let open = true;
      while (performance.now() - t0 < 6000) {
        tmux('send-keys', '-t', 'lock', open ? 'h' : 'Escape');
        const want = open;
        latencies.push((await waitPane('the keypress to show', (s) => helpOpen(s) === want, 10_000)).ms);
        open = !open;
      }
    } finally {
      holder.db.exec('COMMIT');
      holder.close();
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    if (process.env.AGENT_E2E_VERBOSE) console.log(`keypress to screen under the lock (ms): ${latencies.map(Math.round).join(' ')}`);
    const p50 = sorted[Math.floor(sorted.length / 2)]!;
    expect(latencies.length).toBeGreaterThan(10);
    expect(p50, `keypress to screen under the lock (ms): ${latencies.map(Math.round).join(' ')}`).toBeLessThan(200);
    // On a loaded 2-core machine a single press can miss 200 ms; nine in ten may not, and none may
    // come near the old freeze (the heartbeat waited out the whole lock: 5-10 s).
    expect(sorted[Math.floor(sorted.length * 0.9)], `keypress to screen under the lock (ms): ${latencies.map(Math.round).join(' ')}`).toBeLessThan(200);
    expect(sorted.at(-1), `keypress to screen under the lock (ms): ${latencies.map(Math.round).join(' ')}`).toBeLessThan(1000);

    if (helpOpen(pane())) {
      tmux('send-keys', '-t', 'lock', 'Escape');
      await waitPane('the help closed', (s) => !helpOpen(s));
    }
    tmux('send-keys', '-t', 'lock', 'q');
    await waitPane('the exit marker', () => tmux('capture-pane', '-p', '-S', '-', '-t', 'lock').includes('__EXIT__=0'));
  });

  it('a fix typed at the prompt runs in a child process; Ctrl-C cancels it (recorded as cancelled), Ctrl-C again quits', { timeout: 90_000 }, async () => {
    const dir = join(makeProject(), 'crm');
    const { makeDemoCopy } = await import('../../src/commands/demo.js');
    await makeDemoCopy(dir);
    const created = spawnSync(process.execPath, [CLI, 'create', 'ticket', 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.'], { cwd: dir, env: ENV, encoding: 'utf8' });
    const ticket = /((?:BUG|FEAT|MIG|OPS)-\d{4}-\d{3})/.exec(created.stdout)![1]!;
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'fix', '-x', '120', '-y', '40', `cd '${dir}' && '${process.execPath}' '${CLI}' dashboard; echo "__EXIT__=$?"`);
    tmux('set-option', '-t', 'fix', 'remain-on-exit', 'on');
    await waitScreenOf('fix', 'the dashboard', (s) => s.includes('CRM AGENT'));
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      const session = await waitFor(() => state.liveSessions('dashboard', 60_000)[0], 10_000);
      tmux('send-keys', '-t', 'fix', ':');
      await waitScreenOf('fix', 'the prompt', (s) => s.includes('PROMPT'));
      tmux('send-keys', '-t', 'fix', '-l', `fix ticket ${ticket}`);
      tmux('send-keys', '-t', 'fix', 'Enter');
      // The run belongs to another process: the child CLI, not the dashboard.
      const run = await waitFor(() => state.runs({ ticketId: ticket }).find((r) => r.status === 'running' && r.pid), 20_000);
      expect(run.pid).not.toBe(session.pid);
      tmux('send-keys', '-t', 'fix', 'C-c');
      await waitScreenOf('fix', 'the cancellation', (s) => s.includes('⏹ agent fix ticket: cancelled'), 30_000);
      const ended = state.runs({ ticketId: ticket }).find((r) => r.id === run.id)!;
      expect(['cancelled', 'interrupted']).toContain(ended.status);
      expect(state.liveSessions('dashboard', 60_000)[0]?.pid).toBe(session.pid); // still open
      tmux('send-keys', '-t', 'fix', 'C-c'); // nothing runs now: quits
      await waitFor(() => tmux('capture-pane', '-p', '-S', '-', '-t', 'fix').includes('__EXIT__='), 15_000);
      const after = tmux('capture-pane', '-p', '-S', '-', '-t', 'fix');
      if (process.env.AGENT_E2E_VERBOSE) console.log(after);
      expect(after).toContain('__EXIT__=0');
    } finally {
      state.close();
    }
  });

  it('SIGTERM exits 143 and SIGHUP 129, each leaving the alternate screen', { timeout: 60_000 }, async () => {
    for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      const dir = makeProject();
      const name = `sig${code}`;
      tmux('-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', '100', '-y', '30', `cd '${dir}' && '${process.execPath}' '${CLI}' dashboard; echo "__EXIT__=$?"`);
      tmux('set-option', '-t', name, 'remain-on-exit', 'on');
      await waitScreenOf(name, 'the dashboard', (s) => s.includes('CRM AGENT'));
      const state = new StateDb(join(dir, '.agent', 'state.db'));
      const session = await waitFor(() => state.liveSessions('dashboard', 60_000)[0], 10_000);
      state.close();
      process.kill(session.pid, signal);
      const after = await waitScreenOf(name, 'the exit marker', (s) => s.includes('__EXIT__='));
      expect(after).toContain(`__EXIT__=${code}`);
      expect(after).not.toContain('CRM AGENT');
      expect(tmux('display-message', '-p', '-t', name, '#{alternate_on}').trim()).toBe('0');
    }
  });
});

async function waitScreenOf(name: string, what: string, test: (s: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = tmux('capture-pane', '-p', '-t', name);
    if (test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
