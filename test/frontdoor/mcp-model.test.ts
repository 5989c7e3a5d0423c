// issue 18: the model loop sees the admin's own MCP tools. `agent analyze ticket --model` against
// the scripted Messages API (test/llm, 127.0.0.1 via ANTHROPIC_BASE_URL) and the stdio MCP server
// written with the SDK (./mcp-stdio-server.mjs): the request's tool list carries the server's tools
// with their descriptions and schemas, the model's call of a read tool reaches the server and its
// answer comes back as data, and its call of a write tool becomes a pending approval (resumed as
// `agent mcp call`) instead of running.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson, ROOT } from '../helpers.js';
import { reply, startScriptedServer, step, text, toolUse } from '../llm/scripted-server.mjs';
import { openStateDb } from '../../src/store/state-db.js';

const SERVER = join(ROOT, 'test', 'frontdoor', 'mcp-stdio-server.mjs');
const KEY = 'sk-ant-api03-planted-mcp-model-key-0123456789';
const servers: Array<{ close(): Promise<void> }> = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  cleanupProjects();
});

describe('the model loop sees your MCP tools', () => {
  it('read tools run for the model; a write tool call asks the admin instead of running', async () => {
    const dir = makeProject('crm-agent-mcp-model-');
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'customers.ts'), 'export const customersTable = "customers";\n');
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ mcp: { server: { command: process.execPath, args: [SERVER], env: ['MCP_CALL_LOG'] } } }));
    const log = join(dir, 'calls.ndjson');
    const s = await startScriptedServer((body) => {
      if (!/BugHunter/.test(JSON.stringify(body.system))) return reply([text('Nothing to add.')]);
      if (step(body) === 0) return reply([text('Let me look as the admin would.'), toolUse('mcp_token_seen', {}), toolUse('mcp_create_customer', { name: 'Ada' })]);
      return reply([text('The server answers; the write waits for the admin.')]);
    });
    servers.push(s);
    const ticket = await agent(['create', 'ticket', 'Customers are missing from the list', '--json'], { cwd: dir });
    const id = (JSON.parse(ticket.stdout.trim().split('\n').at(-1)!) as { data: { ticket: { id: string } } }).data.ticket.id;
    const r = await agent(['analyze', 'ticket', id, '--model', '--json'], { cwd: dir, env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: s.url, MCP_CALL_LOG: log } });

    // The default understanding gate: the model found no cause, so the run stops there and says so.
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect((parseNdjson(r.stdout).at(-1) as { error: { message: string } }).error.message).toMatch(/blocked the understand phase: no root cause found that explains this ticket; .*\(confidence 0%, required 95%\); to unblock: /);
    const first = s.requests.find((q) => /BugHunter/.test(JSON.stringify(q.body?.system)))?.body;
    expect(first, r.stdout + r.stderr).toBeDefined();
    const tools = first.tools as Array<{ name: string; description: string; input_schema: { properties?: Record<string, unknown>; required?: string[] } }>;
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['search', 'mcp_list_customers', 'mcp_create_customer', 'mcp_delete_customer', 'mcp_token_seen', 'mcp_get_token']));
    const list = tools.find((t) => t.name === 'mcp_list_customers')!;
    expect(list.description).toBe("The admin's own CRM MCP server (production): list_customers, a read tool. It only reads; call it to see what the admin would see. Its description: List customers");
    const create = tools.find((t) => t.name === 'mcp_create_customer')!;
    expect(create.description).toMatch(/create_customer, a write tool\. Calling it does not run it: it asks the admin's approval/);
    expect(create.input_schema).toMatchObject({ type: 'object', properties: { name: { type: 'string' } }, required: ['name'] });
    expect(JSON.stringify(first.system)).toMatch(/Tools named mcp_\* are the admin's own CRM MCP server/);

    // The read tool reached the server (only the model calls token_seen); create_customer never ran.
    const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { tool: string }).tool) : [];
    expect(calls).toContain('token_seen');
    expect(calls).not.toContain('create_customer');
    const second = s.requests.filter((q) => /BugHunter/.test(JSON.stringify(q.body?.system)))[1]!.body;
    const results = second.messages.at(-1).content as Array<{ content: string; is_error?: boolean }>;
    expect(results[0]!.content).toMatch(/<tool_output source="mcp_token_seen">\n\{\n {2}"token": "unset",/);
    expect(results[1]).toMatchObject({ is_error: true, content: expect.stringMatching(/not run: calling create_customer \(write\) on production needs the admin's approval \(APR-1\); the admin decides with `agent approve APR-1`/) });

    const state = openStateDb(join(dir, '.agent', 'state.db'));
    try {
      const apr = state.approval('APR-1')!;
      expect(apr).toMatchObject({ status: 'pending', category: 'productionDeployment', requested_by: 'BugHunter', ticket_id: id, confirm: 'typed' });
      expect(JSON.parse(apr.resume!)).toEqual({ command: 'mcp call', args: { tool: 'create_customer', json: '{"name":"Ada"}', env: 'production' } });
    } finally {
      state.close();
    }
    // The admin's approval runs exactly the call the model asked for.
    const approved = await agent(['approve', 'APR-1', '--confirm', id], { cwd: dir, env: { MCP_CALL_LOG: log } });
    expect(approved.code, approved.stdout + approved.stderr).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tool: string; args: unknown }).at(-1)).toEqual({ tool: 'create_customer', args: { name: 'Ada' } });
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });
});
