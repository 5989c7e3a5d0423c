// Runs the project's own commands (tests, deploy steps) with execa, streaming each output line
// to the caller (which logs it), and keeping the tail for error messages.
import { InterruptedError, WorkFailedError } from '../errors.js';
import { directNpmScript } from './npm-script.js';

export interface ShellResult {
  exitCode: number;
  output: string;
  ms: number;
}

/** How many of a run's last output lines are kept for its result. */
const KEPT_LINES = 400;
const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/**
 * Ends a process started in its own process group and everything it started: SIGTERM, then SIGKILL
 * a few seconds later for a tree that ignored it. Killing only `sh -c` would leave the command it
 * started running and holding the output pipe open until it ended by itself.
 */
export function endProcessTree(child: { pid?: number | undefined; kill(signal?: NodeJS.Signals): boolean }): void {
  const signalTree = (sig: NodeJS.Signals) => {
    try {
      if (child.pid && process.platform !== 'win32') process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  signalTree('SIGTERM');
  setTimeout(() => signalTree('SIGKILL'), 3000).unref();
}

/**
 * The bookkeeping of one run of a command: its output's last lines, the caller's signal and the
 * time limit (both end the process tree), and its result or the error that says why there is none.
 */
export function supervise(command: string, end: () => void, opts: { signal?: AbortSignal | undefined; onLine?: ((line: string) => void) | undefined; timeoutMs?: number | undefined }) {
  const started = performance.now();
  const lines: string[] = [];
  opts.signal?.addEventListener('abort', end, { once: true });
  if (opts.signal?.aborted) end(); // cancelled before it started: 'abort' has already fired
  // Our own timer rather than execa's: execa's ends `sh` alone, and the command it started would
  // hold the output pipe open (and this call with it) until it ended by itself.
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    end();
  }, timeoutMs);
  return {
    line(text: string) {
      lines.push(text);
      if (lines.length > KEPT_LINES) lines.shift();
      opts.onLine?.(text);
    },
    finish(exit: { exitCode: number | undefined; canceled?: boolean }): ShellResult {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', end);
      // Cancelled means the caller's signal fired (Ctrl-C, emergency stop): an interruption, not a failure.
      if (exit.canceled || opts.signal?.aborted) throw new InterruptedError(`${command}: cancelled`);
      if (timedOut) throw new WorkFailedError(`${command}: timed out after ${Math.round(timeoutMs / 1000)} s`);
      return { exitCode: exit.exitCode ?? 1, output: lines.join('\n'), ms: Math.round(performance.now() - started) };
    },
    /** Stops the timer and the signal's listener when the run ends without a result. */
    abandon() {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', end);
    },
  };
}

export async function runShell(
  command: string,
  opts: { cwd: string; signal?: AbortSignal; env?: Record<string, string>; onLine?: (line: string) => void; timeoutMs?: number },
): Promise<ShellResult> {
  const { execa } = await import('execa');
  const direct = directNpmScript(command, opts.cwd);
  const child = execa({
    shell: true,
    cwd: opts.cwd,
    all: true,
    reject: false,
    cancelSignal: opts.signal,
    env: { ...SHELL_ENV, ...direct?.env, ...opts.env },
    stdin: 'ignore',
    // Its own process group, so that cancelling ends the whole tree (endProcessTree).
    detached: process.platform !== 'win32',
  })`${direct?.command ?? command}`;
  const run = supervise(command, () => endProcessTree(child), opts);
  let result;
  try {
    for await (const line of child.iterable({ from: 'all' })) run.line(String(line));
    result = await child;
  } catch (err) {
    run.abandon();
    throw err;
  }
  return run.finish({ exitCode: result.exitCode, canceled: result.isCanceled });
}

/** What every command the project's tools run gets: plain output, CI behaviour. */
export const SHELL_ENV: Record<string, string> = { FORCE_COLOR: '0', NO_COLOR: '1', CI: 'true' };

/** Passed/failed counts from the summary line of vitest, jest, node --test or mocha. */
export function parseTestCounts(output: string): { passed: number; failed: number } | null {
  // eslint-disable-next-line no-control-regex
  const text = output.replace(/\x1b\[[0-9;]*m/g, '');
  const vitest = /Tests\s+(?:(\d+) failed\s*\|\s*)?(\d+) passed/.exec(text);
  if (vitest) return { passed: Number(vitest[2]), failed: Number(vitest[1] ?? 0) };
  const vitestFailOnly = /Tests\s+(\d+) failed/.exec(text);
  if (vitestFailOnly) return { passed: 0, failed: Number(vitestFailOnly[1]) };
  const jest = /Tests:\s+(?:(\d+) failed,\s*)?(?:\d+ skipped,\s*)?(\d+) passed/.exec(text);
  if (jest) return { passed: Number(jest[2]), failed: Number(jest[1] ?? 0) };
  const node = /# pass (\d+)[\s\S]*# fail (\d+)/.exec(text);
  if (node) return { passed: Number(node[1]), failed: Number(node[2]) };
  const plain = /(\d+) passed,\s*(\d+) failed/.exec(text);
  if (plain) return { passed: Number(plain[1]), failed: Number(plain[2]) };
  return null;
}

/** The project's test command narrowed to some files (`npm test -- a b`, `vitest run a b`). */
export function focusedCommand(command: string, paths: readonly string[]): string {
  return `${command}${/^(npm|pnpm|yarn|bun)\s/.test(command) && !/\s--(\s|$)/.test(command) ? ' --' : ''} ${paths.map((p) => JSON.stringify(p)).join(' ')}`;
}
