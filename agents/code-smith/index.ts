// CodeSmith: writes the code a fix needs (an MCP tool registered in the project's registry, an
// API endpoint, their tests) in the project's own style, and checks it with the compiler.
// It writes nothing to the project: its files go into the staged change set.
import { posix } from 'node:path';
import type { AgentTask } from '../../src/engine/orchestrator.js';
import { item, type ChecklistItem, type PhaseOutcome } from '../../src/engine/phases.js';
import type { ChangeFile } from '../shared/change-set.js';
import type { RootCause } from '../shared/causes.js';
import { readProjectFiles, type SourceFile } from '../shared/project-files.js';
import { buildGraph, cyclesThrough, testReach } from '../shared/import-graph.js';
import { typeCheck } from '../shared/ts-diagnostics.js';
import { findRoutePattern, findToolPattern, type RoutePattern, type ToolPattern } from './patterns.js';
import { addTool, fieldsFor, registerToolsFile, routeFile, toolObject, validatorTypes, type Column } from './generate.js';
import { placeTest, registryToolTest, routeTestFor, siblingRouteTest, testPathFor, type GeneratedTest } from './test-gen.js';
import type { TicketRow } from '../../src/store/rows.js';
import { llmSettings } from '../../src/integrations/llm/settings.js'; // issue 6 (LLM)

export interface CodeSmithInput {
  root: string;
  causes: RootCause[];
  /** Columns of a table in the database the migrations build. */
  columns: (table: string) => Promise<Column[]>;
  tables: string[];
  /** issue 6 (LLM): the ticket being fixed; with it and ANTHROPIC_API_KEY, Claude writes the code (./model.ts). */
  ticket?: TicketRow;
}

interface Job {
  cause: RootCause;
  kind: 'mcp-tool' | 'api-route';
  table: string | null;
}

/** Which table a tool like create_estimate_record writes: the longest table name in it. */
export function tableForTool(tool: string, tables: readonly string[]): string | null {
  const words = tool.split('_');
  const hits = tables.filter((t) => words.some((w) => w === t || `${w}s` === t || `${w}es` === t || w === t.replace(/s$/, '')));
  return hits.sort((a, b) => b.length - a.length)[0] ?? null;
}

export function codeSmith(input: CodeSmithInput, done: (files: ChangeFile[]) => void): AgentTask {
  let files: SourceFile[] = [];
  let jobs: Job[] = [];
  let toolP: ToolPattern | null = null;
  let routeP: RoutePattern | null = null;
  const out = new Map<string, ChangeFile>();
  const put = (path: string, content: string, reason: string) => out.set(path, { path, content, reason, agent: 'CODESMITH' });
  const generatedSources = () => [...out.keys()].filter((p) => !/\.(test|spec)\.[cm]?[jt]sx?$/.test(p));
  /** The project's files as the change set leaves them. */
  const withChanges = (): SourceFile[] => [...files.filter((f) => !out.has(f.path)), ...[...out.values()].map((f) => ({ path: f.path, content: f.content! }))];
  /** Checklist items for tests CodeSmith could not write: why, for the review and the coverage gate. */
  const untested: ChecklistItem[] = [];
  // A generated test never replaces one the project (or this change) has: placeTest appends it
  // to that file, or writes it next to it when a name would clash (see test-gen.ts).
  const putTest = (t: GeneratedTest | { error: string }, slug: string, what: string) => {
    if ('error' in t) {
      untested.push(item(`Test for ${what}`, false, `no test generated: ${t.error}`));
      return;
    }
    const byPath = (p: string) => out.get(p)?.content ?? files.find((f) => f.path === p)?.content ?? null;
    const placed = placeTest(t, byPath(t.path), slug, (p) => byPath(p) !== null);
    const how = placed.placed === 'appended' ? `appended to the existing ${placed.path}` : placed.placed === 'sibling' ? `in ${placed.path}, next to the existing ${t.path}` : placed.path;
    put(placed.path, placed.content, `tests ${what}: ${placed.cases.join('; ')}`);
    for (const n of placed.notes) untested.push(item(`Test for ${what}`, true, n));
    untested.push(item(`Test for ${what}`, true, how));
  };
  return {
    type: 'CodeSmith',
    priority: 5,
    phases: {
      async understand(ctx): Promise<PhaseOutcome> {
        files = await readProjectFiles(input.root);
        jobs = input.causes
          .filter((c) => c.fix === 'mcp-tool' || c.fix === 'api-route')
          .map((c) => ({ cause: c, kind: c.fix as Job['kind'], table: c.fix === 'api-route' ? c.subject : tableForTool(c.subject, input.tables) }));
        const route = findRoutePattern(files);
        if (!route && jobs.some((j) => j.kind === 'api-route')) {
          ctx.log('info', 'The project has no app/api route handlers to follow; no endpoint is generated');
          jobs = jobs.filter((j) => j.kind !== 'api-route');
        }
        const routeDir = route ? posix.dirname(posix.dirname(route.sibling.path)) : 'app/api';
        const exists = (j: Job) => j.kind === 'api-route' && files.some((f) => f.path === `${routeDir}/${j.table}/route.ts`);
        const items = jobs.map((j) =>
          item(`Identified target for ${j.cause.subject}`, Boolean(j.table) && !exists(j), !j.table ? `no table matches ${j.cause.subject}` : exists(j) ? `${routeDir}/${j.table}/route.ts already exists; CodeSmith does not overwrite it` : `writes public.${j.table}`),
        );
        for (const i of items) if (!i.ok) ctx.log('warn', i.evidence);
        jobs = jobs.filter((j) => !exists(j));
        return { items, metrics: { confidence: items.length ? Math.round((items.filter((i) => i.ok).length / items.length) * 100) : 100 } };
      },
      async analyze(ctx): Promise<PhaseOutcome> {
        toolP = findToolPattern(files);
        routeP = findRoutePattern(files);
        const items = [];
        if (jobs.some((j) => j.kind === 'mcp-tool')) items.push(item('Found the project pattern for MCP tools', Boolean(toolP), toolP ? `sibling ${toolP.sibling.path}, registry ${toolP.registry?.path ?? 'none'}` : 'no tools/*_tools.ts file'));
        if (jobs.some((j) => j.kind === 'api-route')) items.push(item('Found the project pattern for API routes', Boolean(routeP), routeP ? `sibling ${routeP.sibling.path}` : 'no app/api/*/route.ts with POST'));
        ctx.log('ok', `Analyzing existing patterns (${[toolP?.sibling.path, routeP?.sibling.path].filter(Boolean).join(', ')})`);
        return { items, metrics: { criticalCycles: 0 } };
      },
      async plan(ctx): Promise<PhaseOutcome> {
        // issue 6 (LLM): Claude writes the change set with CodeSmith's own tools; validate and
        // StageAgent then gate it like the offline output. Null: no submission, generate offline.
        const llm = input.ticket && jobs.length ? llmSettings(input.root, ctx.config) : null;
        if (llm) {
          const { composeWithModel, modelHints } = await import('./model.js');
          const modelJobs = jobs.map((j) => ({ kind: j.kind, subject: j.cause.subject, table: j.table, cause: j.cause }));
          const got = await composeWithModel({ root: input.root, ticket: input.ticket!, jobs: modelJobs, files, tables: input.tables, columns: input.columns, hints: modelHints(files, toolP, routeP), coverage: ctx.config.gates.testCoverage }, llm, ctx);
          if (got) {
            for (const f of got.files) out.set(f.path, f);
            return got.outcome;
          }
        }
        const known = validatorTypes(files);
        const byPath = new Map(files.map((f) => [f.path, f.content]));
        for (const j of jobs) {
          if (!j.table) continue;
          const fields = fieldsFor(await input.columns(j.table), known);
          if (j.kind === 'mcp-tool' && toolP) {
            const entity = j.table.replace(/ies$/, 'y').replace(/s$/, '');
            const path = toolP.fileFor(entity);
            const exportName = toolP.exportFor(entity);
            const current = out.get(path)?.content ?? byPath.get(path) ?? null;
            put(path, addTool(current, toolObject(j.cause.subject, j.table, fields, toolP), exportName, toolP), `adds the MCP tool ${j.cause.subject} the code calls`);
            if (!current && toolP.registry) {
              const registry = out.get(toolP.registry.path)?.content ?? toolP.registry.content;
              put(toolP.registry.path, registerToolsFile(registry, exportName, `./${posix.relative(posix.dirname(toolP.registry.path), path).replace(/\.ts$/, '')}`, toolP.exportName), `registers ${exportName}`);
            }
            putTest(registryToolTest(withChanges(), { registry: toolP.registry?.path ?? null, toolsFile: path, tool: j.cause.subject, testPath: testPathFor(path, files) }), j.cause.subject, j.cause.subject);
            ctx.log('ok', `Created MCP tool: ${j.cause.subject}`);
          }
          if (j.kind === 'api-route' && routeP) {
            const dir = posix.dirname(posix.dirname(routeP.sibling.path));
            const path = `${dir}/${j.table}/route.ts`;
            put(path, routeFile(j.table, fields, routeP), `the API endpoint for ${j.table} (GET, POST)`);
            const url = `/${path.replace(/^(src\/)?app\//, '').replace(/\/route\.ts$/, '')}`;
            // In the style of the project's route tests: without one, there is no setup to follow.
            putTest(siblingRouteTest(files) ? routeTestFor({ kind: 'route', path, table: j.table, testPath: testPathFor(path, files) }, withChanges(), fields) : { error: 'the project has no route test (app/api/**/route.test.ts) whose setup a new one could follow' }, j.table, url);
            ctx.log('ok', `Generated API endpoint: POST ${url}`);
          }
        }
        for (const i of untested.filter((x) => !x.ok)) ctx.log('warn', `${i.item}: ${i.evidence}`);
        const planned = jobs.filter((j) => j.table && (j.kind === 'mcp-tool' ? toolP : routeP));
        return {
          items: [...[...out.values()].map((f) => item(`Planned ${f.path}`, true, f.reason)), ...untested],
          metrics: { scenarios: jobs.length, mitigated: planned.length },
        };
      },
      async validate(ctx): Promise<PhaseOutcome> {
        const overlay = new Map([...out.values()].map((f) => [f.path, f.content!]));
        const before = await typeCheck(input.root);
        const after = await typeCheck(input.root, overlay);
        const fresh = after.diagnostics.filter((d) => !before.diagnostics.some((b) => b.path === d.path && b.message === d.message));
        for (const d of fresh.slice(0, 5)) ctx.log('error', `${d.path}:${d.line}: TS${d.code} ${d.message}`);
        const all = [...files.filter((f) => !overlay.has(f.path)), ...[...overlay].map(([path, content]) => ({ path, content }))];
        const graph = buildGraph(all);
        const reach = testReach(graph, generatedSources());
        const cycles = cyclesThrough(graph, generatedSources());
        return {
          items: [
            item('Static analysis passed', fresh.length === 0, `tsc over ${after.files} files: ${fresh.length} new diagnostics`),
            item('No new import cycles', cycles.length === 0, cycles.length ? cycles.map((c) => c.join(' -> ')).join('; ') : 'none through the generated files'),
            item('Test coverage of generated code', (reach.percent ?? 0) >= 80, reach.percent === null ? 'no generated source' : `${reach.percent}% of generated files reached by a test${reach.untested.length ? `; untested: ${reach.untested.join(', ')}` : ''}`),
          ],
          metrics: {
            coverage: reach.percent ?? 100,
            checksFailed: fresh.length ? [`${fresh.length} new type error(s), first ${fresh[0]!.path}:${fresh[0]!.line} TS${fresh[0]!.code}`] : [],
          },
        };
      },
      async execute(): Promise<PhaseOutcome> {
        const existing = new Set(files.map((f) => f.path));
        const bad = [...out.values()].filter((f) => f.path.startsWith('..') || posix.isAbsolute(f.path));
        return {
          items: [item('Changes assembled for staging', bad.length === 0, `${[...out.keys()].filter((p) => !existing.has(p)).length} new, ${[...out.keys()].filter((p) => existing.has(p)).length} modified file(s); nothing written to the project`)],
          metrics: { preconditions: out.size, preconditionsMet: out.size - bad.length },
        };
      },
      async verify(): Promise<PhaseOutcome> {
        done([...out.values()]);
        return { items: [item('Output handed to StageAgent', out.size > 0, `${out.size} file(s)`)], metrics: { postErrors: jobs.length && !out.size ? 1 : 0 } };
      },
    },
  };
}
