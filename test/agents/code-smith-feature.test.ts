// CodeSmith's component and test generators as pure functions, and what they write checked by the
// real TypeScript compiler against the real @types/react.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { understandSpec } from '../../src/engine/pipeline.js';
import { componentFile, findComponentPattern, findComponentTestStyle, type ComponentSpec } from '../../agents/code-smith/component.js';
import { resolveTestTarget, shapeFields } from '../../agents/code-smith/test-gen.js';
import { focusedCommand } from '../../src/integrations/shell.js';
import { fieldsFor, type Column } from '../../agents/code-smith/generate.js';
import { typeCheck } from '../../agents/shared/ts-diagnostics.js';

const col = (name: string, type: string, nullable = false, hasDefault = false): Column => ({ name, type, nullable, hasDefault, defaultText: hasDefault ? 'x' : null });
const PARCELS: Column[] = [col('id', 'uuid', false, true), col('depot_id', 'uuid'), col('label', 'text'), col('weight_kg', 'numeric'), col('fragile', 'boolean', false, true), col('sent_at', 'timestamp with time zone', true)];
const known = new Set(['string', 'uuid', 'number', 'date', 'boolean']);

describe('understandSpec for components and tests', () => {
  const tables = ['depots', 'parcels'];
  it.each([
    ['parcels list', { ok: true, table: 'parcels', variant: 'list' }],
    ['new parcel form', { ok: true, table: 'parcels', variant: 'form' }],
    ['table of all depots', { ok: true, table: 'depots', variant: 'list' }],
  ])('%s', (spec, want) => expect(understandSpec('component', spec, tables)).toMatchObject(want));

  it('names the words it did not understand, and an example that works', () => {
    expect(understandSpec('component', 'parcel tracking map with live gps', tables)).toEqual({ ok: false, understood: 'a list component for parcels, but not "tracking map with live gps" (offline, a component is a list or a form of one table)', example: 'agent generate component "parcels list"' });
    expect(understandSpec('component', 'rocket', tables)).toMatchObject({ ok: false, example: 'agent generate component "depots list"' });
  });

  it('finds the file to test by path or by words, and refuses files that already have a test', () => {
    const files = [
      { path: 'src/app/api/parcels/route.ts', content: "export async function GET() { return getDb().from('parcels').select(); }" },
      { path: 'src/app/api/depots/route.ts', content: "export async function POST() { await getDb().from('depots').insert({}); }" },
      { path: 'src/app/api/depots/route.spec.ts', content: '' },
      { path: 'src/x.spec.ts', content: '' },
      { path: 'edge/tools/parcel.ts', content: "export const t = [{ name: 'send', async handler(a, { db }) { await db.from('parcels').insert(a); } }];" },
    ];
    expect(resolveTestTarget('./src/app/api/parcels/route.ts', files, tables)).toMatchObject({ ok: true, target: { kind: 'route', table: 'parcels', testPath: 'src/app/api/parcels/route.spec.ts' } });
    expect(resolveTestTarget('parcel tools', files, tables)).toMatchObject({ ok: true, target: { kind: 'tools', path: 'edge/tools/parcel.ts' } });
    expect(resolveTestTarget('depots endpoint', files, tables)).toMatchObject({ ok: false, understood: expect.stringContaining('already has one (src/app/api/depots/route.spec.ts)'), example: 'agent generate test "src/app/api/parcels/route.ts"' });
  });

  it('reads a validate() shape', () => {
    expect(shapeFields("const v = validate<X>(body, {\n  label: { type: 'string', required: true },\n  weight_kg: { type: 'number' },\n});")).toEqual([
      { name: 'label', type: 'string', required: true },
      { name: 'weight_kg', type: 'number', required: false },
    ]);
  });

  it('narrows the test command to the generated files', () => {
    expect(focusedCommand('npm test --silent', ['a/b.test.ts'])).toBe('npm test --silent -- "a/b.test.ts"');
    expect(focusedCommand('npx vitest run', ['a/[id]/route.test.ts'])).toBe('npx vitest run "a/[id]/route.test.ts"');
  });
});

describe('component patterns', () => {
  it('falls back to Next.js conventions, in src/components when the app lives in src/app', () => {
    expect(findComponentPattern([{ path: 'src/app/page.tsx', content: 'export default function Page() { return null; }' }], 'list')).toMatchObject({ sibling: null, dir: 'src/components', naming: 'pascal', exportStyle: 'named', fetches: 'prop' });
    expect(findComponentPattern([{ path: 'app/layout.tsx', content: '' }], 'list').dir).toBe('components');
  });

  it('reads naming, export, fetching and client-ness from the sibling that fits the variant', () => {
    const files = [
      { path: 'ui/depot-card.tsx', content: 'export default function DepotCard() { return <div/>; }' },
      { path: 'ui/depot-list.tsx', content: "'use client';\nexport default function DepotList() { useEffect(() => { fetch('/api/depots'); }); return rows.map((r) => <li/>); }" },
    ];
    expect(findComponentPattern(files, 'list')).toMatchObject({ dir: 'ui', naming: 'kebab', exportStyle: 'default', fetches: 'api', useClient: true, sibling: { path: 'ui/depot-list.tsx' } });
  });

  it('renders tests with react-dom/server only when it resolves, and says why not otherwise', () => {
    expect(findComponentTestStyle([], () => true)).toMatchObject({ sibling: null, hooks: true });
    expect(findComponentTestStyle([], () => false)).toEqual({ none: expect.stringContaining('react-dom/server does not resolve') });
  });
});

describe('generated components type-check against the real @types/react', () => {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-tsx-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));
  const root = join(parent, 'p');
  mkdirSync(root);
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], jsx: 'react-jsx', strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['ui'] }));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const fields = fieldsFor(PARCELS, known);
  const route = { url: '/api/parcels', getKey: 'parcels', hasPost: true };

  it.each([
    ['list', 'prop'],
    ['list', 'api'],
    ['form', 'prop'],
    ['form', 'api'],
  ] as const)('%s, rows %s', async (variant, fetches) => {
    const p = { ...findComponentPattern([], variant), dir: 'ui', fetches };
    const spec: ComponentSpec = { table: 'parcels', variant, columns: PARCELS, fields, route };
    const c = componentFile(spec, p);
    expect(c.fetches).toBe(fetches);
    expect(c.usesHooks).toBe(fetches === 'api');
    if (fetches === 'api') expect(c.content).toMatch(/^\/\/ .*\n'use client';/);
    const r = await typeCheck(root, new Map([[c.path, c.content]]));
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toBeGreaterThan(0);
  });

  it('a sibling that fetches, for a table without a route: rows as a prop, and it says so', () => {
    const c = componentFile({ table: 'parcels', variant: 'list', columns: PARCELS, fields, route: null }, { ...findComponentPattern([], 'list'), fetches: 'api' });
    expect(c.fetches).toBe('prop');
    expect(c.notes).toEqual(['the sibling fetches from its API route, but there is no API route for parcels: rows come in as a prop instead']);
  });
});
