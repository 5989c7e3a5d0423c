// CodeSmith by analogy through the CLI, on the CRM of test/fixtures/crm-analogy (tools are plain
// functions in an object-literal registry, routes come from factories, the app lives in apps/web/,
// a webhook route and an Edge Function sit beside them). `generate mcp-tool create_deal` writes the
// tool the desk assistant calls, registered as its sibling is, with a test that fails without it;
// `generate api` writes an endpoint as the factory route is written. Applied, the fixture's own
// `npm test` (a child process) passes where one test failed before; `fix ticket` does the same from
// a ticket (BugHunter finds the tool the desk calls). Without a route that posts a
// row, no endpoint: the routes seen are listed with why none fits. ~30 s of CLI runs: in stress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, ROOT } from '../helpers.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'crm-analogy');
const parents: string[] = [];
afterAll(() => parents.forEach((d) => rmSync(d, { recursive: true, force: true })));

function studio(): string {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-studio-'));
  parents.push(parent);
  const dir = join(parent, 'studio');
  cpSync(FIXTURE, dir, { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'studio']]) execFileSync('git', args, { cwd: dir });
  return dir;
}

const npmTest = (dir: string) => spawnSync('npm', ['test', '--silent'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' } });
const stagedDir = (stdout: string) => /Feature ready: \.\/(staged\/[^/]+)\//.exec(stdout)![1]!;

describe('CodeSmith on a CRM laid out unlike the example', () => {
  let dir = '';
  beforeAll(() => {
    dir = studio();
  });

  it('generate mcp-tool and api: each follows its sibling, says which, and the fixture\'s own tests pass with both', async () => {
    const before = npmTest(dir);
    expect(before.status).toBe(1);
    expect(before.stdout).toMatch(/Tests\s+1 failed \| 5 passed \(6\)/);

    const tool = await agent(['generate', 'mcp-tool', 'create_deal'], { cwd: dir });
    expect(tool.code, tool.stdout + tool.stderr).toBe(0);
    expect(tool.stdout).toContain('[CODESMITH] ✓ Analyzing existing patterns (tools: apps/web/mcp/clients.ts (create_client, registered in apps/web/mcp/handlers.ts))');
    expect(tool.stdout).toContain('[CODESMITH] ✓ Created MCP tool: create_deal in apps/web/mcp/deals.ts, registered in apps/web/mcp/handlers.ts (following create_client (apps/web/mcp/clients.ts:4), registered in handlers (apps/web/mcp/handlers.ts:7, an object literal): it inserts into clients, its name starts with create)');
    expect(tool.stdout).toContain('[CODESMITH] ✓ The change adds a test that fails without it: 1 added test(s) fail without the change: apps/web/mcp/handlers.test.ts > tool handlers (create_deal) > create_deal stores a deal');
    const toolSet = stagedDir(tool.stdout);
    const review = readFileSync(join(dir, toolSet, 'REVIEW.md'), 'utf8');
    expect(review).toContain('`apps/web/mcp/deals.ts` (modify, CODESMITH): adds the tool create_deal, following create_client (apps/web/mcp/clients.ts:4)');
    expect(review).toContain('`apps/web/mcp/handlers.ts` (modify, CODESMITH): registers create_deal in handlers as create_client is registered');

    const api = await agent(['generate', 'api', 'notes endpoint'], { cwd: dir });
    expect(api.code, api.stdout + api.stderr).toBe(0);
    expect(api.stdout).toContain('[CODESMITH] ✓ Generated API endpoint: POST /api/notes (following apps/web/app/api/clients/route.ts: POST = createRoute(…) inserts into clients)');
    expect(api.stdout).toMatch(/\[CODESMITH\] ✓ The change adds a test that fails without it: .*apps\/web\/app\/api\/notes\/route\.test\.ts/);
    const apiSet = stagedDir(api.stdout);
    expect(readFileSync(join(dir, apiSet, 'files', 'apps/web/app/api/notes/route.ts'), 'utf8')).toContain("export const POST = createRoute('notes', {\n  deal_id: { type: 'uuid', required: true },\n  body: { type: 'string', required: true },\n  pinned: { type: 'boolean' },\n});");

    for (const set of [toolSet, apiSet]) execFileSync('git', ['apply', join(set, 'changes.patch')], { cwd: dir });
    const after = npmTest(dir);
    expect(after.status, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toMatch(/Tests\s+10 passed \(10\)/);
  }, 240_000);

  it('fix ticket: BugHunter finds the tool the desk calls, CodeSmith writes it and the endpoint by analogy, staged with its tests passing', async () => {
    const d = studio();
    const created = await agent(['create', 'ticket', '--json', 'The desk assistant says a deal was saved, but no deal is stored for the client'], { cwd: d });
    const id = (JSON.parse(created.stdout.trim().split('\n').at(-1)!) as { data: { ticket: { id: string } } }).data.ticket.id;
    const r = await agent(['fix', 'ticket', id], { cwd: d });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[BUGHUNTER] ✓ Missing MCP tool: create_deal');
    expect(r.stdout).toContain('[CODESMITH] ✓ Created MCP tool: create_deal in apps/web/mcp/deals.ts, registered in apps/web/mcp/handlers.ts (following create_client (apps/web/mcp/clients.ts:4)');
    expect(r.stdout).toContain('[CODESMITH] ✓ Generated API endpoint: POST /api/deals (following apps/web/app/api/clients/route.ts: POST = createRoute(…) inserts into clients)');
    expect(r.stdout).not.toContain('patterns ()');
    const set = /Staged environment ready: \.\/(staged\/[^/]+)\//.exec(r.stdout)![1]!;
    execFileSync('git', ['apply', join(set, 'changes.patch')], { cwd: d });
    const after = npmTest(d);
    expect(after.status, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toMatch(/Tests\s+10 passed \(10\)/);
  }, 240_000);

  it('without a route that posts a row: no endpoint, the routes seen and why none fits, nothing staged', async () => {
    const d = studio();
    execFileSync('git', ['rm', '-q', '-r', 'apps/web/app/api/clients'], { cwd: d });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'no clients route'], { cwd: d });
    const r = await agent(['generate', 'api', 'notes endpoint'], { cwd: d });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const why = 'none of the 2 route handler(s) seen posts a row into a table, so none shows how this project writes one: apps/web/app/api/webhooks/stripe/route.ts (POST; touches no table); supabase/functions/notify-owner/index.ts (POST; touches no table)';
    expect(r.stdout).toContain(`[CODESMITH] ⚠ No endpoint is generated: ${why}`);
    // The gate's line shortens the evidence; the log line above has it whole.
    expect(r.stderr).toContain('Quality gate "understanding-confidence" blocked the understand phase: confidence 0% is below the required 95%; unmet: Identified target for notes (no endpoint is generated: none of the 2 route handler(s) seen posts a row into a table');
    expect(r.stdout + r.stderr).not.toContain('no app/api route handlers to follow');
    expect(existsSync(join(d, 'staged')) ? readdirSync(join(d, 'staged')).filter((x) => /^\d/.test(x)) : []).toEqual([]);
  }, 120_000);
});
