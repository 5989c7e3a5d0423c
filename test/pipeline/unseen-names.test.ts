// CodeSmith's endpoints, tools and their tests on a CRM whose conventions share no name with
// examples/crm: the garage of generate-garage.ts grown a front desk. Its in-memory store is
// inMemoryStore() (src/data/garage-store.ts), routes reach it through database() of
// src/server/database.ts and answer with reply()/rejected() (422)/crashed(); tools get a `store`
// and are typed by an interface their file declares; the registry is an object in src/mcp/catalog.ts
// (registry.call(), registry.toolNames()) whose test shows how tools are listed and called. The
// generated tests must compile and pass in StageAgent's run of the project's tests.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';
import { made, makeGarage } from './generate-garage.js';

afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const DESK: Record<string, string> = {
  // The garage's store, with the match argument its routes filter by.
  'src/data/garage-store.ts': [
    'export type Rec = Record<string, unknown> & { id: string };',
    'export interface GarageStore {',
    '  from(table: string): { insert(r: object): Promise<{ data: Rec; error: { message: string } | null }>; select(match?: Record<string, unknown>): Promise<{ data: Rec[]; error: { message: string } | null }> };',
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
    '      select: async (match = {}) => ({ data: rows(t).filter((r) => Object.entries(match).every(([k, v]) => r[k] === v)), error: null }),',
    '    }),',
    '  };',
    '}',
    '',
  ].join('\n'),
  'src/server/database.ts': [
    "import { inMemoryStore, type GarageStore } from '../data/garage-store';",
    '',
    'let current: GarageStore = inMemoryStore();',
    '',
    'export const database = (): GarageStore => current;',
    '',
    'export function useDatabase(store: GarageStore): void {',
    '  current = store;',
    '}',
    '',
  ].join('\n'),
  'src/server/answers.ts': [
    'export function reply(body: unknown, status = 200): Response {',
    "  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });",
    '}',
    '',
    'export function rejected(problems: string[]): Response {',
    '  return reply({ problems }, 422);',
    '}',
    '',
    'export function crashed(message: string): Response {',
    '  return reply({ message }, 503);',
    '}',
    '',
    'export async function bodyOf(request: Request): Promise<unknown> {',
    '  try {',
    '    return await request.json();',
    '  } catch {',
    '    return null;',
    '  }',
    '}',
    '',
  ].join('\n'),
  'src/server/checks.ts': [
    "export type FieldType = 'string' | 'uuid' | 'number' | 'integer' | 'boolean';",
    '',
    'export function validate(input: unknown, shape: Record<string, { type: FieldType; required?: boolean }>): { ok: true; value: Record<string, unknown> } | { ok: false; errors: string[] } {',
    '  const body = (input ?? {}) as Record<string, unknown>;',
    '  const errors: string[] = [];',
    '  const value: Record<string, unknown> = {};',
    '  for (const [k, s] of Object.entries(shape)) {',
    '    const v = body[k];',
    '    if (v === undefined) {',
    '      if (s.required) errors.push(`${k}: missing`);',
    '      continue;',
    '    }',
    "    const good = s.type === 'integer' ? Number.isInteger(v) : s.type === 'number' ? typeof v === 'number' : s.type === 'boolean' ? typeof v === 'boolean' : typeof v === 'string';",
    '    if (good) value[k] = v;',
    '    else errors.push(`${k}: not ${s.type}`);',
    '  }',
    '  return errors.length ? { ok: false, errors } : { ok: true, value };',
    '}',
    '',
  ].join('\n'),
  'src/app/api/vehicles/route.ts': [
    "import { bodyOf, crashed, rejected, reply } from '../../../server/answers';",
    "import { validate } from '../../../server/checks';",
    "import { database } from '../../../server/database';",
    '',
    'export async function GET(): Promise<Response> {',
    "  const { data, error } = await database().from('vehicles').select();",
    '  if (error) return crashed(error.message);',
    '  return reply({ vehicles: data });',
    '}',
    '',
    'export async function POST(request: Request): Promise<Response> {',
    "  const checked = validate(await bodyOf(request), { plate: { type: 'string', required: true }, make: { type: 'string' }, mileage: { type: 'integer' } });",
    '  if (!checked.ok) return rejected(checked.errors);',
    "  const { data, error } = await database().from('vehicles').insert(checked.value);",
    '  if (error) return crashed(error.message);',
    '  return reply({ vehicle: data }, 201);',
    '}',
    '',
  ].join('\n'),
  'src/app/api/vehicles/route.test.ts': [
    "import { beforeEach, describe, expect, it } from 'vitest';",
    "import { inMemoryStore } from '../../../data/garage-store';",
    "import { useDatabase } from '../../../server/database';",
    "import { GET, POST } from './route';",
    '',
    "describe('vehicles api', () => {",
    '  beforeEach(() => useDatabase(inMemoryStore()));',
    '',
    "  it('registers and lists vehicles', async () => {",
    "    const res = await POST(new Request('http://garage/api/vehicles', { method: 'POST', body: JSON.stringify({ plate: 'KL-77' }) }));",
    '    expect(res.status).toBe(201);',
    '    expect((await (await GET()).json()).vehicles).toHaveLength(1);',
    '  });',
    '});',
    '',
  ].join('\n'),
  'src/mcp/catalog.ts': [
    "import type { GarageStore } from '../data/garage-store';",
    "import { vehicleTools } from './tools/vehicle_tools';",
    '',
    'const all = [...vehicleTools];',
    '',
    'export const registry = {',
    '  toolNames(): string[] {',
    '    return all.map((t) => t.name);',
    '  },',
    '  async call(name: string, args: Record<string, unknown>, ctx: { store: GarageStore }): Promise<{ value?: unknown; failure: string | null }> {',
    '    const tool = all.find((t) => t.name === name);',
    '    if (!tool) return { failure: `no tool ${name}` };',
    '    try {',
    '      return { value: await tool.handler(args, ctx), failure: null };',
    '    } catch (e) {',
    '      return { failure: (e as Error).message };',
    '    }',
    '  },',
    '};',
    '',
  ].join('\n'),
  'src/mcp/catalog.test.ts': [
    "import { describe, expect, it } from 'vitest';",
    "import { inMemoryStore } from '../data/garage-store';",
    "import { registry } from './catalog';",
    '',
    "describe('tool catalog', () => {",
    "  it('names each tool once', () => {",
    '    const names = registry.toolNames();',
    '    expect(new Set(names).size).toBe(names.length);',
    "    expect(names).toContain('register_vehicle');",
    '  });',
    '',
    "  it('calls a tool with the store and reports failures', async () => {",
    '    const store = inMemoryStore();',
    "    const done = await registry.call('register_vehicle', { plate: 'KL-77' }, { store });",
    '    expect(done.failure).toBeNull();',
    "    const refused = await registry.call('register_vehicle', {}, { store });",
    "    expect(refused.failure).toBe('plate?');",
    '  });',
    '});',
    '',
  ].join('\n'),
  // The front desk confirms repairs through a tool nobody wrote.
  'src/desk/intake.ts': [
    "import type { GarageStore } from '../data/garage-store';",
    "import { registry } from '../mcp/catalog';",
    '',
    'export async function invokeTool(store: GarageStore, name: string, args: Record<string, unknown>) {',
    '  return registry.call(name, args, { store });',
    '}',
    '',
    'export async function noteRepair(store: GarageStore, vehicleId: string, description: string, cost: number): Promise<string> {',
    "  const out = await invokeTool(store, 'log_repair', { vehicle_id: vehicleId, description, cost });",
    "  return out.failure ? 'Could not log the repair' : `Logged: ${description}`;",
    '}',
    '',
  ].join('\n'),
  'src/desk/intake.test.ts': [
    "import { expect, it } from 'vitest';",
    "import { inMemoryStore } from '../data/garage-store';",
    "import { noteRepair } from './intake';",
    '',
    "it('stores the repair it confirms', async () => {",
    '  const store = inMemoryStore();',
    "  expect(await noteRepair(store, '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f', 'New brake pads', 240)).toBe('Logged: New brake pads');",
    "  expect((await store.from('repairs').select()).data).toHaveLength(1);",
    '});',
    '',
  ].join('\n'),
};

/** The vehicle tools' own test, calling the handler directly. */
const VEHICLE_TOOLS_TEST = [
  "import { describe, expect, it } from 'vitest';",
  "import { inMemoryStore } from '../../data/garage-store';",
  "import { vehicleTools } from './vehicle_tools';",
  '',
  "describe('vehicle tools', () => {",
  "  it('registers a vehicle', async () => {",
  '    const store = inMemoryStore();',
  "    await vehicleTools[0]!.handler({ plate: 'KL-77' }, { store });",
  "    expect((await store.from('vehicles').select()).data).toHaveLength(1);",
  '  });',
  '});',
  '',
].join('\n');

const stagedFiles = (dir: string, stdout: string) => join(dir, /(?:Staged environment|Feature) ready: \.\/(staged\/[^/]+)\//.exec(stdout)![1]!, 'files');
const manifestOf = (files: string) => JSON.parse(readFileSync(join(files, '..', 'manifest.json'), 'utf8')) as { files: Array<{ path: string }>; tests: { ok: boolean; passed: number; failed: number } };

describe('CodeSmith on a CRM with its own names for the store, the registry and the db module', () => {
  it('fix ticket: the tool and the endpoint, with tests in the project’s style that compile and pass', async () => {
    const dir = makeGarage({ components: false, extra: DESK });
    const created = parseNdjson((await agent(['create', 'ticket', '--json', 'The front desk says a repair was logged, but no repair is stored for the vehicle'], { cwd: dir })).stdout).at(-1) as { data: { ticket: { id: string } } };
    const r = await agent(['fix', 'ticket', created.data.ticket.id], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[CODESMITH] ✓ Created MCP tool: log_repair');
    expect(r.stdout).toContain('[CODESMITH] ✓ Generated API endpoint: POST /api/repairs');
    expect(r.stdout).toMatch(/\[STAGE\] ✓ All tests passing/);
    const files = stagedFiles(dir, r.stdout);
    const manifest = manifestOf(files);
    expect(manifest.tests).toMatchObject({ ok: true, failed: 0 });
    expect(manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining(['src/mcp/tools/repair_tools.ts', 'src/mcp/catalog.ts', 'src/mcp/tools/repair_tools.test.ts', 'src/app/api/repairs/route.ts', 'src/app/api/repairs/route.test.ts']));

    // The tool: typed and handed the store like its sibling, spread into the catalog's array.
    const tool = readFileSync(join(files, 'src/mcp/tools/repair_tools.ts'), 'utf8');
    expect(tool).toContain('export const repairTools: Tool[] = [');
    expect(tool).toContain('interface Tool {');
    expect(tool).toContain("await store.from('repairs').insert(args)");
    expect(readFileSync(join(files, 'src/mcp/catalog.ts'), 'utf8')).toContain('const all = [...vehicleTools, ...repairTools];');
    // Its test reaches it through the catalog as catalog.test.ts does, and checks the store.
    const toolTest = readFileSync(join(files, 'src/mcp/tools/repair_tools.test.ts'), 'utf8');
    expect(toolTest).toContain("import { inMemoryStore } from '../../data/garage-store';");
    expect(toolTest).toContain("import { registry } from '../catalog';");
    expect(toolTest).toContain("expect(registry.toolNames()).toContain('log_repair');");
    expect(toolTest).toMatch(/const out = await registry\.call\('log_repair', \{ vehicle_id: '[0-9a-f-]{36}', description: '[^']+', cost: \d+ \}, \{ store \}\);\n\s+expect\(out\.failure\)\.toBeNull\(\);/);
    expect(toolTest).toContain("expect((await store.from('repairs').select()).data).toHaveLength(1);");

    // The endpoint: the sibling route's database(), answers and body reading; its test the
    // sibling test's setup, and the statuses the generated handler answers.
    const route = readFileSync(join(files, 'src/app/api/repairs/route.ts'), 'utf8');
    expect(route).toContain("await database().from('repairs').insert(input.value)");
    expect(route).toContain('if (!input.ok) return rejected(input.errors);');
    expect(route).toContain('const input = validate(await bodyOf(req), {'); // the sibling's validate takes no type argument
    expect(route).toContain('return reply({ repair: data }, 201);');
    const routeTest = readFileSync(join(files, 'src/app/api/repairs/route.test.ts'), 'utf8');
    expect(routeTest).toContain("import { inMemoryStore } from '../../../data/garage-store';");
    expect(routeTest).toContain("import { useDatabase } from '../../../server/database';");
    expect(routeTest).toContain('  beforeEach(() => useDatabase(inMemoryStore()));');
    expect(routeTest).toContain('expect(res.status).toBe(201);');
    expect(routeTest).toContain('expect(res.status).toBe(422);'); // rejected() answers 422
  });

  it('generate api and mcp-tool: tests that pass, and a test the project has is added to, not replaced', async () => {
    const dir = makeGarage({ components: false, extra: { ...DESK, 'src/mcp/tools/vehicle_tools.test.ts': VEHICLE_TOOLS_TEST } });
    const api = await agent(['generate', 'api', 'repairs endpoint'], { cwd: dir });
    expect(api.code, api.stdout + api.stderr).toBe(0);
    const apiFiles = stagedFiles(dir, api.stdout);
    // The desk's repair test fails before and after (no log_repair yet); a failing generated test
    // would be a new failure, and StageAgent would block.
    expect(api.stdout).toContain('already failing before this change: stores the repair it confirms');
    expect(manifestOf(apiFiles).tests).toMatchObject({ ok: true, failed: 1 });
    expect(readFileSync(join(apiFiles, 'src/app/api/repairs/route.test.ts'), 'utf8')).toContain('beforeEach(() => useDatabase(inMemoryStore()));');

    const tool = await agent(['generate', 'mcp-tool', 'add_vehicle_record'], { cwd: dir });
    expect(tool.code, tool.stdout + tool.stderr).toBe(0);
    const toolFiles = stagedFiles(dir, tool.stdout);
    expect(manifestOf(toolFiles).tests).toMatchObject({ ok: true, failed: 1 });
    const test = readFileSync(join(toolFiles, 'src/mcp/tools/vehicle_tools.test.ts'), 'utf8');
    // The project's test, all of it, then the new block; imports merged, none repeated.
    const [head, ...rest] = VEHICLE_TOOLS_TEST.split('\n');
    expect(test.startsWith(`${head}\n`)).toBe(true);
    expect(test).toContain(rest.slice(2).join('\n').trim());
    expect(test).toContain("import { registry } from '../catalog';");
    expect(test.match(/from '\.\.\/\.\.\/data\/garage-store'/g)).toHaveLength(1);
    expect(test).toContain("describe('add_vehicle_record through the registry', () => {");
    expect(existsSync(join(toolFiles, 'src/mcp/tools/vehicle_tools.add_vehicle_record.test.ts'))).toBe(false);
  });

  it('without a registry test, no tool test: the plan says why, and nothing is invented', async () => {
    const { 'src/mcp/catalog.test.ts': _, ...noRegistryTest } = DESK;
    const dir = makeGarage({ components: false, extra: noRegistryTest });
    const r = await agent(['generate', 'mcp-tool', 'add_vehicle_record'], { cwd: dir });
    expect(r.stdout + r.stderr).toContain('Test for add_vehicle_record: no test generated: no test of the project imports src/mcp/catalog.ts');
    const staged = existsSync(join(dir, 'staged')) ? readdirSync(join(dir, 'staged')).filter((d) => !d.startsWith('.')) : [];
    for (const d of staged) expect(readdirSync(join(dir, 'staged', d, 'files', 'src/mcp/tools'))).toEqual(['vehicle_tools.ts']);
  });
});
