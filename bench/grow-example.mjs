// Grows a copy of the example CRM (examples/crm) to a realistic size for bench/llm.mjs: more
// tables (migrations with keys, indexes, RLS and a policy), API routes with tests, MCP tools
// registered in the registry, lib modules with tests, and list components with pages, all in the
// example's own style, all type-checking and with passing tests. Deterministic: the same factor
// always writes the same files. Nothing it writes mentions estimates, so example 4.1's ticket is
// the same bug in a bigger project. A realistic project also carries lint noise: every fourth
// table's parent key has no covering index (an info-level schema finding), none a missing key.
//
//   node bench/grow-example.mjs <dir> <factor>   grows <dir> (a copy of the example) in place
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Single-word names (tools/<entity>_tools.ts), none of them customer, job, estimate or invoice.
const ENTITIES = [
  ['appointments', 'appointment'], ['assets', 'asset'], ['attachments', 'attachment'], ['audits', 'audit'], ['badges', 'badge'],
  ['bookings', 'booking'], ['branches', 'branch'], ['budgets', 'budget'], ['calls', 'call'], ['campaigns', 'campaign'],
  ['certificates', 'certificate'], ['checklists', 'checklist'], ['claims', 'claim'], ['complaints', 'complaint'], ['contacts', 'contact'],
  ['contracts', 'contract'], ['coupons', 'coupon'], ['credits', 'credit'], ['crews', 'crew'], ['deliveries', 'delivery'],
  ['departments', 'department'], ['deposits', 'deposit'], ['devices', 'device'], ['discounts', 'discount'], ['dispatches', 'dispatch'],
  ['documents', 'document'], ['drivers', 'driver'], ['expenses', 'expense'], ['forms', 'form'], ['garages', 'garage'],
  ['holidays', 'holiday'], ['incidents', 'incident'], ['inspections', 'inspection'], ['installations', 'installation'], ['jobsites', 'jobsite'],
  ['kits', 'kit'], ['labels', 'label'], ['leads', 'lead'], ['leases', 'lease'], ['licenses', 'license'],
  ['locations', 'location'], ['manuals', 'manual'], ['materials', 'material'], ['meetings', 'meeting'], ['memberships', 'membership'],
  ['messages', 'message'], ['meters', 'meter'], ['milestones', 'milestone'], ['notes', 'note'], ['notifications', 'notification'],
  ['offers', 'offer'], ['orders', 'order'], ['packages', 'package'], ['parts', 'part'], ['payments', 'payment'],
  ['payouts', 'payout'], ['permits', 'permit'], ['photos', 'photo'], ['plans', 'plan'], ['portals', 'portal'],
  ['projects', 'project'], ['promotions', 'promotion'], ['properties', 'property'], ['purchases', 'purchase'], ['quotas', 'quota'],
  ['ratings', 'rating'], ['readings', 'reading'], ['receipts', 'receipt'], ['referrals', 'referral'], ['refunds', 'refund'],
  ['regions', 'region'], ['reminders', 'reminder'], ['rentals', 'rental'], ['repairs', 'repair'], ['reports', 'report'],
  ['reservations', 'reservation'], ['reviews', 'review'], ['rooms', 'room'], ['schedules', 'schedule'], ['sensors', 'sensor'],
  ['shifts', 'shift'], ['signatures', 'signature'], ['sites', 'site'], ['skills', 'skill'], ['subscriptions', 'subscription'],
  ['suppliers', 'supplier'], ['surveys', 'survey'], ['tags', 'tag'], ['tasks', 'task'], ['teams', 'team'],
  ['technicians', 'technician'], ['templates', 'template'], ['territories', 'territory'], ['timesheets', 'timesheet'], ['trainings', 'training'],
  ['transfers', 'transfer'], ['trips', 'trip'], ['trucks', 'truck'], ['units', 'unit'], ['uploads', 'upload'],
  ['vehicles', 'vehicle'], ['vendors', 'vendor'], ['visits', 'visit'], ['vouchers', 'voucher'], ['warehouses', 'warehouse'],
  ['warranties', 'warranty'], ['workorders', 'workorder'], ['zones', 'zone'],
];

const STATUS_SETS = [
  ['open', 'in_progress', 'closed'],
  ['draft', 'active', 'archived'],
  ['pending', 'approved', 'rejected'],
  ['scheduled', 'done', 'cancelled'],
];

// Optional columns: SQL, validate() type, JSON schema, a sample value for tests, the TS type.
const EXTRAS = [
  { name: 'notes', sql: 'text', field: 'string', json: "{ type: 'string' }", sample: "'bring the ladder'", ts: 'string' },
  { name: 'amount_cents', sql: 'integer check (amount_cents >= 0)', field: 'integer', json: "{ type: 'integer' }", sample: '4500', ts: 'number' },
  { name: 'due_on', sql: 'date', field: 'date', json: "{ type: 'string', format: 'date' }", sample: "'2026-03-01'", ts: 'string' },
  { name: 'quantity', sql: 'integer check (quantity > 0)', field: 'integer', json: "{ type: 'integer' }", sample: '2', ts: 'number' },
];

const pascal = (s) => s.replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase());
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const words = (s) => s.replace(/_/g, ' ');

/** The shape of the i-th generated table. Pure. */
export function entityAt(i) {
  const [plural, singular] = ENTITIES[i];
  const owner = i % 2 === 0 ? { column: 'customer_id', table: 'customers' } : { column: 'job_id', table: 'jobs' };
  // Every second table from the fourth on belongs to an earlier generated one; every fourth of
  // those keys has no covering index (lint noise a real project carries).
  const parent = i >= 3 && i % 2 === 1 ? { column: `${ENTITIES[i - 3][1]}_id`, table: ENTITIES[i - 3][0], indexed: i % 8 !== 7 } : null;
  const extras = [EXTRAS[i % EXTRAS.length], ...(i % 3 === 0 ? [EXTRAS[(i + 1) % EXTRAS.length]] : [])];
  return { i, plural, singular, owner, parent, statuses: STATUS_SETS[i % STATUS_SETS.length], extras, label: i % 5 === 0 ? 'title' : 'name', component: i % 3 === 1, byId: i % 2 === 0 };
}

function migration(e) {
  const cols = [
    '  id uuid primary key default gen_random_uuid(),',
    `  ${e.owner.column} uuid not null references public.${e.owner.table} (id)${e.owner.table === 'customers' ? ' on delete cascade' : ''},`,
    ...(e.parent ? [`  ${e.parent.column} uuid references public.${e.parent.table} (id),`] : []),
    `  ${e.label} text not null,`,
    `  status text not null default '${e.statuses[0]}' check (status in (${e.statuses.map((s) => `'${s}'`).join(', ')})),`,
    ...e.extras.map((x) => `  ${x.name} ${x.sql},`),
    '  created_at timestamptz not null default now()',
  ];
  const where = e.owner.table === 'customers' ? 'public.customers c where c.id = customer_id' : 'public.jobs j join public.customers c on c.id = j.customer_id where j.id = job_id';
  return [
    `create table public.${e.plural} (`,
    ...cols,
    ');',
    '',
    `create index ${e.plural}_${e.owner.column}_idx on public.${e.plural} (${e.owner.column});`,
    ...(e.parent?.indexed ? [`create index ${e.plural}_${e.parent.column}_idx on public.${e.plural} (${e.parent.column});`] : []),
    '',
    `alter table public.${e.plural} enable row level security;`,
    '',
    `create policy "owners manage ${words(e.plural)} of their customers" on public.${e.plural}`,
    '  for all to authenticated',
    `  using (exists (select 1 from ${where} and c.owner_id = auth.uid()));`,
    '',
  ].join('\n');
}

/** The fields a writer takes: [name, validate type, required, TS type, JSON schema, sample]. */
function fields(e) {
  return [
    { name: e.owner.column, field: 'uuid', required: true, ts: 'string', json: "{ type: 'string', format: 'uuid' }", sample: 'crypto.randomUUID()' },
    ...(e.parent ? [{ name: e.parent.column, field: 'uuid', required: false, ts: 'string', json: "{ type: 'string', format: 'uuid' }", sample: 'crypto.randomUUID()' }] : []),
    { name: e.label, field: 'string', required: true, ts: 'string', json: "{ type: 'string' }", sample: `'${pascal(e.singular)} one'` },
    ...e.extras.map((x) => ({ name: x.name, field: x.field, required: false, ts: x.ts, json: x.json, sample: x.sample })),
  ];
}

function route(e) {
  const f = fields(e);
  const Name = `New${pascal(e.singular)}`;
  const by = e.owner.column;
  return [
    "import { getDb } from '../../../lib/db';",
    "import { badRequest, json, readJson, serverError } from '../../../lib/http';",
    "import { validate } from '../../../lib/validate';",
    '',
    `interface ${Name} {`,
    ...f.map((x) => `  ${x.name}${x.required ? '' : '?'}: ${x.ts};`),
    '}',
    '',
    'export async function GET(req: Request): Promise<Response> {',
    `  const ${camel(by)} = new URL(req.url).searchParams.get('${by}');`,
    `  const { data, error } = await getDb().from('${e.plural}').select(${camel(by)} ? { ${by}: ${camel(by)} } : {});`,
    '  if (error) return serverError(error.message);',
    `  return json({ ${e.plural}: data });`,
    '}',
    '',
    'export async function POST(req: Request): Promise<Response> {',
    `  const input = validate<${Name}>(await readJson(req), {`,
    ...f.map((x) => `    ${x.name}: { type: '${x.field}'${x.required ? ', required: true' : ''} },`),
    '  });',
    '  if (!input.ok) return badRequest(input.errors);',
    `  const { data, error } = await getDb().from('${e.plural}').insert({ ...input.value, status: '${e.statuses[0]}' });`,
    '  if (error) return serverError(error.message);',
    `  return json({ ${e.singular}: data }, 201);`,
    '}',
    '',
  ].join('\n');
}

function routeTest(e) {
  const f = fields(e);
  const required = f.filter((x) => x.required);
  return [
    "import { beforeEach, describe, expect, it } from 'vitest';",
    "import { createMemoryDb, setDb } from '../../../lib/db';",
    "import { GET, POST } from './route';",
    '',
    `const post = (body: unknown) => POST(new Request('http://localhost/api/${e.plural}', { method: 'POST', body: JSON.stringify(body) }));`,
    `const list = async (query = '') => (await GET(new Request(\`http://localhost/api/${e.plural}\${query}\`))).json();`,
    '',
    `describe('/api/${e.plural}', () => {`,
    '  beforeEach(() => setDb(createMemoryDb()));',
    '',
    `  it('creates ${words(e.plural)} as ${e.statuses[0]} and lists them by ${words(e.owner.column.replace(/_id$/, ''))}', async () => {`,
    `    const ${camel(e.owner.column)} = crypto.randomUUID();`,
    `    const created = await post({ ${[`${e.owner.column}: ${camel(e.owner.column)}`, ...f.filter((x) => x.name !== e.owner.column).map((x) => `${x.name}: ${x.sample}`)].join(', ')} });`,
    '    expect(created.status).toBe(201);',
    `    expect((await created.json()).${e.singular}.status).toBe('${e.statuses[0]}');`,
    `    await post({ ${required.map((x) => `${x.name}: ${x.sample}`).join(', ')} });`,
    `    expect((await list()).${e.plural}).toHaveLength(2);`,
    `    expect((await list(\`?${e.owner.column}=\${${camel(e.owner.column)}}\`)).${e.plural}).toHaveLength(1);`,
    '  });',
    '',
    "  it('answers 400 with the problems', async () => {",
    `    const res = await post({ ${e.owner.column}: 'not-a-uuid' });`,
    '    expect(res.status).toBe(400);',
    `    expect((await res.json()).details).toEqual(['${e.owner.column} must be a UUID', '${e.label} is required']);`,
    '  });',
    '});',
    '',
  ].join('\n');
}

function byIdRoute(e) {
  return [
    "import { getDb } from '../../../../lib/db';",
    "import { json, serverError } from '../../../../lib/http';",
    '',
    'export async function GET(_req: Request, { params }: { params: { id: string } }): Promise<Response> {',
    `  const { data, error } = await getDb().from('${e.plural}').select({ id: params.id });`,
    '  if (error) return serverError(error.message);',
    `  if (!data.length) return json({ error: '${words(e.singular)} not found' }, 404);`,
    `  return json({ ${e.singular}: data[0] });`,
    '}',
    '',
  ].join('\n');
}

function tools(e) {
  const f = fields(e);
  const by = e.owner.column;
  return [
    "import { validate } from '../../../../lib/validate';",
    "import type { ToolDefinition } from './types';",
    '',
    `export const ${camel(e.singular)}Tools: ToolDefinition[] = [`,
    '  {',
    `    name: 'list_${e.plural}',`,
    `    description: 'List the ${words(e.plural)} of a ${words(by.replace(/_id$/, ''))}.',`,
    '    inputSchema: {',
    "      type: 'object',",
    `      properties: { ${by}: { type: 'string', format: 'uuid' } },`,
    `      required: ['${by}'],`,
    '    },',
    '    async handler(args, { db }) {',
    `      const input = validate<{ ${by}: string }>(args, { ${by}: { type: 'uuid', required: true } });`,
    "      if (!input.ok) throw new Error(input.errors.join('; '));",
    `      const { data, error } = await db.from('${e.plural}').select({ ${by}: input.value.${by} });`,
    '      if (error) throw new Error(error.message);',
    `      return { ${e.plural}: data };`,
    '    },',
    '  },',
    '  {',
    `    name: 'create_${e.singular}',`,
    `    description: 'Record a new ${words(e.singular)}.',`,
    '    inputSchema: {',
    "      type: 'object',",
    '      properties: {',
    ...f.map((x) => `        ${x.name}: ${x.json},`),
    '      },',
    `      required: [${f.filter((x) => x.required).map((x) => `'${x.name}'`).join(', ')}],`,
    '    },',
    '    async handler(args, { db }) {',
    '      const input = validate(args, {',
    ...f.map((x) => `        ${x.name}: { type: '${x.field}'${x.required ? ', required: true' : ''} },`),
    '      });',
    "      if (!input.ok) throw new Error(input.errors.join('; '));",
    `      const { data, error } = await db.from('${e.plural}').insert({ ...input.value, status: '${e.statuses[0]}' });`,
    '      if (error) throw new Error(error.message);',
    `      return { ${e.singular}: data };`,
    '    },',
    '  },',
    '];',
    '',
  ].join('\n');
}

function rules(e) {
  const S = pascal(e.singular);
  const UP = e.singular.toUpperCase();
  const [a, b, c] = e.statuses;
  return [
    `// ${S} statuses and the moves the office may make between them.`,
    `export const ${UP}_STATUSES = ['${a}', '${b}', '${c}'] as const;`,
    '',
    `export type ${S}Status = (typeof ${UP}_STATUSES)[number];`,
    '',
    `const NEXT: Record<${S}Status, readonly ${S}Status[]> = {`,
    `  ${a}: ['${b}', '${c}'],`,
    `  ${b}: ['${c}'],`,
    `  ${c}: [],`,
    '};',
    '',
    `export function is${S}Status(value: string): value is ${S}Status {`,
    `  return (${UP}_STATUSES as readonly string[]).includes(value);`,
    '}',
    '',
    `export function canMove${S}(from: ${S}Status, to: ${S}Status): boolean {`,
    '  return NEXT[from].includes(to);',
    '}',
    '',
    `/** How many ${words(e.plural)} are in each status; rows with an unknown status are left out. */`,
    `export function count${pascal(e.plural)}ByStatus(rows: ReadonlyArray<{ status: string }>): Record<${S}Status, number> {`,
    `  const counts = Object.fromEntries(${UP}_STATUSES.map((s) => [s, 0])) as Record<${S}Status, number>;`,
    `  for (const row of rows) if (is${S}Status(row.status)) counts[row.status]++;`,
    '  return counts;',
    '}',
    '',
  ].join('\n');
}

function rulesTest(e) {
  const S = pascal(e.singular);
  const [a, b, c] = e.statuses;
  return [
    "import { describe, expect, it } from 'vitest';",
    `import { canMove${S}, count${pascal(e.plural)}ByStatus, is${S}Status } from './rules';`,
    '',
    `describe('${words(e.singular)} statuses', () => {`,
    "  it('moves forward only', () => {",
    `    expect(canMove${S}('${a}', '${b}')).toBe(true);`,
    `    expect(canMove${S}('${b}', '${c}')).toBe(true);`,
    `    expect(canMove${S}('${c}', '${a}')).toBe(false);`,
    `    expect(canMove${S}('${b}', '${a}')).toBe(false);`,
    '  });',
    '',
    "  it('counts rows per status and ignores unknown ones', () => {",
    `    expect(is${S}Status('${b}')).toBe(true);`,
    `    expect(is${S}Status('lost')).toBe(false);`,
    `    expect(count${pascal(e.plural)}ByStatus([{ status: '${a}' }, { status: '${a}' }, { status: '${c}' }, { status: 'lost' }])).toEqual({ ${a}: 2, ${b}: 0, ${c}: 1 });`,
    '  });',
    '});',
    '',
  ].join('\n');
}

function component(e) {
  const S = pascal(e.singular);
  const P = pascal(e.plural);
  const extra = e.extras[0];
  return [
    `// The ${words(e.plural)} table. A server component: the page reads the rows and hands them in.`,
    `export interface ${S} {`,
    '  id: string;',
    `  ${e.label}: string;`,
    '  status: string;',
    `  ${extra.name}: ${extra.ts} | null;`,
    '}',
    '',
    `export interface ${P}ListProps {`,
    `  ${camel(e.plural)}: ${S}[];`,
    '}',
    '',
    `export function ${P}List({ ${camel(e.plural)} }: ${P}ListProps) {`,
    `  if (!${camel(e.plural)}.length) return <p className="empty">No ${words(e.plural)} yet.</p>;`,
    '  return (',
    '    <table className="list">',
    '      <thead>',
    '        <tr>',
    `          <th>${pascal(e.label)}</th>`,
    '          <th>Status</th>',
    `          <th>${pascal(extra.name).replace(/([a-z])([A-Z])/g, '$1 $2')}</th>`,
    '        </tr>',
    '      </thead>',
    '      <tbody>',
    `        {${camel(e.plural)}.map((row) => (`,
    '          <tr key={row.id}>',
    `            <td>{row.${e.label}}</td>`,
    '            <td>{row.status}</td>',
    `            <td>{row.${extra.name} ?? ''}</td>`,
    '          </tr>',
    '        ))}',
    '      </tbody>',
    '    </table>',
    '  );',
    '}',
    '',
  ].join('\n');
}

function componentTest(e) {
  const P = pascal(e.plural);
  const extra = e.extras[0];
  const v = extra.ts === 'number' ? '12' : "'2026-03-01'";
  return [
    "import { describe, expect, it } from 'vitest';",
    "import { staticMarkup } from '../lib/testing/static-markup';",
    `import { ${P}List } from './${P}List';`,
    '',
    `describe('${P}List', () => {`,
    `  it('shows one row per ${words(e.singular)}', () => {`,
    `    const html = staticMarkup(<${P}List ${camel(e.plural)}={[{ id: 'r1', ${e.label}: 'First', status: '${e.statuses[0]}', ${extra.name}: ${v} }, { id: 'r2', ${e.label}: 'Second', status: '${e.statuses[2]}', ${extra.name}: null }]} />);`,
    `    expect(html).toContain('<td>First</td><td>${e.statuses[0]}</td><td>${v.replace(/'/g, '')}</td>');`,
    `    expect(html).toContain('<td>Second</td><td>${e.statuses[2]}</td><td></td>');`,
    '  });',
    '',
    `  it('says so when there are none', () => {`,
    `    expect(staticMarkup(<${P}List ${camel(e.plural)}={[]} />)).toBe('<p class="empty">No ${words(e.plural)} yet.</p>');`,
    '  });',
    '});',
    '',
  ].join('\n');
}

function page(e) {
  const S = pascal(e.singular);
  const P = pascal(e.plural);
  return [
    `// /${e.plural}: reads the rows on the server and renders the list.`,
    `import { ${P}List, type ${S} } from '../../components/${P}List';`,
    "import { getDb } from '../../lib/db';",
    '',
    `export default async function ${P}Page() {`,
    `  const { data, error } = await getDb().from('${e.plural}').select();`,
    '  if (error) throw new Error(error.message);',
    '  return (',
    '    <main>',
    `      <h1>${P}</h1>`,
    `      <${P}List ${camel(e.plural)}={data as unknown as ${S}[]} />`,
    '    </main>',
    '  );',
    '}',
    '',
  ].join('\n');
}

/** Every file of the i-th table, path -> content. Pure. */
export function filesOf(e, version) {
  const out = {
    [`supabase/migrations/${version}_create_${e.plural}.sql`]: migration(e),
    [`app/api/${e.plural}/route.ts`]: route(e),
    [`app/api/${e.plural}/route.test.ts`]: routeTest(e),
    [`supabase/functions/mcp-server/tools/${e.singular}_tools.ts`]: tools(e),
    [`lib/${e.plural}/rules.ts`]: rules(e),
    [`lib/${e.plural}/rules.test.ts`]: rulesTest(e),
  };
  if (e.byId) out[`app/api/${e.plural}/[id]/route.ts`] = byIdRoute(e);
  if (e.component) {
    out[`components/${pascal(e.plural)}List.tsx`] = component(e);
    out[`components/${pascal(e.plural)}List.test.tsx`] = componentTest(e);
    out[`app/${e.plural}/page.tsx`] = page(e);
  }
  return out;
}

/** Migration versions after the example's last one, a day apart. */
function versionAt(i) {
  const d = new Date(Date.UTC(2025, 10, 5, 9, 0, 0) + i * 86_400_000);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function projectBytes(dir) {
  let sum = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      if (name === 'node_modules' || name === '.git' || name === '.agent' || name === 'staged') continue;
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else sum += s.size;
    }
  };
  walk(dir);
  return sum;
}

/**
 * Adds tables (and their routes, tools, lib modules, components, tests) to the example copy at dir
 * until its source is about `factor` times the size it had; registers the tools. Returns what it
 * added. factor <= 1 adds nothing.
 */
export function growExample(dir, factor) {
  const registryPath = join(dir, 'supabase/functions/mcp-server/registry.ts');
  if (!existsSync(registryPath)) throw new Error(`${dir} is not a copy of the example CRM (no ${relative(dir, registryPath)})`);
  const base = projectBytes(dir);
  const target = base * factor;
  let bytes = base;
  const added = [];
  const written = [];
  for (let i = 0; bytes < target; i++) {
    if (i >= ENTITIES.length) throw new Error(`grow-example: ${ENTITIES.length} tables reach ${(bytes / base).toFixed(1)}x, not ${factor}x`);
    const e = entityAt(i);
    for (const [path, content] of Object.entries(filesOf(e, versionAt(i)))) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
      bytes += Buffer.byteLength(content);
      written.push(path);
    }
    added.push(e);
  }
  if (added.length) {
    // Register the new tools the way the registry registers its own: an import and a spread each.
    const registry = readFileSync(registryPath, 'utf8');
    const before = Buffer.byteLength(registry);
    const imports = added.map((e) => `import { ${camel(e.singular)}Tools } from './tools/${e.singular}_tools';`);
    const m = /export const tools: ToolDefinition\[\] = \[([^\]]*)\];/.exec(registry);
    if (!m) throw new Error('grow-example: registry.ts has no `export const tools: ToolDefinition[] = [...]`');
    const spreads = [...m[1].split(',').map((s) => s.trim()).filter(Boolean), ...added.map((e) => `...${camel(e.singular)}Tools`)];
    const next = registry
      .replace(/(import \{ \w+ \} from '\.\/tools\/[a-z0-9]+_tools';\n)(?!import \{ \w+ \} from '\.\/tools\/)/, `$1${imports.join('\n')}\n`)
      .replace(m[0], `export const tools: ToolDefinition[] = [\n${spreads.map((s) => `  ${s},`).join('\n')}\n];`);
    writeFileSync(registryPath, next);
    bytes += Buffer.byteLength(next) - before;
  }
  return { tables: added.map((e) => e.plural), files: written.length, bytes, base };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, factor] = process.argv.slice(2);
  if (!dir || !(Number(factor) > 0)) {
    console.error('usage: node bench/grow-example.mjs <dir: a copy of examples/crm> <factor>');
    process.exit(2);
  }
  const r = growExample(dir, Number(factor));
  console.log(`grew ${dir} from ${r.base} to ${r.bytes} bytes (${(r.bytes / r.base).toFixed(2)}x): ${r.tables.length} tables, ${r.files} files`);
}
