// Runs the project's own commands (tests, deploy steps) with execa, streaming each output line
// to the caller (which logs it), and keeping the tail for error messages.
import { InterruptedError, WorkFailedError } from '../errors.js';
import { directNpmScript } from './npm-script.js';

export interface ShellResult {
  exitCode: number;
  output: string;
  ms: number;
}

export async function runShell(
  command: string,
  opts: { cwd: string; signal?: AbortSignal; env?: Record<string, string>; onLine?: (line: string) => void; timeoutMs?: number },
): Promise<ShellResult> {
  const { execa } = await import('execa');
  const started = performance.now();
  const lines: string[] = [];
  const direct = directNpmScript(command, opts.cwd);
  const child = execa({
    shell: true,
    cwd: opts.cwd,
    all: true,
    reject: false,
    cancelSignal: opts.signal,
    env: { FORCE_COLOR: '0', NO_COLOR: '1', CI: 'true', ...direct?.env, ...opts.env },
    stdin: 'ignore',
    // Its own process group, so that cancelling ends the whole tree: killing only `sh -c` leaves
    // the command it started running and holding the output pipe open until it ends by itself.
    detached: process.platform !== 'win32',
  })`${direct?.command ?? command}`;
  const signalTree = (sig: NodeJS.Signals) => {
    try {
      if (child.pid && process.platform !== 'win32') process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  // SIGTERM first; a tree still there a few seconds later (it ignored it) gets SIGKILL.
  const killTree = () => {
    signalTree('SIGTERM');
    setTimeout(() => signalTree('SIGKILL'), 3000).unref();
  };
  opts.signal?.addEventListener('abort', killTree, { once: true });
  if (opts.signal?.aborted) killTree(); // cancelled before it started: 'abort' has already fired
  // Our own timer rather than execa's: execa's ends `sh` alone, and the command it started would
  // hold the output pipe open (and this call with it) until it ended by itself.
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree();
  }, timeoutMs);
  let result;
  try {
    for await (const line of child.iterable({ from: 'all' })) {
      const text = String(line);
      lines.push(text);
      if (lines.length > 400) lines.shift();
      opts.onLine?.(text);
    }
    result = await child;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', killTree);
  }
  // Cancelled means the caller's signal fired (Ctrl-C, emergency stop): an interruption, not a failure.
  if (result.isCanceled || opts.signal?.aborted) throw new InterruptedError(`${command}: cancelled`);
  if (timedOut) throw new WorkFailedError(`${command}: timed out after ${Math.round(timeoutMs / 1000)} s`);
  return { exitCode: result.exitCode ?? 1, output: lines.join('\n'), ms: Math.round(performance.now() - started) };
}

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
