// How CodeSmith writes a new tool's test from the project's registry test, and where it puts a
// generated test when one is already there: pure functions over file contents, and what they
// write checked by the real TypeScript compiler.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers.js';
import { placeTest, registryToolTest, type GeneratedTest } from '../../agents/code-smith/test-gen.js';
import { typeCheck } from '../../agents/shared/ts-diagnostics.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A warehouse: its fake database is fakeDb() in src/infra/fake.ts, its registry a namespace of
// functions in src/hub/index.ts, called as hub.invoke(name, args, { conn }).
const WAREHOUSE: Record<string, string> = {
  'src/infra/fake.ts': [
    'export type Row = Record<string, unknown>;',
    'export interface Conn { from(t: string): { insert(r: Row): Promise<{ data: Row }>; select(): Promise<{ data: Row[] }> } }',
    'export function fakeDb(): Conn {',
    '  const t = new Map<string, Row[]>();',
    '  const rows = (n: string) => t.get(n) ?? t.set(n, []).get(n)!;',
    '  return { from: (n) => ({ insert: async (r) => (rows(n).push(r), { data: r }), select: async () => ({ data: [...rows(n)] }) }) };',
    '}',
    '',
  ].join('\n'),
  'src/hub/tools/crate_tools.ts': [
    "import type { Conn } from '../../infra/fake';",
    '',
    'export const crateTools = [',
    '  {',
    "    name: 'add_crate',",
    "    inputSchema: { type: 'object', properties: { label: { type: 'string' }, weight: { type: 'number' } }, required: ['label'] },",
    '    async handler(args: Record<string, unknown>, { conn }: { conn: Conn }) {',
    "      if (typeof args.label !== 'string') throw new Error('label');",
    "      const { data } = await conn.from('crates').insert(args);",
    '      return data;',
    '    },',
    '  },',
    '];',
    '',
  ].join('\n'),
  'src/hub/index.ts': [
    "import type { Conn } from '../infra/fake';",
    "import { crateTools } from './tools/crate_tools';",
    '',
    'const all = [...crateTools];',
    'export const names = (): string[] => all.map((t) => t.name);',
    'export async function invoke(name: string, args: Record<string, unknown>, ctx: { conn: Conn }): Promise<unknown> {',
    '  const tool = all.find((t) => t.name === name);',
    "  if (!tool) throw new Error('unknown ' + name);",
    '  return tool.handler(args, ctx);',
    '}',
    '',
  ].join('\n'),
  'src/hub/hub.test.ts': [
    "import { expect, test } from 'vitest';",
    "import { fakeDb } from '../infra/fake';",
    "import * as hub from '.';",
    '',
    "test('add_crate through the hub', async () => {",
    "  await hub.invoke('add_crate', { label: 'A1' }, { conn: fakeDb() });",
    "  expect(hub.names()).toContain('add_crate');",
    '});',
    '',
  ].join('\n'),
};

const files = (over: Record<string, string> = {}) => Object.entries({ ...WAREHOUSE, ...over }).map(([path, content]) => ({ path, content }));
const opts = { registry: 'src/hub/index.ts', toolsFile: 'src/hub/tools/crate_tools.ts', tool: 'add_crate', testPath: 'src/hub/tools/crate_tools.test.ts' };

describe('registryToolTest', () => {
  it("reuses the registry test's namespace import, call and listing, with the database it makes", async () => {
    const t = registryToolTest(files(), opts) as GeneratedTest;
    expect(t.content).toContain("import { fakeDb } from '../../infra/fake';");
    expect(t.content).toContain("import * as hub from '..';");
    expect(t.content).toContain("expect(hub.names()).toContain('add_crate');");
    expect(t.content).toContain('    const db = fakeDb();');
    expect(t.content).toContain("    await hub.invoke('add_crate', { label: 'Sample label' }, { conn: db });");
    expect(t.content).toContain("expect((await db.from('crates').select()).data).toHaveLength(1);");
    // The handler validates nothing with validate(): no refusal case is claimed.
    expect(t.content).not.toContain('refuses');
    // And it compiles against the warehouse's code.
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-registry-test-'));
    dirs.push(dir);
    for (const f of [...files(), { path: t.path, content: t.content }, { path: 'tsconfig.json', content: JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, skipLibCheck: true, noUnusedLocals: true, types: [] }, include: ['src'] }) }]) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    expect((await typeCheck(dir)).diagnostics).toEqual([]);
  });

  it('says why it writes no test', () => {
    const { 'src/hub/hub.test.ts': _, ...untested } = WAREHOUSE;
    expect(registryToolTest(Object.entries(untested).map(([path, content]) => ({ path, content })), opts)).toEqual({ error: 'no test of the project imports src/hub/index.ts: none shows how its tools are listed and called' });
    expect(registryToolTest(files(), { ...opts, registry: null })).toEqual({ error: 'the project has no tool registry to reach the tool through' });
    const ownConn = WAREHOUSE['src/hub/hub.test.ts']!.replace('{ conn: fakeDb() }', '{ conn: fakeDb(), user }').replace("test('", "const user = 'u1';\ntest('");
    expect(registryToolTest(files({ 'src/hub/hub.test.ts': ownConn }), opts)).toEqual({ error: 'the tool calls in src/hub/hub.test.ts pass user, which the test builds itself; a generated test cannot rebuild it' });
    const noFake = WAREHOUSE['src/hub/hub.test.ts']!.replace("import { fakeDb } from '../infra/fake';\n", '').replace('fakeDb()', '{} as never');
    expect(registryToolTest(files({ 'src/hub/hub.test.ts': noFake }), opts)).toMatchObject({ error: expect.stringContaining('makes no in-memory database') });
  });
});

describe('placeTest never overwrites a test', () => {
  const generated: GeneratedTest = {
    path: 'src/a/route.test.ts',
    cases: ['x'],
    notes: [],
    content: "import { beforeEach, describe, expect, it } from 'vitest';\nimport { fakeDb } from '../infra/fake';\n\ndescribe('/a', () => {\n  it('works', () => expect(fakeDb()).toBeTruthy());\n});\n",
  };

  it('writes a free path as is', () => {
    expect(placeTest(generated, null, 'a', () => false)).toMatchObject({ placed: 'new', path: 'src/a/route.test.ts', content: generated.content });
  });

  it("appends the block to the project's test, its imports merged into the file's", () => {
    const existing = "import { expect, it } from 'vitest';\nimport { other } from './other';\n\nit('was here', () => expect(other).toBe(1));\n";
    const p = placeTest(generated, existing, 'a', () => true);
    expect(p.placed).toBe('appended');
    expect(p.path).toBe('src/a/route.test.ts');
    expect(p.content).toBe(
      "import { beforeEach, describe, expect, it } from 'vitest';\nimport { other } from './other';\nimport { fakeDb } from '../infra/fake';\n\nit('was here', () => expect(other).toBe(1));\n\ndescribe('/a', () => {\n  it('works', () => expect(fakeDb()).toBeTruthy());\n});\n",
    );
  });

  it('writes a sibling file when a name it needs means something else in the project test', () => {
    const existing = "import { it } from 'vitest';\nimport { fakeDb } from './elsewhere';\n\nit('x', () => fakeDb());\n";
    const taken = new Set(['src/a/route.test.ts', 'src/a/route.stays.test.ts']);
    expect(placeTest(generated, existing, 'stays', (p) => taken.has(p))).toMatchObject({ placed: 'sibling', path: 'src/a/route.stays-2.test.ts', content: generated.content });
    const helper = { ...generated, content: generated.content.replace("\ndescribe(", "\nconst post = 1;\ndescribe(") };
    expect(placeTest(helper, "const post = 2;\n", 'stays', () => false)).toMatchObject({ placed: 'sibling', path: 'src/a/route.stays.test.ts' });
  });
});
