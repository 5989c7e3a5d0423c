// `agent mcp` through the MCP SDK's own client over stdio, in real temp git repositories.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, CLI, cleanupProjects, makeProject, parseNdjson, ROOT, testEnv } from '../helpers.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { closeClients, mcpClient, textOf } from './mcp-helpers.js';

afterEach(closeClients);
afterAll(cleanupProjects);

const year = new Date().getUTCFullYear();

describe('agent mcp: tools/list', () => {
  it('offers every visible command but mcp, dashboard, approve and reject, with input schemas', async () => {
    const client = await mcpClient(makeProject());
    expect(client.getServerVersion()).toMatchObject({ name: 'crm-agent' });
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    const expected = COMMANDS.filter((c) => !c.hidden && !['mcp', 'dashboard', 'approve', 'reject', 'emergency access'].includes(c.name)).map((c) => c.name.replace(/[ -]/g, '_'));
    expect([...names].sort()).toEqual([...expected].sort());
    expect(names).toEqual(expect.arrayContaining(['create_ticket', 'status', 'approvals', 'email', 'init']));
    for (const forbidden of ['approve', 'reject', 'mcp', 'emergency_access']) expect(names).not.toContain(forbidden);

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
    const progress: string[] = [];
    const result = await client.callTool(
      { name: 'create_ticket', arguments: { description: 'Invoices are sent twice to the same customer', kind: 'BUG', priority: 'high' } },
      undefined,
      { onprogress: (p) => void progress.push(String(p.message)) },
    );
    expect(result.isError).toBeFalsy();
    const ticket = (result.structuredContent as { ticket: { id: string; createdBy: string } }).ticket;
    expect(ticket).toMatchObject({ id: `BUG-${year}-001`, createdBy: 'mcp' });
    expect(JSON.parse(textOf({ content: [(result.content as unknown[])[0]] }))).toEqual(result.structuredContent);
    expect(textOf(result)).toContain(`[ORCHESTRATOR] ✓ Ticket created: BUG-${year}-001`);
    expect(progress).toEqual([`[ORCHESTRATOR] ✓ Ticket created: BUG-${year}-001`]);
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
    expect(textOf(short)).toMatch(/^Invalid arguments: .*<description>: expected at least 3 character/);
    expect(short.structuredContent).toMatchObject({ status: 'error', error: { code: 'usage' }, exitCode: 2 });

    expect(textOf(await call({ description: 'checkout is broken', kind: 'BUGS' }))).toMatch(/kind.*"BUG"|kind.*BUG, FEAT/);
    expect(textOf(await call({ descripton: 'checkout is broken' }))).toMatch(/unknown argument "descripton"; it takes description, kind, priority/);
    expect(textOf(await call({}))).toMatch(/create_ticket needs "description"/);
    for (const r of [await call({ description: 'checkout is broken', kind: 'BUGS' }), await call({})]) expect(r.isError).toBe(true);

    await expect(client.callTool({ name: 'approve', arguments: { id: 'APR-1' } })).rejects.toThrow(/unknown tool "approve"/);
    const tickets = await client.callTool({ name: 'tickets', arguments: {} });
    expect(tickets.structuredContent).toEqual({ tickets: [] });
  });
});

describe('agent mcp: approvals', () => {
  it('an action that needs approval answers with the approval id; only the admin can decide it', async () => {
    const dir = makeProject();
    const client = await mcpClient(dir);
    const result = await client.callTool({ name: 'emergency_maintenance', arguments: { mode: 'on' } });
    expect(result.isError).toBe(false);
    expect(result.structuredContent).toEqual({ status: 'approval_required', approvalId: 'APR-1', action: 'maintenance mode on', exitCode: 3 });
    expect(textOf(result)).toMatch(/^Approval required: maintenance mode on\. Nothing was done yet; the request is pending as APR-1\. Only the admin can approve it/);

    const pending = await client.callTool({ name: 'approvals', arguments: {} });
    expect((pending.structuredContent as { approvals: Array<Record<string, unknown>> }).approvals).toEqual([
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
    send({ id: 2, method: 'tools/call', params: { name: 'create_ticket', arguments: { description: `Login fails; the key ${secret} was pasted here` } } });
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
    expect(byId.get(2)!.result!.content[0]!.text).toContain('[redacted:SUPABASE_SERVICE_ROLE_KEY]');
  });
});
