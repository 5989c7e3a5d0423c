// Input as a stream of keys (issue 17): coalesced reads are split before routing (Esc+q quits,
// three DELs remove three characters, a paste is text), readline keys edit the prompt, a dialog
// that opens while the admin types never answers itself, and the UI's own writes never wait on
// another process's write lock.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, KEY, renderDashboard } from './render.js';
import { waitCommand } from './commands.js';
import { createApproval } from '../../src/engine/approvals.js';
import { StateDb } from '../../src/store/state-db.js';
import { KeyStream } from '../../components/key-stream.js';
import { editLine, insertText } from '../../components/line-edit.js';

afterEach(cleanupAll);

const quitFlag = (h: { d: { quitting: Promise<void> } }) => {
  const f = { quit: false };
  void h.d.quitting.then(() => (f.quit = true));
  return f;
};

describe('the key stream', () => {
  it('splits one read into its keys', () => {
    const ks = new KeyStream();
    const keys = ks.push('\x1bq\x7f\x7f\x7fab\r\x1b[A\x1b[1;5D\x01');
    expect(keys.map((k) => (k.escPrefixed ? `esc+${k.input}` : k.key.backspace ? 'BS' : k.key.return ? 'CR' : k.key.upArrow ? 'UP' : k.key.leftArrow && k.key.ctrl ? 'C-LEFT' : k.key.ctrl ? `C-${k.input}` : k.input))).toEqual([
      'esc+q', 'BS', 'BS', 'BS', 'a', 'b', 'CR', 'UP', 'C-LEFT', 'C-a',
    ]);
  });

  it('takes a bracketed paste as one text, also across reads, with no Enter in it', () => {
    const ks = new KeyStream();
    expect(ks.push('\x1b[200~status\r')).toEqual([]);
    const keys = ks.push('--json\x1b[20');
    expect(keys).toEqual([]);
    const [paste, after] = ks.push('1~x');
    expect(paste).toMatchObject({ input: 'status --json', paste: true });
    expect(paste!.key.return).toBe(false);
    expect(after!.input).toBe('x');
  });

  it('edits a line like readline', () => {
    let s = insertText({ value: '', cursor: 0 }, 'deploy staging now');
    s = editLine(s, 'killWordBack');
    expect(s).toEqual({ value: 'deploy staging ', cursor: 15 });
    s = editLine(editLine(s, 'wordLeft'), 'killToEnd');
    expect(s).toEqual({ value: 'deploy ', cursor: 7 });
    s = editLine(s, 'home');
    expect(insertText(s, 'x\x7f')).toEqual({ value: 'xdeploy ', cursor: 1 });
  });
});

describe('coalesced input in the dashboard', () => {
  it('Esc and q in one read while the prompt has the focus: Esc, then q quits', async () => {
    const h = await renderDashboard();
    await h.type('stat');
    const f = quitFlag(h);
    await h.write('\x1bq');
    await h.waitFor(() => f.quit, 2000, 'quit');
    expect(h.d.ui.getState().prompt.value).toBe('stat'); // no "q" typed into the prompt
  });

  it('three Backspaces in one read remove three characters; the line runs and enters the history whole', async () => {
    const h = await renderDashboard();
    await h.type('statusxyz');
    await h.write('\x7f\x7f\x7f');
    expect(h.d.ui.getState().prompt.value).toBe('status');
    await h.press(KEY.enter);
    await h.waitForFrame('› status');
    expect(h.frame()).not.toContain('unknown command');
    expect(h.d.ui.getState().prompt.history).toEqual(['status']);
  });

  it('Ctrl-A/E/W/U and Home/End edit the prompt; a paste with a line break is text, not a command', async () => {
    const h = await renderDashboard();
    await h.type('create ticket now');
    await h.write('\x17'); // Ctrl-W
    expect(h.d.ui.getState().prompt.value).toBe('create ticket ');
    await h.write('\x01X'); // Ctrl-A, then X at the start
    expect(h.d.ui.getState().prompt).toMatchObject({ value: 'Xcreate ticket ', cursor: 1 });
    await h.write('\x05Y'); // Ctrl-E, then Y at the end
    await h.write(KEY.home + 'Z' + KEY.end + '!');
    expect(h.d.ui.getState().prompt.value).toBe('ZXcreate ticket Y!');
    await h.write('\x15'); // Ctrl-U
    expect(h.d.ui.getState().prompt.value).toBe('');
    await h.write('\x1b[200~status\r\x1b[201~');
    expect(h.d.ui.getState().prompt.value).toBe('status ');
    expect(h.d.ui.getState().prompt.history).toEqual([]);
  });

  it('Ctrl-R searches the history; Enter puts the match on the line without running it', async () => {
    const h = await renderDashboard({ seed: (s) => s.setKv('dashboard.history', ['tickets list', 'status', 'health', 'bad\x7fline']) });
    expect(h.d.ui.getState().prompt.history).toEqual(['tickets list', 'status', 'health']); // a broken line is no history
    await h.write(':');
    await h.write('\x12tic');
    await h.waitForFrame('(search `tic`) tickets list');
    await h.write('\r');
    expect(h.d.ui.getState().prompt).toMatchObject({ value: 'tickets list', search: null });
    await h.waitForFrame('agent › tickets list');
    expect(h.frame().split('\n').filter((l) => l.includes('› tickets list'))).toHaveLength(1); // the prompt's row; nothing ran
  });

  it('R and H work on open, before anything else was pressed', async () => {
    const h = await renderDashboard();
    await h.write('r');
    await h.waitForFrame('Refreshed from the state database.');
    await h.write('h');
    await h.waitForFrame('HELP · keys and commands');
    expect(h.d.ui.getState().prompt.value).toBe('');
  });

  it('Ctrl-C twice within 2 s quits while a cancelled command is still winding down', async () => {
    const h = await renderDashboard({ extraCommands: [waitCommand] });
    await h.run('test wait');
    await h.waitForFrame('waiting…');
    const f = quitFlag(h);
    await h.write(KEY.ctrlC + KEY.ctrlC);
    await h.waitFor(() => f.quit, 2000, 'quit');
  });
});

describe('a dialog that opens while the admin types', () => {
  it('never takes the keys typed before it was drawn or in its first 300 ms; it answers only afterwards', async () => {
    const h = await renderDashboard();
    await h.type('ever');
    // Another process asks while the admin is still typing "everything and nothing".
    const other = new StateDb(join(h.dir, '.agent', 'state.db'));
    createApproval(other, { category: 'stagingDeployment', action: 'deploy BUG-1 to staging', requestedBy: 'STAGEAGENT' }, 'y/n', 'low');
    other.close();
    const rest = 'ything and nothing\r';
    let i = 0;
    while (!h.d.dialog()) {
      await h.write(rest[i % rest.length]!);
      i++;
      await new Promise((r) => setTimeout(r, 5));
      if (i > 2000) throw new Error('the approval never opened');
    }
    // The modal is up (or about to be drawn): the typing goes on in one burst.
    await h.write('y');
    await h.write('n\r');
    await h.write('yes\r');
    const row = h.state.approval('APR-1')!;
    expect(row.status).toBe('pending');
    await h.waitForFrame('keys typed before APR-1 appeared were ignored');
    // Once it has been on screen for its arming time, a deliberate y decides a low-risk request.
    await h.press('y');
    await h.waitFor(() => h.state.approval('APR-1')!.status === 'approved', 2000, 'the approval');
  });

  it('the first line says who asked: the agent, the process and the command', async () => {
    const h = await renderDashboard({
      seed: (s) =>
        void createApproval(s, { category: 'productionDeployment', action: 'deploy BUG-2 to production', ticketId: 'BUG-2', requestedBy: 'STAGEAGENT', resume: { command: 'deploy', args: { target: 'production' } } }, 'typed', 'high'),
    });
    await h.waitForFrame(/APPROVAL REQUIRED APR-1 +asked by STAGEAGENT \(.*agent deploy\)/);
  });
});

describe("another process's write lock", () => {
  it('never holds up the screen: the history and heartbeat writes give up at once and retry later', async () => {
    // A heartbeat every 200 ms, so several fall while the lock is held.
    const h = await renderDashboard({ seed: (_s, dir) => writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ agents: { heartbeatMs: 200 } })) });
    const other = new StateDb(join(h.dir, '.agent', 'state.db'));
    const raw = (other as unknown as { db: { exec(sql: string): void } }).db;
    raw.exec('BEGIN IMMEDIATE');
    try {
      const t0 = performance.now();
      const lag: number[] = [];
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        lag.push(now - last - 10);
        last = now;
      }, 10);
      await h.run('status --no-such-flag'); // its history row is written before the line is parsed
      await h.waitForFrame('no-such-flag');
      // A refused history write and refused heartbeats, lock still held.
      await h.waitFor(() => h.d.busyRefusals() >= 4, 3000, 'heartbeats refused by the lock');
      clearInterval(timer);
      expect(Math.max(...lag)).toBeLessThan(300);
      expect(performance.now() - t0).toBeLessThan(2500);
    } finally {
      raw.exec('COMMIT');
      other.close();
    }
    // With the lock gone, the history the lock refused is written by a later tick.
    await h.waitFor(() => h.state.getKv<string[]>('dashboard.history')?.includes('status --no-such-flag'), 3000, 'the history row');
  });
});
