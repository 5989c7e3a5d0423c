// The one render helper of the dashboard tests: a real temp git project with a real SQLite state
// database, the real controller and components rendered through ink-testing-library, ANSI
// stripped, and waits on frames with a timeout (never a fixed sleep).
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { StateDb } from '../../src/store/state-db.js';
import { openProject } from '../../src/config/project.js';
import { loadSecrets } from '../../src/config/secrets.js';
import { COMMANDS } from '../../src/commands/registry.js';
import type { CommandDef } from '../../src/commands/types.js';
import { App } from '../../components/App.js';
import { createDashboard, type Dashboard } from '../../components/controller.js';

export const KEY = {
  enter: '\r',
  esc: '\x1b',
  up: '\x1b[A',
  down: '\x1b[B',
  left: '\x1b[D',
  right: '\x1b[C',
  tab: '\t',
  backspace: '\x7f',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  home: '\x1b[H',
  end: '\x1b[F',
  ctrlC: '\x03',
} as const;

// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b\][^\x07]*\x07/g, '');

/** A fresh git repository in a temp dir (no build needed for component tests). */
export function tempProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-dash-'));
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  return dir;
}

export interface Harness {
  dir: string;
  state: StateDb;
  d: Dashboard;
  /** The newest frame, ANSI stripped. */
  frame(): string;
  /** Waits for a frame that matches; throws with the last frame after `timeoutMs`. */
  waitForFrame(match: string | RegExp | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Waits for any condition (store state, database rows). */
  waitFor<T>(fn: () => T, timeoutMs?: number, what?: string): Promise<NonNullable<T>>;
  /** Writes raw keys to stdin, one write each, letting Ink settle in between (a lone Esc is only
   * known to be Esc once the next event-loop turn shows nothing follows it). As an admin would, it
   * waits until an open approval dialog takes keys (drawn, and its arming time passed). */
  press(...keys: string[]): Promise<void>;
  /** One write to stdin exactly as given (several keys in one read), waiting for nothing. */
  write(chunk: string): Promise<void>;
  /** Waits until the approval dialog on screen takes keys. */
  waitArmed(): Promise<void>;
  /** Presses `key` until a frame matches (each press waits for the frame to change). */
  pressUntil(key: string, match: string | RegExp, maxPresses?: number): Promise<string>;
  /** Types text (one write; `:` first when the panes have the focus), then waits until the prompt shows it. */
  type(text: string): Promise<void>;
  /** Types a prompt line and presses Enter. */
  run(line: string): Promise<void>;
  cleanup(): void;
}

export interface RenderOptions {
  rows?: number;
  columns?: number;
  extraCommands?: CommandDef[];
  /** The registry to use instead of the real one (extraCommands are added to it). */
  commands?: readonly CommandDef[];
  /** The poll interval (default 50 ms in tests; the product uses 150 ms). */
  syncMs?: number;
  /** How long an approval dialog ignores keys after it is drawn (the product's 300 ms by default). */
  armMs?: number;
  /** Prepares the database before the dashboard opens it. */
  seed?: (state: StateDb, dir: string) => void;
  /** Run prompt commands in a child of the built CLI (dist/cli.js), as `agent dashboard` does. */
  childCli?: boolean;
}

const live: Harness[] = [];

export async function renderDashboard(opts: RenderOptions = {}): Promise<Harness> {
  const dir = tempProject();
  const state = new StateDb(join(dir, '.agent', 'state.db'));
  opts.seed?.(state, dir);
  const project = await openProject({ cwd: dir });
  // Only the child-process tests need the build (helpers.ts checks dist/cli.js exists).
  const child = opts.childCli ? await import('../helpers.js') : null;
  const d = createDashboard({
    project,
    secrets: loadSecrets(dir, {}),
    state,
    commands: [...(opts.commands ?? COMMANDS), ...(opts.extraCommands ?? [])],
    columns: opts.columns ?? 100,
    rows: opts.rows ?? 30,
    syncMs: opts.syncMs ?? 50,
    armMs: opts.armMs,
    ...(child ? { cli: [process.execPath, child.CLI], cliEnv: child.testEnv() } : {}),
  });
  d.start();
  const inst = render(<App dashboard={d} />);
  const frame = () => stripAnsi(inst.lastFrame() ?? '');
  const test = (f: string, m: string | RegExp | ((frame: string) => boolean)) =>
    typeof m === 'string' ? f.includes(m) : m instanceof RegExp ? m.test(f) : m(f);
  const waitFor = async <T,>(fn: () => T, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v as NonNullable<T>;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- last frame ---\n${frame()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const h: Harness = {
    dir,
    state,
    d,
    frame,
    waitForFrame: (m, timeoutMs = 5000) => waitFor(() => (test(frame(), m) ? frame() : null), timeoutMs, `a frame matching ${String(m)}`),
    waitFor,
    async press(...keys) {
      for (const k of keys) {
        await h.waitArmed();
        await h.write(k);
      }
    },
    async write(chunk) {
      inst.stdin.write(chunk);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    },
    async waitArmed() {
      const dlg = d.dialog();
      if (dlg?.type !== 'approval') return;
      await waitFor(() => {
        const shown = d.ui.getState().dialogShown;
        return shown?.key === dlg.approval.id && performance.now() >= shown.at + d.armMs;
      }, 5000, `${dlg.approval.id} to take keys`);
    },
    async pressUntil(key, match, maxPresses = 50) {
      for (let i = 0; i < maxPresses; i++) {
        if (test(frame(), match)) return frame();
        const before = frame();
        await h.press(key);
        try {
          await waitFor(() => frame() !== before, 1000, 'the frame to change');
        } catch {
          break; // nothing changes any more
        }
      }
      return h.waitForFrame(match, 100);
    },
    async type(text) {
      if (d.ui.getState().focus !== 'prompt' && !d.dialog()) await h.write(':');
      inst.stdin.write(text);
      await waitFor(() => d.ui.getState().prompt.value.endsWith(text), 5000, `the prompt to show "${text}"`);
    },
    async run(line) {
      await h.type(line);
      await h.press(KEY.enter);
      await waitFor(() => d.ui.getState().prompt.value === '', 5000, 'the prompt to be submitted');
    },
    cleanup() {
      inst.unmount();
      d.stop();
      state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.push(h);
  await h.waitForFrame('CRM AGENT');
  return h;
}

/** For afterEach: unmounts and removes whatever a test left open. */
export function cleanupAll(): void {
  for (const h of live.splice(0)) h.cleanup();
}
