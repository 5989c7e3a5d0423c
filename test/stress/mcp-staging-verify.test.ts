// issue 18, end to end through the CLI: the project's own MCP server (a stdio server written with
// the MCP SDK, mcp/server.mjs, started from environments.staging.mcp) answers create_customer with
// success and saves nothing. BugHunter's analysis records the call and the missing row (read through
// supabase-js from staging's Supabase: a PostgREST-compatible handler on 127.0.0.1 over PGlite).
// The fix is staged and deployed to staging; the deploy's verify step starts the server from the
// deployed worktree, calls create_customer with the ticket's example, and finds the row: the
// deployment and its audit record say so. A "fix" that still saves nothing fails the deploy (no ✓).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson, ROOT } from '../helpers.js';
import { startPostgrest, type Postgrest } from '../frontdoor/mcp-postgrest.js';
import { writeChangeSet } from '../../agents/stage-agent/writer.js';
import { openStateDb } from '../../src/store/state-db.js';
import { openDatabase } from '../../src/integrations/postgres/open.js';
import { templateCacheDir } from '../../src/integrations/postgres/cache-dir.js';
import type { Pg } from '../../src/integrations/postgres/types.js';

const KEY = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.staging-planted-verify-key';
let db: Pg;
let rest: Postgrest;

/** The project's MCP server; `insert` decides whether create_customer saves its row (the fix). */
const serverSource = (insert: boolean, note = '') => `// The CRM's MCP server (stdio).${note}
import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createClient } from '@supabase/supabase-js';

class NoRealtime {}
const db = createClient(process.env.STAGING_SUPABASE_URL, process.env.STAGING_SERVICE_ROLE_KEY, { auth: { persistSession: false }, realtime: { transport: NoRealtime } });
const answer = (v) => ({ content: [{ type: 'text', text: JSON.stringify(v) }] });
const server = new McpServer({ name: 'crm', version: '1.0.0' });
server.registerTool('list_customers', { description: 'List customers', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => answer((await db.from('customers').select('*')).data));
server.registerTool('create_customer', { description: 'Create a customer', inputSchema: { name: z.string() } }, async ({ name }) => {
${insert ? `  const { data, error } = await db.from('customers').insert({ name }).select().single();
  if (error) return { content: [{ type: 'text', text: error.message }], isError: true };
  return answer({ ok: true, customer: data });` : `  return answer({ ok: true });`}
});
await server.connect(new StdioServerTransport());
`;

beforeAll(async () => {
  db = await openDatabase({ projectRoot: makeProject('crm-agent-mcp-verify-db-'), cacheDir: templateCacheDir() });
  await db.exec('create table public.customers (id uuid primary key default gen_random_uuid(), name text not null)');
  rest = await startPostgrest(db, KEY);
}, 60_000);

afterAll(async () => {
  await rest?.close();
  await db?.close();
  cleanupProjects();
});

const git = (cwd: string, ...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', ...args], { cwd, encoding: 'utf8' }).stdout.trim();

function crmProject(): string {
  const dir = makeProject('crm-agent-mcp-verify-');
  mkdirSync(join(dir, 'mcp'));
  writeFileSync(join(dir, 'mcp', 'server.mjs'), serverSource(false));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'crm', private: true, type: 'module', scripts: { test: 'node -e "process.exit(0)"' } }));
  writeFileSync(join(dir, '.gitignore'), '.agent/\nnode_modules\n.env\n');
  writeFileSync(join(dir, '.env'), `STAGING_SUPABASE_URL=${rest.url}\nSTAGING_SERVICE_ROLE_KEY=${KEY}\n`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir'); // the server's SDK and supabase-js
  const staging = { mcp: { server: { command: process.execPath, args: ['mcp/server.mjs'], env: ['STAGING_SUPABASE_URL', 'STAGING_SERVICE_ROLE_KEY'] } }, supabase: { url: 'STAGING_SUPABASE_URL', serviceRoleKey: 'STAGING_SERVICE_ROLE_KEY' } };
  writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging }, network: { timeoutMs: 15_000 } }, null, 2));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'init');
  return dir;
}

/** Stages mcp/server.mjs as the ticket's change, the way StageAgent writes a change set. */
async function stageServer(dir: string, ticket: string, content: string): Promise<string> {
  const m = await writeChangeSet(dir, {
    ticket: { id: ticket, title: 'create_customer saves its row', kind: 'BUG' },
    title: 'create_customer saves its row',
    summary: 'create_customer inserts the customer before answering.',
    files: [{ path: 'mcp/server.mjs', content, reason: 'the tool that answered success without a row', agent: 'CODESMITH' }],
    migrations: [],
    gates: [{ agent: 'CODESMITH', phase: 'verify', gate: 'tests', ok: true, detail: 'tests pass' }],
    baseSha: git(dir, 'rev-parse', 'HEAD'),
  });
  const state = openStateDb(join(dir, '.agent', 'state.db'));
  try {
    state.insertChangeSet({ id: m.id, ticket_id: ticket, dir: m.dir, status: 'staged', requires_approval: 0, created_at: Date.now(), manifest: JSON.stringify(m) });
  } finally {
    state.close();
  }
  return m.id;
}

const customers = async (name: string) => (await db.query<{ name: string }>('select name from public.customers where name = $1', [name])).rows.length;

describe('a tool that answers success without a row: found, fixed, deployed to staging, verified', () => {
  it('BugHunter records the call and the missing row; the staging deploy verifies the fix finds the row, and a non-fix fails the deploy', async () => {
    const dir = crmProject();
    const create = async (text: string) => {
      const r = await agent(['create', 'ticket', text, '--json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      return (parseNdjson(r.stdout).at(-1)!.data as { ticket: { id: string } }).ticket.id;
    };
    const T1 = await create('create_customer {"name":"Ada Lovelace"} answers success but no customer row is saved');
    const T2 = await create('create_customer {"name":"Grace Hopper"} still answers success with no row saved');
    const analysis = await agent(['analyze', 'ticket', T1, '--json'], { cwd: dir });
    const messages = parseNdjson(analysis.stdout).map((l) => String((l as { message?: string }).message ?? ''));
    const where = `${process.execPath} mcp/server.mjs`;
    expect(messages).toContain(
      `MCP call create_customer {"name":"Ada Lovelace"} on staging (${where}) -> {"ok":true}; it answered success, but public.customers has no new row matching {"name":"Ada Lovelace"} (rows matching {"name":"Ada Lovelace"}: 0 before the call, 0 after; checked through supabase-js at ${rest.url.slice(7)})`,
    );
    expect(await customers('Ada Lovelace')).toBe(0);
    // With the default understanding gate: the reproduction is part of understanding the ticket, so
    // the call, the missing row and the handler that never inserts are the root cause's evidence.
    expect(analysis.code, analysis.stdout + analysis.stderr).toBe(0);
    const causes = (parseNdjson(analysis.stdout).at(-1)!.data as { analysis: { rootCauses: Array<{ id: string; evidence: string[] }> } }).analysis.rootCauses;
    expect(causes[0]).toMatchObject({ id: 'mcp-no-row:create_customer', fix: 'logic', subject: 'mcp/server.mjs', confidence: 99, summary: 'create_customer answers success without saving its row: its handler at mcp/server.mjs:12 never inserts into public.customers' });
    expect(causes[0]!.evidence).toEqual(['the ticket names create_customer', expect.stringMatching(/^create_customer \{"name":"Ada Lovelace"\} on staging .* 0 before the call, 0 after; checked through supabase-js/), 'mcp/server.mjs:12: registers create_customer; its handler (lines 12-15) has no insert into customers']);
    const understood = openStateDb(join(dir, '.agent', 'state.db'));
    try {
      const rows = understood.db.prepare("select item, ok from checklist where phase = 'understand' and agent_id like 'BugHunter%' order by rowid").all() as Array<{ item: string; ok: number }>;
      expect(rows).toContainEqual({ item: 'Called the write tool the symptom names and looked for its row', ok: 1 });
    } finally {
      understood.close();
    }

    const fixed = await stageServer(dir, T1, serverSource(true));
    const deploy = await agent(['deploy', 'staging', fixed, '--json'], { cwd: dir });
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const lines = parseNdjson(deploy.stdout).map((l) => String((l as { message?: string }).message ?? ''));
    const verified = lines.find((l) => l.startsWith('Verified on staging through its MCP server: '));
    expect(verified).toMatch(/create_customer \{"name":"Ada Lovelace"\} on staging \(.+\) -> \{"ok":true,"customer":\{"id":"[0-9a-f-]{36}","name":"Ada Lovelace"\}\}; public\.customers has the row \(id "[0-9a-f-]{36}": /);
    expect(lines.indexOf(verified!)).toBeLessThan(lines.findIndex((l) => /Staging deployment successful/.test(l)));
    expect(await customers('Ada Lovelace')).toBe(1);

    const failed = await stageServer(dir, T2, serverSource(false, ' Reviewed.'));
    const bad = await agent(['deploy', 'staging', failed, '--json'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect((parseNdjson(bad.stdout).at(-1) as { error: { message: string } }).error.message).toMatch(/failed at verify: the verification on staging failed: create_customer \{"name":"Grace Hopper"\} .* it answered success, but public\.customers has no new row matching \{"name":"Grace Hopper"\}/);
    expect(bad.stdout).not.toMatch(/Staging deployment successful/);

    const state = openStateDb(join(dir, '.agent', 'state.db'));
    try {
      const deps = state.db.prepare("select id, status, data from deployments where env = 'staging' order by id").all() as Array<{ id: string; status: string; data: string }>;
      expect(deps.map((d) => [d.status, (JSON.parse(d.data) as { verification?: { status: string } }).verification?.status])).toEqual([
        ['succeeded', 'verified'],
        ['failed', 'failed'],
      ]);
      const audit = state.db.prepare("select target, result, detail from audit where action = 'deploy.staging' order by seq").all() as Array<{ target: string; result: string; detail: string }>;
      expect(audit.map((a) => [a.target, a.result])).toEqual([
        [deps[0]!.id, 'succeeded; verification verified'],
        [deps[1]!.id, 'failed at verify'],
      ]);
      expect(JSON.parse(audit[0]!.detail)).toMatchObject({ verification: { status: 'verified', check: { tool: 'create_customer', outcome: 'row-found', table: 'customers' } } });
      expect(JSON.parse(audit[1]!.detail)).toMatchObject({ verification: { status: 'failed', check: { outcome: 'no-row' } } });
      expect(audit.map((a) => a.detail).join('\n')).not.toContain(KEY);
    } finally {
      state.close();
    }
    expect(analysis.stdout + deploy.stdout + bad.stdout + bad.stderr).not.toContain(KEY);
  }, 120_000);
});
