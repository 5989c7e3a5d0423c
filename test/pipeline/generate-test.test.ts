// `agent generate test` end to end through the real CLI: tests for existing routes and tools files
// of examples/crm and of an unseen CRM, run by vitest against the current code as a gate; a test
// whose expectation the code does not meet blocks, and nothing is staged.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent } from '../helpers.js';
import { makeDemoCopy } from '../../src/commands/demo.js';
import { made, makeGarage } from './generate-garage.js';

const dirs: string[] = [];
afterAll(() => [...dirs, ...made].forEach((d) => rmSync(d, { recursive: true, force: true })));

async function freshCopy(): Promise<string> {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-gen-test-'));
  dirs.push(parent);
  return makeDemoCopy(join(parent, 'crm'));
}

const stagedDir = (stdout: string) => /Feature ready: \.\/(staged\/[^/]+)\//.exec(stdout)![1]!;
const stagedDirs = (dir: string) => (existsSync(join(dir, 'staged')) ? readdirSync(join(dir, 'staged')).filter((d) => !d.startsWith('.')) : []);

describe('generate test on examples/crm', () => {
  it('writes a route test with the setup of the other route tests, and it passes against the current code', async () => {
    const dir = await freshCopy();
    const r = await agent(['generate', 'test', 'app/api/invoices/route.ts'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[CODESMITH\] ✓ Generated tests pass: 2 passed, 0 failed in app\/api\/invoices\/route\.test\.ts/);
    expect(r.stdout).toContain('[CODESMITH] ✓ Generated test: app/api/invoices/route.test.ts');
    const test = readFileSync(join(dir, stagedDir(r.stdout), 'files/app/api/invoices/route.test.ts'), 'utf8');
    expect(test).toContain("import { createMemoryDb, setDb } from '../../../lib/db';");
    expect(test).toContain('  beforeEach(() => setDb(createMemoryDb()));');
    expect(test).toContain('expect(res.status).toBe(201);'); // read from the handler's json(..., 201)
    expect(test).toContain('expect(list.invoices).toHaveLength(1);');
    expect(test).toContain("amount_cents: 1200"); // the validator's integer type, required
  });

  it('tests a dynamic route and a tools file by naming them in words', async () => {
    const dir = await freshCopy();
    const job = await agent(['generate', 'test', 'jobs/[id]/route.ts'], { cwd: dir });
    expect(job.code, job.stdout + job.stderr).toBe(0);
    expect(job.stdout).toMatch(/Generated tests pass: 2 passed, 0 failed in app\/api\/jobs\/\[id\]\/route\.test\.ts/);
    const tools = await agent(['generate', 'test', 'customer tools'], { cwd: dir });
    expect(tools.code, tools.stdout + tools.stderr).toBe(0);
    expect(tools.stdout).toContain('find_customer writes no table: not tested offline');
    const file = readFileSync(join(dir, stagedDir(tools.stdout), 'files/supabase/functions/mcp-server/tools/customer_tools.test.ts'), 'utf8');
    expect(file).toContain("await tool('create_customer').handler({ name: 'Sample name' }, { db });");
  });

  it('blocks a test that fails against the current code, and refuses what it cannot test with one line', async () => {
    const dir = await freshCopy();
    // A route whose GET lists another table than POST writes: the generated "GET lists it" fails.
    const route = join(dir, 'app/api/invoices/route.ts');
    writeFileSync(route, readFileSync(route, 'utf8').replace("getDb().from('invoices').select(", "getDb().from('jobs').select("));
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'list the wrong table'], { cwd: dir });
    const r = await agent(['generate', 'test', 'invoices endpoint'], { cwd: dir });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/validate-checks.*generated tests fail: 1 passed, 1 failed in app\/api\/invoices\/route\.test\.ts/);
    expect(r.stdout).toMatch(/\[CODESMITH\] ✗ Generated test fails: \/api\/invoices > stores an invoice from a valid body/);
    expect(stagedDirs(dir)).toEqual([]);
    for (const [spec, message] of [
      ['app/api/customers/route.ts', 'understood a test for app/api/customers/route.ts, which already has one (app/api/customers/route.test.ts)'],
      ['lib/validate.ts', 'understood a test for lib/validate.ts, which is neither an API route'],
      ['teleport the van', 'understood a test for "teleport the van", but it names no file and no table of the project'],
      ['app/api/quotes/route.ts', 'understood a test for app/api/quotes/route.ts, but the project has no such file'],
    ]) {
      const bad = await agent(['generate', 'test', spec!], { cwd: dir });
      expect(bad.code, spec).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toContain(message);
      expect(bad.stderr).toMatch(/e\.g\. `agent generate test "[^"]+"`/);
    }
    expect(stagedDirs(dir)).toEqual([]);
  });
});

describe('generate test on a CRM it has never seen', () => {
  it("tests the garage's tools with its own in-memory store and context key", async () => {
    const dir = makeGarage({ components: false });
    const r = await agent(['generate', 'test', 'vehicle tools'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Generated tests pass: 2 passed, 0 failed in src\/mcp\/tools\/vehicle_tools\.test\.ts/);
    const test = readFileSync(join(dir, stagedDir(r.stdout), 'files/src/mcp/tools/vehicle_tools.test.ts'), 'utf8');
    expect(test).toContain("import { inMemoryStore } from '../../data/garage-store';");
    expect(test).toContain("await tool('register_vehicle').handler({ plate: 'Sample plate' }, { store: db });");
    expect(test).toContain("expect((await db.from('vehicles').select()).data).toHaveLength(0);");
  });
});
