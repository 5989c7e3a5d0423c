// A tool an agent lends the model: a name, a zod schema for its input (also its JSON schema for
// the API), and a handler. Tool output is data: it is redacted, capped and wrapped so that text in
// a file or a ticket can never pass for an instruction from us.
import { z, type Zod } from '../zod-full.js';
import { redact } from '../../config/redact.js';
import type { ToolDefinition } from './types.js';

export interface ToolOutput {
  text: string;
  isError?: boolean;
  /**
   * The agent's work is done (CodeSmith's accepted finish, the Migrator's accepted proposal): when
   * this is the turn's last call and no call of the turn failed, the loop ends without asking the
   * model for a closing paragraph nobody reads (a whole request that re-sends the conversation).
   */
  done?: boolean;
}

export interface LoopTool<S extends Zod.ZodType = Zod.ZodType> {
  name: string;
  description: string;
  schema: S;
  /** The JSON schema the API sees when it is not the zod schema's (issue 18: an MCP server's own tool). */
  inputSchema?: Record<string, unknown>;
  run(input: Zod.infer<S>, signal?: AbortSignal): Promise<ToolOutput> | ToolOutput;
}

export function defineTool<S extends Zod.ZodType>(t: LoopTool<S>): LoopTool {
  return t as unknown as LoopTool;
}

export function toolDefinition(t: LoopTool): ToolDefinition {
  if (t.inputSchema) return { name: t.name, description: t.description, input_schema: t.inputSchema };
  const { $schema: _drop, ...schema } = z.toJSONSchema(t.schema) as Record<string, unknown>;
  return { name: t.name, description: t.description, input_schema: schema };
}

export const MAX_RESULT_CHARS = 12_000;

/** Wraps data for the model: redacted, capped, and unable to close its own wrapper. Pure. */
export function wrapData(tag: string, source: string, text: string, max = MAX_RESULT_CHARS): string {
  let body = redact(text).replace(new RegExp(`</?${tag}`, 'gi'), (m) => m.replace('<', '&lt;'));
  if (body.length > max) body = `${body.slice(0, max)}\n[... ${body.length - max} more characters not shown; ask for a narrower range]`;
  return `<${tag} source="${source.replace(/[^a-zA-Z0-9_./:-]/g, '_')}">\n${body}\n</${tag}>`;
}
