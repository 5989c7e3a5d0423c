// agent demo: a fresh working copy of examples/crm (its own git repository), then the dashboard
// on it; without a terminal (or with --script) it plays the seed's example 4.1 instead.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { openProject } from '../config/project.js';
import { loadSecrets } from '../config/secrets.js';
import { createContext } from './dispatch.js';
import { defineCommand, type CommandContext, type Reporter } from './types.js';
import { lineEvent } from '../cli/output.js';
import { isAlive, type StateDb } from '../store/state-db.js';

export const SEED_TICKET = 'AI estimates are generated but not persisting to database. Voice agent says success but no record created. Ticket: AI-EST-142';

/** This package's root (where examples/ and node_modules/ are), from src/ or from dist/. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'crm-agent') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the crm-agent package root');
    dir = up;
  }
}

export async function makeDemoCopy(dest: string): Promise<string> {
  const root = packageRoot();
  const source = join(root, 'examples', 'crm');
  if (existsSync(dest) && readdirSync(dest).length) throw new UsageError(`${dest} is not empty; pass a new directory to \`agent demo <dir>\``);
  mkdirSync(dest, { recursive: true });
  cpSync(source, dest, { recursive: true, filter: (src) => !/(^|[\\/])(node_modules|\.agent|staged)([\\/]|$)/.test(src.slice(source.length)) });
  // The example has no dependencies of its own; its tests and types use crm-agent's vitest and tsc.
  symlinkSync(join(root, 'node_modules'), join(dest, 'node_modules'), 'dir');
  const { git } = await import('../integrations/git.js');
  await git(dest, ['init', '-q', '-b', 'main']);
  await git(dest, ['add', '-A']);
  await git(dest, ['-c', 'user.name=crm-agent demo', '-c', 'user.email=demo@localhost', 'commit', '-q', '-m', 'CRM example: initial import']);
  return dest;
}

/** Where `agent demo` makes its copy when given no directory: one per user, made afresh each run. */
export function defaultDemoDir(parent = tmpdir()): string {
  return join(parent, `crm-agent-demo${process.getuid ? `-${process.getuid()}` : ''}`);
}


/**
 * A fresh copy in the one default demo directory: the last run's copy (~41 MB with its databases)
 * is replaced rather than a new one left in the temp directory each time. Refused while the demo
 * that made it still runs there, and for a directory crm-agent did not make.
 */
export async function freshDefaultDemo(dest: string): Promise<void> {
  const marker = join(dest, '.agent', 'demo.json');
  if (existsSync(dest) && readdirSync(dest).length) {
    if (!existsSync(marker)) throw new UsageError(`${dest} exists and is not a demo copy crm-agent made; move it, or pass a directory: \`agent demo <dir>\``);
    const { pid } = JSON.parse(readFileSync(marker, 'utf8')) as { pid: number };
    if (pid !== process.pid && isAlive(pid)) throw new UsageError(`a demo is still running in ${dest} (process ${pid}); close it, or pass a directory: \`agent demo <dir>\``);
    rmSync(dest, { recursive: true, force: true });
  }
  await makeDemoCopy(dest);
  mkdirSync(join(dest, '.agent'), { recursive: true }); // git-ignored in the example
  writeFileSync(marker, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }) + '\n');
}

/**
 * The demo's lines are events of the demo project, like any command's there: `agent logs` and
 * `agent status` in it show them. They are shown through the caller's reporter, whose own
 * project (the directory demo was started from) is not the one the demo works on.
 */
export function recordingReporter(out: Reporter, state: () => StateDb): Reporter {
  return {
    json: out.json,
    color: out.color,
    line(agent, level, message, data) {
      state().appendEvent(lineEvent(agent, level, message, data));
      out.line(agent, level, message, data);
    },
    print: (text) => out.print(text),
    spin: (label, work) => out.spin(label, work),
  };
}

async function step(ctx: CommandContext, shown: string, command: string, input: Record<string, unknown>) {
  ctx.out.print(`\n$ agent ${shown}`);
  return ctx.dispatch(command, input);
}

export const demo = defineCommand({
  name: 'demo',
  summary: 'A fresh working copy of the bundled CRM example, then the dashboard on it (or, with --script, the seed example 4.1)',
  group: 'setup',
  risk: 'write', shellOnly: true,
  needsProject: false,
  args: [{ name: 'dir', description: 'where to make the working copy (default: one demo directory in the temp directory, made afresh each run)' }],
  flags: [{ name: 'script', type: 'boolean', description: 'play example 4.1 (ticket, fix, approve, staging deploy) instead of opening the dashboard' }],
  schema: (z) => z.object({ dir: z.optional(z.string()), script: z.optional(z.boolean()) }),
  keywords: ['demo', 'example', 'try'],
  examples: ['agent demo', 'agent demo --script', 'agent demo ./crm-demo'],
  async run(ctx, args) {
    const dest = args.dir ? resolve(args.dir) : defaultDemoDir();
    if (args.dir) await makeDemoCopy(dest);
    else await freshDefaultDemo(dest);
    const project = await openProject({ cwd: dest });
    let state: StateDb | undefined;
    const out = recordingReporter(ctx.out, () => (state ??= demoCtx.state()));
    const demoCtx = createContext({ project, secrets: loadSecrets(project.root), out, signal: ctx.signal, interactive: ctx.interactive, initiator: ctx.initiator });
    try {
      out.line('ORCHESTRATOR', 'ok', `Demo project ready: ${dest} (a git repository; run agent there with --project ${dest})`);
      const ticket = await step(demoCtx, `create ticket "${SEED_TICKET}"`, 'create ticket', { description: SEED_TICKET });
      const id = (ticket.data as { ticket: { id: string } }).ticket.id;
      const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !ctx.out.json;
      if (tty && !args.script) {
        ctx.out.print(`\nOpening the dashboard on ${dest}. Try: fix ticket ${id}`);
        return await demoCtx.dispatch('dashboard', {});
      }
      await step(demoCtx, `fix ticket ${id}`, 'fix ticket', { id });
      await step(demoCtx, `review ${id} --stat`, 'review', { id, stat: true });
      const deployed = await step(demoCtx, `approve ${id} deploy to staging`, 'approve', { id, action: 'deploy to staging' });
      return { data: { project: dest, ticketId: id, deployment: (deployed.data as { deployment?: unknown }).deployment ?? null } };
    } finally {
      demoCtx.close();
    }
  },
});
