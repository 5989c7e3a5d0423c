// argv -> command -> exit code. The one-shot CLI's whole life, testable without a process.
import { AgentError, EXIT, UsageError, exitCodeOf, type ExitCode } from '../errors.js';
import { redact, registerSecretsFrom } from '../config/redact.js';
import { openProject } from '../config/project.js';
import { loadSecrets } from '../config/secrets.js';
import { COMMANDS } from '../commands/registry.js';
import { createContext, runCommand } from '../commands/dispatch.js';
import type { CommandDef } from '../commands/types.js';
import { parseArgv, type GlobalFlags } from './argv.js';
import { helpFor } from './help.js';
import { createReporter, processSink, type Sink } from './output.js';
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
  try {
    let parsed = parseArgv(argv, commands);
    if (parsed.type === 'version') {
      sink.out(`${VERSION}\n`);
      return EXIT.ok;
    }
    globals = parsed.globals;
    if (parsed.type === 'help') {
      sink.out(helpFor(parsed.topic, commands, style(), VERSION) + '\n');
      return EXIT.ok;
    }
    let routed: string | null = null;
    if (parsed.type === 'text') {
      const { route } = await import('../engine/router.js'); // free text only
      const r = route(parsed.text, commands);
      if (r.type === 'suggest') {
        const list = r.suggestions.map((s) => `\`agent ${s}\``).join(' or ');
        throw new UsageError(`not sure what "${clip(parsed.text)}" asks for (${r.reason})${list ? `; did you mean ${list}?` : '; see `agent --help`'}`);
      }
      const def = commands.find((c) => c.name === r.name)!;
      parsed = { type: 'command', def, input: r.input, globals, words: [] };
      routed = `Understood as \`agent ${r.name}\` (confidence ${Math.round(r.confidence * 100)}%)`;
    }
    const { def, input } = parsed;
    const project = await openProject({ cwd: opts.cwd ?? process.cwd(), project: globals.project, requireGit: def.needsProject !== false });
    const secrets = loadSecrets(project.root, env);
    let ctxRef: ReturnType<typeof createContext> | null = null;
    const out = createReporter({ json: globals.json, verbose: globals.verbose, style: style(), sink, state: () => ctxRef?.openedState() ?? null });
    const abort = new AbortController();
    opts.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(EXIT.interrupted);
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const interactive = Boolean(process.stdin.isTTY && sink.isTTY && !env.CI);
    const ask = interactive ? (await import('./ask.js')).askOnTerminal : undefined;
    const ctx = createContext({ project, secrets, out, signal: abort.signal, interactive, initiator: opts.initiator ?? 'admin', ask, commands });
    ctxRef = ctx;
    try {
      if (routed) out.line('ORCHESTRATOR', 'info', routed);
      const result = await runCommand(def, ctx, input);
      if (abort.signal.aborted) return EXIT.interrupted;
      const code = result.exitCode ?? EXIT.ok;
      if (globals.json) sink.out(JSON.stringify({ type: 'result', command: def.name, ok: code === 0, exitCode: code, data: result.data ?? null }) + '\n');
      return code;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      ctx.close();
    }
  } catch (err) {
    const code = exitCodeOf(err);
    const message = redact(err instanceof Error ? err.message : String(err));
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

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
