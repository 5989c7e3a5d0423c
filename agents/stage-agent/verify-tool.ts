// StageAgent's check after a staging deploy (issue 18): the tool the ticket is about is called on
// staging's own MCP server (environments.staging.mcp; a stdio server runs in the deployed worktree)
// with the ticket's example arguments, and the row it claims to create is looked for through
// supabase-js on staging's database (environments.staging.supabase). A row found verifies the fix;
// a tool error or no row fails the deploy; without a server, credentials, a named write tool or
// an example, the check is skipped and says why (never a ✓).
import type { AgentConfig } from '../../src/config/config.js';
import type { Secrets } from '../../src/config/secrets.js';
import type { RowCheck } from '../../src/integrations/mcp-rows.js';

export type ToolVerification =
  | { status: 'skipped'; reason: string }
  | { status: 'verified'; server: string; check: RowCheck }
  | { status: 'failed'; server: string; reason: string; check?: RowCheck };

export interface VerifyInput {
  config: AgentConfig;
  secrets: Secrets;
  /** The ticket's title and description. */
  ticketText: string;
  /** Where a stdio server runs: the deployed worktree. */
  cwd?: string | null;
  signal: AbortSignal;
}

export async function verifyFixedTool(input: VerifyInput): Promise<ToolVerification> {
  const [{ connectMcp, environmentMcpTarget, toolAccess }, { callAndCheckRow, mayCallUnattended, openRows, supabaseFor }, { exampleArgs, writeToolsNamed }] = await Promise.all([
    import('../../src/integrations/mcp-client.js'),
    import('../../src/integrations/mcp-rows.js'),
    import('../../src/integrations/mcp-ticket.js'),
  ]);
  const { config, secrets, signal } = input;
  const target = environmentMcpTarget(config, secrets, 'staging', input.cwd ?? undefined);
  if (!target) return { status: 'skipped', reason: 'no staging MCP server is configured (environments.staging.mcp in agent.config.json: a stdio command or a url)' };
  const creds = supabaseFor(config, secrets, 'staging');
  if ('reason' in creds) return { status: 'skipped', reason: `staging's database cannot be read: ${creds.reason}` };
  const timeoutMs = config.network.timeoutMs;
  let client;
  try {
    client = await connectMcp(target, { signal, timeoutMs });
  } catch (err) {
    if (signal.aborted) throw err;
    return { status: 'failed', server: 'staging', reason: `the staging MCP server did not connect after the deploy: ${(err as Error).message}` };
  }
  try {
    const tools = await client.listTools();
    const named = writeToolsNamed(input.ticketText, tools, toolAccess);
    if (!named.length) return { status: 'skipped', reason: `the ticket names no write tool of the staging server (${client.where} lists ${tools.map((t) => t.name).join(', ') || 'no tools'})` };
    const withExample = named.map((tool) => ({ tool, args: exampleArgs(input.ticketText, tool.name) })).find((x) => x.args);
    if (!withExample?.args) {
      const t = named[0]!.name;
      return { status: 'skipped', reason: `the ticket gives no example arguments for ${t} (write them as JSON after its name, e.g. ${t} {"name":"Ada"})` };
    }
    const { tool, args } = withExample;
    const allowed = mayCallUnattended(tool, 'staging', config, client.where, args);
    if (!allowed.ok) return { status: 'skipped', reason: allowed.reason };
    const rows = await openRows(creds, { signal, timeoutMs });
    const check = await callAndCheckRow(client, rows, tool, args, 'staging');
    if (check.outcome === 'row-found') return { status: 'verified', server: client.where, check };
    if (check.outcome === 'no-table') return { status: 'skipped', reason: check.text };
    return { status: 'failed', server: client.where, reason: check.text, check };
  } catch (err) {
    if (signal.aborted) throw err;
    return { status: 'failed', server: client.where, reason: `the verification could not finish: ${(err as Error).message}` };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The deploy's verify step: the ticket read, the check run, and its line said. */
export async function verifyAfterDeploy(
  o: { config: AgentConfig; secrets: Secrets; signal: AbortSignal; ticket: { title: string; description: string } | null; worktree: string | null },
  log: (level: 'info' | 'ok' | 'warn' | 'error', msg: string) => void,
): Promise<ToolVerification> {
  const v = o.ticket
    ? await verifyFixedTool({ config: o.config, secrets: o.secrets, ticketText: `${o.ticket.title}\n${o.ticket.description}`, cwd: o.worktree, signal: o.signal })
    : ({ status: 'skipped', reason: 'the change set has no ticket to take the example from' } as const);
  if (v.status === 'verified') log('ok', `Verified on staging through its MCP server: ${v.check.text}`);
  else if (v.status === 'failed') log('error', `Verification on staging failed: ${v.reason}`);
  // Without a server at all this is the ordinary offline case, not a warning.
  else log(/^no staging MCP server/.test(v.reason) ? 'info' : 'warn', `Verification through the staging MCP server skipped: ${v.reason}`);
  return v;
}
