// CodeSmith for `agent generate component|test`: a React component for a table (with its test
// when the project can render one), or a test for an existing route or tools file. The same six
// phases as its fixes: the compiler over the project plus the new files, and the generated tests
// really run in a scratch worktree of HEAD. It writes nothing to the project: its files go into
// the staged change set.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import type { AgentTask } from '../../src/engine/orchestrator.js';
import { item, type ChecklistItem, type PhaseOutcome } from '../../src/engine/phases.js';
import type { ChangeFile } from '../shared/change-set.js';
import { readProjectFiles, type SourceFile } from '../shared/project-files.js';
import { buildGraph, cyclesThrough, testReach } from '../shared/import-graph.js';
import { typeCheck } from '../shared/ts-diagnostics.js';
import { fieldsFor, validatorTypes, type Column } from './generate.js';
import { componentFile, componentName, componentPath, componentTest, findComponentPattern, findComponentTestStyle, type ComponentPattern, type ComponentTestStyle, type ComponentVariant, type PlannedComponent } from './component.js';
import { routeTestFor, toolsTestFor, type GeneratedTest, type TestTarget } from './test-gen.js';
import { runGeneratedTests } from './run-tests.js';
import { changedLines, measureLineCoverage } from '../shared/line-coverage.js';
import { coverageOutcome } from '../shared/coverage-verdict.js';
import { diffAgainstHead } from '../../src/integrations/git.js';

export type FeatureRequest = { kind: 'component'; table: string; variant: ComponentVariant } | { kind: 'test'; target: TestTarget };

export interface FeatureInput {
  root: string;
  request: FeatureRequest;
  columns: (table: string) => Promise<Column[]>;
  /** The project's test command (null: none, and the generated tests cannot be run). */
  testCommand: string | null;
}

/** compilerOptions.jsx of the project's tsconfig.json (comments allowed), or null. */
export function tsconfigJsx(root: string): string | null {
  const path = join(root, 'tsconfig.json');
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:"])\/\/.*$/gm, '$1');
  return /"jsx"\s*:\s*"([\w-]+)"/.exec(text)?.[1] ?? null;
}

/** The project's API route for a table and what its handlers answer. */
function routeFor(files: readonly SourceFile[], table: string) {
  const f = files.find((x) => new RegExp(`^(src/)?app/api/${table}/route\\.ts$`).test(x.path));
  if (!f) return null;
  const get = /export\s+async\s+function\s+GET[\s\S]*?(?=\nexport\s|$)/.exec(f.content)?.[0] ?? '';
  return { url: `/${f.path.replace(/^(src\/)?app\//, '').replace(/\/route\.ts$/, '')}`, getKey: /json\(\s*\{\s*(\w+)\s*:\s*data\b/.exec(get)?.[1] ?? null, hasPost: /export\s+async\s+function\s+POST/.test(f.content) };
}

export function codeSmithFeature(input: FeatureInput, done: (files: ChangeFile[]) => void): AgentTask {
  const req = input.request;
  let files: SourceFile[] = [];
  let columns: Column[] = [];
  let pattern: ComponentPattern | null = null;
  let style: ComponentTestStyle | { none: string } | null = null;
  let planned: PlannedComponent | null = null;
  let generated: GeneratedTest | { error: string } | null = null;
  const out = new Map<string, ChangeFile>();
  const put = (path: string, content: string, reason: string) => out.set(path, { path, content, reason, agent: 'CODESMITH' });
  const testPaths = () => [...out.keys()].filter((p) => /\.(test|spec)\.[jt]sx?$/.test(p));
  return {
    type: 'CodeSmith',
    priority: 5,
    phases: {
      async understand(ctx): Promise<PhaseOutcome> {
        files = await readProjectFiles(input.root);
        const items: ChecklistItem[] = [];
        if (req.kind === 'component') {
          columns = await input.columns(req.table);
          const jsx = tsconfigJsx(input.root);
          items.push(item(`Identified the table for a ${req.variant} component`, columns.length > 0, columns.length ? `public.${req.table}: ${columns.map((c) => c.name).join(', ')}` : `no columns known for ${req.table}`));
          items.push(item('TSX compiles in this project', Boolean(jsx), jsx ? `tsconfig.json compilerOptions.jsx = ${jsx}` : 'tsconfig.json sets no compilerOptions.jsx: a .tsx file does not compile here (a Next.js app has "jsx" set)'));
          const p = findComponentPattern(files, req.variant);
          const path = componentPath(p, componentName(req.table, req.variant));
          const taken = files.some((f) => f.path === path);
          items.push(item('No component of that name yet', !taken, taken ? `${path} already exists; CodeSmith does not overwrite it` : `${path} is free`));
        } else {
          const t = req.target;
          if (t.table) columns = await input.columns(t.table);
          items.push(item(`Identified the ${t.kind === 'route' ? 'API route' : 'MCP tools file'} to test`, files.some((f) => f.path === t.path), `${t.path}${t.table ? ` (writes or reads public.${t.table})` : ''}`));
          items.push(item('No test for it yet', !files.some((f) => f.path === t.testPath), files.some((f) => f.path === t.testPath) ? `${t.testPath} already exists` : `${t.testPath} is free`));
          items.push(item('The project has a test command to run it with', input.testCommand !== null, input.testCommand ?? 'none: set test.command in agent.config.json or a "test" script in package.json'));
        }
        for (const i of items.filter((i) => !i.ok)) ctx.log('warn', i.evidence);
        return { items, metrics: { confidence: Math.round((items.filter((i) => i.ok).length / items.length) * 100) } };
      },
      async analyze(ctx): Promise<PhaseOutcome> {
        const items: ChecklistItem[] = [];
        if (req.kind === 'component') {
          pattern = findComponentPattern(files, req.variant);
          const require = createRequire(join(input.root, 'package.json'));
          style = findComponentTestStyle(files, (m) => {
            try {
              require.resolve(m);
              return true;
            } catch {
              return false;
            }
          });
          items.push(item('Found the project pattern for components', true, pattern.notes.join('; ')));
          items.push(item("Found how the project's tests render components", !('none' in style), 'none' in style ? style.none : style.sibling ? `follows ${style.sibling}` : 'react-dom/server resolves from the project: renderToStaticMarkup'));
          ctx.log(pattern.sibling ? 'ok' : 'info', pattern.sibling ? `Analyzing existing component patterns (${pattern.sibling.path})` : `No component to follow; Next.js conventions: ${pattern.dir}/, named export, rows as a prop`);
        } else {
          const t = req.target;
          const known = validatorTypes(files);
          generated = t.kind === 'route' ? routeTestFor(t, files, fieldsFor(columns, known)) : toolsTestFor(t, files);
          const siblings = files.filter((f) => /\.(test|spec)\.[jt]sx?$/.test(f.path)).map((f) => f.path);
          items.push(item("Found the project's test style", siblings.length > 0, siblings.length ? `${siblings.length} test file(s), e.g. ${siblings.slice(0, 3).join(', ')}` : 'the project has no tests yet: plain vitest'));
          items.push(item(`Read what ${t.path} does`, !('error' in generated), 'error' in generated ? generated.error : generated.cases.join('; ')));
          ctx.log('ok', `Analyzing ${t.path} and the project's tests`);
        }
        return { items, metrics: { criticalCycles: 0 } };
      },
      async plan(ctx): Promise<PhaseOutcome> {
        const items: ChecklistItem[] = [];
        let scenarios = 1;
        let mitigated = 0;
        if (req.kind === 'component' && pattern && style) {
          const fields = fieldsFor(columns, validatorTypes(files));
          const spec = { table: req.table, variant: req.variant, columns, fields, route: routeFor(files, req.table) };
          planned = componentFile(spec, pattern);
          put(planned.path, planned.content, `a ${req.variant} component for ${req.table} (${planned.fetches === 'api' ? `fetches ${spec.route?.url}` : 'rows as a prop'})`);
          mitigated++;
          for (const n of planned.notes) ctx.log('info', n);
          ctx.log('ok', `Generated component: ${planned.name} (${planned.path})`);
          // An untested component is the validate gate's to judge (test coverage), not a plan failure.
          const untestable = 'none' in style ? style.none : planned.usesHooks && !style.hooks ? `${planned.name} uses hooks, and the renderer of ${style.sibling} calls components as plain functions (no hooks): it cannot render this one` : null;
          if (untestable || 'none' in style) {
            items.push(item('A test for the component', false, untestable!));
            ctx.log('warn', `No test for ${planned.name}: ${untestable}`);
          } else {
            const t = componentTest(spec, planned, style, pattern);
            put(t.path, t.content, `tests ${planned.name}`);
            items.push(item('A test for the component', true, `${t.path}, rendered like ${style.sibling ?? 'react-dom/server'}`));
          }
        } else if (req.kind === 'test' && generated) {
          if (!('error' in generated)) {
            put(generated.path, generated.content, `tests ${req.target.path}: ${generated.cases.join('; ')}`);
            for (const n of generated.notes) ctx.log('info', n);
            mitigated++;
          }
        }
        return { items: [...items, ...[...out.values()].map((f) => item(`Planned ${f.path}`, true, f.reason))], metrics: { scenarios, mitigated } };
      },
      async validate(ctx): Promise<PhaseOutcome> {
        const overlay = new Map([...out.values()].map((f) => [f.path, f.content!]));
        const tests = testPaths();
        // The generated tests run in a child process while the type checks run in their worker.
        const testRun = tests.length && input.testCommand ? runGeneratedTests(input.root, [...out.values()], tests, input.testCommand, ctx.signal) : null;
        testRun?.catch(() => undefined); // awaited below; a failing type check must not leave it unhandled
        const before = await typeCheck(input.root);
        const after = await typeCheck(input.root, overlay);
        const fresh = after.diagnostics.filter((d) => !before.diagnostics.some((b) => b.path === d.path && b.message === d.message));
        for (const d of fresh.slice(0, 5)) ctx.log('error', `${d.path}:${d.line}: TS${d.code} ${d.message}`);
        const all = [...files.filter((f) => !overlay.has(f.path)), ...[...overlay].map(([path, content]) => ({ path, content }))];
        const graph = buildGraph(all);
        const sources = req.kind === 'component' ? [...out.keys()].filter((p) => !testPaths().includes(p)) : [req.target.path];
        const reach = testReach(graph, sources);
        const cycles = cyclesThrough(graph, [...out.keys()]);
        const items = [
          item('Static analysis passed', fresh.length === 0, `tsc over ${after.files} files: ${fresh.length} new diagnostics`),
          item('No new import cycles', cycles.length === 0, cycles.length ? cycles.map((c) => c.join(' -> ')).join('; ') : 'none through the generated files'),
          item(req.kind === 'component' ? 'Tests import the generated code' : `The test reaches ${req.target.path}`, (reach.percent ?? 0) >= 80, reach.percent === null ? 'no source file' : `${reach.percent}% reached by a test${reach.untested.length ? `; untested: ${reach.untested.join(', ')}` : ''}`),
        ];
        let testsOk = true;
        let testEvidence = '';
        if (tests.length) {
          if (!input.testCommand) {
            testsOk = false;
            testEvidence = 'no test command to run them with';
            items.push(item('Generated tests pass against the current code', false, testEvidence));
          } else {
            const r = await testRun!;
            testsOk = r.ok;
            testEvidence = r.evidence;
            items.push(item('Generated tests pass against the current code', r.ok, r.evidence));
            if (r.ok) ctx.log('ok', `Generated tests pass: ${r.evidence}`);
            else for (const f of r.failures.slice(0, 5)) ctx.log('error', `Generated test fails: ${f}`);
          }
        }
        if (req.kind === 'test' && out.size) ctx.log(testsOk && !fresh.length ? 'ok' : 'error', `Generated test: ${tests.join(', ')}${testsOk ? '' : ' (failing)'}`);
        // A new type error or a failing generated test blocks under its own name, with its reason.
        const checksFailed = [...(fresh.length ? [`${fresh.length} new type error(s), first ${fresh[0]!.path}:${fresh[0]!.line} TS${fresh[0]!.code}`] : []), ...(testsOk ? [] : [`generated tests fail: ${testEvidence}`])];
        // Coverage: the share of the generated lines the generated tests executed (V8), none when no test ran.
        const run = testRun && input.testCommand ? await testRun : null;
        const coverage = run?.coverage ?? (await measureLineCoverage(null, changedLines(await diffAgainstHead(input.root, [...out.values()])), (p) => overlay.get(p) ?? null));
        const cov = coverageOutcome({ coverage, testCommand: input.testCommand ?? null, ran: run?.command ?? null, passed: run?.ok ? run.passed : null, changed: [...out.keys()], migrations: 0, dryRun: null }, ctx.config.gates.testCoverage);
        items.push(item('Test coverage of the generated lines', cov.ok, cov.evidence));
        return { items, metrics: { ...cov.metrics, checksFailed } };
      },
      async execute(): Promise<PhaseOutcome> {
        const existing = new Set(files.map((f) => f.path));
        const bad = [...out.values()].filter((f) => f.path.startsWith('..') || posix.isAbsolute(f.path) || existing.has(f.path));
        return {
          items: [item('Changes assembled for staging', bad.length === 0 && out.size > 0, bad.length ? `refused: ${bad.map((f) => f.path).join(', ')} (outside the project or already there)` : `${out.size} new file(s); nothing written to the project`)],
          metrics: { preconditions: 1, preconditionsMet: bad.length === 0 && out.size > 0 ? 1 : 0 },
        };
      },
      async verify(): Promise<PhaseOutcome> {
        done([...out.values()]);
        return { items: [item('Output handed to StageAgent', out.size > 0, `${out.size} file(s)`)], metrics: { postErrors: out.size ? 0 : 1 } };
      },
    },
  };
}
