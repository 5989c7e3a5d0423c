// `mcp tools` and `mcp call`: the admin's own MCP server (stdio, Streamable HTTP or the seed's edge
// function), listed and called from the CLI, the dashboard and Claude Code. Read tools run; any other
// tool waits for the approval the policy asks (production: the typed confirmation).
// Declared here; what they do is in mcp-client-run.ts, imported when one runs (start-up stays light).
import { defineCommand } from './types.js';

const heavy = () => import('./mcp-client-run.js');
const ENVS = ['staging', 'production'] as const;

export const mcpTools = defineCommand({
  name: 'mcp tools',
  summary: "List the tools of your own MCP server (mcp.server or mcp.url) with their input schemas and whether they only read",
  group: 'setup',
  risk: 'read',
  idempotent: true,
  examples: ['agent mcp tools', 'agent mcp tools --json'],
  run: async (ctx) => (await heavy()).listTools(ctx),
});

export const mcpCall = defineCommand({
  name: 'mcp call',
  summary: 'Call one tool of your own MCP server with JSON arguments; tools that are not read-only wait for approval (production: typed)',
  group: 'setup',
  risk: 'destructive',
  policy: 'productionDeployment',
  args: [
    { name: 'tool', description: 'the tool name (see `agent mcp tools`)', required: true },
    { name: 'json', description: "the arguments as a JSON object, e.g. '{\"name\":\"Ada\"}' (default {})" },
  ],
  flags: [{ name: 'env', type: 'string', values: ENVS, description: 'the environment the server acts on (default production): decides the approval a write tool needs' }],
  schema: (z) => z.object({ tool: z.string().check(z.minLength(1), z.maxLength(200)), json: z.optional(z.string().check(z.maxLength(100_000))), env: z.optional(z.enum(ENVS)) }),
  examples: ["agent mcp call list_jobs '{}'", "agent mcp call create_customer '{\"name\":\"Ada\"}' --env staging"],
  run: async (ctx, args) => (await heavy()).callTool(ctx, args),
});
