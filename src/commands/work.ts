// analyze ticket, fix ticket: the orchestrator picks the specialist agents and runs them.
import { UsageError } from '../errors.js';
import type { CommandContext } from './types.js';
import { defineCommand } from './types.js';
import type { TicketRow } from '../store/rows.js';

export function requireTicket(ctx: CommandContext, id: string): TicketRow {
  const t = ctx.state().ticket(id);
  if (!t) throw new UsageError(`${id}: no such ticket; see \`agent tickets\` or create one with \`agent create ticket "<description>"\``);
  return t;
}

/** Pure: the root causes as analyze prints them: each with its confidence, then its evidence (file:line first). */
export function formatCauses(causes: ReadonlyArray<{ summary: string; confidence: number; evidence: readonly string[] }>): string {
  return causes.map((c, i) => [`${i + 1}. ${c.summary} (confidence ${c.confidence}%)`, ...c.evidence.map((e) => `   - ${e}`)].join('\n')).join('\n');
}

export const analyzeTicket = defineCommand({
  name: 'analyze ticket',
  summary: 'BugHunter reads the code, types, tests and schema and reports root causes with evidence',
  group: 'tickets',
  risk: 'write',
  args: [{ name: 'id', description: 'a ticket id such as BUG-2026-001', required: true, complete: 'ticket' }],
  schema: (z) => z.object({ id: z.string() }),
  keywords: ['analyze', 'analyse', 'investigate', 'root cause', 'diagnose'],
  examples: ['agent analyze ticket BUG-2026-001'],
  async run(ctx, args) {
    const ticket = requireTicket(ctx, args.id);
    const { analyze } = await import('../engine/pipeline.js');
    const analysis = await analyze(ctx, ticket);
    // What --json carries, in the text output too: each cause's confidence and its file:line evidence.
    ctx.out.print(formatCauses(analysis.rootCauses));
    return { data: { analysis } };
  },
});

export const fixTicket = defineCommand({
  name: 'fix ticket',
  summary: 'Analysis, then the fix (code and migrations), validated and staged under ./staged/ for review',
  group: 'tickets',
  risk: 'write',
  policy: 'codeGeneration',
  args: [{ name: 'id', description: 'a ticket id such as BUG-2026-001', required: true, complete: 'ticket' }],
  schema: (z) => z.object({ id: z.string() }),
  keywords: ['fix', 'repair', 'solve', 'resolve'],
  examples: ['agent fix ticket BUG-2026-001'],
  async run(ctx, args) {
    const ticket = requireTicket(ctx, args.id);
    const { fix } = await import('../engine/pipeline.js');
    const result = await fix(ctx, ticket);
    return { data: result };
  },
});

export const generateCmd = defineCommand({
  name: 'generate',
  summary: "CodeSmith writes an API endpoint, an MCP tool, a React component or a test in the project's own style, tested and staged for review",
  group: 'tickets',
  risk: 'write',
  policy: 'codeGeneration',
  args: [
    { name: 'kind', description: 'api, mcp-tool, component or test', required: true, complete: ['api', 'mcp-tool', 'component', 'test'] },
    { name: 'spec', description: 'what to generate, naming the table (a list or form of it for a component), the tool, or the file to test', required: true, variadic: true },
  ],
  schema: (z) => z.object({ kind: z.enum(['api', 'mcp-tool', 'component', 'test']), spec: z.string().check(z.minLength(2)) }),
  keywords: ['generate', 'scaffold', 'endpoint', 'tool', 'component'],
  examples: ['agent generate api "estimates endpoint"', 'agent generate mcp-tool create_invoice_record', 'agent generate component "estimates list"', 'agent generate test "app/api/invoices/route.ts"'],
  async run(ctx, args) {
    const { generate } = await import('../engine/pipeline.js');
    return { data: await generate(ctx, args.kind, args.spec) };
  },
});
