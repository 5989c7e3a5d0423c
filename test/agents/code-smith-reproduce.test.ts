// issue 18: a logic cause no failing test shows (mcp-no-row) is fixed by CodeSmith's model only
// after a test that reproduces it. The pure parts (what the brief says, when the job counts as
// addressed), and the reproduce tool over a real git repository whose own vitest runs the test on
// HEAD without the fix: a test that passes there proves nothing and stays editable; one that fails
// is proven and frozen. The whole path through the CLI is test/stress/mcp-no-row-fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeOverlay, codeSmithTools, firstMessage, jobsAddressed, reproducing, symptomOf, type CodeSmithModelInput, type ModelJob, type Reproduction } from '../../agents/code-smith/model.js';
import { testsOf } from '../../agents/code-smith/index.js';
import { failsOnHead } from '../../agents/code-smith/proof.js';
import { parseFailures } from '../../agents/shared/test-failures.js';
import type { RootCause } from '../../agents/shared/causes.js';
import type { TicketRow } from '../../src/store/rows.js';
import type { LoopTool } from '../../src/integrations/llm/tools.js';
import { ROOT } from '../helpers.js';

const cause: RootCause = {
  id: 'mcp-no-row:create_customer',
  summary: 'create_customer answers success without saving its row: its handler at mcp/tools.mjs:3 never inserts into public.customers',
  fix: 'logic',
  subject: 'mcp/tools.mjs',
  evidence: ['the ticket names create_customer', 'create_customer {"name":"Ada"} on staging -> {"ok":true}; it answered success, but public.customers has no new row', 'mcp/tools.mjs:3: registers create_customer; its handler (lines 3-5) has no insert into customers'],
  confidence: 99,
};
const job: ModelJob = { kind: 'logic', subject: 'mcp/tools.mjs', table: null, cause };
const withTests: ModelJob = { ...job, cause: { ...cause, id: 'logic:lib/v.ts', evidence: ['lib/v.test.ts:3: failing test "v > rejects" points here'] } };
const ticket = { id: 'BUG-2026-001', kind: 'BUG', title: 'create_customer saves no row', description: 'create_customer {"name":"Ada"} answers success but no customer row is saved' } as TicketRow;

const TOOLS = "export const handlers = {\n  list_customers: async (db) => ({ ok: true, customers: await db.all('customers') }),\n  create_customer: async (db, { name }) => {\n    return { ok: true };\n  },\n};\n";
const DB = "export function memoryDb() {\n  const t = new Map();\n  return { insert: (n, r) => (t.get(n) ?? t.set(n, []).get(n)).push(r), all: async (n) => t.get(n) ?? [] };\n}\n";
const SIBLING = "import { expect, it } from 'vitest';\nimport { memoryDb } from './db.mjs';\nimport { handlers } from './tools.mjs';\n\nit('list_customers lists them', async () => {\n  const db = memoryDb();\n  db.insert('customers', { name: 'Grace' });\n  expect((await handlers.list_customers(db)).customers).toEqual([{ name: 'Grace' }]);\n});\n";
const test = (assertRow: boolean) =>
  `import { expect, it } from 'vitest';\nimport { memoryDb } from './db.mjs';\nimport { handlers } from './tools.mjs';\n\nit('create_customer stores the row', async () => {\n  const db = memoryDb();\n  expect((await handlers.create_customer(db, { name: 'Ada' })).ok).toBe(true);\n${assertRow ? "  expect(await db.all('customers')).toEqual([{ name: 'Ada' }]);\n" : ''}});\n`;

describe('the brief and the bookkeeping of a reproducing job (pure)', () => {
  it('is a logic job whose cause names no failing test; the symptom is read from the cause', () => {
    expect([reproducing(job), reproducing(withTests), reproducing({ ...job, kind: 'mcp-tool' })]).toEqual([true, false, false]);
    expect(symptomOf(cause)).toEqual({ tool: 'create_customer', table: 'customers' });
  });

  it('the brief asks for the test first, proven failing on HEAD, then the fix; the hint names the tests that import the handler file', () => {
    const input = { ticket, jobs: [job], hints: testsOf([{ path: 'mcp/tools.mjs', content: TOOLS }, { path: 'mcp/tools.test.mjs', content: SIBLING }, { path: 'mcp/db.mjs', content: DB }], 'mcp/tools.mjs'), tables: ['customers'], files: [] } as unknown as CodeSmithModelInput;
    const brief = firstMessage(input);
    expect(brief).toContain(`1. logic mcp/tools.mjs: no test shows this yet (${cause.summary}). First write a test that reproduces it: call the handler the project registers for create_customer (see the analysis) the way the project's own tests of its sibling tools call theirs, and assert that the row is stored in public.customers. Call reproduce: the test must fail on HEAD, without your fix (once it does, it is frozen). Then fix mcp/tools.mjs so that the same test passes and no other test breaks.`);
    expect(brief).toContain('mcp/tools.mjs is tested by mcp/tools.test.mjs: write the reproducing test like those');
  });

  it('is addressed only with a test proven failing on HEAD, unchanged since, and a source change', () => {
    const files = new Map([['mcp/c.test.mjs', test(true)], ['mcp/tools.mjs', 'fixed']]);
    const proven: Reproduction = { proven: { files: new Map([['mcp/c.test.mjs', test(true)]]), tests: [{ file: 'mcp/c.test.mjs', name: 'create_customer stores the row' }], evidence: 'fails on HEAD: …' }, last: null };
    const said = (r: Reproduction, f = files) => jobsAddressed([job], f, r).map((a) => `${a.ok} ${a.evidence}`)[0];
    expect(said({ proven: null, last: null }, new Map([['mcp/tools.mjs', 'fixed']]))).toBe('false no test of the change set was proven failing on HEAD (it holds no test): write a test that reproduces the symptom and prove it with reproduce before the fix');
    expect(said({ proven: null, last: null })).toMatch(/^false no test of the change set was proven failing on HEAD \(reproduce was not called\)/);
    expect(said({ proven: null, last: 'passes on HEAD (1 passed …)' })).toMatch(/^false no test of the change set was proven failing on HEAD \(the last try passes on HEAD \(1 passed …\)\)/);
    expect(said(proven)).toBe('true mcp/tools.mjs changed; the reproducing test fails on HEAD: …; it must pass with the change: mcp/c.test.mjs > create_customer stores the row');
    expect(said(proven, new Map([['mcp/c.test.mjs', test(false)], ['mcp/tools.mjs', 'fixed']]))).toBe('false mcp/c.test.mjs changed after it was proven failing on HEAD; the proven test is the evidence');
    expect(said(proven, new Map([['mcp/c.test.mjs', test(true)]]))).toBe('false the change set changes no source file');
  });

  it("reads failures of .mjs test files from vitest's output", () => {
    const out = ' FAIL  mcp/c.test.mjs > create_customer stores the row\nAssertionError: expected [] to deeply equal [ { name: \'Ada\' } ]\n ❯ mcp/c.test.mjs:8:39\n';
    expect(parseFailures(out)).toEqual([{ file: 'mcp/c.test.mjs', name: 'create_customer stores the row', message: "AssertionError: expected [] to deeply equal [ { name: 'Ada' } ]", location: 'mcp/c.test.mjs:8' }]);
  });
});

describe('reproduce over a real project: the test runs on HEAD, without the fix', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'crm-agent-reproduce-'));
    mkdirSync(join(dir, 'mcp'));
    const files: Record<string, string> = { 'mcp/tools.mjs': TOOLS, 'mcp/db.mjs': DB, 'mcp/tools.test.mjs': SIBLING, 'package.json': JSON.stringify({ name: 'p', private: true, type: 'module', scripts: { test: 'vitest run' } }), 'vitest.config.mjs': "export default { test: { include: ['**/*.test.mjs'], exclude: ['node_modules/**'] } };\n", '.gitignore': 'node_modules\n' };
    for (const [p, c] of Object.entries(files)) writeFileSync(join(dir, p), c);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    execFileSync('git', ['add', '-A'], { cwd: dir });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-qm', 'init'], { cwd: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const call = async (tools: LoopTool[], name: string, input: unknown = {}) => {
    const tool = tools.find((t) => t.name === name)!;
    return tool.run(tool.schema.parse(input)) as Promise<{ text: string; isError?: boolean }>;
  };

  it('a test that passes on HEAD proves nothing and stays editable; one that fails there is proven and frozen, and the fix must leave it as proven', async () => {
    const project = new Map([['mcp/tools.mjs', TOOLS], ['mcp/db.mjs', DB], ['mcp/tools.test.mjs', SIBLING]]);
    const original = (p: string) => project.get(p) ?? null;
    const runs: string[][] = [];
    const input = {
      root: dir, ticket, jobs: [job], files: [...project].map(([path, content]) => ({ path, content })), tables: ['customers'], columns: async () => [], hints: [], coverage: 80,
      reproduce: async (change: ReadonlyMap<string, string>) => {
        runs.push([...change.keys()]);
        return failsOnHead(dir, [...change].map(([path, content]) => ({ path, content, reason: '', agent: 'CODESMITH' as const })), original, 'npm test --silent', new AbortController().signal);
      },
    } as CodeSmithModelInput;
    const overlay = new ChangeOverlay(project);
    const repro: Reproduction = { proven: null, last: null };
    const tools = codeSmithTools(input, overlay, { last: null }, repro);

    expect(await call(tools, 'reproduce')).toMatchObject({ isError: true, text: expect.stringContaining('your change set holds no test file') });
    await call(tools, 'write_file', { path: 'mcp/c.test.mjs', content: test(false), reason: 'reproduces it' });
    // Even with the fix in the change set, reproduce runs only the tests: on HEAD this one passes.
    await call(tools, 'edit_file', { path: 'mcp/tools.mjs', old: '    return { ok: true };', new: "    db.insert('customers', { name });\n    return { ok: true };", reason: 'the fix' });
    const weak = await call(tools, 'reproduce');
    expect(weak.isError).toBe(true);
    expect(weak.text).toMatch(/^mcp\/c\.test\.mjs: passes on HEAD \(1 passed, HEAD plus only mcp\/c\.test\.mjs, without the fix, in a scratch worktree\): it does not reproduce the symptom/);
    expect(repro.proven).toBeNull();
    expect(jobsAddressed([job], overlay.contents(), repro)[0]!.ok).toBe(false);

    expect((await call(tools, 'write_file', { path: 'mcp/c.test.mjs', content: test(true), reason: 'asserts the row' })).isError).toBeUndefined();
    const proven = await call(tools, 'reproduce');
    expect(proven.text).toMatch(/^proven: fails on HEAD: mcp\/c\.test\.mjs > create_customer stores the row \(AssertionError: expected \[\] to deeply equal \[ \{ name: 'Ada' \} \]\) \(HEAD plus only mcp\/c\.test\.mjs, without the fix, in a scratch worktree\)\. mcp\/c\.test\.mjs is now frozen/);
    expect(runs).toEqual([['mcp/c.test.mjs'], ['mcp/c.test.mjs']]);

    const edit = await call(tools, 'edit_file', { path: 'mcp/c.test.mjs', old: "  expect(await db.all('customers')).toEqual([{ name: 'Ada' }]);\n", new: '', reason: 'looser' });
    expect(edit).toEqual({ isError: true, text: 'refused: mcp/c.test.mjs holds the test proven failing on HEAD; it is the evidence and stays as proven: fix the code it tests, not the test' });
    expect((await call(tools, 'write_file', { path: './mcp/c.test.mjs', content: test(false), reason: 'x' })).isError).toBe(true);
    expect(overlay.current('mcp/c.test.mjs')).toBe(test(true));
    expect(jobsAddressed([job], overlay.contents(), repro)[0]).toMatchObject({ ok: true });
    // Asked again, it does not run again: the proof stands.
    expect((await call(tools, 'reproduce')).text).toMatch(/^already proven: fails on HEAD/);
    expect(runs).toHaveLength(2);
  }, 60_000);
});
