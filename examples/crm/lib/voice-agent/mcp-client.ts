// Calls the MCP edge function the way the voice agent runs in production.
export interface McpClient {
  callTool(name: string, args: Record<string, unknown>): Promise<{ ok: boolean; body: unknown }>;
}

export function createMcpClient(opts: { url: string; serviceRoleKey: string; fetch?: typeof fetch }): McpClient {
  const doFetch = opts.fetch ?? fetch;
  return {
    async callTool(name, args) {
      const res = await doFetch(opts.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.serviceRoleKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tool: name, arguments: args }),
      });
      return { ok: res.ok, body: await res.json() };
    },
  };
}
