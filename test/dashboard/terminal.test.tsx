// runDashboard's terminal life with stand-in streams: the alternate screen entered once and left
// on every exit path (q, a signal, a crash in a component: the error surfaces after the screen is
// restored), the session registered and ended, a resize repainting the frame.
import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { openProject } from '../../src/config/project.js';
import { loadSecrets } from '../../src/config/secrets.js';
import { createContext, type OpenContext } from '../../src/commands/dispatch.js';
import { DASHBOARD_SESSION } from '../../src/engine/approvals.js';
import type { Reporter } from '../../src/commands/types.js';
import type { StatusSnapshot } from '../../src/engine/status.js';
import { runDashboard } from '../../components/main.js';
import type { Dashboard } from '../../components/controller.js';
import { stripAnsi, tempProject } from './render.js';

const ENTER = '\x1b[?1049h';
const LEAVE = '\x1b[?1049l';

class FakeStdout extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 30;
  written = '';
  write(chunk: string) {
    this.written += chunk;
    return true;
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  send(data: string) {
    this.data = data;
    this.emit('readable');
  }
  read() {
    const d = this.data;
    this.data = null;
    return d;
  }
  setEncoding() {}
  setRawMode() {}
  ref() {}
  unref() {}
  resume() {}
  pause() {}
}

const quiet: Reporter = { json: false, color: false, line: () => undefined, print: () => undefined, spin: (_l, w) => w };
const open: Array<{ ctx: OpenContext; dir: string }> = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.ctx.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
});

async function setup() {
  const dir = tempProject();
  const abort = new AbortController();
  const project = await openProject({ cwd: dir });
  const ctx = createContext({ project, secrets: loadSecrets(dir, {}), out: quiet, signal: abort.signal, interactive: true, initiator: 'admin' });
  open.push({ ctx, dir });
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  let dash!: Dashboard;
  let resolveStarted!: () => void;
  const started = new Promise<void>((r) => (resolveStarted = r));
  const run = (extra: { onStart?: (d: Dashboard) => void } = {}) =>
    runDashboard(ctx, {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stderr: stdout as unknown as NodeJS.WriteStream,
      onStart: (d) => {
        dash = d;
        resolveStarted();
        extra.onStart?.(d);
      },
    });
  const waitFor = async (what: string, fn: () => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!fn()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen so far:\n${stripAnsi(stdout.written).slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { ctx, abort, stdout, stdin, run, started, waitFor, get d() {
    return dash;
  } };
}

describe('the terminal around the dashboard', () => {
  it('enters the alternate screen, registers its session, and on q leaves both and exits 0', async () => {
    const t = await setup();
    const done = t.run();
    await t.started;
    await t.waitFor('the first frame', () => t.stdout.written.includes('agent ›'));
    expect(t.stdout.written.startsWith(ENTER)).toBe(true);
    expect(t.ctx.state().liveSessions(DASHBOARD_SESSION, 15_000)).toHaveLength(1);
    // The panes have the focus on open: q quits at once.
    await t.waitFor('the panes focused', () => stripAnsi(t.stdout.written).includes('PANES ^C quit : prompt'));
    t.stdin.send('q');
    await expect(done).resolves.toEqual({ exitCode: 0 });
    expect(t.stdout.written.endsWith(LEAVE)).toBe(true);
    expect(t.stdout.written.split(ENTER)).toHaveLength(2);
    expect(t.stdout.written.split(LEAVE)).toHaveLength(2);
    expect(t.ctx.state().liveSessions(DASHBOARD_SESSION, 15_000)).toHaveLength(0);
  });

  it('quits the same way when the command is interrupted (SIGINT, SIGTERM abort its signal)', async () => {
    const t = await setup();
    const done = t.run();
    await t.started;
    await t.waitFor('the first frame', () => t.stdout.written.includes('agent ›'));
    t.abort.abort();
    await expect(done).resolves.toEqual({ exitCode: 0 });
    expect(t.stdout.written.endsWith(LEAVE)).toBe(true);
  });

  it('takes a terminal that went away (EIO on its output) as a quiet exit, not a crash', async () => {
    const t = await setup();
    const done = t.run();
    await t.started;
    await t.waitFor('the first frame', () => t.stdout.written.includes('agent ›'));
    const gone = Object.assign(new Error('write EIO'), { code: 'EIO' });
    t.stdout.emit('error', gone);
    await expect(done).resolves.toEqual({ exitCode: 0 });
    expect(t.ctx.state().liveSessions(DASHBOARD_SESSION, 15_000)).toHaveLength(0);
  });

  it('restores the screen before a crash in a component surfaces as the error', async () => {
    const t = await setup();
    const done = t.run({
      onStart: (d) => setTimeout(() => d.data.setState({ status: { broken: true } as unknown as StatusSnapshot }), 20),
    });
    const error = await done.then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(t.stdout.written.endsWith(LEAVE)).toBe(true);
    expect(t.ctx.state().liveSessions(DASHBOARD_SESSION, 15_000)).toHaveLength(0);
  });

  it('repaints the whole frame for the new size on resize', async () => {
    const t = await setup();
    const done = t.run();
    await t.started;
    await t.waitFor('the first frame', () => t.stdout.written.includes('agent ›'));
    const mark = t.stdout.written.length;
    t.stdout.rows = 20;
    t.stdout.columns = 80;
    t.stdout.emit('resize');
    await t.waitFor('a frame at the new size', () => t.stdout.written.slice(mark).includes('\x1b[19;1H') && !t.stdout.written.slice(mark).includes('\x1b[25;1H'));
    expect(t.stdout.written.slice(mark)).toContain('\x1b[2J'); // cleared once for the new geometry
    expect(t.d.ui.getState().rows).toBe(20);
    t.abort.abort();
    await done;
  });
});
