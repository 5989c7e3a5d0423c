// argv -> command -> exit code. The one-shot CLI's whole life, testable without a process.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentError, EXIT, InterruptedError, UsageError, exitCodeOf, type ExitCode } from '../errors.js';
import { redact, redactClip, registerSecretsFrom } from '../config/redact.js';
import { openProject } from '../config/project.js';
import { loadSecrets } from '../config/secrets.js';
import { COMMANDS } from '../commands/registry.js';
import { createContext, runCommand, statePath, type OpenContext } from '../commands/dispatch.js';
import type { CommandDef } from '../commands/types.js';
import { parseArgv, type GlobalFlags } from './argv.js';
import { helpFor } from './help.js';
import { createReporter, processSink, type Sink } from './output.js';
import { printable, printableLines } from './printable.js';
import { makeStyle, wantsColor } from './style.js';

declare const __AGENT_VERSION__: string;
export const VERSION = typeof __AGENT_VERSION__ === 'string' ? __AGENT_VERSION__ : '0.0.0-dev';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  sink?: Sink;
  signal?: AbortSignal;
  /** Commands added by an embedding program (test fixtures, plugins). */
  extraCommands?: CommandDef[];
  initiator?: string;
}

export async function runCli(argv: readonly string[], opts: RunOptions = {}): Promise<ExitCode> {
  const env = opts.env ?? process.env;
  const sink = opts.sink ?? processSink;
  const commands = [...COMMANDS, ...(opts.extraCommands ?? [])];
  registerSecretsFrom(env);
  let globals: GlobalFlags = { json: argv.includes('--json'), verbose: false };
  const style = () => makeStyle(!globals.json && wantsColor({ isTTY: sink.isTTY }, env, globals.color));
  const abort = new AbortController();
  try {
    let parsed = parseArgv(argv, commands);
    if (parsed.type === 'version') {
      sink.out(globals.json ? resultLine('version', { version: VERSION }) : `${VERSION}\n`);
      return EXIT.ok;
    }
    globals = parsed.globals;
    // `--project status`: the flag took the command word as its directory.
    if (globals.project !== undefined && !existsSync(resolve(opts.cwd ?? process.cwd(), globals.project))) {
      throw new UsageError(`--project ${printable(globals.project)}: no such directory; give the project's directory (--project DIR) before or after the command`);
    }
    if (parsed.type === 'help') {
      const text = helpFor(parsed.topic, commands, style(), VERSION);
      sink.out(globals.json ? resultLine('help', { topic: parsed.topic, text }) : text + '\n');
      return EXIT.ok;
    }
    let routed: string | null = null;
    if (parsed.type === 'text') {
      const { route, explainSuggestion } = await import('../engine/router.js'); // free text only
      const r = route(parsed.text, commands);
      if (r.type === 'suggest') throw new UsageError(explainSuggestion(r, { shown: redactClip(parsed.text, 60), prefix: 'agent ', otherwise: 'see `agent --help`' }));
      const def = commands.find((c) => c.name === r.name)!;
      parsed = { type: 'command', def, input: r.input, globals, words: [] };
      routed = `Understood as \`agent ${r.name}\` (confidence ${Math.round(r.confidence * 100)}%)`;
    }
    const { def, input } = parsed;
    const project = await openProject({ cwd: opts.cwd ?? process.cwd(), project: globals.project, requireGit: def.needsProject !== false });
    const secrets = loadSecrets(project.root, env);
    if (globals.model) (await import('../integrations/llm/settings.js')).enableModelForRun(project.config()); // issue 18
    let ctxRef: ReturnType<typeof createContext> | null = null;
    // A command the dashboard's prompt runs in a child (components/command-child.ts): it acts for
    // the dashboard (audit initiator, the dashboard's refusals) and its NDJSON carries the printed text.
    const forDashboard = env.AGENT_DASHBOARD_CHILD === '1';
    // It says whom this process acts for, not its own children (test runs, deploy steps): they must not inherit it.
    if (env === process.env) delete process.env.AGENT_DASHBOARD_CHILD;
    const out = createReporter({ json: globals.json, verbose: globals.verbose, style: style(), sink, state: () => ctxRef?.openedState() ?? null, text: forDashboard });
    opts.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(EXIT.interrupted);
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const interactive = Boolean(process.stdin.isTTY && sink.isTTY && !env.CI);
    const ask = interactive ? (await import('./ask.js')).askOnTerminal : undefined;
    const ctx = createContext({ project, secrets, out, signal: abort.signal, interactive, initiator: opts.initiator ?? (forDashboard ? 'dashboard' : 'admin'), ask, commands });
    ctxRef = ctx;
    const startedAt = Date.now();
    try {
      if (routed) out.line('ORCHESTRATOR', 'info', routed);
      const result = await runCommand(def, ctx, input);
      out.finish();
      if (abort.signal.aborted) return EXIT.interrupted;
      const code = result.exitCode ?? EXIT.ok;
      if (globals.json) sink.out(JSON.stringify({ type: 'result', command: def.name, ok: code === 0, exitCode: code, data: result.data ?? null }) + '\n');
      return code;
    } catch (err) {
      out.finish();
      const final = asInterruption(err, abort.signal);
      recordFailure(ctx, statePath(project), def.name, final, startedAt);
      throw final;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      ctx.close();
    }
  } catch (err) {
    const code = exitCodeOf(err);
    // Messages echo what was typed: a control character or escape sequence in it is shown, not run.
    const message = printableLines(redact(err instanceof Error ? err.message : String(err)));
    if (globals.json) {
      const e = err instanceof AgentError ? { code: err.code, message, ...(err.detail ?? {}) } : { code: 'internal', message };
      sink.out(JSON.stringify({ type: 'result', ok: false, exitCode: code, error: e }) + '\n');
    } else {
      const s = style();
      const prefix = code === EXIT.usage ? s.red('error:') : code === EXIT.approvalRequired ? s.yellow('⚠') : s.red('✗');
      sink.err(`${prefix} ${message}\n`);
      if (!(err instanceof AgentError) && env.AGENT_DEBUG && err instanceof Error && err.stack) sink.err(redact(err.stack) + '\n');
    }
    return code;
  }
}

function resultLine(command: string, data: unknown): string {
  return JSON.stringify({ type: 'result', command, ok: true, exitCode: EXIT.ok, data }) + '\n';
}

/** After Ctrl-C, a failure the cancellation caused (a killed child, a wrapped abort) is the interruption. */
function asInterruption(err: unknown, signal: AbortSignal): unknown {
  if (!signal.aborted || err instanceof InterruptedError) return err;
  const code = exitCodeOf(err);
  if (code !== EXIT.failed && code !== EXIT.interrupted) return err;
  return new InterruptedError(err instanceof Error ? err.message : String(err));
}

/**
 * A command that ends in failure (exit 1) or a blocking gate (exit 4) leaves an error event, so
 * `agent logs` and `system logs --level error` show why; bad input (exit 2) writes nothing. The
 * store redacts the message. A run that already recorded this very error is not repeated.
 */
function recordFailure(ctx: OpenContext, dbPath: string, command: string, err: unknown, since: number): void {
  const code = exitCodeOf(err);
  if (code !== EXIT.failed && code !== EXIT.gateBlocked) return;
  try {
    const state = ctx.openedState() ?? (existsSync(dbPath) ? ctx.state() : null);
    if (!state) return;
    const message = err instanceof Error ? err.message : String(err);
    const run = state.runs({ limit: 20 }).find((r) => r.pid === process.pid && r.created_at >= since);
    if (run?.error === message && (run.status === 'failed' || run.status === 'blocked')) return;
    state.appendEvent({
      kind: 'command.failed',
      level: 'error',
      agent: 'ORCHESTRATOR',
      runId: run?.id ?? null,
      ticketId: run?.ticket_id ?? null,
      message: `${command}: ${message}`,
      data: { command, exitCode: code, ...(err instanceof AgentError ? { code: err.code } : {}) },
    });
  } catch {
    // The log is best effort here: the error itself is still reported and sets the exit code.
  }
}
