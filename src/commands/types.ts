// The shape every command shares. The CLI, the dashboard prompt and the MCP server all dispatch
// through one registry of these, and help, completion and README tables are generated from it.
import type * as z from 'zod/mini';
import { loadZodMini, type ZodMini } from '../config/zod-mini.js';
import type { ExitCode } from '../errors.js';
import type { ApprovalCategory, ApprovalRequest, ApprovalRecord } from '../engine/approval-policy.js';
import type { ProjectContext } from '../config/project.js';
import type { StateDb } from '../store/state-db.js';
import type { ApprovalRow } from '../store/rows.js';
import type { Secrets } from '../config/secrets.js';

export type Level = 'debug' | 'info' | 'ok' | 'warn' | 'error';

export interface LineData {
  ticketId?: string;
  runId?: string;
  agentId?: string;
  [key: string]: unknown;
}

/** Where a command's progress goes: human lines, NDJSON, the dashboard's store. */
export interface Reporter {
  readonly json: boolean;
  /** Human output may use ANSI colour (a TTY, no NO_COLOR, no --no-color). */
  readonly color: boolean;
  /** A progress line such as `[MIGRATOR] ✓ Created migration …`; persisted as an event when the
   * project's state is open. `agent` is the speaker in upper case: ORCHESTRATOR, MIGRATOR, … */
  line(agent: string, level: Level, message: string, data?: LineData): void;
  /** A human-only block (tables, details). Ignored in --json mode, where `data` speaks instead. */
  print(text: string): void;
  /** Shows a spinner on a TTY while `work` runs; returns its result. */
  spin<T>(label: string, work: Promise<T>): Promise<T>;
}

export interface CommandContext {
  readonly project: ProjectContext;
  /** Opens `.agent/state.db` on first use. */
  state(): StateDb;
  readonly out: Reporter;
  readonly signal: AbortSignal;
  /** A person can answer a prompt on this terminal (TTY on stdin and stdout, not CI). */
  readonly interactive: boolean;
  /** Who started this: 'admin' from a shell, 'dashboard', 'mcp'. Recorded in the audit trail. */
  readonly initiator: string;
  readonly secrets: Secrets;
  /**
   * Resolves when the action may go ahead (policy says no approval is needed, or the admin
   * approved it); throws ApprovalRequiredError (exit 3) when nobody can answer now, or a
   * WorkFailedError when the admin rejected it.
   */
  requireApproval(request: ApprovalRequest): Promise<ApprovalRecord | null>;
  /** The approvals granted to this command so far, for its audit rows' `approval` ("APR-3, APR-4"); null when none. */
  approvalIds(): string | null;
  /** Runs another registered command in this context (used to carry out an approved action). */
  dispatch(command: string, input: Record<string, unknown>, preApproved?: ApprovalRow): Promise<CommandResult>;
}

export interface ArgSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes the rest of the words, joined by spaces. */
  variadic?: boolean;
  /** What Tab completion offers: ticket ids, approval ids, fixed words. */
  complete?: 'ticket' | 'approval' | 'agent' | readonly string[];
}

export interface FlagSpec {
  /** Long name without dashes, kebab-case: `since`, `dry-run`. Parsed into camelCase keys. */
  name: string;
  type: 'boolean' | 'string';
  description: string;
  short?: string;
  /** Allowed values, shown in help and checked before the schema runs. */
  values?: readonly string[];
  placeholder?: string;
}

export type CommandGroup =
  | 'tickets'
  | 'agents'
  | 'review'
  | 'database'
  | 'deploy'
  | 'observe'
  | 'admin'
  | 'emergency'
  | 'setup';

export interface CommandResult {
  /** The machine-readable result (the `data` of the final --json object). */
  data?: unknown;
  /** Defaults to 0. */
  exitCode?: ExitCode;
}

/**
 * What the worst a command can do is: `read` changes nothing; `write` adds work items, staged sets,
 * files in the project or notes in the state; `deploy` changes what runs (code, the database);
 * `destructive` deletes records; `emergency` acts at once on everything. Every front door derives
 * from it (MCP's readOnly/destructive hints); the approvals themselves follow the policy.
 */
export type CommandRisk = 'read' | 'write' | 'deploy' | 'destructive' | 'emergency';

export interface CommandDef<A = any> {
  /** One or more words: `status`, `create ticket`, `migrate status`. */
  name: string;
  summary: string;
  group: CommandGroup;
  args?: readonly ArgSpec[];
  flags?: readonly FlagSpec[];
  /** Validates `{...positional args by name, ...flags in camelCase}` after parsing; absent for a
   * command that takes no input. Built on first use from the zod/mini it is handed: zod is loaded
   * only when a command has input to check (it is ~6 ms of a ~100 ms cold start). */
  schema?: (zm: ZodMini) => z.ZodMiniType<A>;
  examples?: readonly string[];
  /** Words that point the free-text router here ("how is everything" -> status). */
  keywords?: readonly string[];
  /** Required, so that no command is left undeclared. */
  risk: CommandRisk;
  /** Running it again with the same input changes nothing more (MCP's idempotentHint). */
  idempotent?: boolean;
  /** Which approval the command's action can need (documentation, MCP and help show it). */
  policy?: ApprovalCategory;
  /** False for commands that work outside a project (help, version). */
  needsProject?: boolean;
  /** Hidden from help (test fixtures). */
  hidden?: boolean;
  /** Runs only from a shell (its output is for the admin's terminal alone): no MCP tool, and the
   * dashboard does not carry it out after an approval. */
  shellOnly?: boolean;
  run(ctx: CommandContext, args: A): Promise<CommandResult | void>;
}

export function defineCommand<A>(def: CommandDef<A>): CommandDef<A> {
  return def;
}

const built = new WeakMap<object, unknown>();

/** The command's schema, built once on first use (an empty object for a command without input). */
export function schemaOf<A>(def: CommandDef<A>, zm: ZodMini): z.ZodMiniType<A> {
  let b = built.get(def) as z.ZodMiniType<A> | undefined;
  if (!b) built.set(def, (b = def.schema ? def.schema(zm) : (zm.object({}) as unknown as z.ZodMiniType<A>)));
  return b;
}

export async function commandSchema<A>(def: CommandDef<A>): Promise<z.ZodMiniType<A>> {
  return schemaOf(def, await loadZodMini());
}
