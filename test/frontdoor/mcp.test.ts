// `agent mcp` through the MCP SDK's own client over stdio, in real temp git repositories.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { agent, CLI, cleanupProjects, makeProject, parseNdjson, ROOT, testEnv, waitFor } from '../helpers.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { closeClients, mcpClient, textOf } from './mcp-helpers.js';

afterEach(closeClients);
afterAll(cleanupProjects);

const year = new Date().getUTCFullYear();

describe('agent mcp: tools/list', () => {
  it('offers every visible command but mcp, dashboard, approve, reject and the shell-only ones, with schemas, titles and hints', async () => {
    const client = await mcpClient(makeProject());
    expect(client.getServerVersion()).toMatchObject({ name: 'crm-agent' });
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    const expected = COMMANDS.filter((c) => !c.hidden && !c.shellOnly && !['mcp', 'dashboard', 'approve', 'reject'].includes(c.name)).map((c) => c.name.replace(/[ -]/g, '_'));
    expect([...names].sort()).toEqual([...expected].sort());
    expect(names).toEqual(expect.arrayContaining(['create_ticket', 'status', 'approvals', 'email', 'init']));
    for (const forbidden of ['approve', 'reject', 'mcp', 'emergency_access', 'demo']) expect(names).not.toContain(forbidden);
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('status')).toMatchObject({ title: 'Status', annotations: { title: 'Status', readOnlyHint: true } });
    expect(byName.get('create_ticket')!.annotations).toEqual({ title: 'Create ticket', readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(byName.get('agents_purge_logs')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('init')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true });
    for (const t of tools) {
      expect(t.title, t.name).toMatch(/^[A-Z]/);
      expect(t.outputSchema, t.name).toMatchObject({ type: 'object', required: ['status', 'exitCode', 'summary', 'warnings', 'data'] });
    }

    const create = tools.find((t) => t.name === 'create_ticket')!;
    expect(create.description).toMatch(/^Create a work item/);
    expect(create.description).toMatch(/`agent create ticket /);
    expect(create.inputSchema).toMatchObject({
      type: 'object',
      required: ['description'],
      additionalProperties: false,
      properties: {
        description: { type: 'string', minLength: 3, description: expect.stringMatching(/plain words/) },
        kind: { type: 'string', enum: ['BUG', 'FEAT', 'MIG', 'OPS'] },
        priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] },
      },
    });
    const logs = tools.find((t) => t.name === 'logs')!;
    expect(Object.keys(logs.inputSchema.properties!)).not.toContain('follow'); // a tool call has to end
    expect(tools.find((t) => t.name === 'approvals')!.inputSchema.properties).toMatchObject({ all: { type: 'boolean' } });
  });
});

describe('agent init, then Claude Code', () => {
  it('registers the server in .mcp.json; its tools create a ticket the CLI then lists', async () => {
    const dir = makeProject();
    const init = await agent(['init'], { cwd: dir });
    expect(init.code).toBe(0);
    const entry = (JSON.parse(readFileSync(join(dir, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> }).mcpServers['crm-agent']!;
    // crm-agent is not installed in this project: this install, by absolute paths.
    expect(entry).toEqual({ command: process.execPath, args: [join(ROOT, 'bin', 'agent.js'), 'mcp'] });

    const client = await mcpClient(dir, { command: entry.command, args: entry.args });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('create_ticket');
    const logged: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logged.push(String(n.params.data)));
    const result = await client.callTool({ name: 'create_ticket', arguments: { description: 'Invoices are sent twice to the same customer', kind: 'BUG', priority: 'high' } });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { status: string; summary: string; data: { ticket: { id: string; createdBy: string } } };
    expect(structured.data.ticket).toMatchObject({ id: `BUG-${year}-001`, createdBy: 'mcp' });
    const [summary, json] = result.content as Array<{ text: string }>;
    expect(JSON.parse(json!.text)).toEqual(structured.data);
    expect(summary!.text).toContain(`[ORCHESTRATOR] ✓ Ticket created: BUG-${year}-001`);
    expect(structured).toMatchObject({ status: 'ok', summary: summary!.text });
    await waitFor(() => logged.length > 0);
    expect(logged).toEqual([`[ORCHESTRATOR] ✓ Ticket created: BUG-${year}-001`]);
    await client.close();

    const list = await agent(['tickets', '--json'], { cwd: dir });
    expect(list.code).toBe(0);
    const tickets = (parseNdjson(list.stdout).at(-1)!.data as { tickets: Array<Record<string, unknown>> }).tickets;
    expect(tickets).toEqual([expect.objectContaining({ id: `BUG-${year}-001`, priority: 'high', createdBy: 'mcp', title: 'Invoices are sent twice to the same customer' })]);
  });
});

describe('agent mcp: bad input', () => {
  it('answers bad arguments with a clear tool error and creates nothing', async () => {
    const dir = makeProject();
    const client = await mcpClient(dir);
    const call = (args: Record<string, unknown>) => client.callTool({ name: 'create_ticket', arguments: args });

    const short = await call({ description: 'x' });
    expect(short.isError).toBe(true);
    expect(textOf(short)).toMatch(/^Invalid arguments: .*<description>: expected at least 3 character.*\nusage: agent create ticket <description\.\.\.> \[--kind /);
    expect(short.structuredContent).toMatchObject({ status: 'error', error: { code: 'usage', usage: expect.stringMatching(/^agent create ticket /) }, exitCode: 2, summary: textOf(short) });

    expect(textOf(await call({ description: 'checkout is broken', kind: 'BUGS' }))).toMatch(/kind.*"BUG"|kind.*BUG, FEAT/);
    expect(textOf(await call({ descripton: 'checkout is broken' }))).toMatch(/unknown argument "descripton"; it takes description, kind, priority/);
    expect(textOf(await call({}))).toMatch(/create_ticket needs "description"/);
    for (const r of [await call({ description: 'checkout is broken', kind: 'BUGS' }), await call({})]) expect(r.isError).toBe(true);

    await expect(client.callTool({ name: 'approve', arguments: { id: 'APR-1' } })).rejects.toThrow(/unknown tool "approve"/);
    const tickets = await client.callTool({ name: 'tickets', arguments: {} });
    expect(tickets.structuredContent).toMatchObject({ status: 'ok', data: { tickets: [] } });
  });
});

describe('agent mcp: approvals', () => {
  it('an action that needs approval answers with the approval id; only the admin can decide it', async () => {
    const dir = makeProject();
    const client = await mcpClient(dir);
    const result = await client.callTool({ name: 'emergency_maintenance', arguments: { mode: 'on' } });
    expect(result.isError).toBe(false);
    expect(result.structuredContent).toMatchObject({
      status: 'approval_required',
      exitCode: 3,
      data: null,
      approval: { id: 'APR-1', action: 'maintenance mode on', category: 'emergency', risk: 'critical', confirm: 'APR-1', command: 'agent approve APR-1 --confirm APR-1' },
    });
    expect(textOf(result)).toMatch(/^Approval required: maintenance mode on\. Nothing was done; the request is pending as APR-1 \(emergency, critical risk\)\. Only the admin can approve it/);

    const pending = await client.callTool({ name: 'approvals', arguments: {} });
    expect((pending.structuredContent as { data: { approvals: Array<Record<string, unknown>> } }).data.approvals).toEqual([
      expect.objectContaining({ id: 'APR-1', status: 'pending', category: 'emergency', requestedBy: 'ORCHESTRATOR' }),
    ]);
    await expect(client.callTool({ name: 'reject', arguments: { id: 'APR-1' } })).rejects.toThrow(/unknown tool "reject"/);

    // Over MCP, email reaches the admin only.
    const email = await client.callTool({ name: 'email', arguments: { message: 'hello', to: 'someone@example.com' } });
    expect(email.isError).toBe(true);
    expect(textOf(email)).toMatch(/over MCP, email goes only to the admin/);
    await client.close();

    const audit = parseNdjson((await agent(['audit', '--json'], { cwd: dir })).stdout).at(-1)!.data as { entries: Array<Record<string, unknown>> };
    expect(audit.entries).toEqual(expect.arrayContaining([expect.objectContaining({ initiator: 'mcp', action: 'approval.requested', approval: 'APR-1' })]));
    const approved = await agent(['approve', 'APR-1', '--confirm', 'APR-1'], { cwd: dir });
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/Maintenance mode on/);
  });
});

describe('agent mcp: stdout carries protocol messages only', () => {
  it('every byte on stdout is JSON-RPC, secrets are redacted, and it answers what was asked before stdin closed', async () => {
    const dir = makeProject();
    const secret = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.planted-service-role-signature';
    const child = spawn(process.execPath, [CLI, 'mcp'], { cwd: dir, env: testEnv({ SUPABASE_SERVICE_ROLE_KEY: secret }), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const send = (msg: object) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...msg }) + '\n');
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/call', params: { name: 'create_ticket', arguments: { description: `Login fails; the key ${secret} was pasted here` }, _meta: { progressToken: 'p2' } } });
    send({ id: 3, method: 'tools/call', params: { name: 'status', arguments: {} } });
    child.stdin.end();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    const messages = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { jsonrpc: string; id?: number; result?: { isError?: boolean; content: Array<{ text: string }> } });
    for (const m of messages) expect(m.jsonrpc).toBe('2.0');
    const byId = new Map(messages.filter((m) => m.id !== undefined).map((m) => [m.id, m]));
    expect([...byId.keys()].sort()).toEqual([1, 2, 3]);
    expect(byId.get(2)!.result!.isError).toBeFalsy();
    expect(byId.get(3)!.result!.isError).toBeFalsy();
    expect(stdout).not.toContain(secret);
    expect(byId.get(2)!.result!.content[1]!.text).toContain('[redacted:SUPABASE_SERVICE_ROLE_KEY]');
    // Progress is sent before the response it belongs to (a client drops it after).
    const order = messages.map((m) => (m.id !== undefined ? `result ${m.id}` : (m as { method?: string; params?: { progressToken?: string } }).params?.progressToken ?? ''));
    expect(order.indexOf('p2')).toBeGreaterThan(-1);
    expect(order.indexOf('p2')).toBeLessThan(order.indexOf('result 2'));
  });
});
