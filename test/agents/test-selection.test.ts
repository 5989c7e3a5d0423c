// Which test files a change can affect (pure), and the per-file results it rests on.
import { describe, expect, it } from 'vitest';
import { opaque, selectTests, type TestBaseline } from '../../agents/stage-agent/test-selection.js';
import { parseFileResults } from '../../agents/shared/test-failures.js';

const VITEST = `
 RUN  v4.1.12 /tmp/crm

 \u001b[31m❯\u001b[39m lib/voice-agent/agent.test.ts (2 tests | 1 failed) 46ms
     ✓ schedules a job through the MCP server 37ms
     × persists the estimate it reports as created 7ms
 ✓ app/api/customers/route.test.ts (2 tests) 42ms
 ✓ lib/one.test.ts (1 test) 3ms
 ↓ lib/skipped.test.ts (3 tests | 3 skipped)
 ❯ lib/broken.test.ts (0 test)

 FAIL  lib/voice-agent/agent.test.ts > voice agent > persists the estimate it reports as created
`;

describe('parseFileResults', () => {
  it("reads vitest's per-file lines, colours and all", () => {
    expect(Object.fromEntries(parseFileResults(VITEST))).toEqual({
      'lib/voice-agent/agent.test.ts': { tests: 2, failed: 1, skipped: 0 },
      'app/api/customers/route.test.ts': { tests: 2, failed: 0, skipped: 0 },
      'lib/one.test.ts': { tests: 1, failed: 0, skipped: 0 },
      'lib/skipped.test.ts': { tests: 3, failed: 0, skipped: 3 },
      'lib/broken.test.ts': { tests: 0, failed: 0, skipped: 0 },
    });
  });

  it("reads jest's PASS/FAIL lines without counts, and nothing from other output", () => {
    expect(Object.fromEntries(parseFileResults('PASS src/a.test.ts\nFAIL src/b.spec.tsx (5 s)\n'))).toEqual({
      'src/a.test.ts': { tests: null, failed: 0, skipped: null },
      'src/b.spec.tsx': { tests: null, failed: null, skipped: null },
    });
    expect(parseFileResults('ok 1 - adds\n# pass 1\n# fail 0\n').size).toBe(0);
  });
});

const installed = (name: string) => ['vitest', 'react', '@supabase/supabase-js'].includes(name);

/** A small project: two tests through a shared module, one on its own, one reading files. */
const project = [
  { path: 'package.json', content: '{"scripts":{"test":"vitest run"}}' },
  { path: 'vitest.config.mjs', content: "export default { test: { include: ['**/*.test.ts'] } };" },
  { path: 'lib/db.ts', content: "import { createClient } from '@supabase/supabase-js';\nexport const db = createClient('u', 'k');" },
  { path: 'lib/jobs.ts', content: "import { db } from './db';\nexport const jobs = () => db.from('jobs');" },
  { path: 'lib/jobs.test.ts', content: "import { it } from 'vitest';\nimport { jobs } from './jobs';\nit('lists', () => jobs());" },
  { path: 'app/api/jobs/route.ts', content: "import { jobs } from '../../../lib/jobs.js';\nexport async function GET() { return Response.json(await jobs()); }" },
  { path: 'app/api/jobs/route.test.ts', content: "import { it } from 'vitest';\nimport { GET } from './route';\nit('answers', () => GET());" },
  { path: 'lib/money.ts', content: 'export const cents = (n: number) => Math.round(n * 100);' },
  { path: 'lib/money.test.ts', content: "import { it, expect } from 'vitest';\nimport { cents } from './money';\nit('rounds', () => expect(cents(1.005)).toBe(101));" },
  { path: 'supabase/migrations.test.ts', content: "import { readdirSync } from 'node:fs';\nimport { it } from 'vitest';\nit('has migrations', () => readdirSync('supabase/migrations'));" },
  { path: 'supabase/migrations/001_jobs.sql', content: 'create table jobs (id int);' },
];

const baseline = (failed: Record<string, number> = {}): TestBaseline => ({
  sha: 'a'.repeat(40),
  command: 'npm test',
  files: Object.fromEntries(['lib/jobs.test.ts', 'app/api/jobs/route.test.ts', 'lib/money.test.ts', 'supabase/migrations.test.ts'].map((f) => [f, { tests: 1, failed: failed[f] ?? 0, skipped: 0 }])),
  failures: [],
});

const edit = (path: string, content: string) => [...project.filter((f) => f.path !== path), { path, content }];

describe('selectTests', () => {
  it('runs the tests that reach an edited module through imports, and those that read files; carries the rest', () => {
    const sel = selectTests(edit('lib/db.ts', project[2]!.content + '\nexport const x = 1;'), ['lib/db.ts'], baseline(), installed);
    expect(sel).toEqual({ kind: 'affected', run: ['lib/jobs.test.ts', 'app/api/jobs/route.test.ts', 'supabase/migrations.test.ts'], carried: ['lib/money.test.ts'] });
  });

  it('runs added test files, and a migration change reaches only the tests that read files', () => {
    const files = [...project, { path: 'supabase/migrations/002_more.sql', content: 'alter table jobs add column x int;' }, { path: 'lib/more.test.ts', content: "import { it } from 'vitest';\nit('x', () => {});" }];
    const sel = selectTests(files, ['supabase/migrations/002_more.sql', 'lib/more.test.ts'], baseline(), installed);
    expect(sel).toEqual({ kind: 'affected', run: ['supabase/migrations.test.ts', 'lib/more.test.ts'], carried: ['lib/jobs.test.ts', 'app/api/jobs/route.test.ts', 'lib/money.test.ts'] });
  });

  it('runs again a file that failed on HEAD, though nothing it imports changed', () => {
    const sel = selectTests(project, ['lib/money.ts'], baseline({ 'lib/jobs.test.ts': 1 }), installed);
    expect(sel).toEqual({ kind: 'affected', run: ['lib/jobs.test.ts', 'lib/money.test.ts', 'supabase/migrations.test.ts'], carried: ['app/api/jobs/route.test.ts'] });
  });

  it('runs a test that imports a module the change deletes', () => {
    const files = project.filter((f) => f.path !== 'lib/money.ts');
    const sel = selectTests(files, ['lib/money.ts'], baseline(), installed);
    expect(sel).toEqual({ kind: 'affected', run: ['lib/money.test.ts', 'supabase/migrations.test.ts'], carried: ['lib/jobs.test.ts', 'app/api/jobs/route.test.ts'] });
  });

  it('treats a path alias, a dynamic import or a glob as something the graph cannot see', () => {
    expect(opaque("import { jobs } from '@/lib/jobs';", installed)).toBe(true);
    expect(opaque("import { createClient } from '@supabase/supabase-js';\nimport { join } from 'node:path';\nimport os from 'os';", installed)).toBe(false);
    expect(opaque('const m = await import(name);', installed)).toBe(true);
    expect(opaque("const all = import.meta.glob('./tools/*.ts');", installed)).toBe(true);
    expect(opaque("import schema from '../supabase/migrations/001_jobs.sql?raw';", installed)).toBe(true);
    expect(opaque("const { execa } = await import('child_process');", installed)).toBe(true);
    const aliased = edit('lib/money.test.ts', "import { it } from 'vitest';\nimport { cents } from '~/lib/money';\nit('rounds', () => cents(1));");
    const sel = selectTests(aliased, ['README.md'], baseline(), installed);
    expect(sel).toEqual({ kind: 'affected', run: ['lib/money.test.ts', 'supabase/migrations.test.ts'], carried: ['lib/jobs.test.ts', 'app/api/jobs/route.test.ts'] });
  });

  it('runs everything when the change edits what every test may read', () => {
    expect(selectTests(project, ['package.json'], baseline(), installed)).toEqual({ kind: 'all', reason: 'the change edits package.json, which every test may depend on' });
    expect(selectTests(project, ['test/setup.ts'], baseline(), installed).kind).toBe('all');
    expect(selectTests(project, ['lib/__mocks__/db.ts'], baseline(), installed).kind).toBe('all');
    const withSetup = edit('vitest.config.mjs', "export default { test: { setupFiles: ['./test/db.ts'] } };");
    expect(selectTests(withSetup, ['supabase/migrations/002_more.sql'], baseline(), installed)).toEqual({ kind: 'all', reason: 'vitest.config.mjs names setup files, which may read supabase/migrations/002_more.sql' });
  });

  it('runs everything, plainly, when every test file can reach the change', () => {
    const sel = selectTests(edit('lib/money.ts', "import { readFileSync } from 'node:fs';\nexport const cents = (n: number) => n;"), ['lib/money.ts', 'lib/db.ts'], baseline(), installed);
    expect(sel).toEqual({ kind: 'all', reason: 'every test file can reach the change' });
  });
});
