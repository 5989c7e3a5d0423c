// A command typed at the dashboard's prompt, run in a child process: `agent --json --project ROOT
// <words>` with AGENT_DASHBOARD_CHILD=1 (the CLI then acts for the dashboard and its NDJSON also
// carries printed text and spinner labels). The UI process stays small and keeps rendering while
// a fix or a deploy works; the child's progress lines reach the log through the state database,
// and approvals it asks for wait for the dashboard's modal like any shell command's.
// No ink or react here.
import { spawn } from 'node:child_process';

export type ChildRecord =
  | { type: 'event'; id?: number; agent: string; level: string; message: string; data?: Record<string, unknown> }
  | { type: 'text'; text: string }
  | { type: 'progress'; label: string | null }
  | { type: 'result'; ok: boolean; exitCode: number; data?: unknown; error?: { code?: string; message: string } };

/** One NDJSON line of the child's stdout; null for anything else (a stray line is not a record). */
export function parseRecord(line: string): ChildRecord | null {
  if (!line.startsWith('{')) return null;
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return null;
  }
  if (!r || typeof r !== 'object') return null;
  const o = r as Record<string, unknown>;
  switch (o.type) {
    case 'event':
      return typeof o.message === 'string' ? { type: 'event', id: typeof o.id === 'number' ? o.id : undefined, agent: String(o.agent ?? 'ORCHESTRATOR'), level: String(o.level ?? 'info'), message: o.message, ...(o.data && typeof o.data === 'object' ? { data: o.data as Record<string, unknown> } : {}) } : null;
    case 'text':
      return typeof o.text === 'string' ? { type: 'text', text: o.text } : null;
    case 'progress':
      return { type: 'progress', label: typeof o.label === 'string' ? o.label : null };
    case 'result': {
      const err = o.error as { code?: unknown; message?: unknown } | undefined;
      return {
        type: 'result',
        ok: o.ok === true,
        exitCode: typeof o.exitCode === 'number' ? o.exitCode : 1,
        data: o.data,
        ...(err && typeof err.message === 'string' ? { error: { code: typeof err.code === 'string' ? err.code : undefined, message: err.message } } : {}),
      };
    }
    default:
      return null;
  }
}

export interface ChildOutcome {
  /** The exit code the command ended with: its result's, else the process's (130 after a signal we sent). */
  code: number;
  result: Extract<ChildRecord, { type: 'result' }> | null;
  /** The end of what it wrote to stderr (a crash before any result). */
  stderr: string;
}

export interface ChildCommand {
  readonly pid: number | undefined;
  /** Ctrl-C: SIGINT once (the CLI winds the command down and records it as interrupted). */
  interrupt(): void;
  readonly interrupted: boolean;
  readonly done: Promise<ChildOutcome>;
}

export interface SpawnOptions {
  /** How to start the CLI: [node, path/to/dist/cli.js]. */
  cli: readonly string[];
  /** The command line's words, as the dashboard parsed them. */
  words: readonly string[];
  root: string;
  env?: NodeJS.ProcessEnv;
  onRecord(record: ChildRecord): void;
}

const STDERR_KEEP = 4000;

export function spawnCommand(opts: SpawnOptions): ChildCommand {
  const [bin, ...pre] = opts.cli;
  const child = spawn(bin!, [...pre, '--json', '--project', opts.root, ...opts.words], {
    cwd: opts.root,
    env: { ...(opts.env ?? process.env), AGENT_DASHBOARD_CHILD: '1' },
    // Its own process group: a terminal hangup reaches the dashboard, which interrupts it properly.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let interrupted = false;
  let result: ChildOutcome['result'] = null;
  let stderr = '';
  let buf = '';
  const take = (line: string) => {
    const r = parseRecord(line);
    if (!r) return;
    if (r.type === 'result') result = r;
    try {
      opts.onRecord(r);
    } catch {
      // a renderer's problem must not lose the rest of the stream
    }
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      take(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  const done = new Promise<ChildOutcome>((resolve) => {
    let settled = false;
    const finish = (code: number) => {
      if (settled) return;
      settled = true;
      if (buf) take(buf);
      buf = '';
      resolve({ code: result?.exitCode ?? code, result, stderr });
    };
    child.on('error', (err) => {
      stderr += `${err.message}\n`;
      finish(1);
    });
    child.on('close', (code, signal) => finish(code ?? (signal === 'SIGINT' || interrupted ? 130 : 1)));
  });
  return {
    pid: child.pid,
    get interrupted() {
      return interrupted;
    },
    interrupt() {
      if (interrupted || child.exitCode !== null || child.signalCode !== null) return;
      interrupted = true;
      try {
        child.kill('SIGINT');
      } catch {
        // gone already
      }
    },
    done,
  };
}
