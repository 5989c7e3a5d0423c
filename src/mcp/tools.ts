// The command registry seen as MCP tools. Pure: command definitions in, tool descriptions and
// command input out. The server (server.ts) does the I/O.
import { z } from '../integrations/zod-full.js';
import { UsageError } from '../errors.js';
import { schemaOf, type CommandDef, type CommandRisk } from '../commands/types.js';
import { zodMiniIfLoaded } from '../config/zod-mini.js';
import { usageLine } from '../cli/argv.js';
import { OUTPUT_SCHEMA } from './result.js';

/** Commands no MCP client may call: the server itself, the full-screen UI, and deciding
 * approvals (a model can request an approval but never decide one). Commands marked shellOnly
 * (`emergency access`, whose link must never reach a model; `demo`, which writes a project
 * outside this one) are left out too. */
export const NOT_EXPOSED: ReadonlySet<string> = new Set(['mcp', 'dashboard', 'approve', 'reject']);

/** The commands that decide approvals: never reachable from a tool call, not even by dispatch. */
export const DECIDERS: ReadonlySet<string> = new Set(['approve', 'reject']);

/** Flags that stream until interrupted; a tool call has to end. */
const STREAMING_FLAGS: ReadonlySet<string> = new Set(['follow']);

export interface JsonSchemaObject {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties: false;
  [key: string]: unknown;
}

/** MCP's tool annotations, derived from the command's declared risk. */
export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
}

export interface ToolSpec {
  name: string;
  /** The registry's command name the tool dispatches to. */
  command: string;
  title: string;
  description: string;
  inputSchema: JsonSchemaObject;
  outputSchema: typeof OUTPUT_SCHEMA;
  annotations: ToolAnnotations;
  /** `agent <command> <args> [flags]`, for the usage line of a bad call. */
  usage: string;
}

/** Risks whose actions can undo or delete what is there (a deploy replaces what runs). */
const DESTRUCTIVE: ReadonlySet<CommandRisk> = new Set(['deploy', 'destructive', 'emergency']);

/** `create ticket` -> "Create ticket". */
export function toolTitle(commandName: string): string {
  return commandName.charAt(0).toUpperCase() + commandName.slice(1);
}

export function annotationsOf(def: CommandDef): ToolAnnotations {
  const title = toolTitle(def.name);
  // A definition from plain JavaScript may lack its risk: then nothing is promised (MCP's defaults).
  const risk = def.risk as CommandRisk | undefined;
  if (risk === 'read') return { title, readOnlyHint: true, destructiveHint: false, idempotentHint: true };
  return { title, readOnlyHint: false, destructiveHint: !risk || DESTRUCTIVE.has(risk), idempotentHint: Boolean(def.idempotent) };
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** `create ticket` -> `create_ticket`, `migrate status` -> `migrate_status`. */
export function toolName(commandName: string): string {
  return commandName.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

export function exposedCommands(commands: readonly CommandDef[]): CommandDef[] {
  return commands.filter((c) => !c.hidden && !c.shellOnly && !NOT_EXPOSED.has(c.name));
}

export function toolSpecs(commands: readonly CommandDef[]): ToolSpec[] {
  const specs = exposedCommands(commands).map(toolSpec);
  const seen = new Map<string, string>();
  for (const s of specs) {
    const other = seen.get(s.name);
    if (other) throw new Error(`commands "${other}" and "${s.command}" both map to the MCP tool name ${s.name}`);
    seen.set(s.name, s.command);
  }
  return specs;
}

export function toolSpec(def: CommandDef): ToolSpec {
  return {
    name: toolName(def.name),
    command: def.name,
    title: toolTitle(def.name),
    description: describe(def),
    inputSchema: inputSchema(def),
    outputSchema: OUTPUT_SCHEMA,
    annotations: annotationsOf(def),
    usage: usageLine(def),
  };
}

function describe(def: CommandDef): string {
  const parts = [def.summary.endsWith('.') ? def.summary : `${def.summary}.`];
  if (def.policy) {
    parts.push(
      `This action may need the admin's approval (${def.policy}); the tool then answers "approval required" with an approval id, and only the admin can approve it.`,
    );
  }
  if (def.examples?.length) parts.push(`Command line equivalent: ${def.examples.map((e) => `\`${e}\``).join(', ')}.`);
  return parts.join(' ');
}

/** JSON Schema of the command's input: from its zod schema, annotated with the arg/flag help. */
export function inputSchema(def: CommandDef): JsonSchemaObject {
  const fromZod = schemaFromZod(def);
  const properties: Record<string, Record<string, unknown>> = { ...(fromZod?.properties ?? {}) };
  const required = new Set(fromZod?.required ?? []);
  for (const arg of def.args ?? []) {
    const key = camel(arg.name);
    const base = properties[key] ?? { type: 'string' };
    properties[key] = { ...base, description: arg.description + (arg.variadic ? ' (free text)' : '') };
    if (arg.required) required.add(key);
  }
  for (const flag of def.flags ?? []) {
    const key = camel(flag.name);
    if (STREAMING_FLAGS.has(flag.name)) {
      delete properties[key];
      required.delete(key);
      continue;
    }
    const base = properties[key] ?? (flag.type === 'boolean' ? { type: 'boolean' } : { type: 'string', ...(flag.values ? { enum: [...flag.values] } : {}) });
    properties[key] = { ...base, description: flag.description };
  }
  return { type: 'object', properties, ...(required.size ? { required: [...required] } : {}), additionalProperties: false };
}

function zodMini() {
  const zm = zodMiniIfLoaded();
  if (!zm) throw new Error('zod/mini is not loaded: await loadZodMini() before building tool specs');
  return zm;
}

function schemaFromZod(def: CommandDef): { properties?: Record<string, Record<string, unknown>>; required?: string[] } | null {
  const zm = zodMini();
  try {
    const json = z.toJSONSchema(schemaOf(def, zm) as never, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    if (json.type !== 'object') return null;
    return { properties: json.properties as Record<string, Record<string, unknown>> | undefined, required: json.required as string[] | undefined };
  } catch {
    // Schemas JSON Schema cannot express fall back to the arg/flag metadata alone.
    return null;
  }
}

/**
 * A tool call's arguments as command input. Unknown names are refused (zod would drop them
 * silently, and a model that misspells a flag should hear about it); numbers and booleans given
 * for string inputs are accepted as their text, the way the command line would see them.
 */
export function toCommandInput(spec: ToolSpec, args: Record<string, unknown> | undefined): Record<string, unknown> {
  const props = spec.inputSchema.properties;
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args ?? {})) {
    const prop = props[key];
    if (!prop) {
      const known = Object.keys(props);
      throw new UsageError(`${spec.name}: unknown argument "${key}"; ${known.length ? `it takes ${known.join(', ')}` : 'it takes no arguments'}`);
    }
    if (value === undefined || value === null) continue;
    input[key] = prop.type === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? String(value) : value;
  }
  for (const key of spec.inputSchema.required ?? []) {
    if (input[key] === undefined || input[key] === '') {
      const about = props[key]?.description;
      throw new UsageError(`${spec.name} needs "${key}"${about ? ` (${String(about)})` : ''}`);
    }
  }
  return input;
}
