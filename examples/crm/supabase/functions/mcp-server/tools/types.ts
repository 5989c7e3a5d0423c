import type { Db } from '../../../../lib/db';

export interface ToolContext {
  db: Db;
}

export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: {
    type: 'object';
    properties: Record<string, { type: string; description?: string; format?: string }>;
    required?: string[];
  };
  handler(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown>;
}
