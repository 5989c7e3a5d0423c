// CodeSmith by analogy on a CRM laid out unlike examples/crm (test/fixtures/crm-analogy): tools are
// plain functions registered in an object literal, routes are made by factories, the app lives in
// apps/web/, a webhook route and an Edge Function sit beside them. What the AST finds, the sibling
// each new thing follows, and the code written from it; then the fixture's own test command (a
// real child process) runs on the fixture with the new tool and its test in place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from '../helpers.js';
import {
  describeRoute,
  findRegistries,
  findRoutes,
  loadTypescript,
  nearestRouteSibling,
  nearestToolSibling,
  renamer,
  entityPairs,
  routeByAnalogy,
  testByAnalogy,
  toolByAnalogy,
  toolSiblings,
  transform,
} from '../../agents/code-smith/analogy.js';
import { fieldsFor, validatorTypes, type Column } from '../../agents/code-smith/generate.js';
import type { SourceFile } from '../../agents/shared/project-files.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'crm-analogy');

function readTree(dir: string, base = dir): SourceFile[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (n === 'node_modules') return [];
    return statSync(p).isDirectory() ? readTree(p, base) : [{ path: relative(base, p), content: readFileSync(p, 'utf8') }];
  });
}

const col = (name: string, type: string, nullable = false, hasDefault = false): Column => ({ name, type, nullable, hasDefault, defaultText: hasDefault ? 'x' : null });
const COLUMNS: Record<string, Column[]> = {
  clients: [col('id', 'uuid', false, true), col('name', 'text'), col('email', 'text', true), col('phone', 'text', true), col('created_at', 'timestamp with time zone', false, true)],
  deals: [col('id', 'uuid', false, true), col('client_id', 'uuid'), col('title', 'text'), col('amount', 'integer'), col('stage', 'text', false, true), col('created_at', 'timestamp with time zone', false, true)],
  notes: [col('id', 'uuid', false, true), col('deal_id', 'uuid'), col('body', 'text'), col('pinned', 'boolean', false, true), col('created_at', 'timestamp with time zone', false, true)],
};

const files = readTree(FIXTURE);
const known = validatorTypes(files);
const fields = (t: string) => fieldsFor(COLUMNS[t]!, known);
let ts: Awaited<ReturnType<typeof loadTypescript>>;
beforeAll(async () => {
  ts = await loadTypescript();
});

describe('where the project keeps its tools and routes (AST)', () => {
  it('finds the object-literal registry, its entries resolved through their imports, and what each does', () => {
    const regs = findRegistries(ts, files);
    expect(regs.map((r) => `${r.file.path}:${r.line} ${r.kind} ${r.name} [${r.entries.map((e) => e.key).join(', ')}]`)).toEqual(['apps/web/mcp/handlers.ts:7 object handlers [list_clients, create_client, list_deals]']);
    const sibs = toolSiblings(ts, files, regs);
    expect(sibs.map((s) => `${s.entry.key} ${s.op} ${s.table} ${s.decl.file.path}:${s.decl.line}`)).toEqual(['list_clients select clients apps/web/mcp/clients.ts:17', 'create_client insert clients apps/web/mcp/clients.ts:4', 'list_deals select deals apps/web/mcp/deals.ts:3']);
    const near = nearestToolSibling(sibs, 'create_deal')!;
    expect(near.entry.key).toBe('create_client');
    expect(near.why).toBe('create_client (apps/web/mcp/clients.ts:4), registered in handlers (apps/web/mcp/handlers.ts:7, an object literal): it inserts into clients, its name starts with create');
  });

  it('finds Map, array and switch registries too', () => {
    const src = (path: string, content: string): SourceFile => ({ path, content });
    const regs = findRegistries(ts, [
      src('a/map.ts', "import { a, b } from './x';\nexport const tools = new Map([\n  ['make_a', a],\n  ['make_b', b],\n]);\n"),
      src('a/set.ts', "import { a, b } from './x';\nconst reg = new Map();\nreg.set('make_a', a);\nreg.set('make_b', b);\n"),
      src('a/array.ts', "import { a, b } from './x';\nexport const all = [a, b];\n"),
      src('a/switch.ts', "export async function run(name: string, db: any) {\n  switch (name) {\n    case 'add_pet':\n      return db.from('pets').insert({});\n    case 'list_pets':\n      return db.from('pets').select();\n  }\n}\n"),
    ]);
    expect(regs.map((r) => `${r.kind} ${r.name} ${r.entries.map((e) => e.key).join(',')}`)).toEqual(['map tools make_a,make_b', 'map reg make_a,make_b', 'array all a,b', 'switch name add_pet,list_pets']);
  });

  it('sees route factories, a webhook route and an Edge Function, and follows the route that posts a row', () => {
    const routes = findRoutes(ts, files);
    expect(routes.map(describeRoute).sort()).toEqual([
      'apps/web/app/api/clients/route.ts (GET = listRoute(…), POST = createRoute(…); selects clients, inserts clients)',
      'apps/web/app/api/webhooks/stripe/route.ts (POST; touches no table)',
      'supabase/functions/notify-owner/index.ts (POST; touches no table)',
    ]);
    const near = nearestRouteSibling(routes);
    expect(near).toMatchObject({ table: 'clients', why: 'apps/web/app/api/clients/route.ts: POST = createRoute(…) inserts into clients' });
    // Routes that exist but write nothing: said which, and why none fits.
    const none = nearestRouteSibling(routes.filter((r) => !r.file.path.includes('clients')));
    expect(none).toEqual({ none: 'none of the 2 route handler(s) seen posts a row into a table, so none shows how this project writes one: apps/web/app/api/webhooks/stripe/route.ts (POST; touches no table); supabase/functions/notify-owner/index.ts (POST; touches no table)' });
  });
});

describe('the new code is the sibling transformed', () => {
  it('renames words of identifiers and texts in every casing, in one pass', () => {
    const r = renamer(entityPairs('clients', 'client_notes', 'create_client', 'add_client_note'));
    expect(r("create_client: createClient, Clients, CLIENT, client, 'clients', clientele, client_id")).toBe("add_client_note: addClientNote, ClientNotes, CLIENT_NOTE, client_note, 'client_notes', clientele, client_note_id");
  });

  it('rebuilds the validation shape, the row and a test\'s arguments for the new columns, in the sibling\'s notation', () => {
    const code = "const v = check(args, {\n    name: { type: 'string', required: true },\n    email: { type: 'string' },\n  });\nawait db.from('clients').insert({ name: v.name, email: v.email ?? null });\nawait call('create_client', { name: 'Ada' });\nconst s = { required: ['name'] };";
    const out = transform(ts, code, renamer(entityPairs('clients', 'deals', 'create_client', 'create_deal')), fields('clients'), fields('deals')).code;
    expect(out).toBe(
      "const v = check(args, {\n    client_id: { type: 'uuid', required: true },\n    title: { type: 'string', required: true },\n    amount: { type: 'integer', required: true },\n    stage: { type: 'string' },\n  });\nawait db.from('deals').insert({ client_id: v.client_id, title: v.title, amount: v.amount, stage: v.stage ?? null });\nawait call('create_deal', { client_id: '8a6e0804-2bd0-4672-b79d-d97027f9071a', title: 'title', amount: 129900 });\nconst s = { required: ['client_id', 'title', 'amount'] };",
    );
  });

  it('writes create_deal beside list_deals, registers it as create_client is, and its test from create_client\'s', () => {
    const sib = nearestToolSibling(toolSiblings(ts, files, findRegistries(ts, files)), 'create_deal')!;
    const made = toolByAnalogy(ts, files, sib, 'create_deal', 'deals', fields('clients'), fields('deals'));
    expect(made.toolFile).toBe('apps/web/mcp/deals.ts');
    const byPath = new Map(made.files.map((f) => [f.path, f]));
    expect([...byPath.keys()]).toEqual(['apps/web/mcp/deals.ts', 'apps/web/mcp/handlers.ts']);
    const deals = byPath.get('apps/web/mcp/deals.ts')!;
    expect(deals.content.startsWith("import type { ToolContext, ToolResult } from './types';\nimport { check } from '../lib/checks';\n\nexport async function list_deals(")).toBe(true);
    expect(deals.content).toContain('/** Adds a deal to the studio\'s book. */\nexport async function create_deal(args: Record<string, unknown>, { db }: ToolContext): Promise<ToolResult> {');
    expect(deals.content).toContain("const { data, error } = await db.from('deals').insert(input.value);");
    expect(deals.content).toContain("    amount: { type: 'integer', required: true },");
    expect(deals.content).toContain('return { ok: true, deal: data };');
    expect(deals.reason).toBe('adds the tool create_deal, following create_client (apps/web/mcp/clients.ts:4), registered in handlers (apps/web/mcp/handlers.ts:7, an object literal): it inserts into clients, its name starts with create');
    const handlers = byPath.get('apps/web/mcp/handlers.ts')!.content;
    expect(handlers).toContain("import { create_deal, list_deals } from './deals';".replace('create_deal, list_deals', 'list_deals, create_deal'));
    expect(handlers).toContain('export const handlers = {\n  list_clients,\n  create_client,\n  list_deals,\n  create_deal,\n};');

    const rename = renamer(entityPairs('clients', 'deals', 'create_client', 'create_deal'));
    const t = testByAnalogy(ts, files, 'create_client', rename, fields('clients'), fields('deals'), { name: 'create_deal', declared: 'create_deal', file: made.toolFile, siblingFile: sib.decl.file.path });
    if ('error' in t) throw new Error(t.error);
    expect(t.path).toBe('apps/web/mcp/handlers.test.ts');
    expect(t.cases).toEqual(['create_deal stores a deal', 'create_deal refuses input without the required fields']);
    expect(t.content.startsWith(files.find((f) => f.path === t.path)!.content.trimEnd())).toBe(true);
    expect(t.content).toContain("describe('tool handlers (create_deal)', () => {");
    expect(t.content).toContain("const out = await callTool('create_deal', { client_id: '8a6e0804-2bd0-4672-b79d-d97027f9071a', title: 'title', amount: 129900 }, { db });");
    expect(t.content).toContain("expect((await db.from('deals').select()).data).toHaveLength(0);");
  });

  it('a tool for a table no tool touches yet gets a file named like the sibling\'s, imported by the registry', () => {
    const sib = nearestToolSibling(toolSiblings(ts, files, findRegistries(ts, files)), 'create_note')!;
    const made = toolByAnalogy(ts, files, sib, 'create_note', 'notes', fields('clients'), fields('notes'));
    expect(made.files.map((f) => f.path)).toEqual(['apps/web/mcp/notes.ts', 'apps/web/mcp/handlers.ts']);
    expect(made.files[0]!.content).toBe(
      "import { check } from '../lib/checks';\nimport type { ToolContext, ToolResult } from './types';\n\n/** Adds a note to the studio's book. */\nexport async function create_note(args: Record<string, unknown>, { db }: ToolContext): Promise<ToolResult> {\n  const input = check(args, {\n    deal_id: { type: 'uuid', required: true },\n    body: { type: 'string', required: true },\n    pinned: { type: 'boolean' },\n  });\n  if (!input.ok) return { ok: false, problems: input.problems };\n  const { data, error } = await db.from('notes').insert(input.value);\n  if (error) return { ok: false, problems: [error.message] };\n  return { ok: true, note: data };\n}\n",
    );
    expect(made.files[1]!.content).toContain("import { list_deals } from './deals';\nimport type { ToolContext, ToolResult } from './types';\nimport { create_note } from './notes';");
  });

  it('writes an endpoint as the factory route is written, with its test', () => {
    const near = nearestRouteSibling(findRoutes(ts, files));
    if ('none' in near) throw new Error(near.none);
    const r = routeByAnalogy(ts, near, 'notes', fields('clients'), fields('notes'));
    expect(r.path).toBe('apps/web/app/api/notes/route.ts');
    expect(r.content).toBe(
      "import { createRoute, listRoute } from '../../../lib/route-factory';\n\nexport const GET = listRoute('notes');\n\nexport const POST = createRoute('notes', {\n  deal_id: { type: 'uuid', required: true },\n  body: { type: 'string', required: true },\n  pinned: { type: 'boolean' },\n});\n",
    );
  });
});

describe('on a copy of the fixture, with its own test command', () => {
  let dir = '';
  beforeAll(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'crm-agent-analogy-')), 'studio');
    cpSync(FIXTURE, dir, { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('the missing tool written by analogy and registered: its test and the desk test that failed pass, none breaks', () => {
    // Before: `npm test` has 1 failing test (the desk's create_deal) and 5 passing (test/stress/code-smith-analogy runs it).
    const sib = nearestToolSibling(toolSiblings(ts, files, findRegistries(ts, files)), 'create_deal')!;
    const made = toolByAnalogy(ts, files, sib, 'create_deal', 'deals', fields('clients'), fields('deals'));
    const rename = renamer(entityPairs('clients', 'deals', 'create_client', 'create_deal'));
    const t = testByAnalogy(ts, files, 'create_client', rename, fields('clients'), fields('deals'), { name: 'create_deal', declared: 'create_deal', file: made.toolFile, siblingFile: sib.decl.file.path });
    if ('error' in t) throw new Error(t.error);
    for (const f of [...made.files, t]) writeFileSync(join(dir, f.path), f.content);
    const after = spawnSync('npm', ['test', '--silent'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' } });
    expect(after.status, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toMatch(/Tests\s+8 passed \(8\)/);
  });
});

describe('Supabase Edge Functions', () => {
  it('follows an Edge Function that inserts when the project writes rows there, in a folder named for the new entity', () => {
    const edge: SourceFile[] = [
      { path: 'supabase/functions/create-client/index.ts', content: "import { createClient } from 'npm:@supabase/supabase-js@2';\n\nDeno.serve(async (req) => {\n  if (req.method !== 'POST') return new Response('no', { status: 405 });\n  const body = await req.json();\n  const db = createClient(Deno.env.get('SUPABASE_URL')!, Deno.env.get('SUPABASE_SERVICE_ROLE_KEY')!);\n  const { data, error } = await db.from('clients').insert({ name: body.name, email: body.email ?? null }).select().single();\n  if (error) return Response.json({ error: error.message }, { status: 400 });\n  return Response.json({ client: data }, { status: 201 });\n});\n" },
      { path: 'supabase/functions/stripe-webhook/index.ts', content: "Deno.serve(async (req) => new Response(req.method === 'POST' ? 'ok' : 'no'));\n" },
    ];
    const near = nearestRouteSibling(findRoutes(ts, edge));
    if ('none' in near) throw new Error(near.none);
    expect(near.why).toBe('supabase/functions/create-client/index.ts: an Edge Function whose POST inserts into clients');
    const r = routeByAnalogy(ts, near, 'deals', fields('clients'), fields('deals'));
    expect(r.path).toBe('supabase/functions/create-deal/index.ts');
    expect(r.content).toContain("const { data, error } = await db.from('deals').insert({ client_id: body.client_id, title: body.title, amount: body.amount, stage: body.stage ?? null }).select().single();");
    expect(r.content).toContain('return Response.json({ deal: data }, { status: 201 });');
    expect(r.content).toContain("import { createClient } from 'npm:@supabase/supabase-js@2';"); // supabase-js's createClient is not the entity
  });
});

describe('a switch over tool names', () => {
  it('adds a case written from the case that inserts, after the last one, and nothing else', () => {
    const reg: SourceFile = {
      path: 'src/tools.ts',
      content: "import type { Db } from './db';\n\nexport async function run(name: string, args: Record<string, unknown>, db: Db) {\n  switch (name) {\n    case 'add_client':\n      return db.from('clients').insert({ name: args.name, email: args.email ?? null });\n    case 'list_clients':\n      return db.from('clients').select();\n    default:\n      throw new Error(`unknown tool ${name}`);\n  }\n}\n",
    };
    const sib = nearestToolSibling(toolSiblings(ts, [reg], findRegistries(ts, [reg])), 'add_deal')!;
    expect(sib.entry.key).toBe('add_client');
    const made = toolByAnalogy(ts, [reg], sib, 'add_deal', 'deals', fields('clients'), fields('deals'));
    expect(made.files.map((f) => f.path)).toEqual(['src/tools.ts']);
    expect(made.files[0]!.content).toBe(
      reg.content.replace(
        "      return db.from('clients').select();\n",
        "      return db.from('clients').select();\n    case 'add_deal':\n      return db.from('deals').insert({ client_id: args.client_id, title: args.title, amount: args.amount, stage: args.stage ?? null });\n",
      ),
    );
  });
});

describe('a Map filled with set()', () => {
  it('registers the new tool with a set() after the last one, imported from the file written like the sibling\'s', () => {
    const project: SourceFile[] = [
      { path: 'lib/tools/clients.ts', content: "export async function addClient(args: { name: string }, db: any) {\n  return db.from('clients').insert({ name: args.name });\n}\n" },
      { path: 'lib/tools/index.ts', content: "import { addClient } from './clients';\nimport { ping } from './ping';\n\nexport const tools = new Map<string, Function>();\ntools.set('add_client', addClient);\ntools.set('ping', ping);\n" },
      { path: 'lib/tools/ping.ts', content: "export async function ping(_args: unknown, db: any) {\n  return db.from('health').select();\n}\n" },
    ];
    const sib = nearestToolSibling(toolSiblings(ts, project, findRegistries(ts, project)), 'add_deal')!;
    expect(sib.why).toBe("add_client (lib/tools/clients.ts:1), registered in tools (lib/tools/index.ts:5, a Map): it inserts into clients, its name starts with add");
    const made = toolByAnalogy(ts, project, sib, 'add_deal', 'deals', fields('clients'), fields('deals'));
    expect(made.files.map((f) => f.path)).toEqual(['lib/tools/deals.ts', 'lib/tools/index.ts']);
    expect(made.declared).toBe('addDeal');
    expect(made.files[0]!.content).toBe("export async function addDeal(args: { client_id: string; title: string; amount: number; stage?: string }, db: any) {\n  return db.from('deals').insert({ client_id: args.client_id, title: args.title, amount: args.amount, stage: args.stage });\n}\n");
    expect(made.files[1]!.content).toBe("import { addClient } from './clients';\nimport { ping } from './ping';\nimport { addDeal } from './deals';\n\nexport const tools = new Map<string, Function>();\ntools.set('add_client', addClient);\ntools.set('ping', ping);\ntools.set('add_deal', addDeal);\n");
  });
});
