// Every tool the MCP server offers is registered here, once.
import { customerTools } from './tools/customer_tools';
import { estimateTools } from './tools/estimate_tools';
import { jobTools } from './tools/job_tools';
import type { ToolContext, ToolDefinition } from './tools/types';

export const tools: ToolDefinition[] = [...customerTools, ...jobTools, ...estimateTools];

const byName = new Map(tools.map((t) => [t.name, t]));

export function listTools(): Array<Pick<ToolDefinition, 'name' | 'description' | 'inputSchema'>> {
  return tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
}

export async function dispatch(name: string, args: Record<string, unknown>, ctx: ToolContext): Promise<{ result?: unknown; error?: string }> {
  const tool = byName.get(name);
  if (!tool) return { error: `unknown tool: ${name}` };
  try {
    return { result: await tool.handler(args, ctx) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
