// Drives `agent mcp` the way Claude Code does: the MCP SDK's own client over stdio.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, testEnv } from '../helpers.js';

export type TestClient = Client & { stderr: () => string };

const open: Client[] = [];

export async function mcpClient(cwd: string, opts: { command?: string; args?: string[]; env?: Record<string, string | undefined> } = {}): Promise<TestClient> {
  const transport = new StdioClientTransport({
    command: opts.command ?? process.execPath,
    args: opts.args ?? [CLI, 'mcp'],
    cwd,
    env: testEnv(opts.env) as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'frontdoor-test', version: '1.0.0' });
  await client.connect(transport);
  open.push(client);
  return Object.assign(client, { stderr: () => stderr });
}

export async function closeClients(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
}

export function textOf(result: object): string {
  return (((result as { content?: unknown }).content ?? []) as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
}
