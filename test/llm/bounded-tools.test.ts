// The agents' model tools cost about the same in a small project and a big one: listings, searches,
// findings and migrations come ranked (what the task names first) and in pages, with what is left
// out counted and the way to it named. Only what a tool showed can be cited.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bugHunterTools, MAX_FINDINGS, MAX_HITS, type Ledger, type ModelEvidence, type Reports } from '../../agents/bug-hunter/model.js';
import { ChangeOverlay, codeSmithTools, firstMessage, type CodeSmithModelInput } from '../../agents/code-smith/model.js';
import { causeTerms, MAX_MIGRATIONS, migratorTools, type MigratorModelInput } from '../../agents/migrator/model.js';
import type { SourceFile } from '../../agents/shared/project-files.js';
import type { RootCause, SchemaFinding } from '../../agents/bug-hunter/root-cause.js';
import type { TicketRow } from '../../src/store/rows.js';
import type { LoopTool } from '../../src/integrations/llm/tools.js';
import { listFiles, moreLine, page, rankFindings, searchFiles } from '../../src/integrations/llm/listing.js';

const ticket: TicketRow = { id: 'BUG-2026-001', kind: 'BUG', year: 2026, seq: 1, title: 'AI estimates are not persisting', description: 'Voice agent says success but no estimate record is created.', status: 'open', priority: 'high', external_ref: null, created_by: 'test', created_at: 0, updated_at: 0 } as TicketRow;
const pad = (i: number) => `a${String(i).padStart(4, '0')}`;

/** A project with n unrelated tables: each a tools file (they sort before estimate_tools.ts) and a route. */
function project(n: number): { files: SourceFile[]; tables: string[]; schema: SchemaFinding[] } {
  const files: SourceFile[] = [
    { path: 'lib/voice-agent/agent.ts', content: "// the voice agent\nawait mcp.callTool('create_estimate_record', {});\n" },
    { path: 'supabase/functions/mcp-server/tools/estimate_tools.ts', content: 'export const estimateTools = [];\n' },
    { path: 'supabase/migrations/001_create_estimates.sql', content: 'create table public.estimates (\n  id uuid primary key,\n  job_id uuid not null,\n  customer_id uuid not null\n);\n' },
  ];
  const schema: SchemaFinding[] = [];
  for (let i = 0; i < n; i++) {
    files.push({ path: `supabase/functions/mcp-server/tools/${pad(i)}_tools.ts`, content: `export const ${pad(i)}Tools = [];\n` }, { path: `app/api/${pad(i)}/route.ts`, content: 'export async function GET() {}\n' });
    schema.push({ ruleId: 'unindexed-foreign-key', severity: 'info', object: `public.${pad(i)}.${pad(i)}_parent_fkey`, message: `foreign key on ${pad(i)} has no index`, file: `supabase/migrations/${pad(i)}.sql`, line: 2 });
  }
  // The findings the ticket needs come last, as a lint may list them.
  for (const col of ['job_id', 'customer_id']) schema.push({ ruleId: 'missing-foreign-key', severity: 'warning', object: `public.estimates.${col}`, message: `estimates.${col} has no foreign key`, file: 'supabase/migrations/001_create_estimates.sql', line: col === 'job_id' ? 3 : 4 });
  return { files, tables: ['estimates', ...Array.from({ length: n }, (_, i) => pad(i))], schema };
}

async function call(tools: LoopTool[], name: string, input: unknown = {}): Promise<{ text: string; isError?: boolean }> {
  const tool = tools.find((t) => t.name === name)!;
  return tool.run(tool.schema.parse(input));
}

function bugHunter(n: number) {
  const p = project(n);
  const ev: ModelEvidence = { root: '/nonexistent', ticket, files: p.files, ranked: [], diagnostics: [], typedFiles: p.files.length, failures: [], tests: null, schema: p.schema, tables: p.tables };
  const ledger: Ledger = new Map();
  const reports: Reports = { accepted: [], rejected: [] };
  return { tools: bugHunterTools(ev, ledger, reports), ledger, reports };
}

const TOOLS_QUERY = { query: 'export const \\w+Tools', regex: true };

describe('bounded, ranked listings (pure)', () => {
  it('pages and says how to reach what it left out', () => {
    const p = page([1, 2, 3, 4, 5], 0, 2);
    expect(p).toEqual({ shown: [1, 2], total: 5, offset: 0, next: 2 });
    expect(moreLine(p, 'hits', 'under: a folder')).toBe('(hits 1-2 of 5: 3 more not shown; pass offset: 2, or under: a folder)');
    expect(moreLine(page([1, 2, 3, 4, 5], 4, 2), 'hits')).toBe('(hits 5-5 of 5)');
    expect(moreLine(page([1, 2], 0, 2), 'hits')).toBe('');
  });

  it('lists every file while they fit, then one level at a time', () => {
    const entries = project(100).files.map((f) => ({ path: f.path, note: '(1 lines)' }));
    expect(listFiles(entries.slice(0, 3), undefined, 0, 60).split('\n')).toHaveLength(3);
    expect(listFiles(entries, undefined, 0, 60).split('\n')).toEqual(['203 files under the project root: too many to list at once, so one level (pass under: a folder to list its files)', 'lib/ (1 files)', 'supabase/ (102 files)', 'app/ (100 files)']);
    const tools = listFiles(entries, 'supabase/functions/mcp-server/tools/', 0, 60).split('\n');
    expect(tools).toHaveLength(62);
    expect(tools.at(-1)).toBe('(entries 1-60 of 101: 41 more not shown; pass offset: 60)');
    expect(listFiles(entries, './supabase/functions/mcp-server/tools', 100, 60).split('\n')[1]).toBe(`supabase/functions/mcp-server/tools/${pad(99)}_tools.ts (1 lines)`);
    expect(listFiles(entries, 'nowhere', 0, 60)).toBe('no files under nowhere');
  });

  it('puts the files that name the task first, and narrows to a folder or one file', () => {
    const lines = project(50).files.map((f) => [f.path, f.content.split('\n')] as const);
    const r = searchFiles(lines, /export const \w+Tools/, { limit: 5, terms: ['estimate'] });
    expect(r.total).toBe(51);
    expect(r.shown.map((h) => h.path)).toEqual(['supabase/functions/mcp-server/tools/estimate_tools.ts', ...[0, 1, 2, 3].map((i) => `supabase/functions/mcp-server/tools/${pad(i)}_tools.ts`)]);
    expect(searchFiles(lines, /Tools/, { limit: 5, terms: [], under: `supabase/functions/mcp-server/tools/${pad(7)}_tools.ts` }).total).toBe(1);
    expect(searchFiles(lines, /GET/, { limit: 5, terms: [], under: 'app/api/' }).total).toBe(50);
  });

  it('ranks findings by severity, then by the task, and narrows them to a table', () => {
    const { schema } = project(30);
    const r = rankFindings(schema, { limit: 3, terms: ['estimate'] });
    expect(r.counts).toBe('32 finding(s): 2 warning, 30 info');
    expect(r.page.shown.map((f) => f.object)).toEqual(['public.estimates.job_id', 'public.estimates.customer_id', `public.${pad(0)}.${pad(0)}_parent_fkey`]);
    expect(rankFindings(schema, { limit: 3, terms: [], table: `public.${pad(4)}` }).page.shown.map((f) => f.object)).toEqual([`public.${pad(4)}.${pad(4)}_parent_fkey`]);
  });
});

describe("BugHunter's tools in a big project", () => {
  it('search shows a page of hits, the ticket-relevant file first, and only what it showed can be cited', async () => {
    const { tools, ledger, reports } = bugHunter(200);
    const first = (await call(tools, 'search', TOOLS_QUERY)).text.split('\n');
    expect(first).toHaveLength(MAX_HITS + 1);
    expect(first[0]).toBe('supabase/functions/mcp-server/tools/estimate_tools.ts:1: export const estimateTools = [];');
    expect(first.at(-1)).toBe(`(hits 1-${MAX_HITS} of 201: ${201 - MAX_HITS} more not shown; pass offset: ${MAX_HITS}, or under: a folder or file, or a narrower query)`);
    expect([...ledger.keys()]).toHaveLength(MAX_HITS);
    // A line it did not show is not evidence until a page shows it.
    const cite = { fix: 'schema', subject: 'tools', summary: 'x', evidence: [`supabase/functions/mcp-server/tools/${pad(150)}_tools.ts:1: defines tools`] };
    expect(await call(tools, 'report_root_cause', cite)).toMatchObject({ isError: true, text: expect.stringContaining('was never returned by a tool') });
    const later = await call(tools, 'search', { ...TOOLS_QUERY, offset: 140 });
    expect(later.text).toContain(`${pad(150)}_tools.ts:1:`);
    expect((await call(tools, 'report_root_cause', cite)).isError).toBeUndefined();
    expect(reports.accepted.map((c) => c.id)).toEqual(['schema:tools']);
  });

  it('schema_findings lists the warnings first and a page of the rest, and counts what it left out', async () => {
    const { tools, ledger } = bugHunter(200);
    const lines = (await call(tools, 'schema_findings')).text.split('\n');
    expect(lines[0]).toBe(`tables (201): estimates, ${Array.from({ length: 19 }, (_, i) => pad(i)).join(', ')} and 181 more`);
    expect(lines[1]).toBe('202 finding(s): 2 warning, 200 info');
    expect(lines[2]).toBe('supabase/migrations/001_create_estimates.sql:3: [missing-foreign-key] public.estimates.job_id: estimates.job_id has no foreign key');
    expect(lines).toHaveLength(2 + MAX_FINDINGS + 1);
    expect(lines.at(-1)).toBe(`(findings 1-${MAX_FINDINGS} of 202: ${202 - MAX_FINDINGS} more not shown; pass offset: ${MAX_FINDINGS}, or table: one table)`);
    expect(ledger.has('supabase/migrations/001_create_estimates.sql:3')).toBe(true);
    expect(ledger.has(`supabase/migrations/${pad(100)}.sql:2`)).toBe(false);
    expect((await call(tools, 'schema_findings', { table: pad(100) })).text).toContain(`supabase/migrations/${pad(100)}.sql:2: [unindexed-foreign-key]`);
    expect(ledger.has(`supabase/migrations/${pad(100)}.sql:2`)).toBe(true);
  });

  it('costs about the same at 100 tables and at 1,000', async () => {
    const small = bugHunter(100).tools;
    const big = bugHunter(1000).tools;
    for (const [name, input] of [['search', TOOLS_QUERY], ['schema_findings', {}], ['list_files', {}], ['list_files', { under: 'supabase/functions/mcp-server/tools' }]] as const) {
      const [a, b] = [(await call(small, name, input)).text, (await call(big, name, input)).text];
      expect(b.length, `${name} ${JSON.stringify(input)}`).toBeLessThan(a.length * 1.1 + 50);
    }
  });
});

describe("CodeSmith's tools in a big project", () => {
  const cause: RootCause = { id: 'tool:create_estimate_record', summary: 'Missing MCP tool', fix: 'mcp-tool', subject: 'create_estimate_record', evidence: ['lib/voice-agent/agent.ts:2: calls it'], confidence: 90 };
  const input = (n: number): CodeSmithModelInput => {
    const p = project(n);
    return { root: '/nonexistent', ticket, jobs: [{ kind: 'mcp-tool', subject: 'create_estimate_record', table: 'estimates', cause }], files: p.files, tables: p.tables, columns: async () => [], hints: [], coverage: 80 };
  };
  const tools = (n: number) => {
    const i = input(n);
    return codeSmithTools(i, new ChangeOverlay(new Map(i.files.map((f) => [f.path, f.content]))), { last: null });
  };

  it("search puts the job's files first; an unknown table names a few tables, not all", async () => {
    const t = tools(300);
    const hits = (await call(t, 'search', TOOLS_QUERY)).text.split('\n');
    expect(hits[0]).toBe('supabase/functions/mcp-server/tools/estimate_tools.ts:1: export const estimateTools = [];');
    expect(hits).toHaveLength(MAX_HITS + 1);
    const err = await call(t, 'table_columns', { table: 'estimate' });
    expect(err.isError).toBe(true);
    expect(err.text).toMatch(/^no table estimate; the tables \(301\) are: estimates, a0000, .* and 281 more$/);
  });

  it('its first message and tools cost about the same at 30 tables and at 600', async () => {
    expect(firstMessage(input(600)).length).toBeLessThan(firstMessage(input(30)).length * 1.05);
    const [small, big] = [tools(30), tools(600)];
    for (const [name, q] of [['search', TOOLS_QUERY], ['list_files', {}], ['table_columns', { table: 'nope' }]] as const) {
      const [a, b] = [(await call(small, name, q)).text, (await call(big, name, q)).text];
      expect(b.length, name).toBeLessThan(a.length * 1.1 + 50);
    }
  });
});

describe("the Migrator's list of migrations", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const causes: RootCause[] = [{ id: 'fk:public.estimates.job_id', summary: 'Missing foreign key', fix: 'foreign-key', subject: 'public.estimates.job_id', evidence: [], confidence: 90, fixSql: "set lock_timeout = '5s';\nalter table public.estimates add constraint estimates_job_id_fkey foreign key (job_id) references public.jobs (id) not valid;" }];
  /** A migration version v minutes after 2025-01-01 00:00 UTC. */
  const version = (v: number) => new Date(Date.UTC(2025, 0, 1) + v * 60_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  function migrator(n: number) {
    const root = mkdtempSync(join(tmpdir(), 'crm-agent-bounded-'));
    dirs.push(root);
    mkdirSync(join(root, 'supabase/migrations'), { recursive: true });
    const write = (v: number, name: string, sql: string) => writeFileSync(join(root, 'supabase/migrations', `${version(v)}_${name}.sql`), sql);
    write(0, 'create_jobs', 'create table public.jobs (id uuid primary key);\n');
    write(1, 'create_estimates', 'create table public.estimates (\n  id uuid primary key,\n  job_id uuid not null\n);\n');
    for (let i = 0; i < n; i++) write(10 + i, `create_${pad(i)}`, `create table public.${pad(i)} (\n  id uuid primary key,\n  job_id uuid references public.jobs (id)\n);\n`);
    const input: MigratorModelInput = { root, ticket, causes, version: '20990101000000', templateCacheDir: join(root, '.cache') };
    return migratorTools(input, { accepted: null, last: null, rejected: 0 }, () => {});
  }

  it("reads the causes' tables and the tables their keys reference", () => {
    expect(causeTerms(causes)).toEqual(['estimates', 'jobs', 'estimate', 'job']);
  });

  it('lists a few migrations in order, and many as a page: the causes\' tables first, then the newest', async () => {
    expect((await call(migrator(2), 'list_migrations')).text.split('\n')).toEqual([
      `supabase/migrations/${version(0)}_create_jobs.sql (2 lines), no rollback`,
      `supabase/migrations/${version(1)}_create_estimates.sql (5 lines), no rollback`,
      `supabase/migrations/${version(10)}_create_${pad(0)}.sql (5 lines), no rollback`,
      `supabase/migrations/${version(11)}_create_${pad(1)}.sql (5 lines), no rollback`,
    ]);
    const t = migrator(200);
    const lines = (await call(t, 'list_migrations')).text.split('\n');
    expect(lines[0]).toBe("202 of 202 migration(s); the causes' tables first, then the newest");
    expect(lines.slice(1, 4)).toEqual([
      `supabase/migrations/${version(1)}_create_estimates.sql (5 lines), no rollback`,
      `supabase/migrations/${version(0)}_create_jobs.sql (2 lines), no rollback`,
      `supabase/migrations/${version(209)}_create_${pad(199)}.sql (5 lines), no rollback`,
    ]);
    expect(lines).toHaveLength(1 + MAX_MIGRATIONS + 1);
    expect(lines.at(-1)).toBe(`(migrations 1-${MAX_MIGRATIONS} of 202: ${202 - MAX_MIGRATIONS} more not shown; pass offset: ${MAX_MIGRATIONS}, or table: the ones that mention a table)`);
    const estimates = (await call(t, 'list_migrations', { table: 'public.estimates' })).text.split('\n');
    expect(estimates).toEqual(['1 of 202 migration(s) mention estimates', `supabase/migrations/${version(1)}_create_estimates.sql (5 lines), no rollback`]);
    const small = (await call(migrator(30), 'list_migrations')).text;
    expect((await call(migrator(600), 'list_migrations')).text.length).toBeLessThan(small.length * 1.1 + 50);
  });
});
