// BugHunter's pure analyzers on small, realistic inputs.
import { describe, expect, it } from 'vitest';
import { rankFiles, terms } from '../../agents/bug-hunter/ranker.js';
import { findUnresolved, routePatterns } from '../../agents/bug-hunter/references.js';
import { parseFailures } from '../../agents/shared/test-failures.js';
import { parseTestCounts } from '../../src/integrations/shell.js';
import { buildGraph, cyclesThrough, dependents, testReach } from '../../agents/shared/import-graph.js';

const files = [
  { path: 'lib/voice/estimate-intent.ts', content: "export async function onEstimate(c){ const r = await client.callTool('create_estimate_record', {}); return r.ok }\nconst url = process.env.MCP_URL;" },
  { path: 'supabase/functions/mcp-server/tools/job_tools.ts', content: "export const tools = [{ name: 'create_job', handler }, { name: 'list_jobs', handler }];" },
  { path: 'app/api/jobs/[id]/route.ts', content: 'export async function GET() {}' },
  { path: 'app/api/jobs/route.ts', content: "export async function POST() { await fetch('/api/jobs/42'); await fetch('/api/estimates'); }" },
  { path: 'lib/voice/estimate-intent.test.ts', content: "it('persists estimates', () => {})" },
  { path: '.env.example', content: 'SUPABASE_URL=\nMCP_URL=\n' },
  { path: 'lib/mailer.ts', content: 'const k = process.env.RESEND_API_KEY' },
];

describe('ranker', () => {
  it('puts the code that matches the ticket first and reads code words for ticket words', () => {
    expect(terms('Estimates are not persisting')).toEqual(expect.arrayContaining(['estimate', 'persisting', 'insert', 'save']));
    const ranked = rankFiles(files, 'AI estimates are generated but not persisting to database');
    expect(ranked[0]!.path).toBe('lib/voice/estimate-intent.ts');
    expect(ranked.find((r) => r.path.endsWith('.test.ts'))!.score).toBeLessThan(ranked[0]!.score);
  });
});

describe('references', () => {
  it('finds a tool called but defined nowhere, a missing route and an undeclared env var, with file:line', () => {
    const found = findUnresolved(files);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'tool', name: 'create_estimate_record', usedAt: [expect.objectContaining({ path: 'lib/voice/estimate-intent.ts', line: 1 })] }),
        expect.objectContaining({ kind: 'route', name: '/api/estimates' }),
        expect.objectContaining({ kind: 'env', name: 'RESEND_API_KEY', usedAt: [expect.objectContaining({ path: 'lib/mailer.ts', line: 1 })] }),
      ]),
    );
    expect(found.some((f) => f.name === 'create_job' || f.name === '/api/jobs/42' || f.name === 'MCP_URL')).toBe(false);
    expect(routePatterns(files).some((r) => r.test('/api/jobs/7'))).toBe(true);
  });
});

describe('test output', () => {
  const vitest = `
 ❯ lib/voice/estimate-intent.test.ts (2 tests | 1 failed) 12ms
   × voice agent > persists the estimate it reports as created 8ms

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  lib/voice/estimate-intent.test.ts > voice agent > persists the estimate it reports as created
AssertionError: expected [] to have a length of 1 but got +0

 ❯ lib/voice/estimate-intent.test.ts:31:24
     29|     const rows = await db.query('select * from estimates');
     30|     expect(result.spoken).toMatch(/created/);
     31|     expect(rows).toHaveLength(1);

 Test Files  1 failed | 3 passed (4)
      Tests  1 failed | 11 passed (12)
`;
  it('reads failing tests with their message and location, and the counts', () => {
    expect(parseFailures(vitest)).toEqual([
      {
        file: 'lib/voice/estimate-intent.test.ts',
        name: 'voice agent > persists the estimate it reports as created',
        message: 'AssertionError: expected [] to have a length of 1 but got +0',
        location: 'lib/voice/estimate-intent.test.ts:31',
      },
    ]);
    expect(parseTestCounts(vitest)).toEqual({ passed: 11, failed: 1 });
    expect(parseTestCounts('Tests  12 passed (12)')).toEqual({ passed: 12, failed: 0 });
    expect(parseTestCounts('# pass 3\n# fail 0')).toEqual({ passed: 3, failed: 0 });
  });
});

describe('import graph', () => {
  const g = buildGraph([
    { path: 'lib/a.ts', content: "import { b } from './b.js';" },
    { path: 'lib/b.ts', content: "import { a } from './a';\nexport * from '../util/index';" },
    { path: 'util/index.ts', content: 'export const x = 1;' },
    { path: 'lib/c.ts', content: "const m = await import('./b');" },
    { path: 'lib/c.test.ts', content: "import { c } from './c';" },
    { path: 'lib/lonely.ts', content: 'export {}' },
  ]);
  it('finds cycles through a file and what tests reach', () => {
    expect(cyclesThrough(g, ['lib/a.ts'])).toEqual([['lib/a.ts', 'lib/b.ts', 'lib/a.ts']]);
    expect(cyclesThrough(g, ['lib/c.ts'])).toEqual([]);
    expect([...dependents(g, 'util/index.ts')].sort()).toEqual(['lib/a.ts', 'lib/b.ts', 'lib/c.test.ts', 'lib/c.ts']);
    expect(testReach(g, ['lib/a.ts', 'lib/lonely.ts'])).toEqual({ percent: 50, untested: ['lib/lonely.ts'] });
  });
});
