// The project's vitest, started before the caller knows which test files to run. A run of
// `vitest run <files>` spends ~0.3-0.4 s here loading vitest and the project's config before the
// first test file: the fix pipeline starts it in StageAgent's worktree while BugHunter's suite runs,
// and hands it the files once the change is drafted (./vitest-server.mjs). Only for a test script
// that is vitest and nothing else; the caller runs its command as usual whenever this returns null.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { directNpmScript } from './npm-script.js';
import { endProcessTree, SHELL_ENV, supervise, type ShellResult } from './shell.js';

/** Exit code of the server when this vitest or this script cannot be run ahead (vitest-server.mjs). */
const UNSUPPORTED = 75;
const SAFE_TOKEN = /^[\w@%+=:,./-]+$/;
const NOT_A_RUN = new Set(['watch', 'dev', 'bench', 'typecheck', 'list', 'related', 'init', 'serve']);

/**
 * The arguments a test script gives vitest, when the script is a run of vitest and nothing else
 * (`vitest run --reporter=dot`; plain `vitest`, which runs once under CI=true as the tools run it):
 * no shell syntax, no variables, no other program. Null otherwise. Pure.
 */
export function vitestArgs(script: string): string[] | null {
  const [bin, ...args] = script.trim().split(/\s+/);
  if (!bin || !/(^|\/)vitest$/.test(bin) || !args.every((a) => SAFE_TOKEN.test(a))) return null;
  if (args[0] && !args[0].startsWith('-') && args[0] !== 'run' && NOT_A_RUN.has(args[0])) return null;
  return args;
}

export interface WarmVitest {
  /** The server's process id (its process group's too). */
  readonly pid: number | undefined;
  /**
   * Runs these test files (as `vitest run <files>` would; none: the whole suite) and resolves to its
   * result, or to null when vitest could not be started ahead (the caller runs its command).
   * Once only: the server exits after the run.
   */
  run(files: readonly string[], opts: { signal?: AbortSignal; onLine?: (line: string) => void; timeoutMs?: number }): Promise<ShellResult | null>;
  /**
   * Ends it (and its forks) unless it has exited already, and resolves once they are gone: a
   * process ending in its worktree still writes there (V8 coverage on exit), so the worktree is
   * removed only after this.
   */
  dispose(): Promise<void>;
}

/**
 * Starts the project's vitest in `cwd` for `command` (the project's test command, e.g.
 * `npm test --silent`), with `env` on top of what runShell gives commands. Null when the command is
 * not a plain vitest run.
 */
export function startWarmVitest(cwd: string, command: string, env: Record<string, string> = {}): WarmVitest | null {
  const direct = directNpmScript(command, cwd);
  const args = vitestArgs(direct?.command ?? command);
  if (!args) return null;
  const child = spawn(process.execPath, [fileURLToPath(new URL('./vitest-server.mjs', import.meta.url)), JSON.stringify(args)], {
    cwd,
    env: { ...process.env, ...SHELL_ENV, ...direct?.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: ending it ends the forks it started (endProcessTree).
    detached: process.platform !== 'win32',
  });
  // Nothing here keeps this process alive: a run does, by its own timer (supervise).
  child.unref();
  (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  // Output lines go to the run once there is one; before it (vitest's own warnings on start-up)
  // they are kept for it.
  let pending = '';
  const early: string[] = [];
  let toRun: ((line: string) => void) | null = null;
  const onData = (d: string) => {
    const lines = (pending + d).split('\n');
    pending = lines.pop()!;
    for (const l of lines) (toRun ?? ((x: string) => early.push(x)))(l);
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  // 'close', not 'exit': the output is all read by then.
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  const ready = new Promise<boolean>((resolve) => {
    child.on('message', (m: { ready?: boolean }) => resolve(m?.ready === true));
    void exited.then(() => resolve(false));
  });
  let closed = false;
  void exited.then(() => (closed = true));
  return {
    pid: child.pid,
    async run(files, opts) {
      const run = supervise(`vitest run ${files.join(' ')}`.trim(), () => endProcessTree(child), opts);
      if (!(await ready)) {
        run.abandon();
        endProcessTree(child);
        return null;
      }
      for (const l of early.splice(0)) run.line(l);
      toRun = run.line;
      child.send({ files: [...files] });
      const code = await exited;
      if (pending) run.line(pending);
      if (code === UNSUPPORTED) {
        run.abandon();
        return null;
      }
      return run.finish({ exitCode: code ?? 1 });
    },
    async dispose() {
      if (closed) return;
      child.ref(); // this process waits for it from here on
      endProcessTree(child);
      await exited;
    },
  };
}
