// BugHunter: finds why a ticket's symptom happens, with evidence (file:line) and a computed
// confidence. Offline it reads code, types, tests and the schema; it changes nothing.
import type { AgentTask } from '../../src/engine/orchestrator.js';
import { item, type PhaseContext, type PhaseOutcome } from '../../src/engine/phases.js';
import type { TicketRow } from '../../src/store/rows.js';
import { parseTestCounts, runShell, type ShellResult } from '../../src/integrations/shell.js';
import { buildGraph, cyclesThrough } from '../shared/import-graph.js';
import { readProjectFiles, type ProjectRead, type SourceFile } from '../shared/project-files.js';
import { rankFiles, terms, type Ranked } from './ranker.js';
import { findUnresolved, isArchived, tablesWithoutWrites, type UnresolvedReference } from './references.js';
import { findRootCauses, type RootCause, type SchemaFinding } from './root-cause.js';
import { explainTicket, unexplained } from './explain.js';
import { locateLogic, logicCause, unaccounted } from './logic-cause.js';
import { FAILING_TEST_EVIDENCE } from '../shared/causes.js';
import { deleteBlockedByKey } from './fk-actions.js';
import { parseFailures, parseFileResults, type TestFailure } from '../shared/test-failures.js';
import { headSha, matchesHead } from '../../src/integrations/git.js';
import { typeCheck, type Diagnostic } from '../shared/ts-diagnostics.js';
import type { Column, TestBaseline } from '../shared/project-model.js';
import { llmSettings } from '../../src/integrations/llm/settings.js'; // issue 6 (LLM)
import { evidenceItems, reproduceThroughMcp, noRowUnblock, reproductionGap, toolCallsIn, withMcpEvidence, type McpEvidence } from './mcp-evidence.js'; // issue 18 (MCP)

export interface BugHunterInput {
  root: string;
  ticket: TicketRow;
  testCommand: string | null;
  /** The command the admin ran (`analyze` or `fix`): the one an unblock hint repeats. Default analyze. */
  command?: 'analyze' | 'fix';
  /** The run of `testCommand` at HEAD, when the caller started it (src/engine/pipeline.ts); default: started in understand. */
  suite?: Promise<ShellResult> | undefined;
  /** The project (its files, HEAD, whether the tree matches it) as already read for this run (src/engine/pipeline.ts); default: read here. */
  project?: ProjectRead | undefined;
  /**
   * Called at most once, when everything but the type check is in and the check is still running
   * (offline only): the analysis as it will be unless a type error adds a cause.
   */
  onProvisional?: (analysis: Analysis) => void;
  /** Schema lints over the database the migrations build (the Migrator's scan), and its tables. */
  scanSchema: () => Promise<{ findings: SchemaFinding[]; tables: string[]; columns: Record<string, Column[]> }>;
}

export interface Analysis {
  ticketId: string;
  ranked: Ranked[];
  /** Causes tied to the ticket (its words, the identifiers it names, its failing tests): the only ones fixed. */
  rootCauses: RootCause[];
  /** Findings that explain nothing in the ticket: reported, never fixed under it. */
  alsoFound: RootCause[];
  /** Why nothing explains the ticket, what was checked and the best leads; null when a cause does. */
  unexplained: string | null;
  unresolved: UnresolvedReference[];
  schema: SchemaFinding[];
  failures: TestFailure[];
  diagnostics: Diagnostic[];
  tests: { command: string; passed: number | null; failed: number | null; exitCode: number } | null;
  confidence: number;
  /** The schema the migrations build: tables and their columns. */
  tables: Record<string, Column[]>;
  /** The test run's per-file results, when it ran on a clean tree at HEAD: StageAgent reuses them. */
  baseline: TestBaseline | null;
}

const SYMPTOM = /\b(but|instead|never|not|no|fails?|failing|failed|errors?|missing|without|wrong|invalid|incorrect|broken|crash(es|ed)?|timeouts?|times? out|blank|empty|violates?|can't|cannot|doesn't|don't|isn't|won't)\b/i;

/** file:line of the first line naming a ticket term in each of the top-ranked files. */
/** What unblocks a ticket nothing explains: its words, which are all BugHunter reads offline. */
function nameIt(ticketId: string): string {
  return `name in the ticket what fails (the error text, a failing test, the table, route or tool), e.g. \`agent create ticket "<what fails>"\`; \`agent logs ${ticketId} --level debug\` shows what was checked`;
}

function leads(files: readonly SourceFile[], ranked: readonly Ranked[]): string[] {
  return ranked.slice(0, 3).map((r) => {
    const lines = files.find((f) => f.path === r.path)?.content.toLowerCase().split('\n') ?? [];
    const n = lines.findIndex((l) => r.hits.some((h) => l.includes(h)));
    return `${r.path}:${n + 1}`;
  });
}

export function bugHunter(input: BugHunterInput, done: (a: Analysis) => void): AgentTask {
  let files: SourceFile[] = [];
  let ranked: Ranked[] = [];
  let analysis: Analysis;
  let mcp: McpEvidence = { status: 'skipped', reason: 'the ticket states no failing behaviour' };
  const text = `${input.ticket.title} ${input.ticket.description}`;
  let typedFiles = 0;
  /** Type check, schema scan and the test run; root causes tied to the ticket, the rest set aside. */
  async function gather(ctx: PhaseContext): Promise<Analysis> {
    const overlay = new Map<string, string>();
    const atHead = Promise.all([input.project?.sha ?? headSha(input.root), (input.project?.clean ?? matchesHead(input.root)).catch(() => false)]);
    const started = performance.now();
    const took: Record<string, number> = {};
    const timed = <T>(name: string, p: Promise<T>) => p.finally(() => (took[name] = Math.round(performance.now() - started)));
    // The suite's process is spawned first: the schema scan then holds this thread for a while.
    const testing = timed('tests', input.testCommand ? (input.suite ?? runShell(input.testCommand, { cwd: input.root, signal: ctx.signal })) : Promise.resolve(null));
    const typing = timed('type check', typeCheck(input.root, overlay));
    let typed = false;
    typing.then(
      () => (typed = true),
      () => undefined,
    );
    const [scan, tests, reproduced] = await Promise.all([
      timed(
        'schema scan',
        input.scanSchema().catch((err: Error) => {
          ctx.log('warn', `Schema scan unavailable: ${err.message}`);
          return { findings: [] as SchemaFinding[], tables: [] as string[], columns: {} as Record<string, Column[]> };
        }),
      ),
      testing,
      // issue 18: reproducing through the admin's MCP server is part of understanding the ticket.
      timed('MCP reproduction', reproduceThroughMcp(ctx, { root: input.root, ticketText: text, files })),
    ]);
    mcp = reproduced;
    const [sha, clean] = await atHead;
    const found: Evidence = { scan, tests, sha, clean, failures: tests ? parseFailures(tests.output) : [], counts: tests ? parseTestCounts(tests.output) : null, unresolved: findUnresolved(files), unwritten: tablesWithoutWrites(files, scan.tables) };
    const llm = llmSettings(input.root, ctx.config);
    // The type check is usually the last of the three to finish, and only adds type-error causes,
    // which nothing offline fixes: the fix pipeline may start on the analysis as it stands (a draft
    // it discards unless the final change is the same, file for file). Offline only: the model's
    // reasoning reads the type errors.
    if (input.onProvisional && !llm && !typed) {
      const explained = explainTicket(candidatesFrom(found, []), text, found.failures);
      input.onProvisional(conclude(found, { diagnostics: [], files: 0 }, explained, locateLogic(files, text, unaccounted(explained))[0]));
    }
    const types = await typing;
    // Where the analysis waits (bench/fix-ticket.mjs reads it): each ran beside the others.
    ctx.log('debug', `Gathered in ${Math.round(performance.now() - started)} ms: ${Object.entries(took).map(([k, ms]) => `${k} done at ${ms} ms`).join(', ')}`, { took });
    typedFiles = types.files;
    if (types.missingDependencies) ctx.log('warn', `Dependencies are not installed: run \`${types.missingDependencies.install}\` (the type check's ${types.missingDependencies.errors} errors are left out: without the packages nothing can be type-checked honestly)`);
    if (!types.files) ctx.log('warn', 'The type check covered no file: no tsconfig.json lists the sources');
    const t = testRun(found);
    // A run that ran no test proves nothing: it is never read as passing.
    if (t && found.counts && found.counts.passed + found.counts.failed === 0) ctx.log('warn', `\`${t.command}\` ran no test (exit ${t.exitCode}): no failing test can point at a cause`);
    let candidates = candidatesFrom(found, types.diagnostics);
    // issue 6 (LLM): with ANTHROPIC_API_KEY set, Claude reasons over BugHunter's own tools; only
    // causes verifyCause() grounds in the tools' output replace the offline ones (./model.ts).
    if (llm) {
      const { reasonWithModel } = await import('./model.js');
      candidates = (await reasonWithModel({ root: input.root, ticket: input.ticket, files, ranked, diagnostics: types.diagnostics, typedFiles: types.files, failures: found.failures, tests: testRun(found), schema: scan.findings, tables: scan.tables }, llm, ctx)) ?? candidates;
    }
    // A cause counts for this ticket only when the ticket's own words or failing tests reach it.
    let explained = explainTicket(candidates, text, found.failures);
    // Failing tests of the ticket that no cause accounts for lead, by their frames and imports, to
    // the logic they exercise: a cause only the model can fix, so offline it is the best lead.
    const loose = unaccounted(explained);
    const located = locateLogic(files, text, loose)[0];
    if (located && llm) explained = explainTicket([...candidates, logicCause(located, loose.length)], text, found.failures);
    else if (located) ctx.log('info', `The ticket's failing tests lead to ${located.path}:${located.line}${located.symbol ? ` (${located.symbol})` : ''}; only the model writes a logic fix (\`--model\`)`);
    const analysis = conclude(found, types, explained, located);
    for (const c of analysis.rootCauses) ctx.log('ok', c.fix === 'mcp-tool' ? `Missing MCP tool: ${c.subject}` : c.fix === 'foreign-key' ? `Root cause found: missing foreign key ${c.subject.replace(/^public\./, '')}` : `Root cause found: ${c.summary}`);
    for (const c of explained.alsoFound) ctx.log('info', `Also found (explains nothing in the ticket): ${c.summary.split(' (')[0]}`);
    return analysis;
  }
  /** What the analysis rests on, the type check apart: the schema scan, the suite's run (read), where HEAD stands, the code's references and writes. */
  type Evidence = { scan: Awaited<ReturnType<BugHunterInput['scanSchema']>>; tests: ShellResult | null; sha: string | null; clean: boolean; failures: TestFailure[]; counts: { passed: number; failed: number } | null; unresolved: UnresolvedReference[]; unwritten: ReturnType<typeof tablesWithoutWrites> };
  /** Every candidate cause the evidence and the type errors show, tied to the ticket or not. Pure. */
  function candidatesFrom(e: Evidence, diagnostics: Diagnostic[]): RootCause[] {
    return [...deleteBlockedByKey(files, text), ...findRootCauses({ ticketText: text, unresolved: e.unresolved, schema: e.scan.findings, failures: e.failures, diagnostics, unwritten: e.unwritten })];
  }
  /** The suite's run as the analysis reports it. Pure. */
  function testRun(e: Evidence): Analysis['tests'] {
    return e.tests && input.testCommand ? { command: input.testCommand, passed: e.counts?.passed ?? null, failed: e.counts?.failed ?? null, exitCode: e.tests.exitCode } : null;
  }
  /** The analysis, from the evidence, the type check and the causes tied to the ticket. Pure. */
  function conclude(e: Evidence, types: { diagnostics: Diagnostic[]; files: number }, explained: ReturnType<typeof explainTicket>, located: ReturnType<typeof locateLogic>[number] | undefined): Analysis {
    const perFile = e.tests ? parseFileResults(e.tests.output) : new Map();
    const baseline = e.tests && input.testCommand && e.sha && e.clean && perFile.size ? { sha: e.sha, command: input.testCommand, files: Object.fromEntries(perFile), failures: e.failures } : null;
    const t = testRun(e);
    const rootCauses = withMcpEvidence(mcp, explained.explaining, files);
    const schema = e.scan.findings;
    return {
      ticketId: input.ticket.id,
      ranked,
      rootCauses,
      alsoFound: explained.alsoFound,
      unexplained: rootCauses.length ? null : unexplained(explained, { files: files.length, typedFiles: types.files, typeErrors: types.diagnostics.length, tests: t, schemaFindings: schema.length, leads: located ? [`${located.path}:${located.line}`, ...leads(files, ranked).filter((l) => !l.startsWith(`${located.path}:`))] : leads(files, ranked), ...(located ? { logic: `${located.path}:${located.line}${located.symbol ? ` (${located.symbol})` : ''}` } : {}) }),
      unresolved: e.unresolved,
      schema,
      failures: e.failures,
      diagnostics: types.diagnostics,
      tests: t,
      confidence: rootCauses[0]?.confidence ?? 0,
      tables: e.scan.columns,
      baseline,
    };
  }
  return {
    type: 'BugHunter',
    priority: 10,
    phases: {
      async understand(ctx): Promise<PhaseOutcome> {
        ctx.log('info', 'Analyzing issue...');
        files = await (input.project?.files ?? readProjectFiles(input.root));
        // An archived migration is history, never the place a ticket's bug lives.
        ranked = rankFiles(files.filter((f) => !isArchived(f.path)), text);
        const ticketTerms = terms(text);
        const symptom = SYMPTOM.test(text);
        const clarity = [
          item('Identified affected components', ranked.length > 0, ranked.length ? `top files: ${ranked.slice(0, 3).map((r) => `${r.path} (${r.hits.join(', ')})`).join('; ')}` : `no file mentions ${ticketTerms.join(', ')}`),
          item('Mapped current vs desired state', symptom, symptom ? 'the ticket states what happens and what should' : 'the ticket states no failing behaviour'),
          item('Understood business impact', ticketTerms.length >= 2, `${ticketTerms.length} domain terms: ${ticketTerms.slice(0, 8).join(', ')}`),
        ];
        // Nothing to explain: no evidence is gathered for a ticket that names no failing behaviour.
        if (!symptom) return { items: clarity, metrics: { confidence: 0, confidenceBasis: 'the ticket states no failing behaviour', unblock: nameIt(input.ticket.id) } };
        analysis = await gather(ctx);
        const top = analysis.rootCauses[0];
        const basis = top ? `${top.summary.split(' (')[0]}: ${top.evidence.filter((e) => /^the ticket|: failing test /.test(e)).join('; ')}` : analysis.unexplained!;
        const gap = top ? null : reproductionGap(mcp, text, toolCallsIn(files));
        const hint = top ? noRowUnblock(top, input.ticket.id, input.command) : null;
        return {
          items: [...clarity, item('Tied a root cause to the ticket', Boolean(top), top ? basis : analysis.unexplained!), ...evidenceItems(mcp)],
          metrics: {
            confidence: analysis.confidence,
            confidenceBasis: gap ? `${basis}; ${gap.missing}` : basis,
            ...(hint ? { unblock: hint } : {}),
            // Failing tests that point at logic: what a model can locate and fix, offline nothing can.
            ...(top ? {} : { unblock: /its failing tests? /.test(basis) ? `\`agent fix ticket ${input.ticket.id} --model\` (with ANTHROPIC_API_KEY) lets the model locate and fix the logic those tests point at` : [gap?.unblock, nameIt(input.ticket.id)].filter(Boolean).join('; or ') }),
          },
        };
      },
      async analyze(): Promise<PhaseOutcome> {
        const graph = buildGraph(files);
        const cycles = cyclesThrough(graph, ranked.slice(0, 5).map((r) => r.path));
        const { rootCauses, schema, failures, diagnostics } = analysis;
        return {
          items: [
            item('Built complete dependency graph', graph.size > 0, `${graph.size} modules, ${[...graph.values()].reduce((n, s) => n + s.size, 0)} imports`),
            item('Identified circular dependencies', cycles.length === 0, cycles.length ? cycles.map((c) => c.join(' -> ')).join('; ') : 'no import cycle through the affected files'),
            item('Assessed breakage risk for each dependency', typedFiles > 0, `${diagnostics.length} type errors in ${typedFiles} files; ${failures.length} failing tests${analysis.tests ? ` of ${(analysis.tests.passed ?? 0) + (analysis.tests.failed ?? 0)}` : ''}; ${schema.length} schema findings`),
            item('Documented all touch points', rootCauses.length > 0, rootCauses.length ? rootCauses.flatMap((c) => c.evidence).slice(0, 6).join('; ') : 'no root cause found'),
            ...(analysis.alsoFound.length ? [item('Set aside findings that explain nothing in the ticket', true, `also found: ${analysis.alsoFound.map((c) => c.summary.split(' (')[0]).join('; ')}`)] : []),
          ],
          metrics: { criticalCycles: cycles.length },
          output: analysis,
        };
      },
      async plan(): Promise<PhaseOutcome> {
        const fixable = analysis.rootCauses.filter((c) => c.fix !== 'type-error' || c.confidence >= 70);
        return {
          items: fixable.map((c) => item(`Fix planned: ${c.summary.split(' (')[0]}`, true, c.fix === 'foreign-key' ? `migration with NOT VALID + VALIDATE and a rollback${c.fixSql ? `: ${c.fixSql.split('\n')[0]}` : ''}` : c.fix === 'logic' ? `the model's change to ${c.subject} (CodeSmith), which must turn ${c.evidence.filter((e) => FAILING_TEST_EVIDENCE.test(e)).length} failing test(s) green and break none` : `${c.fix} generated from the project's own patterns, type-checked and tested`)),
          metrics: { scenarios: fixable.length, mitigated: fixable.length },
        };
      },
      async validate(): Promise<PhaseOutcome> {
        // BugHunter changes nothing; its evidence is validated by being reproducible (the MCP reproduction ran in understand).
        const reproduced = analysis.rootCauses.filter((c) => c.evidence.length > 0);
        return {
          items: [item('Every root cause has evidence', reproduced.length === analysis.rootCauses.length, `${reproduced.length}/${analysis.rootCauses.length} with file:line evidence`)],
          // BugHunter changes no line, so no test coverage: what it checks instead is each cause's evidence.
          metrics:
            reproduced.length === analysis.rootCauses.length
              ? { coverage: null, coverageInstead: `BugHunter changes no code; each of its ${analysis.rootCauses.length} root cause(s) carries file:line evidence` }
              : { coverage: null, coverageBasis: `${analysis.rootCauses.length - reproduced.length} of ${analysis.rootCauses.length} root cause(s) carry no file:line evidence`, unblock: `\`agent logs ${input.ticket.id} --level debug\` shows what each cause rests on` },
        };
      },
      async execute(): Promise<PhaseOutcome> {
        const recorded = analysis.ranked.length > 0 && analysis.rootCauses.length > 0;
        return { items: [item('Complete execution log', recorded, `${analysis.ranked.length} ranked files and ${analysis.rootCauses.length} root cause(s) recorded`)], metrics: { preconditions: 1, preconditionsMet: recorded ? 1 : 0 } };
      },
      async verify(): Promise<PhaseOutcome> {
        done(analysis);
        return { items: [item('Report produced', analysis.rootCauses.length > 0, `${analysis.rootCauses.length} root cause(s), top confidence ${analysis.confidence}%`)], metrics: { postErrors: analysis.rootCauses.length ? 0 : 1 } };
      },
    },
  };
}
