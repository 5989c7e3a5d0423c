// `agent dashboard`'s terminal life: the alternate screen on the way in and out of every exit path
// (quit, Ctrl-C, a signal, a crash: the error then prints below the restored screen), a full
// repaint on resize, and the dashboard session that lets other processes' approvals pop up here.
// Loaded with import() by src/commands/dashboard.ts only: ink and react cost ~330 ms to import.
import { existsSync, writeFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { format } from 'node:util';
import { render, type Instance } from 'ink';
import type { CommandContext, CommandDef, CommandResult } from '../src/commands/types.js';
import { COMMANDS } from '../src/commands/registry.js';
import { redact } from '../src/config/redact.js';
import { App } from './App.js';
import { createDashboard, type Dashboard } from './controller.js';
import { FrameWriter } from './frame-writer.js';
import { releaseMemory, releaseWhenIdle } from './release-memory.js';

// Bracketed paste (?2004) on while the dashboard runs: a paste arrives as one text, never as keys.
const ENTER_ALT = '\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[H\x1b[2J';
const LEAVE_ALT = '\x1b[?2004l\x1b[?25h\x1b[?1049l';
/** The terminal went away (closed window, dropped ssh): a quiet exit, not an error. */
const TERMINAL_GONE = new Set(['EIO', 'EPIPE', 'ENXIO', 'ERR_STREAM_DESTROYED']);
const isTerminalGone = (err: unknown) => TERMINAL_GONE.has(String((err as { code?: unknown } | null)?.code));

/** Enters the alternate screen once and leaves it exactly once, whichever way the process goes. */
export class AltScreen {
  private active = false;
  constructor(private readonly out: NodeJS.WriteStream) {}
  enter(): void {
    if (this.active) return;
    this.active = true;
    this.out.write(ENTER_ALT);
  }
  /** Synchronous on a real terminal, so it also works from process.on('exit'). */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    const fd = (this.out as { fd?: unknown }).fd;
    if (typeof fd === 'number') {
      try {
        writeSync(fd, LEAVE_ALT);
        return;
      } catch {
        // fall back to the stream
      }
    }
    this.out.write(LEAVE_ALT);
  }
}

export interface RunDashboardOptions {
  commands?: readonly CommandDef[];
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** Called once the dashboard runs (tests drive it from here). */
  onStart?: (d: Dashboard) => void;
  /** How to start the CLI for prompt commands (a child each); default: this build's dist/cli.js, unless `commands` is given. */
  cli?: readonly string[];
}

/** The built CLI beside this chunk (dist/chunks/ or dist/lib/ → dist/cli.js); none when run from the sources. */
function ownCli(): string[] | undefined {
  try {
    const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
    return existsSync(cli) ? [process.execPath, cli] : undefined;
  } catch {
    return undefined;
  }
}

export async function runDashboard(ctx: CommandContext, opts: RunDashboardOptions = {}): Promise<CommandResult> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  const stderr = opts.stderr ?? process.stderr;
  const d = createDashboard({
    project: ctx.project,
    secrets: ctx.secrets,
    state: ctx.state(),
    commands: opts.commands ?? COMMANDS,
    columns: stdout.columns || 80,
    rows: stdout.rows || 24,
    cli: opts.cli ?? (opts.commands ? undefined : ownCli()),
  });
  const screen = new AltScreen(stdout);

  let crash: unknown = null;
  let terminalGone = false;
  let resolveCrash!: () => void;
  const crashed = new Promise<void>((r) => (resolveCrash = r));
  const fail = (err: unknown) => {
    if (isTerminalGone(err)) terminalGone = true;
    else crash ??= err;
    resolveCrash();
  };
  const onExit = () => {
    d.stop();
    screen.leave();
    try {
      stdin.setRawMode?.(false);
    } catch {
      // the terminal may be gone already
    }
  };
  const onUncaught = (err: unknown) => fail(err);
  // SIGHUP (the terminal closed) and SIGTERM restore the terminal and exit 129 / 143 at once; the
  // CLI's own SIGTERM handler has already cancelled the running commands.
  const onSignal = (code: number) => () => {
    onExit();
    process.exit(code);
  };
  const onHup = onSignal(129);
  const onTerm = onSignal(143);
  const onStreamError = (err: unknown) => fail(err);
  process.on('exit', onExit);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  process.on('SIGHUP', onHup);
  process.on('SIGTERM', onTerm);
  stdout.on('error', onStreamError);
  stdin.on('error', onStreamError);
  const onAbort = () => d.quit();
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  // Anything written with console.* would scribble over the frame: it goes to the log pane instead.
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const toLog = (level: string) => (...args: unknown[]) => d.data.getState().print(redact(format(...args)), level);
  Object.assign(console, { log: toLog('info'), info: toLog('info'), debug: toLog('info'), warn: toLog('warn'), error: toLog('error') });

  // Ink renders whole frames (its debug mode: no throttle, no cursor arithmetic of its own); the
  // frame writer puts only the changed rows on the screen, at most 30 times a second.
  const writer = new FrameWriter(stdout, { columns: stdout.columns || 80, rows: stdout.rows || 24 }, { maxFps: 30 });
  const trace = process.env.AGENT_DASHBOARD_TRACE ? startTrace(d, writer) : null;
  // What a command's busy spell grew the heap to is given back once it is over (release-memory.ts).
  const release = releaseWhenIdle(() => d.ui.getState().running.length > 0, () => {
    const t = performance.now();
    if (releaseMemory()) trace?.onRelease(performance.now() - t);
  });
  const offRunning = d.ui.subscribe((s, prev) => {
    if (s.running.length < prev.running.length) release.commandFinished();
  });
  let instance: Instance | null = null;
  const mount = () => {
    const inst = render(<App dashboard={d} />, {
      stdout: writer.stream as unknown as NodeJS.WriteStream,
      stdin,
      stderr,
      debug: true,
      exitOnCtrlC: false, // Ctrl-C goes through the key router: it cancels a running command first
      patchConsole: false,
      ...(trace ? { onRender: ({ renderTime }: { renderTime: number }) => trace.onRender(renderTime) } : {}),
    });
    inst.waitUntilExit().catch(fail); // a render error unmounts Ink and lands here
    return inst;
  };
  const onResize = () => {
    const columns = stdout.columns || 80;
    const rows = stdout.rows || 24;
    writer.resize(columns, rows);
    d.ui.getState().setSize(columns, rows);
  };

  try {
    screen.enter();
    d.start();
    instance = mount();
    stdout.on('resize', onResize);
    opts.onStart?.(d);
    await Promise.race([d.quitting, crashed]);
  } catch (err) {
    fail(err);
  } finally {
    stdout.off('resize', onResize);
    offRunning();
    release.stop();
    // A quit while a command runs leaves at once (Ctrl-C twice): the terminal first, then the
    // cancelled commands get a moment to record themselves.
    d.stop();
    writer.close();
    try {
      instance?.unmount();
      instance?.cleanup();
    } catch (err) {
      crash ??= err;
    }
    if (!terminalGone) screen.leave();
    await d.settle(1500).catch(() => undefined);
    trace?.save(process.env.AGENT_DASHBOARD_TRACE!);
    Object.assign(console, saved);
    process.off('exit', onExit);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', onTerm);
    stdout.off('error', onStreamError);
    stdin.off('error', onStreamError);
    ctx.signal.removeEventListener('abort', onAbort);
  }
  // The screen is restored: a crash is reported below it by the CLI (exit 1).
  if (crash) throw crash instanceof Error ? crash : new Error(String(crash));
  return { exitCode: 0 }; // also when the terminal went away: a quiet exit, no error recorded
}

export type { Dashboard };

/**
 * AGENT_DASHBOARD_TRACE=<file>: on exit, the dashboard writes what it measured of itself there
 * (key-to-frame times from the key router to the terminal write, frames, writes, events seen).
 * bench/dashboard.mjs reads it; nothing else does.
 */
function startTrace(d: Dashboard, writer: FrameWriter) {
  const keyToFrame: number[] = [];
  let pending: number[] = [];
  const started = performance.now();
  // How long the event loop was blocked (a 10 ms timer's lateness): what a keypress can wait for.
  const lag: number[] = [];
  let tick = performance.now();
  const lagTimer = setInterval(() => {
    const now = performance.now();
    lag.push(Math.round(now - tick - 10));
    tick = now;
  }, 10);
  lagTimer.unref();
  d.router.onKey = () => pending.push(performance.now());
  // Memory every 250 ms: RSS against what the JS heap holds (a saw of garbage, or data kept?).
  // newSpace: V8's young generation, which grows (to 32 MB) after busy spells and stays grown.
  const memory: Array<{ t: number; rss: number; heapUsed: number; heapTotal: number; external: number; newSpace: number }> = [];
  const memTimer = setInterval(() => {
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 104857.6) / 10;
    const young = getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space')?.space_size ?? 0;
    memory.push({ t: Math.round(performance.now() - started), rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external + m.arrayBuffers), newSpace: mb(young) });
  }, 250);
  memTimer.unref();
  // How long each poll of SQLite (sync + refresh) and each Ink render took.
  const syncMs: number[] = [];
  const renderMs: number[] = [];
  const releaseMs: number[] = [];
  const sync = d.data.getState().sync;
  d.data.setState({
    sync: (maxRows?: number) => {
      const t = performance.now();
      const n = sync(maxRows);
      syncMs.push(performance.now() - t);
      return n;
    },
  });
  writer.onWrite = () => {
    const now = performance.now();
    for (const t of pending) keyToFrame.push(Math.round((now - t) * 10) / 10);
    pending = [];
  };
  return {
    onRender: (renderTime: number) => renderMs.push(renderTime),
    onRelease: (ms: number) => releaseMs.push(Math.round(ms * 10) / 10),
    save(file: string) {
      clearInterval(lagTimer);
      clearInterval(memTimer);
      const seconds = (performance.now() - started) / 1000;
      const dist = (xs: number[]) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 10) / 10;
        return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
      };
      const out = { seconds, keyToFrame, loopLag: dist(lag), syncMs: dist(syncMs), renderMs: dist(renderMs), releaseMs, ...writer.stats, eventsSeen: d.data.getState().eventsSeen, memory };
      writeFileSync(file, JSON.stringify(out));
    },
  };
}
