// The MCP client to the admin's own tool server, against real servers on 127.0.0.1: the SDK's
// McpServer over Streamable HTTP, and a plain HTTP fake of the seed's edge function. Stdio and the
// handshake that tells them from a server that is not MCP: mcp-client-transports.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { connectMcp, probeMcp, toolsIn, type McpTarget } from '../../src/integrations/mcp-client.js';
import { WorkFailedError } from '../../src/errors.js';

const KEY = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.planted-mcp-client-signature';

let server: Server;
let base = '';
const edgeCalls: Array<{ path: string; method: string; auth?: string; body: unknown }> = [];

function toolServer(): McpServer {
  const s = new McpServer({ name: 'crm-tools', version: '1.0.0' });
  s.registerTool('create_customer', { description: 'Create a customer', inputSchema: { name: z.string() } }, async ({ name }) => ({
    content: [{ type: 'text', text: JSON.stringify({ id: 'C-1', name }) }],
  }));
  s.registerTool('list_jobs', { description: 'List jobs', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: '[]' }] }));
  s.registerTool('fail_tool', { description: 'Always fails', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'database is down' }], isError: true }));
  return s;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const raw = await bodyOf(req);
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${KEY}`) return send(401, { error: 'invalid service-role key' });
      if (path === '/mcp') {
        const mcp = toolServer();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => void transport.close().then(() => mcp.close()));
        await mcp.connect(transport);
        return transport.handleRequest(req, res, raw ? JSON.parse(raw) : undefined);
      }
      // The seed's edge function: POST {tool, arguments}.
      const body = raw ? (JSON.parse(raw) as { tool?: string; arguments?: Record<string, unknown> }) : undefined;
      edgeCalls.push({ path, method: req.method ?? '', auth: req.headers.authorization, body });
      if (path === '/functions/v1/mcp-server') {
        if (body?.tool === 'list_tools') return send(200, { tools: [{ name: 'create_customer', description: 'Create a customer' }, { name: 'list_jobs' }, { name: 'send_email_via_resend' }] });
        if (body?.tool === 'create_customer') return send(200, { id: 'C-7', ...body.arguments });
        return send(404, { error: `unknown tool ${body?.tool}` });
      }
      if (path === '/get-lists') {
        if (req.method === 'GET') return send(200, ['create_customer', 'list_jobs']);
        return send(404, { error: 'unknown tool' });
      }
      if (path === '/no-list') return req.method === 'GET' ? send(405, {}) : send(404, { error: 'unknown tool' });
      send(404, {});
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  cleanupProjects();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const signal = () => AbortSignal.timeout(5000);

describe('MCP client: Streamable HTTP', () => {
  it('lists and calls the tools of a real MCP server, sending the service-role bearer', async () => {
    const client = await connectMcp({ url: `${base}/mcp`, protocol: 'streamable-http', bearer: KEY });
    try {
      expect((await client.listTools()).map((t) => t.name)).toEqual(['create_customer', 'list_jobs', 'fail_tool']);
      expect(await client.callTool('create_customer', { name: 'Ada' })).toEqual({ id: 'C-1', name: 'Ada' });
      await expect(client.callTool('fail_tool')).rejects.toThrow(/tool fail_tool failed: database is down/);
    } finally {
      await client.close();
    }
    expect(await probeMcp({ url: `${base}/mcp`, protocol: 'streamable-http', bearer: 'wrong-key-value' }, signal())).toEqual({
      type: 'failing',
      detail: expect.stringMatching(/answered 401 \(the service-role bearer was refused\)/),
    });
  });

  it('agent health shows the server reachable and how many tools it offers', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ mcp: { url: `${base}/mcp`, protocol: 'streamable-http' } }));
    const r = await agent(['health', '--json'], { cwd: dir, env: { SUPABASE_SERVICE_ROLE_KEY: KEY } });
    const checks = (parseNdjson(r.stdout).at(-1)!.data as { checks: Array<{ name: string; status: string; detail: string }> }).checks;
    expect(checks.find((c) => c.name === 'mcp server')).toMatchObject({ status: 'ok', detail: `${base.slice(7)} reachable (streamable-http), 3 tools (1 read, 2 write): create_customer, list_jobs, fail_tool` });
    expect(r.stdout).not.toContain(KEY);
  });
});

describe('MCP client: edge function', () => {
  const edge = (path = '/functions/v1/mcp-server'): McpTarget => ({ url: `${base}${path}`, protocol: 'edge-function', bearer: KEY });

  it('posts {tool, arguments} with the bearer, and lists tools through list_tools', async () => {
    edgeCalls.length = 0;
    const client = await connectMcp(edge());
    expect((await client.listTools()).map((t) => t.name)).toEqual(['create_customer', 'list_jobs', 'send_email_via_resend']);
    expect(await client.callTool('create_customer', { name: 'Grace' })).toEqual({ id: 'C-7', name: 'Grace' });
    await expect(client.callTool('nope', {})).rejects.toThrow(WorkFailedError);
    await expect(client.callTool('nope', {})).rejects.toThrow(/answered 404 to tool nope: \{"error":"unknown tool nope"\}/);
    expect(edgeCalls.slice(0, 2)).toEqual([
      { path: '/functions/v1/mcp-server', method: 'POST', auth: `Bearer ${KEY}`, body: { tool: 'list_tools', arguments: {} } },
      { path: '/functions/v1/mcp-server', method: 'POST', auth: `Bearer ${KEY}`, body: { tool: 'create_customer', arguments: { name: 'Grace' } } },
    ]);
  });

  it('falls back to GET for the list; one that lists nothing is not an MCP server (no handshake, never ok)', async () => {
    expect(await probeMcp(edge('/get-lists'), signal())).toMatchObject({ type: 'ok', tools: ['create_customer', 'list_jobs'], protocol: 'edge-function' });
    expect(await probeMcp(edge('/no-list'), signal())).toEqual({ type: 'failing', detail: expect.stringMatching(/is not an MCP server: it answered list_tools: HTTP 404, GET: HTTP 405/) });
    expect(await probeMcp({ ...edge(), bearer: undefined }, signal())).toEqual({ type: 'failing', detail: expect.stringMatching(/answered 401 \(the service-role bearer was refused\) to list_tools/) });
  });

  it('agent health finds the edge function from SUPABASE_URL (no MCP handshake there, but its tool list) and names its tools', async () => {
    const dir = makeProject();
    const r = await agent(['health', '--json'], { cwd: dir, env: { SUPABASE_URL: base, SUPABASE_SERVICE_ROLE_KEY: KEY } });
    const checks = (parseNdjson(r.stdout).at(-1)!.data as { checks: Array<{ name: string; status: string; detail: string }> }).checks;
    expect(checks.find((c) => c.name === 'mcp server')).toMatchObject({ status: 'ok', detail: `${base.slice(7)} reachable (edge-function), 3 tools (1 read, 2 write): create_customer, list_jobs, send_email_via_resend` });

    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ mcp: { url: `${base}/no-list` } }));
    const quiet = await agent(['health', '--json'], { cwd: dir, env: { SUPABASE_SERVICE_ROLE_KEY: KEY } });
    const check = (parseNdjson(quiet.stdout).at(-1)!.data as { checks: Array<{ name: string; status: string; detail: string }> }).checks.find((c) => c.name === 'mcp server');
    expect(check).toMatchObject({ status: 'failing', detail: `${base.slice(7)} is not an MCP server: it answered initialize: HTTP 404, list_tools: HTTP 404, GET: HTTP 405; expected an MCP \`initialize\` result or an edge function's tool list` });
  });

  it('reads the tool list in the shapes edge functions answer with', () => {
    expect(toolsIn({ tools: [{ name: 'a', description: 'A', input_schema: { type: 'object' } }] })).toEqual([{ name: 'a', description: 'A', inputSchema: { type: 'object' } }]);
    expect(toolsIn({ result: { tools: ['a', 'b'] } })).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(toolsIn({ data: [] })).toEqual([]);
    expect(toolsIn({ error: 'unknown tool' })).toBeNull();
    expect(toolsIn([{ nameless: true }])).toBeNull();
  });
});
