// Where a ticket's failing tests lead: the source file a frame names or their imports reach, and the
// logic cause it becomes (its evidence in the form CodeSmith reads). On examples/crm's own files.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { explainTicket, ticketTests } from '../../agents/bug-hunter/explain.js';
import { locateLogic, logicCause, unaccounted } from '../../agents/bug-hunter/logic-cause.js';
import { failingTestsOf } from '../../agents/code-smith/failing-tests.js';
import type { RootCause } from '../../agents/shared/causes.js';
import type { SourceFile } from '../../agents/shared/project-files.js';
import { parseFailures, type TestFailure } from '../../agents/shared/test-failures.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'crm');
function read(dir: string): SourceFile[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(full).isDirectory()) return read(full);
    return /\.(ts|tsx|js|mjs|sql|json|md)$/.test(name) ? [{ path: relative(EXAMPLE, full).split('\\').join('/'), content: readFileSync(full, 'utf8') }] : [];
  });
}
const files = read(EXAMPLE);

const EMAIL = "Customer email validation accepts invalid addresses like 'nope'";
const validateTest: TestFailure = { file: 'lib/validate.test.ts', name: 'validate > lists every problem', message: 'AssertionError: expected { ok: false, errors: [ …(2) ] } to deeply equal { ok: false, errors: [ …(3) ] }', location: 'lib/validate.test.ts:12' };
const routeTest: TestFailure = { file: 'app/api/customers/route.test.ts', name: '/api/customers > answers 400 with the problems', message: "AssertionError: expected [ 'name is required' ] to deeply equal [ 'name is required', …(1) ]", location: 'app/api/customers/route.test.ts:21' };
const estimateTest: TestFailure = { file: 'lib/voice-agent/agent.test.ts', name: 'voice agent > persists the estimate it reports as created', message: 'AssertionError: expected [] to have a length of 1 but got +0', location: 'lib/voice-agent/agent.test.ts:35' };
const validateLine = readFileSync(join(EXAMPLE, 'lib', 'validate.ts'), 'utf8').split('\n').findIndex((l) => l.startsWith('export function validate')) + 1;

describe('locateLogic', () => {
  it('leads both email tests to lib/validate.ts: one imports it, the other reaches it through the route', () => {
    const tests = ticketTests(EMAIL, [validateTest, routeTest, estimateTest]);
    expect(tests.map((t) => t.failure.file)).toEqual(['lib/validate.test.ts', 'app/api/customers/route.test.ts']);
    const [top, ...rest] = locateLogic(files, EMAIL, tests);
    expect(top).toMatchObject({ path: 'lib/validate.ts', line: validateLine, symbol: 'validate', words: ['validate'] });
    expect(top!.reaches.map((r) => r.chain)).toEqual([['lib/validate.test.ts', 'lib/validate.ts'], ['app/api/customers/route.test.ts', 'app/api/customers/route.ts', 'lib/validate.ts']]);
    // What only the route test reaches ranks below: one test of two.
    expect(rest.map((l) => l.path)).toContain('app/api/customers/route.ts');
    expect(rest.every((l) => l.reaches.length === 1)).toBe(true);
  });

  it('becomes a logic cause the ticket explains, whose failing tests CodeSmith reads from its evidence', () => {
    const tests = ticketTests(EMAIL, [validateTest, routeTest]);
    const cause = logicCause(locateLogic(files, EMAIL, tests)[0]!, tests.length);
    expect(cause).toMatchObject({ id: 'logic:lib/validate.ts', fix: 'logic', subject: 'lib/validate.ts' });
    expect(cause.evidence[0]).toBe(`lib/validate.ts:${validateLine} (validate): lib/validate.test.ts imports it; app/api/customers/route.test.ts reaches it through app/api/customers/route.ts`);
    expect(failingTestsOf(cause)).toEqual([
      { file: 'lib/validate.test.ts', name: 'validate > lists every problem' },
      { file: 'app/api/customers/route.test.ts', name: '/api/customers > answers 400 with the problems' },
    ]);
    const e = explainTicket([cause], EMAIL, [validateTest, routeTest, estimateTest]);
    // Its words (validate ~ validation) and its failing tests tie it: 20 + 35 + 45.
    expect(e.explaining.map((c) => [c.id, c.confidence])).toEqual([['logic:lib/validate.ts', 100]]);
    // The tie's own lines for the tests are the cause's: not repeated.
    expect(e.explaining[0]!.evidence.filter((x) => x.includes('failing test "validate > lists every problem"'))).toHaveLength(1);
  });

  it('a stack frame in a source file outranks what imports alone reach', () => {
    const project: SourceFile[] = [
      { path: 'src/a.test.ts', content: "import { a } from './a';\nimport { b } from './b';\n" },
      { path: 'src/b.test.ts', content: "import { b } from './b';\n" },
      { path: 'src/a.ts', content: 'export function a() {\n  throw new Error("boom");\n}\n' },
      { path: 'src/b.ts', content: 'export const b = 1;\n' },
    ];
    const failures: TestFailure[] = [
      { file: 'src/a.test.ts', name: 'a > works', message: 'Error: boom', location: 'src/a.ts:2' },
      { file: 'src/b.test.ts', name: 'b > works', message: 'AssertionError: works', location: 'src/b.test.ts:3' },
    ];
    const tests = ticketTests('a b works fails', failures);
    expect(tests).toHaveLength(2);
    const located = locateLogic(project, 'works fails', tests);
    expect(located.map((l) => [l.path, l.line, l.reaches.length])).toEqual([
      ['src/a.ts', 2, 1],
      ['src/b.ts', 1, 2],
    ]);
    // A test whose failure is in the source is cited by its test file, the form CodeSmith reads.
    expect(failingTestsOf(logicCause(located[0]!, 2))).toEqual([{ file: 'src/a.test.ts', name: 'a > works' }]);
  });

  it("follows the frames of an error thrown in the code (vitest's, and node's `at fn (path)` form), not only the test's line", () => {
    // vitest 4's report of a TypeError thrown in lib/x/total.ts (as printed here).
    const vitest = [
      ' FAIL  lib/x/total.test.ts > totals',
      'TypeError: total: bad input',
      ' ❯ total lib/x/total.ts:2:20',
      '      1| export function total(n: number): number {',
      '      2|   if (n > 1) throw new TypeError("total: bad input");',
      '       |                    ^',
      ' ❯ lib/x/total.test.ts:4:10',
      '',
    ].join('\n');
    const [failure] = parseFailures(vitest);
    expect(failure).toMatchObject({ file: 'lib/x/total.test.ts', location: 'lib/x/total.test.ts:4', frames: ['lib/x/total.ts:2'] });
    // The same failure with frames in node's form, absolute, as jest and node print them.
    const jest = [' FAIL  lib/x/total.test.ts > totals', '    TypeError: total: bad input', '      at total (/home/u/crm/lib/x/total.ts:2:20)', '      at Object.<anonymous> (/home/u/crm/lib/x/total.test.ts:4:10)', '      at Promise.then.completed (/home/u/crm/node_modules/jest-circus/build/utils.js:298:28)', ''].join('\n');
    expect(parseFailures(jest)[0]!.frames).toEqual(['/home/u/crm/lib/x/total.ts:2']);
    const project: SourceFile[] = [
      { path: 'lib/x/total.test.ts', content: "import { total } from './total';\nimport { fmt } from './fmt';\n" },
      { path: 'lib/x/total.ts', content: 'export function total(n: number): number {\n  if (n > 1) throw new TypeError("total: bad input");\n  return n;\n}\n' },
      { path: 'lib/x/fmt.ts', content: 'export const fmt = (n: number) => String(n);\n' },
    ];
    for (const f of [failure!, parseFailures(jest)[0]!]) {
      const tests = ticketTests('Totals fail with bad input', [f]);
      expect(locateLogic(project, 'Totals fail with bad input', tests).map((l) => [l.path, l.line, l.reaches[0]!.frame])).toEqual([
        ['lib/x/total.ts', 2, 'lib/x/total.ts:2'],
        ['lib/x/fmt.ts', 1, null],
      ]);
    }
    // Without a frame in the code, the name the test imports gives the line.
    const plain = ticketTests('Totals fail with bad input', [{ ...failure!, frames: undefined }]);
    expect(locateLogic(project, 'Totals fail with bad input', plain)[0]).toMatchObject({ path: 'lib/x/total.ts', line: 1, symbol: 'total' });
  });

  it("follows imports through a tsconfig's paths and baseUrl (comments and trailing commas allowed), a nested app's own config first", () => {
    const project: SourceFile[] = [
      { path: 'tsconfig.json', content: '{\n  // Next.js\n  "compilerOptions": {\n    "baseUrl": ".",\n    /* aliases */\n    "paths": { "@/*": ["./*"], },\n  },\n}\n' },
      { path: 'utils/price.ts', content: 'export function toCents(n: number) {\n  return n;\n}\n' },
      { path: 'utils/price.test.ts', content: "import { toCents } from '@/utils/price';\n" },
      { path: 'utils/date.test.ts', content: "import { day } from 'utils/date';\n" },
      { path: 'utils/date.ts', content: 'export const day = 1;\n' },
      { path: 'apps/web/tsconfig.json', content: '{ "compilerOptions": { "paths": { "@/*": ["./src/*"] } } }' },
      { path: 'apps/web/src/cart.ts', content: 'export class Cart {}\n' },
      { path: 'apps/web/src/cart.test.ts', content: "import { Cart } from '@/cart';\n" },
    ];
    const fail = (file: string): TestFailure => ({ file, name: 'prices fail', message: '', location: `${file}:1` });
    for (const [test, path, line] of [
      ['utils/price.test.ts', 'utils/price.ts', 1],
      ['utils/date.test.ts', 'utils/date.ts', 1],
      ['apps/web/src/cart.test.ts', 'apps/web/src/cart.ts', 1],
    ] as const) {
      const tests = ticketTests('Prices fail', [fail(test)]);
      expect(locateLogic(project, 'Prices fail', tests).map((l) => [l.path, l.line]), test).toEqual([[path, line]]);
    }
  });

  it('test helpers are not where the bug lives, and a test that imports nothing leads nowhere', () => {
    const project: SourceFile[] = [
      { path: 'lib/x.test.ts', content: "import { render } from './testing/render';\n" },
      { path: 'lib/testing/render.ts', content: 'export function render() {}\n' },
      { path: 'lib/y.test.ts', content: "import { expect } from 'vitest';\n" },
    ];
    const tests = ticketTests('x and y fail', [
      { file: 'lib/x.test.ts', name: 'x fails', message: '', location: 'lib/x.test.ts:2' },
      { file: 'lib/y.test.ts', name: 'y fails', message: '', location: 'lib/y.test.ts:2' },
    ]);
    expect(tests).toHaveLength(2);
    expect(locateLogic(project, 'x and y fail', tests)).toEqual([]);
  });
});

describe('unaccounted', () => {
  it("leaves out the failing tests a cause the ticket explains already cites: the example's own ticket gets no logic cause", () => {
    const tool: RootCause = {
      id: 'tool:create_estimate_record',
      summary: 'Missing MCP tool: create_estimate_record',
      fix: 'mcp-tool',
      subject: 'create_estimate_record',
      evidence: ['lib/voice-agent/agent.ts:16: uses create_estimate_record'],
      confidence: 75,
    };
    const text = 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.';
    const e = explainTicket([tool], text, [estimateTest, validateTest]);
    expect(e.tests.map((t) => t.failure.file)).toEqual(['lib/voice-agent/agent.test.ts']);
    expect(e.explaining[0]!.evidence.some((x) => x.includes('failing test "voice agent > persists'))).toBe(true);
    expect(unaccounted(e)).toEqual([]);
    // Without the tool cause, the same test is loose.
    expect(unaccounted(explainTicket([], text, [estimateTest])).map((t) => t.failure.file)).toEqual(['lib/voice-agent/agent.test.ts']);
  });
});
