// issue 18: the admin's own MCP server over every transport, against real servers written with the
// MCP SDK (stdio: ./mcp-stdio-server.mjs started by the CLI; Streamable HTTP on 127.0.0.1) and a
// plain HTTP server that is not MCP: health lists the tools or fails, `mcp tools` / `mcp call` list
// and call them under the approval policy, BugHunter's evidence comes from tools/list and a read
// tool's response, and model mode is chosen, never taken from a key in the environment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { agent, cleanupProjects, makeProject, parseNdjson, ROOT } from '../helpers.js';
import { connectMcp, probeMcp, stdioEnv, toolAccess } from '../../src/integrations/mcp-client.js';
import { jsonErrorAt, parseToolArgs } from '../../src/commands/mcp-client-run.js';
import { evidenceItems, reproduceThroughMcp } from '../../agents/bug-hunter/mcp-evidence.js';
import { defaultConfig } from '../../src/config/config.js';
import { llmMode } from '../../src/integrations/llm/settings.js';
import { decideApproval, mcpToolRequest } from '../../src/engine/approval-policy.js';
import { openStateDb } from '../../src/store/state-db.js';

const SERVER = join(ROOT, 'test', 'frontdoor', 'mcp-stdio-server.mjs');
let http: Server;
let base = '';

beforeAll(async () => {
  http = createServer((req, res) => {
    void (async () => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      if (req.url === '/mcp') {
        const mcp = new McpServer({ name: 'crm-http', version: '1.0.0' });
        mcp.registerTool('list_jobs', { description: 'List jobs', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: '[{"id":"J-1"}]' }] }));
        mcp.registerTool('create_job', { description: 'Create a job', inputSchema: { title: z.string() } }, async () => ({ content: [{ type: 'text', text: '{"ok":true}' }] }));
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => void transport.close().then(() => mcp.close()));
        await mcp.connect(transport);
        return transport.handleRequest(req, res, raw ? JSON.parse(raw) : undefined);
      }
      // Any other path: a web app that answers every request, but speaks no MCP.
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>CRM</html>');
    })();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  cleanupProjects();
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

type Check = { name: string; status: string; detail: string };
const checks = (stdout: string) => (parseNdjson(stdout).at(-1)!.data as { checks: Check[] }).checks;

/** A project whose agent.config.json starts the stdio server; its calls are logged to calls.ndjson. */
function stdioProject(extra: Record<string, unknown> = {}): { dir: string; calls: () => Array<{ tool: string; args: unknown }> } {
  const dir = makeProject('crm-agent-mcp-stdio-');
  writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ mcp: { server: { command: process.execPath, args: [SERVER], env: ['MCP_CALL_LOG', 'CRM_TOKEN'] } }, ...extra }));
  const file = join(dir, 'calls.ndjson');
  return { dir, calls: () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tool: string; args: unknown }) : []) };
}
const envFor = (dir: string) => ({ MCP_CALL_LOG: join(dir, 'calls.ndjson'), CRM_TOKEN: 'tok-planted-crm-7f3a9c', SUPABASE_SERVICE_ROLE_KEY: 'service-role-planted-b41c9e' });

describe('health: the handshake decides, and the tools are named', () => {
  it('a stdio server from mcp.server and a Streamable HTTP server found without naming the protocol', async () => {
    const { dir } = stdioProject();
    const other = makeProject();
    writeFileSync(join(other, 'agent.config.json'), JSON.stringify({ mcp: { url: `${base}/mcp` } }));
    const [stdio, streamable] = await Promise.all([agent(['health', '--json'], { cwd: dir, env: { ...envFor(dir), CRM_TOKEN: undefined } }), agent(['health', '--json'], { cwd: other })]);
    expect(checks(stdio.stdout).find((c) => c.name === 'mcp server')).toMatchObject({
      status: 'ok',
      detail: `${process.execPath} ${SERVER} reachable (stdio), 5 tools (3 read, 1 write, 1 destructive): list_customers, create_customer, delete_customer, token_seen, get_token; mcp.server.env names CRM_TOKEN, set neither in the environment nor in .env`,
    });
    expect(checks(streamable.stdout).find((c) => c.name === 'mcp server')).toMatchObject({ status: 'ok', detail: `${base.slice(7)} reachable (streamable-http), 2 tools (1 read, 1 write): list_jobs, create_job` });
  });

  it("each environment's own server (environments.<env>.mcp): stdio and Streamable HTTP after their handshake, a web app failing, none said", async () => {
    const both = makeProject();
    writeFileSync(join(both, 'agent.config.json'), JSON.stringify({ environments: { staging: { mcp: { server: { command: process.execPath, args: [SERVER], env: ['CRM_TOKEN'] } } }, production: { mcp: { url: `${base}/mcp` } } } }));
    const web = makeProject();
    writeFileSync(join(web, 'agent.config.json'), JSON.stringify({ environments: { staging: { mcp: { url: `${base}/app` } }, production: { mcp: { protocol: 'streamable-http' } } } }));
    const none = makeProject();
    const [a, b, c] = await Promise.all([agent(['health', '--json'], { cwd: both, env: { CRM_TOKEN: 'tok-planted-env-health-51d2' } }), agent(['health', '--json'], { cwd: web }), agent(['health', '--json'], { cwd: none })]);
    const by = (r: typeof a) => Object.fromEntries(checks(r.stdout).map((x) => [x.name, x]));
    expect(by(a)['staging mcp server']).toMatchObject({ status: 'ok', detail: `${process.execPath} ${SERVER} reachable (stdio), 5 tools (3 read, 1 write, 1 destructive): list_customers, create_customer, delete_customer, token_seen, get_token` });
    expect(by(a)['production mcp server']).toMatchObject({ status: 'ok', detail: `${base.slice(7)} reachable (streamable-http), 2 tools (1 read, 1 write): list_jobs, create_job` });
    expect(by(a)['mcp server']).toMatchObject({ status: 'not_configured' });
    expect(a.code, a.stdout).toBe(0);
    expect(by(b)['staging mcp server']).toMatchObject({ status: 'failing', detail: expect.stringMatching(/^127\.0\.0\.1:\d+ is not an MCP server: it answered initialize: .*list_tools: HTTP 200, GET: HTTP 200/) });
    expect(by(b)['production mcp server']).toMatchObject({ status: 'failing', detail: 'environments.production.mcp names neither a server nor a url' });
    expect(b.code).toBe(1);
    for (const env of ['staging', 'production']) expect(by(c)[`${env} mcp server`]).toMatchObject({ status: 'not_configured', detail: `set environments.${env}.mcp in agent.config.json (server: a stdio command like an entry of .mcp.json, or url) so the agents call ${env}'s own tools` });
    expect(a.stdout + b.stdout).not.toContain('tok-planted-env-health-51d2');
  });

  it('an HTTP server that is not MCP is failing, with what it answered; a command that is not a server fails too', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ mcp: { url: `${base}/app` } }));
    const r = await agent(['health', '--json'], { cwd: dir });
    const check = checks(r.stdout).find((c) => c.name === 'mcp server')!;
    expect(check.status).toBe('failing');
    expect(check.detail).toMatch(/is not an MCP server: it answered initialize: .*list_tools: HTTP 200, GET: HTTP 200/);
    expect(r.code).not.toBe(0);

    const quiet = await probeMcp({ command: process.execPath, args: ['-e', 'process.stdin.resume()'], env: {} }, AbortSignal.timeout(10_000), 400);
    expect(quiet).toEqual({ type: 'failing', detail: expect.stringMatching(/no answer to initialize within 400 ms \(network\.timeoutMs\)/) });
    const gone = await probeMcp({ command: process.execPath, args: ['-e', 'process.exit(3)'], env: {} }, AbortSignal.timeout(10_000), 5000);
    expect(gone).toEqual({ type: 'failing', detail: expect.stringMatching(/closed the connection during initialize/) });
  });
});

describe('mcp tools and mcp call', () => {
  it('lists the tools with their schemas, and passes only the named variables to the server', async () => {
    const { dir } = stdioProject();
    const [r, seen, echoed] = await Promise.all([
      agent(['mcp', 'tools', '--json'], { cwd: dir, env: envFor(dir) }),
      agent(['mcp', 'call', 'token_seen'], { cwd: dir, env: envFor(dir) }),
      agent(['mcp', 'call', 'get_token', '--json'], { cwd: dir, env: envFor(dir) }),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const tools = (parseNdjson(r.stdout).at(-1)!.data as { tools: Array<{ name: string; access: string; inputSchema: { properties?: object; required?: string[] } }> }).tools;
    expect(tools.map((t) => [t.name, t.access])).toEqual([['list_customers', 'read'], ['create_customer', 'write'], ['delete_customer', 'destructive'], ['token_seen', 'read'], ['get_token', 'read']]);
    expect(tools[1]!.inputSchema).toMatchObject({ properties: { name: { type: 'string' } }, required: ['name'] });

    expect(seen.code, seen.stderr).toBe(0);
    expect(seen.stdout).toContain('"token": "set"');
    expect(seen.stdout).toContain('"service": "unset"'); // not named in mcp.server.env: never passed
    // A server that echoes a secret back: the answer is shown, the secret is not.
    expect(echoed.code, echoed.stderr).toBe(0);
    expect(parseNdjson(echoed.stdout).at(-1)!.data).toMatchObject({ tool: 'get_token', result: { token: expect.stringMatching(/redacted/) } });
    expect(echoed.stdout).not.toContain(envFor(dir).CRM_TOKEN);
  });

  it('a read tool runs and returns its result; a write tool in production asks (exit 3) and calls nothing; bad JSON is exit 2 at its position', async () => {
    const { dir, calls } = stdioProject();
    const read = await agent(['mcp', 'call', 'list_customers', '{}', '--json'], { cwd: dir, env: envFor(dir) });
    expect(read.code, read.stderr).toBe(0);
    expect(parseNdjson(read.stdout).at(-1)!.data).toMatchObject({ tool: 'list_customers', access: 'read', env: 'production', result: [] });

    const [write, bad] = await Promise.all([
      agent(['mcp', 'call', 'create_customer', '{"name":"Ada"}', '--env', 'production'], { cwd: dir, env: envFor(dir) }),
      agent(['mcp', 'call', 'create_customer', '{"name": Ada}'], { cwd: dir, env: envFor(dir) }),
    ]);
    expect(write.code, write.stdout + write.stderr).toBe(3);
    expect(write.stderr).toMatch(/agent approve APR-\d+/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not valid JSON at position 9/);
    expect(calls().map((c) => c.tool)).toEqual(['list_customers']); // create_customer never ran
  });

  it('the JSON argument and a tool\'s access, decided without a server', () => {
    expect(parseToolArgs(undefined)).toEqual({});
    expect(parseToolArgs('{"a":1}')).toEqual({ a: 1 });
    expect(() => parseToolArgs('[1]')).toThrow(/must be a JSON object, not an array/);
    expect(() => parseToolArgs('{"a":')).toThrow(/not valid JSON at position 5/);
    expect([jsonErrorAt('{"a":[1,2,{"b":null}],"c":"\\u00e9"}'), jsonErrorAt('{"a":1}x'), jsonErrorAt('{a:1}'), jsonErrorAt('{"a":tru}'), jsonErrorAt('"x')]).toEqual([null, 7, 1, 8, 2]);
    expect(toolAccess({ name: 'get_job' })).toBe('read');
    expect(toolAccess({ name: 'get_job', annotations: { readOnlyHint: false } })).toBe('write');
    expect(toolAccess({ name: 'send_email', annotations: { readOnlyHint: true } })).toBe('read');
    expect(toolAccess({ name: 'purge', annotations: { destructiveHint: true } })).toBe('destructive');
    expect(stdioEnv(['A', 'B'], (n) => (n === 'A' ? 'x' : undefined))).toEqual({ env: { A: 'x' }, missing: ['B'] });
    // What each call asks of the policy: nothing for a read, the environment's deployment for a write, destructive when marked so.
    const policy = defaultConfig('crm').approvals;
    expect(mcpToolRequest('list_jobs', 'read', 'production', 'srv', '{}')).toBeNull();
    const prod = mcpToolRequest('create_job', 'write', 'production', 'srv', '{"title":"x"}')!;
    expect(prod).toMatchObject({ category: 'productionDeployment', resume: { command: 'mcp call', args: { tool: 'create_job', json: '{"title":"x"}', env: 'production' } } });
    expect(decideApproval(prod.category, policy)).toMatchObject({ type: 'ask-user', confirm: 'typed' });
    expect(decideApproval(mcpToolRequest('create_job', 'write', 'staging', 'srv', '{}')!.category, policy).type).toBe('auto-approve');
    expect(decideApproval(mcpToolRequest('purge', 'destructive', 'staging', 'srv', '{}')!.category, policy)).toMatchObject({ type: 'ask-user', confirm: 'typed', risk: 'critical' });
  });

  it('the client speaks Streamable HTTP when the protocol is not named', async () => {
    const client = await connectMcp({ url: `${base}/mcp` }, { timeoutMs: 5000 });
    try {
      expect(client.protocol).toBe('streamable-http');
      expect(await client.callTool('list_jobs')).toEqual([{ id: 'J-1' }]);
    } finally {
      await client.close();
    }
  });
});

describe('BugHunter reproduces through the server', () => {
  const ctx = (dir: string, logs: string[]) => {
    const config = defaultConfig('crm');
    config.mcp.server = { command: process.execPath, args: [SERVER], env: [] };
    config.network.timeoutMs = 10_000;
    return { config, signal: AbortSignal.timeout(20_000), log: (_l: string, m: string) => void logs.push(m) };
  };

  it('names a tool the code calls that the server does not register, and records a read tool\'s request and response', async () => {
    const logs: string[] = [];
    const dir = makeProject();
    const files = [
      { path: 'lib/customers.ts', content: "export const add = (c: Client) => c.callTool('create_customer', { name });\n" },
      { path: 'lib/invoices.ts', content: "\n\nexport const send = (c: Client) => c.callTool('send_invoice', {});\n" },
    ];
    const e = await reproduceThroughMcp(ctx(dir, logs), { root: dir, ticketText: 'create_customer says success but no customer is saved, and invoices fail', files });
    expect(e).toMatchObject({ status: 'gathered', protocol: 'stdio', tools: 5 });
    if (e.status !== 'gathered') return;
    expect(e.findings.map((f) => [f.tool, f.registered])).toEqual([['create_customer', true], ['send_invoice', false]]);
    expect(e.findings[1]!.text).toBe(`tools/list of ${process.execPath} ${SERVER}: send_invoice (called at lib/invoices.ts:3) is not registered; the server lists 5 tools`);
    expect(e.calls).toEqual([{ tool: 'list_customers', request: {}, response: [], shows: 'no rows' }]);
    const items = evidenceItems(e);
    // "no customer is saved": the write tool is named, but the admin's server counts as production, so it is not called.
    expect(items.map((i) => [i.item, i.ok])).toEqual([['Checked the tools the code calls against tools/list', false], ['Called the read tools the symptom involves', true], ['Called the write tool the symptom names and looked for its row', false]]);
    expect(items[2]!.evidence).toBe("skipped: the ticket gives no example arguments for create_customer (as JSON after its name, e.g. create_customer {\"name\":\"Ada\"})");
    expect(items[1]!.evidence).toBe('list_customers {} -> [] (no rows)');
    expect(logs).toContain('MCP call list_customers {} -> [] (no rows)');
  });

  it('agent analyze ticket: the root cause carries the fact from tools/list, and the read tool\'s call is an event', async () => {
    const { dir } = stdioProject();
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'invoices.ts'), "export async function sendInvoice(c: { callTool(n: string, a: object): Promise<unknown> }) {\n  return c.callTool('send_invoice', { id: 1 });\n}\n");
    spawnSync('git', ['add', '-A'], { cwd: dir });
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-q', '-m', 'init'], { cwd: dir });
    const env = envFor(dir);
    await agent(['create', 'ticket', 'Sending an invoice fails: send_invoice is not found, and no customer list shows'], { cwd: dir, env });
    const r = await agent(['analyze', 'ticket', `BUG-${new Date().getUTCFullYear()}-001`, '--json'], { cwd: dir, env });
    // The default understanding gate (95%): tools/list is part of understanding the ticket.
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = parseNdjson(r.stdout);
    const state = openStateDb(join(dir, '.agent', 'state.db'));
    try {
      const understood = state.db.prepare("select item, ok, evidence from checklist where phase = 'understand' order by id").all() as Array<{ item: string; ok: number; evidence: string }>;
      expect(understood).toContainEqual({ item: 'Checked the tools the code calls against tools/list', ok: 0, evidence: expect.stringContaining('send_invoice (called at lib/invoices.ts:2) is not registered') });
    } finally {
      state.close();
    }
    const causes = (lines.at(-1)!.data as { analysis: { rootCauses: Array<{ subject: string; evidence: string[] }> } }).analysis.rootCauses;
    expect(causes.find((c) => c.subject === 'send_invoice')?.evidence).toContain(`tools/list of ${process.execPath} ${SERVER}: send_invoice (called at lib/invoices.ts:2) is not registered; the server lists 5 tools`);
    expect(lines.map((l) => (l as { message?: string }).message)).toContain('MCP call list_customers {} -> [] (no rows)');
  });

  it('without a server it says it skipped this and why', async () => {
    const logs: string[] = [];
    const c = { ...ctx('', logs), config: defaultConfig('crm') };
    const dir = makeProject();
    const e = await reproduceThroughMcp(c, { root: dir, ticketText: 'x fails', files: [] });
    expect(e).toEqual({ status: 'skipped', reason: expect.stringMatching(/^no MCP server is configured \(set mcp\.server/) });
    expect(evidenceItems(e)).toEqual([{ item: 'Reproduced through the MCP server', ok: false, evidence: `skipped: ${(e as { reason: string }).reason}` }]);
    expect(logs[0]).toMatch(/^Reproduction through the MCP server skipped: no MCP server is configured/);
  });
});

describe('with no MCP server configured, the understanding gate still decides honestly', () => {
  it('a ticket about a tool that nothing explains is blocked naming what is missing and how to unblock; a ticket that states no failure is not reproduced at all', async () => {
    const dir = makeProject('crm-agent-mcp-none-');
    const create = async (text: string) => (parseNdjson((await agent(['create', 'ticket', text, '--json'], { cwd: dir })).stdout).at(-1)!.data as { ticket: { id: string } }).ticket.id;
    const tool = await create('create_customer {"name":"Ada"} answers success but no customer row is saved');
    const vague = await create('Customer page');
    const [r, v] = [await agent(['analyze', 'ticket', tool, '--json'], { cwd: dir }), await agent(['analyze', 'ticket', vague, '--json'], { cwd: dir })];
    const message = (x: typeof r) => (parseNdjson(x.stdout).at(-1) as { error: { message: string } }).error.message;
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(message(r)).toMatch(/blocked the understand phase: no root cause found that explains this ticket; checked .*; not reproduced: no MCP server is configured \(confidence 0%, required 95%\); to unblock: set environments\.staging\.mcp \(or mcp\.server \/ mcp\.url\) in agent\.config\.json so BugHunter reproduces it through your MCP server \(`agent health` checks it\); or name in the ticket what fails/);
    expect(v.code).toBe(4);
    expect(message(v)).toMatch(/blocked the understand phase: the ticket states no failing behaviour \(confidence 0%, required 95%\); to unblock: name in the ticket what fails/);
    const state = openStateDb(join(dir, '.agent', 'state.db'));
    try {
      const rows = state.db.prepare("select ticket_id, item, ok, evidence from checklist join runs on runs.id = checklist.run_id where phase = 'understand' and item = 'Reproduced through the MCP server'").all() as Array<{ ticket_id: string; ok: number; evidence: string }>;
      expect(rows.map((x) => [x.ticket_id, x.ok, x.evidence.replace(/ \(set mcp\.server.*$/, '')])).toEqual([[tool, 0, 'skipped: no MCP server is configured']]);
    } finally {
      state.close();
    }
  });
});

describe('model mode is chosen, not taken from the key', () => {
  it('a key in the environment leaves the agents offline until llm.enabled or --model; status and health say which key', async () => {
    const config = defaultConfig('crm');
    expect(llmMode(config, { source: () => 'env' })).toMatchObject({ on: false, keySource: 'env' });
    config.llm.enabled = true;
    expect(llmMode(config, { source: () => '.env' })).toMatchObject({ on: true, keySource: '.env', detail: expect.stringMatching(/the project's \.env/) });
    expect(llmMode(config, { source: () => null })).toMatchObject({ on: false, detail: expect.stringMatching(/llm\.enabled is on but ANTHROPIC_API_KEY is not set/) });

    const dir = makeProject();
    const env = { ANTHROPIC_API_KEY: 'sk-ant-api03-planted-claude-code-key-000' };
    const [off, on, health] = await Promise.all([
      agent(['status', '--json'], { cwd: dir, env }),
      agent(['status', '--model', '--json'], { cwd: dir, env }),
      agent(['health', '--json'], { cwd: dir, env: { ...env, ANTHROPIC_BASE_URL: `${base}/anthropic` } }), // any path but /mcp answers 200
    ]);
    expect(checks(health.stdout).find((c) => c.name === 'anthropic')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/answered 200; offline: ANTHROPIC_API_KEY is set \(env\) but model mode is off/) });
    expect((parseNdjson(off.stdout).at(-1)!.data as { model: unknown }).model).toMatchObject({ on: false, keySource: 'env', detail: expect.stringMatching(/set llm\.enabled in agent\.config\.json \(or pass --model\)/) });
    expect((parseNdjson(on.stdout).at(-1)!.data as { model: unknown }).model).toMatchObject({ on: true, keySource: 'env', detail: expect.stringMatching(/with the ANTHROPIC_API_KEY from the environment/) });
    expect(off.stdout + on.stdout + health.stdout).not.toContain(env.ANTHROPIC_API_KEY);
  });
});
