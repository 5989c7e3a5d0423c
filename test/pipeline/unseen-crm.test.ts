// The pipeline on a CRM it has never seen: other tables, columns, tools, folders and words.
// Nothing in the agents may know examples/crm's names; this project shares none of them.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { agent, parseNdjson, ROOT } from '../helpers.js';

const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'salon-crm', type: 'module', scripts: { test: 'vitest run' } }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['src', 'edge'] }),
  'vitest.config.mjs': "export default { test: { include: ['**/*.test.ts'], exclude: ['node_modules/**', 'staged/**', '.agent/**'] } };\n",
  '.gitignore': 'node_modules\n.agent/\nstaged/*\n',
  'supabase/migrations/20250301120000_clients.sql': 'create table public.clients (\n  id uuid primary key default gen_random_uuid(),\n  full_name text not null,\n  created_at timestamptz not null default now()\n);\nalter table public.clients enable row level security;\n',
  'supabase/migrations/20250302120000_visits.sql': 'create table public.visits (\n  id uuid primary key default gen_random_uuid(),\n  client_id uuid not null references public.clients (id),\n  starts_at timestamptz not null\n);\ncreate index visits_client_id_idx on public.visits (client_id);\n',
  'supabase/migrations/20250303120000_quotes.sql': 'create table public.quotes (\n  id uuid primary key default gen_random_uuid(),\n  visit_id uuid not null,\n  amount numeric not null,\n  notes text,\n  created_at timestamptz not null default now()\n);\n',
  'src/store.ts': [
    'export type Rec = Record<string, unknown> & { id: string };',
    'export interface Store { from(t: string): { insert(r: object): Promise<{ data: Rec | null; error: { message: string } | null }>; select(m?: Record<string, unknown>): Promise<{ data: Rec[]; error: null }> } }',
    'export function memoryStore(): Store {',
    '  const t = new Map<string, Rec[]>();',
    '  const rows = (n: string) => (t.get(n) ?? t.set(n, []).get(n)!);',
    '  return { from: (n) => ({',
    '    insert: async (r) => { const rec = { id: crypto.randomUUID(), ...r } as Rec; rows(n).push(rec); return { data: rec, error: null }; },',
    '    select: async (m = {}) => ({ data: rows(n).filter((r) => Object.entries(m).every(([k, v]) => r[k] === v)), error: null }),',
    '  }) };',
    '}',
    '',
  ].join('\n'),
  'src/check.ts': [
    "export type FieldType = 'string' | 'uuid' | 'number';",
    'export function validate(input: unknown, shape: Record<string, { type: FieldType; required?: boolean }>): { ok: true; value: Record<string, unknown> } | { ok: false; errors: string[] } {',
    "  const body = (input ?? {}) as Record<string, unknown>;",
    '  const errors: string[] = [];',
    '  const value: Record<string, unknown> = {};',
    '  for (const [k, s] of Object.entries(shape)) {',
    '    const v = body[k];',
    '    if (v === undefined) { if (s.required) errors.push(`${k} missing`); continue; }',
    "    if (s.type === 'number' ? typeof v !== 'number' : typeof v !== 'string') errors.push(`${k} invalid`); else value[k] = v;",
    '  }',
    '  return errors.length ? { ok: false, errors } : { ok: true, value };',
    '}',
    '',
  ].join('\n'),
  'edge/tools/types.ts': "import type { Store } from '../../src/store';\nexport interface ToolDefinition { name: string; description: string; inputSchema: { type: 'object'; properties: Record<string, { type: string; format?: string }>; required?: string[] }; handler(args: Record<string, unknown>, ctx: { db: Store }): Promise<unknown> }\n",
  'edge/tools/visit_tools.ts': [
    "import { validate } from '../../src/check';",
    "import type { ToolDefinition } from './types';",
    '',
    'export const visitTools: ToolDefinition[] = [',
    '  {',
    "    name: 'create_visit',",
    "    description: 'Book a visit.',",
    "    inputSchema: { type: 'object', properties: { client_id: { type: 'string', format: 'uuid' }, starts_at: { type: 'string' } }, required: ['client_id', 'starts_at'] },",
    '    async handler(args, { db }) {',
    "      const input = validate(args, { client_id: { type: 'uuid', required: true }, starts_at: { type: 'string', required: true } });",
    "      if (!input.ok) throw new Error(input.errors.join(', '));",
    "      const { data, error } = await db.from('visits').insert(input.value);",
    '      if (error) throw new Error(error.message);',
    '      return { visit: data };',
    '    },',
    '  },',
    '];',
    '',
  ].join('\n'),
  'edge/registry.ts': "import { visitTools } from './tools/visit_tools';\nimport type { ToolDefinition } from './tools/types';\nimport type { Store } from '../src/store';\n\nexport const tools: ToolDefinition[] = [...visitTools];\n\nexport async function dispatch(name: string, args: Record<string, unknown>, ctx: { db: Store }) {\n  const tool = tools.find((t) => t.name === name);\n  if (!tool) return { error: `no such tool ${name}` };\n  try { return { result: await tool.handler(args, ctx) }; } catch (e) { return { error: (e as Error).message }; }\n}\n\nexport function listTools() {\n  return tools.map((t) => ({ name: t.name }));\n}\n",
  'src/assistant/quoting.ts': "import { dispatch } from '../../edge/registry';\nimport type { Store } from '../store';\n\nexport async function sayQuote(db: Store, visitId: string, amount: number): Promise<string> {\n  const out = await callTool(db, 'add_quote_row', { visit_id: visitId, amount });\n  return out.error ? 'Could not save the quote' : `Quote saved: ${amount}`;\n}\n\nasync function callTool(db: Store, name: string, args: Record<string, unknown>) {\n  await dispatch(name, args, { db });\n  return { error: null };\n}\n",
  'src/assistant/quoting.test.ts': "import { expect, it } from 'vitest';\nimport { memoryStore } from '../store';\nimport { sayQuote } from './quoting';\n\nit('stores the quote it announces', async () => {\n  const db = memoryStore();\n  const said = await sayQuote(db, '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f', 80);\n  expect(said).toBe('Quote saved: 80');\n  expect((await db.from('quotes').select()).data).toHaveLength(1);\n});\n",
};

let dir = '';
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

function makeUnseenProject(): string {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-unseen-'));
  const d = join(parent, 'salon');
  for (const [path, content] of Object.entries(FILES)) {
    mkdirSync(dirname(join(d, path)), { recursive: true });
    writeFileSync(join(d, path), content);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(d, 'node_modules'), 'dir');
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'salon']]) spawnSync('git', args, { cwd: d });
  return d;
}

describe('a CRM the agents have never seen', () => {
  it('finds the missing tool and key, and stages a fix that makes its failing test pass', async () => {
    dir = makeUnseenProject();
    const created = parseNdjson((await agent(['create', 'ticket', '--json', 'Quotes announced by the assistant are never stored for the visit'], { cwd: dir })).stdout).at(-1) as { data: { ticket: { id: string } } };
    const id = created.data.ticket.id;
    const r = await agent(['fix', 'ticket', id], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Missing MCP tool: add_quote_row');
    expect(r.stdout).toContain('missing foreign key quotes.visit_id');
    expect(r.stdout).toMatch(/\[STAGE\] ✓ All tests passing/);
    const stagedDir = /Staged environment ready: \.\/(staged\/[^/]+)\//.exec(r.stdout)![1]!;
    const manifest = JSON.parse(readFileSync(join(dir, stagedDir, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(
      expect.arrayContaining(['edge/tools/quote_tools.ts', 'edge/registry.ts', expect.stringMatching(/^supabase\/migrations\/\d{14}_add_quotes_foreign_keys\.sql$/)]),
    );
    const tool = readFileSync(join(dir, stagedDir, 'files/edge/tools/quote_tools.ts'), 'utf8');
    expect(tool).toContain("import { validate } from '../../src/check';");
    expect(tool).toContain("throw new Error(input.errors.join(', '))");
    expect(tool).toMatch(/amount: \{ type: 'number', required: true \}/);
    expect(readFileSync(join(dir, stagedDir, 'files/edge/registry.ts'), 'utf8')).toContain("import { quoteTools } from './tools/quote_tools';");
  });
});
