// Runs one command: validates its input with the command's schema, builds the context every
// front end shares, and calls the handler. The CLI, the dashboard prompt and MCP all come here.
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { formatPath, expectation, describeValue, valueAt } from '../config/zod-issue.js';
import type { ProjectContext } from '../config/project.js';
import type { Secrets } from '../config/secrets.js';
import { StateDb } from '../store/state-db.js';
import { describeStateError } from '../store/state-file.js';
import { requireApproval, type AskFn } from '../engine/approvals.js';
import { retryPendingMail } from '../engine/outbox.js';
import { adoptScratch } from '../engine/scratch.js';
import type { ApprovalRow } from '../store/rows.js';
import { commandSchema, type CommandContext, type CommandDef, type CommandResult, type Reporter } from './types.js';
import { printable } from '../cli/printable.js';

export interface ContextOptions {
  project: ProjectContext;
  secrets: Secrets;
  out: Reporter;
  signal: AbortSignal;
  interactive: boolean;
  initiator: string;
  ask?: AskFn;
  preApproved?: ApprovalRow;
  /** The registry to dispatch through (the built-in one plus any an embedder added). */
  commands?: readonly CommandDef[];
  /** An already-open state database (the dashboard keeps one). */
  state?: StateDb;
}

export interface OpenContext extends CommandContext {
  /** The state database if a command opened it (for closing and for event persistence). */
  openedState(): StateDb | null;
  close(): void;
}

export function statePath(project: ProjectContext): string {
  return join(project.agentDir, 'state.db');
}

export function createContext(opts: ContextOptions): OpenContext {
  let state: StateDb | null = opts.state ?? null;
  const owned = !opts.state;
  // adoptScratch: this process records its temp dirs there; dead processes' leftovers are swept.
  const getState = () => adoptScratch((state ??= new StateDb(statePath(opts.project))));
  const granted: string[] = [];
  const ctx: OpenContext = {
    project: opts.project,
    secrets: opts.secrets,
    out: opts.out,
    signal: opts.signal,
    interactive: opts.interactive,
    initiator: opts.initiator,
    state: getState,
    openedState: () => state,
    requireApproval: async (request) => {
      const record = await requireApproval(
        {
          state: getState(),
          config: opts.project.config(),
          out: opts.out,
          signal: opts.signal,
          initiator: opts.initiator,
          ask: opts.ask,
          preApproved: opts.preApproved,
        },
        request,
      );
      if (record?.status === 'approved' && !granted.includes(record.id)) granted.push(record.id);
      return record;
    },
    approvalIds: () => (granted.length ? granted.join(', ') : null),
    dispatch: async (command, input, preApproved) => {
      const commands = opts.commands ?? (await import('./registry.js')).COMMANDS;
      const def = commands.find((c) => c.name === command);
      if (!def) throw new UsageError(`unknown command "${printable(command)}"`);
      const inner = createContext({ ...opts, state: getState(), preApproved });
      return runCommand(def, inner, input);
    },
    close: () => {
      if (owned) state?.close();
    },
  };
  return ctx;
}

/** Validates raw input against the command's schema; errors name the flag or argument. */
export async function validateInput<A>(def: CommandDef<A>, input: Record<string, unknown>): Promise<A> {
  // A command without input takes nothing the parser has not already refused (unknown flags,
  // extra words); like an empty object schema, it ignores other keys an MCP caller sends.
  if (!def.schema) return {} as A;
  const parsed = (await commandSchema(def)).safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = String(issue.path[0] ?? '');
  const flag = def.flags?.find((f) => f.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) === key);
  const what = flag ? `--${flag.name}` : key ? `<${key}>` : formatPath(issue.path);
  throw new UsageError(`\`agent ${def.name}\` ${what}: expected ${expectation(issue)}, got ${printable(describeValue(valueAt(input, issue.path)))}`);
}

export async function runCommand<A>(def: CommandDef<A>, ctx: CommandContext, input: Record<string, unknown>): Promise<CommandResult> {
  const args = await validateInput(def, input);
  // Emails an earlier command could not send go out alongside this one (one kv read when none wait).
  const mail = retryPendingMail(ctx);
  try {
    return (await def.run(ctx, args)) ?? {};
  } catch (err) {
    // SQLite's errors about the state file itself (damaged, read-only, disk full) name the file.
    throw describeStateError(statePath(ctx.project), err);
  } finally {
    await mail;
  }
}
