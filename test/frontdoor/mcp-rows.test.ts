// issue 18: a write tool that answers success without a row, against a Streamable HTTP MCP server
// written with the MCP SDK (127.0.0.1) and a PostgREST-compatible handler over real PGlite (what
// supabase-js reads staging's rows through). BugHunter records the call and the missing row, only
// where the policy lets a write run unattended (staging's own server); StageAgent's verification
// finds the row a fixed tool creates, fails on the buggy one, and says why it skipped otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createClient } from '@supabase/supabase-js';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { startPostgrest, type Postgrest } from './mcp-postgrest.js';
import { claimsSuccess, exampleArgs, idIn, saysNoRow, tablesFor } from '../../src/integrations/mcp-ticket.js';
import { evidenceItems, noRowCause, noRowUnblock, reproduceThroughMcp, reproductionGap, toolDefinitionIn, withMcpEvidence, writesTable, type ListFinding, type McpEvidence } from '../../agents/bug-hunter/mcp-evidence.js';
import type { RowCheck } from '../../src/integrations/mcp-rows.js';
import { verifyFixedTool } from '../../agents/stage-agent/verify-tool.js';
import { defaultConfig, type AgentConfig } from '../../src/config/config.js';
import { loadSecrets } from '../../src/config/secrets.js';
import { openDatabase } from '../../src/integrations/postgres/open.js';
import { templateCacheDir } from '../../src/integrations/postgres/cache-dir.js';
import type { Pg } from '../../src/integrations/postgres/types.js';

const KEY = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.staging-planted-rows-key';
let db: Pg;
let rest: Postgrest;
let http: Server;
let mcpUrl = '';
const calls: Array<{ tool: string; args: unknown }> = [];

beforeAll(async () => {
  db = await openDatabase({ projectRoot: makeProject('crm-agent-mcp-rows-db-'), cacheDir: templateCacheDir() });
  await db.exec(`create table public.customers (id uuid primary key default gen_random_uuid(), name text not null);
    create table public.contacts (id uuid primary key default gen_random_uuid(), email text not null);`);
  rest = await startPostgrest(db, KEY);
  // Realtime is never used; on Node 20 its default transport refuses to construct.
  class NoRealtime {}
  const staging = createClient(rest.url, KEY, { auth: { persistSession: false }, realtime: { transport: NoRealtime as never } });
  http = createServer((req, res) => {
    void (async () => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const mcp = new McpServer({ name: 'crm-staging', version: '1.0.0' });
      const answer = (v: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(v) }] });
      mcp.registerTool('list_customers', { description: 'List customers', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => {
        calls.push({ tool: 'list_customers', args: {} });
        return answer((await staging.from('customers').select('*')).data);
      });
      mcp.registerTool('create_customer', { description: 'Create a customer', inputSchema: { name: z.string(), notify: z.optional(z.boolean()) } }, async (args) => {
        calls.push({ tool: 'create_customer', args });
        return answer({ ok: true }); // the bug: success, and no row
      });
      mcp.registerTool('create_contact', { description: 'Create a contact', inputSchema: { email: z.string() } }, async (args) => {
        calls.push({ tool: 'create_contact', args });
        const { data, error } = await staging.from('contacts').insert({ email: args.email }).select().single();
        return error ? { content: [{ type: 'text' as const, text: error.message }], isError: true } : answer({ ok: true, contact: data });
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void transport.close().then(() => mcp.close()));
      await mcp.connect(transport);
      return transport.handleRequest(req, res, raw ? JSON.parse(raw) : undefined);
    })();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  mcpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}, 30_000);

afterAll(async () => {
  if (http) {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  }
  await rest?.close();
  await db?.close();
  cleanupProjects();
});

/** A project whose .env holds staging's Supabase URL and key (named by environments.staging.supabase). */
function project(mcp: { staging?: boolean; admin?: boolean }): { dir: string; config: AgentConfig } {
  const dir = makeProject('crm-agent-mcp-rows-');
  writeFileSync(join(dir, '.env'), `STAGING_SUPABASE_URL=${rest.url}\nSTAGING_SERVICE_ROLE_KEY=${KEY}\n`);
  const config = defaultConfig('crm');
  config.network.timeoutMs = 10_000;
  if (mcp.admin) config.mcp.url = mcpUrl;
  if (mcp.staging) config.environments.staging.mcp = { url: mcpUrl };
  config.environments.staging.supabase = { url: 'STAGING_SUPABASE_URL', serviceRoleKey: 'STAGING_SERVICE_ROLE_KEY' };
  return { dir, config };
}
const count = async (table: string, col: string, value: string) => Number((await db.query<{ n: string }>(`select count(*)::text as n from public.${table} where ${col} = $1`, [value])).rows[0]!.n);

describe('what a ticket says about a tool, decided without a server', () => {
  it('example arguments, the no-row symptom, the tables, the id an answer names', () => {
    const t = 'create_customer {"name":"Ada","tags":{"a":"}"}} answers success but no customer row is saved. update_customer fails.';
    expect(exampleArgs(t, 'create_customer')).toEqual({ name: 'Ada', tags: { a: '}' } });
    expect(exampleArgs(t, 'update_customer')).toBeNull();
    expect(exampleArgs('create_job says ok. Later {"x":1}', 'create_job')).toBeNull(); // another sentence's object is not its example
    expect([saysNoRow(t), saysNoRow('the customer never appears in the list'), saysNoRow('create_customer is slow')]).toEqual([true, true, false]);
    expect([tablesFor('create_customer'), tablesFor('add_company'), tablesFor('create_customer_note')]).toEqual([
      ['customers', 'customer'],
      ['companies', 'company'],
      ['customer_notes', 'customer_note', 'notes', 'note'],
    ]);
    expect([idIn({ id: 7 }), idIn({ ok: true, contact: { id: 'c-1' } }), idIn({ data: [{ id: 'x' }] }), idIn({ ok: true })]).toEqual([7, 'c-1', 'x', null]);
    expect([claimsSuccess({ ok: true }), claimsSuccess({ ok: false }), claimsSuccess({ error: 'denied' }), claimsSuccess('Error: failed')]).toEqual([true, false, false, false]);
  });
});

describe('the reproduction as a root cause, decided without a server', () => {
  const check = (over: Partial<RowCheck> = {}): RowCheck => ({ tool: 'create_customer', env: 'staging', request: { name: 'Ada' }, response: { ok: true }, table: 'customers', before: 0, after: 0, outcome: 'no-row', text: 'create_customer {"name":"Ada"} on staging -> {"ok":true}; no row', ...over });
  const gathered = (c: RowCheck | null, findings: ListFinding[] = []): McpEvidence => ({ status: 'gathered', where: 'x', protocol: 'stdio', tools: 2, findings, calls: [], ...(c ? { write: { status: 'checked', check: c } } : {}) });
  const server = (body: string) => ({ path: 'mcp/tools.ts', content: `const a = 1;\nserver.registerTool('list_customers', {}, async () => list());\nserver.registerTool('create_customer', {}, async ({ name }) => {\n${body}\n  return ok();\n});\n\nserver.tool('delete_customer', {}, async () => ok());\n` });

  it('where a tool is registered, whether its handler writes the table, and the confidence that follows', () => {
    const calling = { path: 'lib/use.ts', content: "await client.callTool({ name: 'create_customer', arguments: {} });\n" };
    const testFile = { path: 'mcp/tools.test.ts', content: "server.registerTool('create_customer', {}, fake);\n" };
    expect(toolDefinitionIn([calling, testFile, server('  log(name);')], 'create_customer')).toEqual({ path: 'mcp/tools.ts', line: 3, end: 6, body: "server.registerTool('create_customer', {}, async ({ name }) => {\n  log(name);\n  return ok();\n});" });
    expect(toolDefinitionIn([{ path: 'a.ts', content: "switch (name) {\n  case 'create_customer': {\n    return ok();\n  }\n  case 'x':\n}" }], 'create_customer')).toMatchObject({ line: 2, end: 4 });
    expect(toolDefinitionIn([{ path: 'a.ts', content: 'const handlers = {\n  create_customer: async (args) => ok(),\n};' }], 'create_customer')).toMatchObject({ line: 2 });
    expect(toolDefinitionIn([calling], 'create_customer')).toBeNull();
    expect([
      writesTable("await db.from('customers').insert({ name })", 'customers'),
      writesTable('await db\n  .from("public.customers")\n  .upsert(row)', 'customers'),
      writesTable('await sql`INSERT INTO public.customers (name) VALUES (${name})`', 'customers'),
      writesTable("await db.from('customers').select('*')", 'customers'),
      writesTable("await db.from('customer_notes').insert(n)", 'customers'),
      writesTable('insert into customers_archive select 1', 'customers'),
    ]).toEqual([true, true, true, false, false, false]);

    const never = noRowCause(gathered(check()), [server('  log(name);')])!;
    expect(never).toMatchObject({ id: 'mcp-no-row:create_customer', fix: 'logic', subject: 'mcp/tools.ts', confidence: 99, summary: 'create_customer answers success without saving its row: its handler at mcp/tools.ts:3 never inserts into public.customers' });
    expect(never.evidence).toEqual(['the ticket names create_customer', check().text, 'mcp/tools.ts:3: registers create_customer; its handler (lines 3-6) has no insert into customers']);
    expect(noRowCause(gathered(check()), [server("  await db.from('customers').insert({ name });")])).toMatchObject({ confidence: 85, subject: 'mcp/tools.ts' });
    expect(noRowCause(gathered(check()), [])).toMatchObject({ confidence: 70, subject: 'create_customer' });
    // Only the symptom itself makes a cause: the row there, the tool failing, an answer that claims no success.
    expect([noRowCause(gathered(check({ outcome: 'row-found' })), []), noRowCause(gathered(check({ response: { ok: false } })), []), noRowCause(gathered(null), []), noRowCause({ status: 'skipped', reason: 'x' }, [])]).toEqual([null, null, null, null]);
    expect([noRowUnblock(never, 'T-1'), noRowUnblock(noRowCause(gathered(check()), [])!, 'T-1')]).toEqual([null, "run it in the project that holds the MCP server's code, where create_customer is registered (`agent analyze ticket T-1 --project <dir>`)"]);
    // Said with the command the admin ran.
    expect(noRowUnblock(noRowCause(gathered(check()), [])!, 'T-1', 'fix')).toContain('`agent fix ticket T-1 --project <dir>`');
  });

  it("the server's word corroborates a cause it confirms, never one it contradicts; a skipped reproduction says what unblocks it", () => {
    const missing = { id: 'tool:send_invoice', summary: 'Missing MCP tool: send_invoice', fix: 'mcp-tool' as const, subject: 'send_invoice', evidence: ['lib/a.ts:2: uses send_invoice'], confidence: 85 };
    const other = { ...missing, id: 'tool:list_jobs', subject: 'list_jobs', confidence: 90 };
    const e = gathered(check(), [
      { tool: 'send_invoice', registered: false, at: ['lib/a.ts:2'], text: 'tools/list of x: send_invoice is not registered' },
      { tool: 'list_jobs', registered: true, at: ['lib/b.ts:1'], text: 'tools/list of x: list_jobs is registered' },
    ]);
    const out = withMcpEvidence(e, [other, missing], [server('')]);
    expect(out.map((c) => [c.id, c.confidence])).toEqual([['tool:send_invoice', 99], ['mcp-no-row:create_customer', 99], ['tool:list_jobs', 90]]);
    expect(out[0]!.evidence).toEqual(['lib/a.ts:2: uses send_invoice', 'tools/list of x: send_invoice is not registered']);
    expect(out[2]!.evidence).toEqual(other.evidence);
    expect(missing.confidence).toBe(85); // the analyzers' causes are not changed in place

    const none: McpEvidence = { status: 'skipped', reason: 'no MCP server is configured (set mcp.server …)' };
    expect(reproductionGap(none, 'create_customer answers success but no row is saved', [])).toEqual({ missing: 'not reproduced: no MCP server is configured', unblock: expect.stringMatching(/^set environments\.staging\.mcp/) });
    expect(reproductionGap({ status: 'skipped', reason: 'the MCP server did not connect: refused' }, 'create_customer fails', [])).toEqual({ missing: 'not reproduced: the MCP server did not connect: refused', unblock: expect.stringMatching(/^make the MCP server answer/) });
    expect(reproductionGap(none, 'the invoices page is slow', [])).toBeNull();
    expect(reproductionGap(e, 'create_customer fails', [])).toBeNull();
  });
});

describe('BugHunter: success without a row', () => {
  const ctx = (config: AgentConfig, logs: string[]) => ({ config, signal: AbortSignal.timeout(20_000), log: (_l: string, m: string) => void logs.push(m) });
  const ticket = 'create_customer {"name":"Ada Lovelace","notify":true} answers success but no customer row is saved';

  it("on staging's own server: the call, its answer and the missing row are the evidence (read through supabase-js)", async () => {
    const { dir, config } = project({ staging: true });
    const logs: string[] = [];
    calls.length = 0;
    const before = rest.requests.length;
    const files = [{ path: 'lib/invoices.ts', content: "export const send = (c: Client) => c.callTool('send_invoice', {});\n" }];
    const e = await reproduceThroughMcp(ctx(config, logs), { root: dir, ticketText: ticket, files });
    // tools/list over Streamable HTTP: the tool the code calls that the server does not register.
    expect(e).toMatchObject({ findings: [{ tool: 'send_invoice', registered: false, text: `tools/list of ${mcpUrl.slice(7, -4)}: send_invoice (called at lib/invoices.ts:1) is not registered; the server lists 3 tools` }] });
    expect(e).toMatchObject({ status: 'gathered', protocol: 'streamable-http', write: { status: 'checked', check: { outcome: 'no-row', table: 'customers', env: 'staging', before: 0, after: 0 } } });
    if (e.status !== 'gathered' || e.write?.status !== 'checked') return;
    // notify is no column of customers: the row is looked for by name alone.
    expect(e.write.check.match).toEqual({ name: 'Ada Lovelace' });
    expect(e.write.check.text).toBe(
      `create_customer {"name":"Ada Lovelace","notify":true} on staging (${mcpUrl.slice(7, -4)}) -> {"ok":true}; it answered success, but public.customers has no new row matching {"name":"Ada Lovelace"} (rows matching {"name":"Ada Lovelace"}: 0 before the call, 0 after; checked through supabase-js at ${rest.url.slice(7)})`,
    );
    expect(calls.map((c) => c.tool)).toEqual(['list_customers', 'create_customer']);
    expect(await count('customers', 'name', 'Ada Lovelace')).toBe(0);
    expect(rest.requests.slice(before).filter((r) => r.includes('customers?')).every((r) => r.startsWith('GET /rest/v1/customers?'))).toBe(true);
    const items = evidenceItems(e);
    expect(items.at(-1)).toEqual({ item: 'Called the write tool the symptom names and looked for its row', ok: true, evidence: e.write.check.text });
    expect(logs).toContain(`MCP call ${e.write.check.text}`);
    expect(JSON.stringify(e) + logs.join('\n')).not.toContain(KEY);
  });

  it("the admin's server counts as production: the write tool is not called, and the evidence says why and what the admin can run", async () => {
    const { dir, config } = project({ admin: true });
    calls.length = 0;
    const e = await reproduceThroughMcp(ctx(config, []), { root: dir, ticketText: ticket, files: [] });
    expect(e).toMatchObject({ status: 'gathered', write: { status: 'skipped', tool: 'create_customer' } });
    if (e.status !== 'gathered' || e.write?.status !== 'skipped') return;
    expect(e.write.reason).toBe(`create_customer is a write tool and calling it on production needs the admin's approval (productionDeployment); the admin can run \`agent mcp call create_customer '{"name":"Ada Lovelace","notify":true}' --env production\``);
    expect(calls.map((c) => c.tool)).toEqual(['list_customers']);
    // A staging server next to it takes the call; a policy that asks even for staging keeps it from running.
    const both = project({ admin: true, staging: true });
    const onStaging = await reproduceThroughMcp(ctx(both.config, []), { root: both.dir, ticketText: ticket, files: [] });
    expect(onStaging).toMatchObject({ write: { status: 'checked', check: { env: 'staging', outcome: 'no-row' } } });
    expect(calls.map((c) => c.tool)).toEqual(['list_customers', 'list_customers', 'create_customer']);
    calls.length = 1;
    both.config.approvals.stagingDeployment = true;
    const held = await reproduceThroughMcp(ctx(both.config, []), { root: both.dir, ticketText: ticket, files: [] });
    expect(held).toMatchObject({ write: { status: 'skipped', reason: expect.stringMatching(/^create_customer is a write tool and calling it on staging needs the admin's approval \(stagingDeployment\)/) } });
    expect(calls.map((c) => c.tool)).toEqual(['list_customers', 'list_customers']);
  });
});

describe("StageAgent's verification on staging", () => {
  it('finds the row a fixed tool creates; the buggy tool fails it; without a server or an example it says it skipped and why', async () => {
    const { dir, config } = project({ staging: true });
    const secrets = loadSecrets(dir);
    const signal = AbortSignal.timeout(20_000);
    const fixed = await verifyFixedTool({ config, secrets, signal, ticketText: 'create_contact {"email":"grace@example.com"} said ok but no contact was saved' });
    expect(fixed).toMatchObject({ status: 'verified', check: { outcome: 'row-found', table: 'contacts', row: { email: 'grace@example.com' } } });
    if (fixed.status !== 'verified') return;
    expect(fixed.check.match).toEqual({ id: (fixed.check.row as { id: string }).id });
    expect(await count('contacts', 'id', (fixed.check.row as { id: string }).id)).toBe(1);

    const buggy = await verifyFixedTool({ config, secrets, signal, ticketText: 'create_customer {"name":"Edsger"} answers success but no row is saved' });
    expect(buggy).toMatchObject({ status: 'failed', reason: expect.stringMatching(/it answered success, but public\.customers has no new row matching \{"name":"Edsger"\}/) });

    const none = project({});
    expect(await verifyFixedTool({ config: none.config, secrets, signal, ticketText: 'x' })).toEqual({ status: 'skipped', reason: expect.stringMatching(/^no staging MCP server is configured \(environments\.staging\.mcp/) });
    expect(await verifyFixedTool({ config, secrets, signal, ticketText: 'create_contact fails for some emails' })).toEqual({
      status: 'skipped',
      reason: 'the ticket gives no example arguments for create_contact (write them as JSON after its name, e.g. create_contact {"name":"Ada"})',
    });
    const noKey = project({ staging: true });
    writeFileSync(join(noKey.dir, '.env'), `STAGING_SUPABASE_URL=${rest.url}\n`);
    expect(await verifyFixedTool({ config: noKey.config, secrets: loadSecrets(noKey.dir), signal, ticketText: 'create_contact {"email":"x@y.z"}' })).toEqual({
      status: 'skipped',
      reason: "staging's database cannot be read: STAGING_SERVICE_ROLE_KEY (named by environments.staging.supabase) is set neither in the environment nor in .env",
    });
  });
});

describe('agent analyze ticket with the default understanding gate (95%)', () => {
  // The server's code as the project holds it (the SDK server above answers the same way).
  const handler = (insert: boolean) => `import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
export function register(server: McpServer, db: any) {
  server.registerTool('list_customers', { inputSchema: {} }, async () => ({ content: [{ type: 'text', text: JSON.stringify((await db.from('customers').select('*')).data) }] }));
  server.registerTool('create_customer', { inputSchema: { name: z.string() } }, async ({ name }) => {
${insert ? "    await db.from('customers').insert({ name });\n" : ''}    return { content: [{ type: 'text', text: JSON.stringify({ ok: true }) }] };
  });
}
`;
  const cliProject = (code: string | null) => {
    const dir = makeProject('crm-agent-mcp-rows-understand-');
    writeFileSync(join(dir, '.env'), `STAGING_SUPABASE_URL=${rest.url}\nSTAGING_SERVICE_ROLE_KEY=${KEY}\n`);
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging: { mcp: { url: mcpUrl }, supabase: { url: 'STAGING_SUPABASE_URL', serviceRoleKey: 'STAGING_SERVICE_ROLE_KEY' } } } }));
    if (code !== null) {
      mkdirSync(join(dir, 'supabase', 'functions', 'mcp-server'), { recursive: true });
      writeFileSync(join(dir, 'supabase', 'functions', 'mcp-server', 'tools.ts'), code);
    }
    return dir;
  };
  const analyze = async (dir: string, ticket: string) => {
    const created = await agent(['create', 'ticket', ticket, '--json'], { cwd: dir });
    const id = (parseNdjson(created.stdout).at(-1)!.data as { ticket: { id: string } }).ticket.id;
    return agent(['analyze', 'ticket', id, '--json'], { cwd: dir });
  };
  type Cause = { id: string; summary: string; confidence: number; evidence: string[] };

  it('the reproduction is understanding: a handler that never inserts passes the gate; one not in the project, or one that inserts, blocks and says why', async () => {
    const [never, elsewhere, inserts] = [cliProject(handler(false)), cliProject(null), cliProject(handler(true))];
    const [a, b, c] = await Promise.all([
      analyze(never, 'create_customer {"name":"Barbara Liskov"} answers success but no customer row is saved'),
      analyze(elsewhere, 'create_customer {"name":"Frances Allen"} answers success but no customer row is saved'),
      analyze(inserts, 'create_customer {"name":"Adele Goldberg"} answers success but no customer row is saved'),
    ]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    const cause = (parseNdjson(a.stdout).at(-1)!.data as { analysis: { rootCauses: Cause[] } }).analysis.rootCauses[0]!;
    expect(cause).toMatchObject({ id: 'mcp-no-row:create_customer', confidence: 99, summary: 'create_customer answers success without saving its row: its handler at supabase/functions/mcp-server/tools.ts:5 never inserts into public.customers' });
    expect(cause.evidence[1]).toMatch(/^create_customer \{"name":"Barbara Liskov"\} on staging \(127\.0\.0\.1:\d+\) -> \{"ok":true\}; it answered success, but public\.customers has no new row/);
    // Reproduced, but where the handler is (or why it saves nothing) is not known: below 95%, said.
    const reason = (r: typeof b) => (parseNdjson(r.stdout).at(-1) as { error: { message: string } }).error.message.replace(/\b[A-Z]+-\d{4}-\d{3}\b/g, 'T-1');
    expect(b.code).toBe(4);
    expect(reason(b)).toBe(
      "Quality gate \"understanding-confidence\" blocked the understand phase: create_customer answers success without saving its row in public.customers; no file of this project registers create_customer: the ticket names create_customer (confidence 70%, required 95%); to unblock: run it in the project that holds the MCP server's code, where create_customer is registered (`agent analyze ticket T-1 --project <dir>`)",
    );
    expect(c.code).toBe(4);
    expect(reason(c)).toMatch(/: create_customer answers success without saving its row in public\.customers; its handler at supabase\/functions\/mcp-server\/tools\.ts:5 writes customers, so what stops the row is not located offline: the ticket names create_customer \(confidence 85%, required 95%\); to unblock: `agent analyze ticket T-1 --model` \(with ANTHROPIC_API_KEY\) lets the model read supabase\/functions\/mcp-server\/tools\.ts and find what stops the row$/);
    expect(await count('customers', 'name', 'Barbara Liskov')).toBe(0);
    expect(a.stdout + b.stdout + c.stdout).not.toContain(KEY);
  });
});

describe('mcp call --env staging', () => {
  it("calls staging's own server (environments.staging.mcp), under staging's policy; production has none here", async () => {
    const dir = makeProject('crm-agent-mcp-rows-cli-');
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging: { mcp: { url: mcpUrl } } } }));
    calls.length = 0;
    const [staging, production, listed] = await Promise.all([
      agent(['mcp', 'call', 'create_contact', '{"email":"linus@example.com"}', '--env', 'staging', '--json'], { cwd: dir }),
      agent(['mcp', 'call', 'create_contact', '{"email":"ken@example.com"}', '--env', 'production'], { cwd: dir }),
      agent(['mcp', 'tools', '--json'], { cwd: dir }),
    ]);
    expect((parseNdjson(listed.stdout).at(-1)!.data as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(['list_customers', 'create_customer', 'create_contact']);
    expect(staging.code, staging.stderr).toBe(0);
    expect(parseNdjson(staging.stdout).at(-1)!.data).toMatchObject({ env: 'staging', tool: 'create_contact', access: 'write', result: { ok: true, contact: { email: 'linus@example.com' } } });
    expect(await count('contacts', 'email', 'linus@example.com')).toBe(1);
    expect(production.code).toBe(2);
    expect(production.stderr).toMatch(/no MCP server is configured/);
    expect(calls.map((c) => c.tool)).toEqual(['create_contact']);
  });
});
