// A CRM the generators have never seen, for `generate component|test`: a garage with vehicles and
// repairs, kebab-case components with default exports under web/ui/, their tests in __tests__/
// as .spec.tsx rendered by its own helper, tools that get a `store` (not a `db`), and an in-memory
// store called inMemoryStore(). It shares no name with examples/crm.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers.js';

const tsconfig = (jsx: boolean) =>
  JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], ...(jsx ? { jsx: 'react-jsx' } : {}), strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['src', 'web'] }, null, 2);

const BASE: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'garage-crm', private: true, type: 'module', scripts: { test: 'vitest run' } }),
  'vitest.config.mjs': "export default { test: { include: ['**/*.test.ts', '**/*.spec.tsx'], exclude: ['node_modules/**', 'staged/**', '.agent/**'] } };\n",
  '.gitignore': 'node_modules\n.agent/\nstaged/*\n',
  'supabase/migrations/20240105080000_vehicles.sql': 'create table public.vehicles (\n  id uuid primary key default gen_random_uuid(),\n  plate text not null,\n  make text,\n  mileage integer not null default 0,\n  registered_on date\n);\n',
  'supabase/migrations/20240106080000_repairs.sql':
    'create table public.repairs (\n  id uuid primary key default gen_random_uuid(),\n  vehicle_id uuid not null references public.vehicles (id),\n  description text not null,\n  cost numeric not null,\n  done boolean not null default false,\n  created_at timestamptz not null default now()\n);\ncreate index repairs_vehicle_id_idx on public.repairs (vehicle_id);\n',
  'src/data/garage-store.ts': [
    'export type Rec = Record<string, unknown> & { id: string };',
    'export interface GarageStore {',
    '  from(table: string): { insert(r: object): Promise<{ data: Rec; error: null }>; select(): Promise<{ data: Rec[]; error: null }> };',
    '}',
    'export function inMemoryStore(): GarageStore {',
    '  const tables = new Map<string, Rec[]>();',
    '  const rows = (t: string) => tables.get(t) ?? tables.set(t, []).get(t)!;',
    '  return {',
    '    from: (t) => ({',
    '      insert: async (r) => {',
    '        const rec = { id: crypto.randomUUID(), ...r } as Rec;',
    '        rows(t).push(rec);',
    '        return { data: rec, error: null };',
    '      },',
    '      select: async () => ({ data: [...rows(t)], error: null }),',
    '    }),',
    '  };',
    '}',
    '',
  ].join('\n'),
  'src/data/garage-store.test.ts': "import { expect, test } from 'vitest';\nimport { inMemoryStore } from './garage-store';\n\ntest('keeps what it is given', async () => {\n  const s = inMemoryStore();\n  await s.from('vehicles').insert({ plate: 'AB-12' });\n  expect((await s.from('vehicles').select()).data).toHaveLength(1);\n});\n",
  'src/mcp/tools/vehicle_tools.ts': [
    "import type { GarageStore } from '../../data/garage-store';",
    '',
    'interface Tool { name: string; inputSchema: { type: string; properties: Record<string, { type: string; format?: string }>; required?: string[] }; handler(args: Record<string, unknown>, ctx: { store: GarageStore }): Promise<unknown> }',
    '',
    'export const vehicleTools: Tool[] = [',
    '  {',
    "    name: 'register_vehicle',",
    "    inputSchema: { type: 'object', properties: { plate: { type: 'string' }, make: { type: 'string' } }, required: ['plate'] },",
    '    async handler(args, { store }) {',
    "      if (typeof args.plate !== 'string' || !args.plate) throw new Error('plate?');",
    "      const { data } = await store.from('vehicles').insert({ plate: args.plate, make: args.make ?? null });",
    '      return data;',
    '    },',
    '  },',
    '];',
    '',
  ].join('\n'),
};

/** The garage's own component pattern: a component, its spec and the helper that renders it. */
const COMPONENTS: Record<string, string> = {
  'web/ui/vehicle-table.tsx': [
    "import type { Vehicle } from '../../src/data/vehicle';",
    '',
    'export default function VehicleTable({ vehicles }: { vehicles: Vehicle[] }) {',
    '  if (!vehicles.length) return <p className="muted">Nothing here.</p>;',
    '  return (',
    '    <table className="tbl tbl-striped">',
    '      <tbody>',
    '        {vehicles.map((v) => (',
    '          <tr key={v.id}>',
    '            <td>{v.plate}</td>',
    '          </tr>',
    '        ))}',
    '      </tbody>',
    '    </table>',
    '  );',
    '}',
    '',
  ].join('\n'),
  'src/data/vehicle.ts': 'export interface Vehicle { id: string; plate: string }\n',
  // Walks the element tree: components are called, tags printed. No DOM, no react-dom.
  'web/test/markup.ts': [
    "import { isValidElement, type ReactElement, type ReactNode } from 'react';",
    '',
    'export function markupOf(node: ReactNode): string {',
    "  if (node == null || typeof node === 'boolean') return '';",
    "  if (typeof node === 'string' || typeof node === 'number') return String(node);",
    "  if (Array.isArray(node)) return node.map((n: ReactNode) => markupOf(n)).join('');",
    "  if (!isValidElement(node)) throw new Error('not renderable');",
    '  const el = node as ReactElement<{ children?: ReactNode }>;',
    "  if (typeof el.type === 'function') return markupOf((el.type as (p: unknown) => ReactNode)(el.props));",
    "  if (typeof el.type !== 'string') return markupOf(el.props.children);",
    "  const attrs = Object.entries(el.props).filter(([k, v]) => k !== 'children' && v != null && v !== false && typeof v !== 'function').map(([k, v]) => (v === true ? ` ${k}` : ` ${k === 'className' ? 'class' : k}=\"${String(v)}\"`)).join('');",
    '  return `<${el.type}${attrs}>${markupOf(el.props.children)}</${el.type}>`;',
    '}',
    '',
  ].join('\n'),
  'web/ui/__tests__/vehicle-table.spec.tsx': [
    "import { expect, it } from 'vitest';",
    "import { markupOf } from '../../test/markup';",
    "import VehicleTable from '../vehicle-table';",
    '',
    "it('lists plates', () => {",
    "  expect(markupOf(<VehicleTable vehicles={[{ id: 'v1', plate: 'AB-12' }]} />)).toContain('<td>AB-12</td>');",
    '});',
    '',
  ].join('\n'),
};

export const made: string[] = [];

/** A garage CRM as its own git repository; `components: false` leaves out every component. */
export function makeGarage(opts: { components: boolean; jsx?: boolean; extra?: Record<string, string> }): string {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-garage-'));
  made.push(parent);
  const dir = join(parent, 'garage');
  const files = { ...BASE, 'tsconfig.json': tsconfig(opts.jsx ?? true), ...(opts.components ? COMPONENTS : {}), ...(opts.extra ?? {}) };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'garage']]) spawnSync('git', args, { cwd: dir });
  return dir;
}
