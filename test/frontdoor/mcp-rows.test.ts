// issue 18: a write tool that answers success without a row, against a Streamable HTTP MCP server
// written with the MCP SDK (127.0.0.1) and a PostgREST-compatible handler over real PGlite (what
// supabase-js reads staging's rows through). BugHunter records the call and the missing row, only
// where the policy lets a write run unattended (staging's own server); StageAgent's verification
// finds the row a fixed tool creates, fails on the buggy one, and says why it skipped otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createClient } from '@supabase/supabase-js';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { startPostgrest, type Postgrest } from './mcp-postgrest.js';
import { claimsSuccess, exampleArgs, idIn, saysNoRow, tablesFor } from '../../src/integrations/mcp-ticket.js';
import { evidenceItems, reproduceThroughMcp } from '../../agents/bug-hunter/mcp-evidence.js';
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
