// issue 18, the fix: a tool that answers success without saving its row, through `agent fix ticket`
// (real CLI child processes). The project registers its MCP tools' handlers in mcp/tools.mjs (a
// handler map its stdio server registers in a loop, and its own tests call with an in-memory
// database); create_customer answers {"ok":true} and inserts nothing. BugHunter reproduces it on
// staging (the server against a PostgREST-compatible handler over PGlite) and hands CodeSmith the
// cause mcp-no-row:create_customer, fix logic, which names no failing test. Offline: the plan gate
// blocks and names `agent fix ticket <id> --model` as the unblock. With --model (the real SDK
// against a scripted Messages API on 127.0.0.1), CodeSmith's model writes a test that calls the
// handler the way mcp/tools.test.mjs does and asserts the row, proves with reproduce that it fails
// on HEAD, is refused an edit of it, fixes the handler and finishes; the test and the fix are staged,
// and applied, the test passes (it failed with the test alone). A "reproducing" test that passes on
// HEAD is blocked, and so is a fix that leaves the proven test failing: nothing staged. Real test
// runs, servers and CLI processes (~25 s): in stress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson, ROOT } from '../helpers.js';
import { startPostgrest, type Postgrest } from '../frontdoor/mcp-postgrest.js';
import { openDatabase } from '../../src/integrations/postgres/open.js';
import { templateCacheDir } from '../../src/integrations/postgres/cache-dir.js';
import type { Pg } from '../../src/integrations/postgres/types.js';
import { parseFailures } from '../../agents/shared/test-failures.js';
import { byAgent, firstText, lastResults, reply, startScriptedServer, step, text, toolUse, type Brain } from '../llm/scripted-server.mjs';

const KEY = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.staging-planted-no-row-key';
const API_KEY = 'sk-ant-api03-planted-test-key-0123456789abcdef';
let db: Pg;
let rest: Postgrest;
const servers: Array<{ close(): Promise<void> }> = [];

const BUG = `  create_customer: async (db, { name }) => {
    return { ok: true };
  },`;
const FIX = `  create_customer: async (db, { name }) => {
    const { data, error } = await db.from('customers').insert({ name }).select().single();
    return error ? { ok: false, error: error.message } : { ok: true, customer: data };
  },`;

/** The handlers the MCP server registers: create_customer answers success and saves nothing. */
const TOOLS = `// The CRM's MCP tools: one handler per tool, given the database and the call's arguments.
export const handlers = {
  list_customers: async (db) => {
    const { data, error } = await db.from('customers').select('*');
    return error ? { ok: false, error: error.message } : { ok: true, customers: data };
  },
  create_job: async (db, { title }) => {
    const { data, error } = await db.from('jobs').insert({ title }).select().single();
    return error ? { ok: false, error: error.message } : { ok: true, job: data };
  },
${BUG}
};
`;

const SERVER = `// The CRM's MCP server (stdio): registers every handler of ./tools.mjs against staging's Supabase.
import * as z from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createClient } from '@supabase/supabase-js';
import { handlers } from './tools.mjs';

class NoRealtime {}
const db = createClient(process.env.STAGING_SUPABASE_URL, process.env.STAGING_SERVICE_ROLE_KEY, { auth: { persistSession: false }, realtime: { transport: NoRealtime } });
const shapes = { list_customers: {}, create_job: { title: z.string() }, create_customer: { name: z.string() } };
const server = new McpServer({ name: 'crm', version: '1.0.0' });
for (const [name, handler] of Object.entries(handlers)) {
  const annotations = name.startsWith('list_') ? { readOnlyHint: true } : {};
  server.registerTool(name, { description: name.replace(/_/g, ' '), inputSchema: shapes[name], annotations }, async (args) => ({ content: [{ type: 'text', text: JSON.stringify(await handler(db, args)) }] }));
}
await server.connect(new StdioServerTransport());
`;

/** The project's stand-in for supabase-js in its tests: the same from(t).insert(row).select().single() shape, in memory. */
const MEMORY_DB = `import { randomUUID } from 'node:crypto';

export function memoryDb() {
  const tables = new Map();
  const rows = (t) => (tables.has(t) ? tables.get(t) : tables.set(t, []).get(t));
  return {
    from(table) {
      return {
        insert(row) {
          const stored = { id: randomUUID(), ...row };
          rows(table).push(stored);
          return { select: () => ({ single: async () => ({ data: stored, error: null }) }) };
        },
        select: async () => ({ data: [...rows(table)], error: null }),
      };
    },
  };
}
`;

const SIBLING_TESTS = `import { describe, expect, it } from 'vitest';
import { memoryDb } from '../lib/memory-db.mjs';
import { handlers } from './tools.mjs';

describe('mcp tools', () => {
  it('create_job stores the job', async () => {
    const db = memoryDb();
    const r = await handlers.create_job(db, { title: 'Fix sink' });
    expect(r.ok).toBe(true);
    expect((await db.from('jobs').select('*')).data).toEqual([expect.objectContaining({ title: 'Fix sink' })]);
  });

  it('list_customers lists the customers', async () => {
    const db = memoryDb();
    await db.from('customers').insert({ name: 'Grace' }).select().single();
    expect((await handlers.list_customers(db)).customers).toEqual([expect.objectContaining({ name: 'Grace' })]);
  });
});
`;

const TEST_PATH = 'mcp/create-customer.test.mjs';
/** The model's reproducing test: the handler as the sibling tests call it, and the row it must store. */
const REPRODUCING = `import { describe, expect, it } from 'vitest';
import { memoryDb } from '../lib/memory-db.mjs';
import { handlers } from './tools.mjs';

describe('create_customer', () => {
  it('stores the customer row it answers success for', async () => {
    const db = memoryDb();
    const r = await handlers.create_customer(db, { name: 'Ada Lovelace' });
    expect(r.ok).toBe(true);
    expect((await db.from('customers').select('*')).data).toEqual([expect.objectContaining({ name: 'Ada Lovelace' })]);
  });
});
`;
/** A "fix" that still saves nothing: it only echoes the customer back. */
const NOT_A_FIX = `  create_customer: async (db, { name }) => {
    return { ok: true, customer: { name } };
  },`;
/** A "reproduction" that checks only the answer: it passes on HEAD, so it shows nothing. */
const NOT_REPRODUCING = REPRODUCING.replace("    expect((await db.from('customers').select('*')).data).toEqual([expect.objectContaining({ name: 'Ada Lovelace' })]);\n", '').replace('stores the customer row it answers success for', 'answers success');

beforeAll(async () => {
  db = await openDatabase({ projectRoot: makeProject('crm-agent-no-row-db-'), cacheDir: templateCacheDir() });
  await db.exec('create table public.customers (id uuid primary key default gen_random_uuid(), name text not null)');
  await db.exec('create table public.jobs (id uuid primary key default gen_random_uuid(), title text not null)');
  rest = await startPostgrest(db, KEY);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rest?.close();
  await db?.close();
  cleanupProjects();
}, 60_000);

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', ...args], { cwd, encoding: 'utf8' }).trim();

function crmProject(): string {
  const dir = makeProject('crm-agent-no-row-');
  mkdirSync(join(dir, 'mcp'));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'mcp', 'server.mjs'), SERVER);
  writeFileSync(join(dir, 'mcp', 'tools.mjs'), TOOLS);
  writeFileSync(join(dir, 'mcp', 'tools.test.mjs'), SIBLING_TESTS);
  writeFileSync(join(dir, 'lib', 'memory-db.mjs'), MEMORY_DB);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'crm', private: true, type: 'module', scripts: { test: 'vitest run' } }));
  writeFileSync(join(dir, 'vitest.config.mjs'), "export default { test: { include: ['**/*.test.mjs'], exclude: ['node_modules/**', 'staged/**', '.agent/**'] } };\n");
  writeFileSync(join(dir, '.gitignore'), '.agent/\nnode_modules\n.env\nstaged/\n');
  writeFileSync(join(dir, '.env'), `STAGING_SUPABASE_URL=${rest.url}\nSTAGING_SERVICE_ROLE_KEY=${KEY}\n`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir'); // vitest, the server's SDK and supabase-js
  const staging = { mcp: { server: { command: process.execPath, args: ['mcp/server.mjs'], env: ['STAGING_SUPABASE_URL', 'STAGING_SERVICE_ROLE_KEY'] } }, supabase: { url: 'STAGING_SUPABASE_URL', serviceRoleKey: 'STAGING_SERVICE_ROLE_KEY' } };
  writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging }, network: { timeoutMs: 15_000 } }, null, 2));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'init');
  return dir;
}

const ticket = async (dir: string, name: string) => {
  const r = await agent(['create', 'ticket', `create_customer {"name":"${name}"} answers success but no customer row is saved`, '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return (parseNdjson(r.stdout).at(-1)!.data as { ticket: { id: string } }).ticket.id;
};
const stagedSets = (dir: string) => (existsSync(join(dir, 'staged')) ? readdirSync(join(dir, 'staged')).filter((d) => /^\d{4}-/.test(d)) : []);
/** The project's own test command over some files: the failing tests and the counts it printed. */
const vitest = (dir: string, ...files: string[]) => {
  const r = spawnSync('npm', ['test', '--silent', '--', ...files], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, failing: parseFailures(r.stdout + r.stderr).map((f) => `${f.file} > ${f.name}`), out: r.stdout + r.stderr };
};

/** BugHunter's model adds nothing: the reproduction on staging is the cause. */
const bugHunterBrain: Brain = () => reply([text('The MCP reproduction shows the missing row; nothing else to add.')]);

/**
 * CodeSmith's model: reads the handler file and the sibling tests its brief names, writes `test`,
 * calls reproduce, tries to weaken the test (refused once it is proven), fixes the handler, finishes.
 */
const codeSmithBrain =
  (test: string, fix = FIX): Brain =>
  (body) => {
    const brief = firstText(body);
    const subject = /^1\. logic (\S+): /m.exec(brief)?.[1];
    const sibling = /(\S+\.test\.mjs): write the reproducing test like those/.exec(brief)?.[1];
    switch (step(body)) {
      case 0:
        return subject && sibling ? reply([toolUse('read_file', { path: subject }), toolUse('read_file', { path: sibling })]) : reply([text(`no reproduction job in the brief: ${brief.slice(0, 400)}`)]);
      case 1:
        return reply([toolUse('write_file', { path: TEST_PATH, content: test, reason: 'reproduces the ticket: create_customer answers success and stores no row' })]);
      case 2:
        return reply([toolUse('reproduce', {})]);
      case 3:
        return reply([toolUse('edit_file', { path: TEST_PATH, old: "expect(r.ok).toBe(true);", new: 'expect(r).toBeDefined();', reason: 'looser' })]);
      case 4:
        return reply([toolUse('edit_file', { path: subject!, old: BUG, new: fix, reason: 'create_customer inserts the customer before it answers success' })]);
      case 5:
        return reply([toolUse('type_check', {})]);
      case 6:
        return reply([toolUse('finish', { summary: 'create_customer now inserts its row; mcp/create-customer.test.mjs reproduces the ticket' })]);
      default:
        return reply([text('done')]);
    }
  };

describe('a tool that answers success without its row, fixed through `agent fix ticket`', () => {
  let dir = '';
  beforeAll(() => {
    dir = crmProject();
  });

  it('offline: the plan gate blocks, nothing is staged, and it names `agent fix ticket <id> --model` as the unblock', async () => {
    const id = await ticket(dir, 'Ada Lovelace');
    const r = await agent(['fix', 'ticket', id], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toContain(`the cause that explains ${id} is create_customer answers success without saving its row: its handler at mcp/tools.mjs:11 never inserts into public.customers`);
    expect(r.stderr).toContain(`no offline agent writes a logic fix, so nothing was staged; to unblock: \`agent fix ticket ${id} --model\` (with ANTHROPIC_API_KEY)`);
    expect(r.stderr).not.toContain('agent analyze ticket');
    expect(stagedSets(dir)).toEqual([]);
  }, 180_000);

  it('with --model: the reproducing test fails on HEAD, is frozen, the fix is staged with it, and applied the test passes', async () => {
    const s = await startScriptedServer(byAgent({ BugHunter: bugHunterBrain, CodeSmith: codeSmithBrain(REPRODUCING) }));
    servers.push(s);
    const id = await ticket(dir, 'Ada Lovelace');
    const r = await agent(['fix', 'ticket', id, '--model'], { cwd: dir, env: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: s.url } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const codeSmith = s.requests.filter((q) => /^You are CodeSmith/.test((q.body as { system: Array<{ text: string }> }).system[0]!.text));
    // The brief: no failing test yet, reproduce first, following the sibling tools' tests.
    expect(firstText(codeSmith[0]!.body)).toMatch(/^1\. logic mcp\/tools\.mjs: no test shows this yet \(create_customer answers success without saving its row: its handler at mcp\/tools\.mjs:11 never inserts into public\.customers\)\. First write a test that reproduces it: call the handler the project registers for create_customer .* assert that the row is stored in public\.customers\. Call reproduce: the test must fail on HEAD/m);
    expect(firstText(codeSmith[0]!.body)).toContain('mcp/tools.mjs is tested by mcp/tools.test.mjs: write the reproducing test like those');
    // reproduce ran the test on HEAD without the fix, and it failed there; then the test was frozen.
    expect(lastResults(codeSmith[3]!.body)).toMatch(/\nproven: fails on HEAD: mcp\/create-customer\.test\.mjs > create_customer > stores the customer row it answers success for \(.*\) \(HEAD plus only mcp\/create-customer\.test\.mjs, without the fix, in a scratch worktree\)/);
    expect(lastResults(codeSmith[4]!.body)).toContain('refused: mcp/create-customer.test.mjs holds the test proven failing on HEAD');
    // finish passed (the reproducing test green with the fix), so the conversation ended there.
    expect(codeSmith).toHaveLength(7);
    expect(r.stdout).toMatch(/The reproducing test fails on HEAD: fails on HEAD: mcp\/create-customer\.test\.mjs > create_customer > stores the customer row it answers success for/);
    expect(r.stdout).toMatch(/The reproducing test passes with the change: now pass: mcp\/create-customer\.test\.mjs > create_customer > stores the customer row it answers success for/);
    const sets = stagedSets(dir);
    expect(sets).toHaveLength(1);
    const staged = join(dir, 'staged', sets[0]!);
    const manifest = JSON.parse(readFileSync(join(staged, 'manifest.json'), 'utf8')) as { files: Array<{ path: string }> };
    expect(manifest.files.map((f) => f.path).sort()).toEqual([TEST_PATH, 'mcp/tools.mjs']);
    expect(readFileSync(join(staged, 'changes.patch'), 'utf8')).not.toContain('toBeDefined');

    // Measured here too: the staged test alone fails on HEAD; with the staged patch applied, it passes.
    writeFileSync(join(dir, TEST_PATH), REPRODUCING);
    const alone = vitest(dir, TEST_PATH);
    expect(alone.failing, alone.out).toEqual([`${TEST_PATH} > create_customer > stores the customer row it answers success for`]);
    rmSync(join(dir, TEST_PATH));
    git(dir, 'apply', join(staged, 'changes.patch'));
    expect(readFileSync(join(dir, 'mcp', 'tools.mjs'), 'utf8')).toContain(FIX);
    const applied = vitest(dir);
    expect(applied.code, applied.out).toBe(0);
    expect(applied.out).toMatch(/3 passed/);
    git(dir, 'checkout', '--', 'mcp/tools.mjs');
    rmSync(join(dir, TEST_PATH));
  }, 600_000);

  it('with --model, a "reproducing" test that passes on HEAD: blocked, the gate says so, nothing staged', async () => {
    const before = stagedSets(dir);
    const s = await startScriptedServer(byAgent({ BugHunter: bugHunterBrain, CodeSmith: codeSmithBrain(NOT_REPRODUCING) }));
    servers.push(s);
    const id = await ticket(dir, 'Grace Hopper');
    const r = await agent(['fix', 'ticket', id, '--model'], { cwd: dir, env: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: s.url } });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const codeSmith = s.requests.filter((q) => /^You are CodeSmith/.test((q.body as { system: Array<{ text: string }> }).system[0]!.text));
    expect(lastResults(codeSmith[3]!.body)).toMatch(/passes on HEAD \(1 passed, HEAD plus only mcp\/create-customer\.test\.mjs, without the fix, in a scratch worktree\): it does not reproduce the symptom/);
    // Not proven, so not frozen: the edit went through; finish names what is missing.
    expect(lastResults(codeSmith[4]!.body)).toContain('edited in the change set');
    expect(lastResults(codeSmith[7]!.body)).toContain('not addressed: logic mcp/tools.mjs: no test of the change set was proven failing on HEAD (the last try passes on HEAD');
    expect(r.stderr).toMatch(/Quality gate "all-scenarios-mitigated" blocked the plan phase: 1 of 1 failure scenarios have no mitigation; unmet: Addressed logic mcp\/tools\.mjs \(no test of the change set was proven failing on HEAD \(the last try passes on HEAD/);
    expect(stagedSets(dir)).toEqual(before);
  }, 600_000);

  it('with --model, a fix that leaves the proven test failing: CodeSmith\'s gate blocks naming the test, nothing staged', async () => {
    const before = stagedSets(dir);
    const s = await startScriptedServer(byAgent({ BugHunter: bugHunterBrain, CodeSmith: codeSmithBrain(REPRODUCING, NOT_A_FIX) }));
    servers.push(s);
    const id = await ticket(dir, 'Katherine Johnson');
    const r = await agent(['fix', 'ticket', id, '--model'], { cwd: dir, env: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: s.url } });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const codeSmith = s.requests.filter((q) => /^You are CodeSmith/.test((q.body as { system: Array<{ text: string }> }).system[0]!.text));
    expect(lastResults(codeSmith[3]!.body)).toMatch(/\nproven: fails on HEAD: mcp\/create-customer\.test\.mjs > create_customer > stores the customer row it answers success for/);
    // finish ran the proven test with the change and told the model; the validate gate then blocked.
    expect(lastResults(codeSmith[7]!.body)).toContain('the failing tests do not pass with the change: still failing with the change: mcp/create-customer.test.mjs > create_customer > stores the customer row it answers success for');
    expect(r.stderr).toMatch(/blocked the validate phase: .*the failing tests do not pass with the change: still failing with the change: mcp\/create-customer\.test\.mjs > create_customer > stores the customer row it answers success for/);
    expect(stagedSets(dir)).toEqual(before);
  }, 600_000);
});
