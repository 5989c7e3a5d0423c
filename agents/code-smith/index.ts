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
// analogy.ts is light; the compiler it reads code with is imported only when it runs (loadTypescript).
import { newRoutePath, type RouteSibling, type ToolSibling, type Typescript } from './analogy.js';
import type { TicketRow } from '../../src/store/rows.js';
import { llmSettings } from '../../src/integrations/llm/settings.js'; // issue 6 (LLM)
import { failingTestsOf } from './failing-tests.js';
import { failsOnHead, proveChange, type HeadRun, type Proof } from './proof.js';

export interface CodeSmithInput {
  root: string;
  causes: RootCause[];
  /** Columns of a table in the database the migrations build. */
  columns: (table: string) => Promise<Column[]>;
  tables: string[];
  /** issue 6 (LLM): the ticket being fixed; with it and ANTHROPIC_API_KEY, Claude writes the code (./model.ts). */
  ticket?: TicketRow;
  /** The project's test command, to prove the change (./proof.ts); null: none. Read from the project when absent. */
  testCommand?: string | null;
  /** The project's files as already read (the fix pipeline reads them once, at the start of its run); default: read in understand. */
  files?: Promise<SourceFile[]> | undefined;
  /** Called with the change once the plan's gate has passed (validate does not alter it): the fix pipeline starts StageAgent's test run then. */
  onPlanned?: (files: ChangeFile[]) => void;
}

interface Job {
  cause: RootCause;
  /**
   * logic: a fix located by failing tests, which only the model writes (issue 15); or, when the
   * cause names none (a symptom reproduced outside the tests, issue 18's mcp-no-row), a fix the
   * model writes after a test that reproduces the symptom, proven failing on HEAD.
   */
  kind: 'mcp-tool' | 'api-route' | 'logic';
  table: string | null;
}

const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/** The project's tests that import `subject` (by a relative path): how its siblings are tested. Paths only. Pure. */
export function testsOf(files: readonly SourceFile[], subject: string): string[] {
  const base = subject.replace(/\.[cm]?[jt]sx?$/, '');
  const tests = files.filter((f) => TEST_FILE.test(f.path) && [...f.content.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g)].some((m) => posix.normalize(posix.join(posix.dirname(f.path), m[1]!)).replace(/\.[cm]?[jt]sx?$/, '') === base));
  return tests.length ? [`${subject} is tested by ${tests.slice(0, 3).map((t) => t.path).join(', ')}: write the reproducing test like those`] : [];
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
  // By analogy (./analogy.ts), where the project keeps tools and routes otherwise than in
  // tools/*_tools.ts arrays and app/api/<table>/route.ts functions: the sibling each job follows.
  let ts: Typescript | null = null;
  const toolSib = new Map<Job, ToolSibling>();
  let routeSib: RouteSibling | null = null;
  let noTool: string | null = null;
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
  type ProofContext = { config: { test: { command?: string | null } }; signal: AbortSignal };
  const commandFor = async (ctx: ProofContext) => (input.testCommand !== undefined ? input.testCommand : (await import('../../src/engine/deploy.js')).testCommandFor(input.root, ctx.config.test.command ?? undefined));
  const original = (path: string) => files.find((f) => f.path === path)?.content ?? null;
  const keyOf = (change: readonly ChangeFile[]) => [...change].sort((a, b) => a.path.localeCompare(b.path)).map((f) => [f.path, f.content]);
  // The same change set is proven once: finish (the model's) and validate ask for the same run.
  const proofs = new Map<string, Promise<Proof>>();
  const proofFor = (change: ChangeFile[], tests: { must: Array<{ file: string; name: string }>; named: Array<{ file: string; name: string }> }, ctx: ProofContext) => {
    const key = JSON.stringify([tests, keyOf(change)]);
    let p = proofs.get(key);
    if (!p) {
      p = (async () => proveChange(input.root, change, tests, original, await commandFor(ctx), ctx.signal))();
      proofs.set(key, p);
    }
    return p;
  };
  // The same test files run on HEAD once: the model's reproduce, its finish and validate share the run.
  const headRuns = new Map<string, Promise<HeadRun>>();
  const headRunFor = (change: readonly ChangeFile[], ctx: ProofContext) => {
    const tests = change.filter((f) => TEST_FILE.test(f.path) && f.content !== null);
    const key = JSON.stringify(keyOf(tests));
    let p = headRuns.get(key);
    if (!p) {
      p = (async () => failsOnHead(input.root, tests, original, await commandFor(ctx), ctx.signal))();
      headRuns.set(key, p);
    }
    return p;
  };
  /** A reproducing test: it fails on HEAD without the fix, and the same test passes with it. */
  const reproductionProof = async (change: ChangeFile[], ctx: ProofContext): Promise<{ items: ChecklistItem[]; failed: string | null }> => {
    const head = await headRunFor(change, ctx);
    const failsFirst = item('The reproducing test fails on HEAD', head.ok, head.evidence);
    if (!head.ok) return { items: [failsFirst], failed: `no test of the change reproduces the symptom: ${head.evidence}; nothing is staged without one` };
    const green = await proofFor(change, { must: head.failing.map((f) => ({ file: f.file, name: f.name })), named: [] }, ctx);
    return { items: [failsFirst, item('The reproducing test passes with the change', green.item.ok, green.item.evidence)], failed: green.failed };
  };
  const reproducing = (j: Job) => j.kind === 'logic' && failingTestsOf(j.cause).length === 0;
  return {
    type: 'CodeSmith',
    priority: 5,
    phases: {
      async understand(ctx): Promise<PhaseOutcome> {
        files = await (input.files ?? readProjectFiles(input.root));
        jobs = input.causes
          .filter((c) => c.fix === 'mcp-tool' || c.fix === 'api-route' || c.fix === 'logic')
          .map((c) => ({ cause: c, kind: c.fix as Job['kind'], table: c.fix === 'api-route' ? c.subject : c.fix === 'logic' ? null : tableForTool(c.subject, input.tables) }));
        const model = input.ticket ? llmSettings(input.root, ctx.config) : null;
        const logicItem = (j: Job) => {
          const tests = failingTestsOf(j.cause);
          const ok = Boolean(model);
          return item(`Identified target for ${j.cause.subject}`, ok, !tests.length ? (model ? `no test shows it yet: the model first writes a test that reproduces it, which must fail on HEAD, then fixes ${j.cause.subject} so that the same test passes` : `a logic fix is written only by the model (ANTHROPIC_API_KEY with llm.enabled, or --model), after a test that reproduces it; offline nothing is staged for ${j.cause.subject}`) : model ? `the model fixes ${j.cause.subject}; ${tests.length} failing test(s) must pass: ${tests.map((t) => `${t.file} > ${t.name}`).join('; ')}` : `a logic fix is written only by the model (ANTHROPIC_API_KEY with llm.enabled); offline nothing is staged for ${j.cause.subject}`);
        };
        const route = findRoutePattern(files);
        // Jobs with nothing in the project to follow: dropped, and said in the checklist.
        const unfollowed: ChecklistItem[] = [];
        if (!route && jobs.some((j) => j.kind === 'api-route')) {
          // Not an app/api/<table>/route.ts function: the routes the project has, wherever they are.
          const a = await import('./analogy.js');
          ts ??= await a.loadTypescript();
          const near = a.nearestRouteSibling(a.findRoutes(ts, files));
          if ('none' in near) {
            ctx.log('warn', `No endpoint is generated: ${near.none}`);
            unfollowed.push(...jobs.filter((j) => j.kind === 'api-route').map((j) => item(`Identified target for ${j.cause.subject}`, false, `no endpoint is generated: ${near.none}`)));
            jobs = jobs.filter((j) => j.kind !== 'api-route');
          } else routeSib = near;
        }
        const routePath = (table: string) => (route ? `${posix.dirname(posix.dirname(route.sibling.path))}/${table}/route.ts` : routeSib ? newRoutePath(routeSib, table) : `app/api/${table}/route.ts`);
        const exists = (j: Job) => j.kind === 'api-route' && Boolean(j.table) && files.some((f) => f.path === routePath(j.table!));
        const items = jobs.map((j) =>
          j.kind === 'logic' ? logicItem(j) : item(`Identified target for ${j.cause.subject}`, Boolean(j.table) && !exists(j), !j.table ? `no table matches ${j.cause.subject}` : exists(j) ? `${routePath(j.table)} already exists; CodeSmith does not overwrite it` : `writes public.${j.table}`),
        );
        for (const i of items) if (!i.ok) ctx.log('warn', i.evidence);
        // Left out with nothing to follow: that blocks only when nothing else is left to write.
        items.push(...(jobs.length ? unfollowed.map((u) => item(u.item.replace(/^Identified target for/, 'Left out'), true, u.evidence)) : unfollowed));
        jobs = jobs.filter((j) => !exists(j));
        return { items, metrics: { confidence: items.length ? Math.round((items.filter((i) => i.ok).length / items.length) * 100) : 100 } };
      },
      async analyze(ctx): Promise<PhaseOutcome> {
        toolP = findToolPattern(files);
        routeP = findRoutePattern(files);
        const toolJobs = jobs.filter((j) => j.kind === 'mcp-tool' && j.table);
        if (!toolP && toolJobs.length) {
          // Tools that are not arrays of tool objects in tools/*_tools.ts: the project's registries.
          const a = await import('./analogy.js');
          ts ??= await a.loadTypescript();
          const registries = a.findRegistries(ts, files);
          const siblings = a.toolSiblings(ts, files, registries);
          for (const j of toolJobs) {
            const near = a.nearestToolSibling(siblings, j.cause.subject);
            if (near) toolSib.set(j, near);
          }
          if (!siblings.length) {
            noTool = registries.length
              ? `registries seen: ${registries.slice(0, 4).map((r) => `${r.name} (${r.file.path}:${r.line})`).join(', ')}; none of their entries reaches the database, so none shows how a tool writes a row`
              : 'no tools/*_tools.ts file and no registry of tools (an object literal, array, Map or switch naming at least two functions)';
          }
        }
        const items = [];
        const tools = toolP ? `follows ${toolP.sibling.path}, registry ${toolP.registry?.path ?? 'none'}` : toolSib.size ? [...new Set([...toolSib.values()].map((x) => `follows ${x.why}`))].join('; ') : null;
        const routes = routeP ? `follows ${routeP.sibling.path}` : routeSib ? `follows ${routeSib.why}` : null;
        if (jobs.some((j) => j.kind === 'mcp-tool')) items.push(item('Found the project pattern for MCP tools', Boolean(tools), tools ?? noTool ?? 'no tool to follow'));
        if (jobs.some((j) => j.kind === 'api-route')) items.push(item('Found the project pattern for API routes', Boolean(routes), routes ?? 'no route that posts a row to follow'));
        // Said only for what was analyzed; nothing to follow is a warning, never a ✓.
        const analyzed = [tools && `tools: ${toolP ? toolP.sibling.path : [...new Set([...toolSib.values()].map((x) => `${x.decl.file.path} (${x.entry.key}, registered in ${x.registry.file.path})`))].join(', ')}`, routes && `routes: ${(routeP?.sibling ?? routeSib!.route.file).path}`].filter(Boolean);
        if (analyzed.length) ctx.log('ok', `Analyzing existing patterns (${analyzed.join('; ')})`);
        for (const i of items.filter((x) => !x.ok)) ctx.log('warn', `No pattern to follow: ${i.evidence}`);
        return { items, metrics: { criticalCycles: 0 } };
      },
      async plan(ctx): Promise<PhaseOutcome> {
        // issue 6 (LLM): Claude writes the change set with CodeSmith's own tools; validate and
        // StageAgent then gate it like the offline output. Null: no submission, generate offline.
        const llm = input.ticket && jobs.length ? llmSettings(input.root, ctx.config) : null;
        if (llm) {
          const { composeWithModel, modelHints } = await import('./model.js');
          const modelJobs = jobs.map((j) => ({ kind: j.kind, subject: j.cause.subject, table: j.table, cause: j.cause }));
          const analogies = [...[...toolSib.values()].map((x) => `MCP tools like ${x.entry.key} in ${x.decl.file.path}, registered in ${x.registry.name} (${x.registry.file.path})`), ...(routeSib ? [`route handlers like ${routeSib.route.file.path}`] : [])];
          const must = jobs.filter((j) => j.kind === 'logic').flatMap((j) => failingTestsOf(j.cause));
          const reproduce = jobs.some(reproducing);
          const asFiles = (change: ReadonlyMap<string, string>): ChangeFile[] => [...change].map(([path, content]) => ({ path, content, reason: '', agent: 'CODESMITH' }));
          const failingTestsPass =
            must.length || reproduce
              ? async (change: ReadonlyMap<string, string>) => {
                  const proven: Array<{ ok: boolean; evidence: string }> = [];
                  if (must.length) proven.push((await proofFor(asFiles(change), { must, named: must }, ctx)).item);
                  if (reproduce) proven.push(...(await reproductionProof(asFiles(change), ctx)).items);
                  const bad = proven.filter((p) => !p.ok);
                  return { ok: !bad.length, evidence: (bad.length ? bad : proven).map((p) => p.evidence).join('; ') };
                }
              : undefined;
          const reproduceRun = reproduce ? async (change: ReadonlyMap<string, string>) => headRunFor(asFiles(change), ctx) : undefined;
          const hints = [...modelHints(files, toolP, routeP), ...analogies, ...jobs.filter(reproducing).flatMap((j) => testsOf(files, j.cause.subject))];
          const got = await composeWithModel({ root: input.root, ticket: input.ticket!, jobs: modelJobs, files, tables: input.tables, columns: input.columns, hints, coverage: ctx.config.gates.testCoverage, ...(failingTestsPass ? { failingTestsPass } : {}), ...(reproduceRun ? { reproduce: reproduceRun } : {}) }, llm, ctx);
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
            put(path, addTool(current, toolObject(j.cause.subject, j.table, fields, toolP), exportName, toolP), `adds the MCP tool ${j.cause.subject} the code calls, following ${toolP.sibling.path}`);
            if (!current && toolP.registry) {
              const registry = out.get(toolP.registry.path)?.content ?? toolP.registry.content;
              put(toolP.registry.path, registerToolsFile(registry, exportName, `./${posix.relative(posix.dirname(toolP.registry.path), path).replace(/\.ts$/, '')}`, toolP.exportName), `registers ${exportName}`);
            }
            putTest(registryToolTest(withChanges(), { registry: toolP.registry?.path ?? null, toolsFile: path, tool: j.cause.subject, testPath: testPathFor(path, files) }), j.cause.subject, j.cause.subject);
            ctx.log('ok', `Created MCP tool: ${j.cause.subject} (following ${toolP.sibling.path})`);
          }
          const sib = j.kind === 'mcp-tool' && !toolP ? toolSib.get(j) : undefined;
          if (sib && ts) {
            const a = await import('./analogy.js');
            const from = fieldsFor(await input.columns(sib.table), known);
            const made = a.toolByAnalogy(ts, withChanges(), sib, j.cause.subject, j.table, from, fields);
            for (const f of made.files) put(f.path, f.content, f.reason);
            const rename = a.renamer(a.entityPairs(sib.table, j.table, sib.entry.key, j.cause.subject));
            const t = a.testByAnalogy(ts, withChanges(), sib.entry.key, rename, from, fields, { name: j.cause.subject, declared: made.declared, file: made.toolFile, siblingFile: sib.decl.file.path });
            if ('error' in t) untested.push(item(`Test for ${j.cause.subject}`, false, `no test generated: ${t.error}`));
            else {
              put(t.path, t.content, `tests ${j.cause.subject}: ${t.cases.join('; ')}, following the tests of ${sib.entry.key}`);
              untested.push(item(`Test for ${j.cause.subject}`, true, `appended to ${t.path}, following the tests of ${sib.entry.key}`));
            }
            ctx.log('ok', `Created MCP tool: ${j.cause.subject} in ${made.toolFile}, registered in ${sib.registry.file.path} (${made.followed})`);
          }
          if (j.kind === 'api-route' && routeP) {
            const dir = posix.dirname(posix.dirname(routeP.sibling.path));
            const path = `${dir}/${j.table}/route.ts`;
            put(path, routeFile(j.table, fields, routeP), `the API endpoint for ${j.table} (GET, POST)`);
            const url = `/${path.replace(/^(src\/)?app\//, '').replace(/\/route\.ts$/, '')}`;
            // In the style of the project's route tests: without one, there is no setup to follow.
            putTest(siblingRouteTest(files) ? routeTestFor({ kind: 'route', path, table: j.table, testPath: testPathFor(path, files) }, withChanges(), fields) : { error: 'the project has no route test (app/api/**/route.test.ts) whose setup a new one could follow' }, j.table, url);
            ctx.log('ok', `Generated API endpoint: POST ${url} (following ${routeP.sibling.path})`);
          }
          if (j.kind === 'api-route' && !routeP && routeSib && ts) {
            const a = await import('./analogy.js');
            const from = fieldsFor(await input.columns(routeSib.table), known);
            const r = a.routeByAnalogy(ts, routeSib, j.table, from, fields);
            put(r.path, r.content, r.reason);
            const t = a.routeTestByAnalogy(ts, files, routeSib, r.path, r.rename, from, fields);
            if ('error' in t) untested.push(item(`Test for ${r.path}`, false, `no test generated: ${t.error}`));
            else {
              put(t.path, t.content, `tests ${r.path}, following ${t.followed}`);
              untested.push(item(`Test for ${r.path}`, true, `${t.path}, following ${t.followed}`));
            }
            ctx.log('ok', `Generated API endpoint: POST /${r.path.replace(/^(?:.*\/)?app\//, '').replace(/\/route\.[cm]?[jt]sx?$/, '')} (${r.reason.replace(/^the API endpoint for \w+, /, '')})`);
          }
        }
        // Offline, nothing writes a logic fix: said, and the plan's gate counts it unmitigated.
        for (const j of jobs.filter((x) => x.kind === 'logic')) untested.push(item(`Fix for ${j.cause.subject}`, false, 'no change set from the model, and a logic fix is written only by the model: nothing is staged for it'));
        for (const i of untested.filter((x) => !x.ok)) ctx.log('warn', `${i.item}: ${i.evidence}`);
        const planned = jobs.filter((j) => j.table && (j.kind === 'mcp-tool' ? toolP || toolSib.has(j) : j.kind === 'api-route' && (routeP || routeSib)));
        return {
          items: [...[...out.values()].map((f) => item(`Planned ${f.path}`, true, f.reason)), ...untested],
          metrics: { scenarios: jobs.length, mitigated: planned.length },
          output: [...out.values()],
        };
      },
      async validate(ctx): Promise<PhaseOutcome> {
        if (out.size) input.onPlanned?.([...out.values()]);
        const overlay = new Map([...out.values()].map((f) => [f.path, f.content!]));
        // What proves the change runs in child processes while the type checks run in their worker.
        // A logic cause's failing tests must pass; other causes may name failing tests the change turns green.
        const must = jobs.filter((j) => j.kind === 'logic').flatMap((j) => failingTestsOf(j.cause));
        const named = jobs.flatMap((j) => failingTestsOf(j.cause)).filter((t, i, all) => all.findIndex((x) => x.file === t.file && x.name === t.name) === i);
        // A logic cause no failing test shows is proven by its reproducing test instead (fails on HEAD, passes with the change).
        const reproduce = jobs.some(reproducing);
        const proving = out.size && (must.length || !jobs.every(reproducing)) ? proofFor([...out.values()], { must, named }, ctx) : null;
        const reproving = out.size && reproduce ? reproductionProof([...out.values()], ctx) : null;
        proving?.catch(() => undefined); // awaited below; a failing type check must not leave it unhandled
        reproving?.catch(() => undefined);
        const before = await typeCheck(input.root);
        const after = await typeCheck(input.root, overlay);
        const fresh = after.diagnostics.filter((d) => !before.diagnostics.some((b) => b.path === d.path && b.message === d.message));
        for (const d of fresh.slice(0, 5)) ctx.log('error', `${d.path}:${d.line}: TS${d.code} ${d.message}`);
        const all = [...files.filter((f) => !overlay.has(f.path)), ...[...overlay].map(([path, content]) => ({ path, content }))];
        const graph = buildGraph(all);
        const reach = testReach(graph, generatedSources());
        const cycles = cyclesThrough(graph, generatedSources());
        const proof = proving ? await proving : null;
        if (proof) ctx.log(proof.item.ok ? 'ok' : 'error', `${proof.item.item}: ${proof.item.evidence}`);
        const reproof = reproving ? await reproving : null;
        for (const i of reproof?.items ?? []) ctx.log(i.ok ? 'ok' : 'error', `${i.item}: ${i.evidence}`);
        return {
          items: [
            item('Static analysis passed', fresh.length === 0, `tsc over ${after.files} files: ${fresh.length} new diagnostics`),
            item('No new import cycles', cycles.length === 0, cycles.length ? cycles.map((c) => c.join(' -> ')).join('; ') : 'none through the generated files'),
            item('Tests import the generated code', (reach.percent ?? 0) >= 80, reach.percent === null ? 'no generated source' : `${reach.percent}% of generated files reached by a test${reach.untested.length ? `; untested: ${reach.untested.join(', ')}` : ''}`),
            ...(proof ? [proof.item] : []),
            ...(reproof?.items ?? []),
          ],
          metrics: {
            // CodeSmith runs no test over the change's lines (its proof runs the tests without the source, or
            // only the failing ones); StageAgent measures them with V8 before anything is staged.
            coverage: null,
            coverageInstead: `StageAgent runs the change's tests with V8 coverage and stages nothing under ${ctx.config.gates.testCoverage}% of the changed lines run${proof?.item.ok ? `; CodeSmith's proof: ${proof.item.evidence}` : ''}${reproof && !reproof.failed ? `; the reproducing test ${reproof.items.map((i) => i.evidence).join('; ')}` : ''}`,
            checksFailed: [...(fresh.length ? [`${fresh.length} new type error(s), first ${fresh[0]!.path}:${fresh[0]!.line} TS${fresh[0]!.code}`] : []), ...(proof?.failed ? [proof.failed] : []), ...(reproof?.failed ? [reproof.failed] : [])],
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
