// StageAgent: gathers the other agents' output into one change set, proves it (types, the
// project's tests in a scratch worktree), and writes it to ./staged/ for review.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentTask } from '../../src/engine/orchestrator.js';
import { item, type PhaseOutcome } from '../../src/engine/phases.js';
import { diffAgainstHead, git, headSha } from '../../src/integrations/git.js';
import { focusedCommand } from '../../src/integrations/shell.js';
import { typeCheck } from '../shared/ts-diagnostics.js';
import type { TestFailure } from '../shared/test-failures.js';
import type { ChangeFile, ChangeSetInput, GateResult, Manifest } from '../shared/change-set.js';
import { readProject, type ProjectRead, type SourceFile } from '../shared/project-files.js';
import { changedLines, measureLineCoverage } from '../shared/line-coverage.js';
import { coverageOutcome } from '../shared/coverage-verdict.js';
import { writeChangeSet } from './writer.js';
import { testWithChange } from '../shared/verify-worktree.js';
import { affectsEveryTest, selectTests, type TestBaseline, type TestSelection } from './test-selection.js';

export interface StageInput {
  root: string;
  change: Omit<ChangeSetInput, 'gates' | 'tests' | 'baseSha'>;
  /** Gate results of the agents that produced the change (shown in REVIEW.md). */
  gates: () => GateResult[];
  testCommand: string | null;
  /** BugHunter's run of the whole suite, when it ran on a clean tree: unaffected files are not run again. */
  baseline?: TestBaseline | null;
  /** The proof of this change, started before StageAgent was (startProof); used when its files are these. */
  early?: ChangeProof | null;
}

/** Whether `name` is installed in a node_modules at or above root. */
function installedFrom(root: string): (name: string) => boolean {
  return (name) => {
    for (let dir = root; ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'node_modules', name))) return true;
      if (dirname(dir) === dir) return false;
    }
  };
}


/**
 * Which of these failures HEAD has too: its run of just the failing tests' files that exist at
 * HEAD (a file the change adds cannot have failed before). Keys are `file > name`.
 */
export async function failingAtHead(root: string, command: string, failures: readonly TestFailure[], signal: AbortSignal): Promise<Set<string>> {
  const files = [...new Set(failures.map((f) => f.file))];
  const atHead = (await git(root, ['ls-tree', '-r', '--name-only', 'HEAD', '--', ...files])).stdout.split('\n').filter(Boolean);
  if (!atHead.length) return new Set();
  const base = await testWithChange(root, '', focusedCommand(command, atHead), signal);
  return new Set(base.failures.map((f) => `${f.file} > ${f.name}`));
}

interface TestPlan {
  /** What to run with the change; null when no test file can reach it. */
  command: string | null;
  /**
   * The test files `command` narrows the test command to (none: the whole suite), for a test runner
   * started ahead (testWithChange); null when the change edits what every test may read.
   */
  files: string[] | null;
  announce: string;
  /** Set when the selection rests on it: its failures are HEAD's. */
  baseline: TestBaseline | null;
  carried: NonNullable<ChangeSetInput['tests']>['carried'] | null;
}

/**
 * The whole suite, or, when BugHunter ran it on this HEAD with a clean tree, only the test files
 * the change can reach (./test-selection.ts); the others' passing results carry over.
 */
async function planTests(root: string, command: string, after: SourceFile[], changed: string[], baseSha: string | null, baseline: TestBaseline | null, clean: Promise<boolean>): Promise<TestPlan> {
  const whole: TestPlan = { command, files: changed.some(affectsEveryTest) ? null : [], announce: `Running the project's tests with the change: ${command}`, baseline: null, carried: null };
  if (!baseline || baseline.sha !== baseSha || baseline.command !== command || !(await clean)) return whole;
  const selection: TestSelection = selectTests(after, changed, baseline, installedFrom(root));
  if (selection.kind === 'all') return { ...whole, baseline };
  const carried = { files: selection.carried, tests: selection.carried.reduce((n, t) => n + (baseline.files[t]!.tests ?? 0) - (baseline.files[t]!.skipped ?? 0), 0), baseSha: baseline.sha };
  const why = `the other ${carried.files.length} passed on HEAD ${baseline.sha.slice(0, 12)} and import nothing it changes`;
  if (!selection.run.length) return { command: null, files: null, announce: `No test file can reach the change; ${why.replace(/^the other/, 'all')}`, baseline, carried };
  const focused = focusedCommand(command, selection.run);
  return { command: focused, files: selection.run, announce: `Running the ${selection.run.length} test file(s) the change can reach (${why}): ${focused}`, baseline, carried };
}

/** Whether the change is migrations (and their rollbacks) and nothing else. Pure. */
export function migrationOnly(change: Pick<ChangeSetInput, 'files' | 'migrations'>): boolean {
  const paths = new Set(change.migrations.flatMap((m) => [m.upPath, m.downPath]));
  return change.migrations.length > 0 && change.files.every((f) => paths.has(f.path));
}

type TestRun = Awaited<ReturnType<typeof testWithChange>>;

/** The patch, the test plan and the test run (with V8 coverage) of one change: what StageAgent's validate waits for. */
export interface ChangeProof {
  /** changeKey of the files it proves. */
  key: string;
  patch: Promise<string>;
  baseSha: Promise<string | null>;
  plan: Promise<TestPlan | null>;
  run: Promise<TestRun | null>;
  /** Ends the test run (its worktree is removed); awaiting `run` then waits for that. */
  cancel(): void;
}

/** Which files with which content: a proof started for one change is never taken for another. Pure. */
export function changeKey(files: readonly Pick<ChangeFile, 'path' | 'content'>[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${f.path}\0${f.content === null ? '\u0001deleted' : f.content}\0`);
  return h.digest('hex');
}

/**
 * Starts proving a change: its patch against HEAD, which tests can reach it, and their run in a
 * worktree. The fix pipeline starts it as soon as CodeSmith's plan and the Migrator's output are
 * final, so the tests run while CodeSmith's own checks do; StageAgent starts it in validate otherwise.
 */
export function startProof(input: Pick<StageInput, 'root' | 'testCommand' | 'baseline'>, files: readonly ChangeFile[], signal: AbortSignal, opts: { patching?: Promise<string> | undefined; project?: ProjectRead | undefined } = {}): ChangeProof {
  const stop = new AbortController();
  const sig = AbortSignal.any([signal, stop.signal]);
  const root = input.root;
  // The patch's four git runs each fork this process (which by now is large): they start once the
  // tests' process is spawned, not ahead of it. The tests are what StageAgent waits for.
  let makePatch = () => {};
  const patch = opts.patching ?? new Promise<string>((resolve, reject) => (makePatch = () => void diffAgainstHead(root, files).then(resolve, reject)));
  const { sha: baseSha, clean, files: reading } = opts.project ?? readProject(root);
  const plan = (async () => {
    if (!input.testCommand) return null;
    const overlay = new Map(files.filter((f) => f.content !== null).map((f) => [f.path, f.content!]));
    const changed = new Set(files.map((f) => f.path));
    const project = await reading;
    const after = [...project.filter((f) => !changed.has(f.path)), ...[...overlay].map(([path, content]) => ({ path, content }))];
    return planTests(root, input.testCommand, after, [...changed], await baseSha, input.baseline ?? null, clean);
  })();
  const run = (async () => {
    let running: Promise<TestRun> | null = null;
    try {
      const p = await plan;
      // The files are written into the worktree while the patch is still being made.
      if (p?.command && !sig.aborted) running = testWithChange(root, { files, patch }, p.command, sig, undefined, { coverage: true, head: await baseSha, files: p.files });
    } finally {
      setImmediate(makePatch); // after the tests' spawn, which comes within this turn of the event loop
    }
    return running;
  })();
  for (const x of [patch, baseSha, plan, run]) x.catch(() => undefined); // awaited by StageAgent, or cancelled
  return { key: changeKey(files), patch, baseSha, plan, run, cancel: () => stop.abort() };
}

/** The pgTAP files the project keeps for `supabase test db`, which needs the Supabase CLI's database to run. */
function pgTapNote(root: string): string {
  const dir = join(root, 'supabase', 'tests');
  const sql = existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.sql')) : [];
  return sql.length ? ` (its ${sql.length} pgTAP file(s) in supabase/tests run with \`supabase test db\`, which needs the Supabase CLI and Docker: not run)` : '';
}

export function stageAgent(input: StageInput, done: (m: Manifest) => void): AgentTask {
  let baseSha: string | null = null;
  let patch = '';
  let patching: Promise<string> | null = null;
  // A proof started early for exactly these files is taken; one for other files is ended.
  const early = input.early && input.early.key === changeKey(input.change.files) ? input.early : null;
  if (input.early && !early) input.early.cancel();
  let tests: ChangeSetInput['tests'];
  let manifest: Manifest | null = null;
  let typesClean = false;
  let testsPass = false;
  /** Why no project tests ran for a migration-only change that its dry run checked; null otherwise. */
  let untested: string | null = null;
  const files = input.change.files;
  return {
    type: 'StageAgent',
    speaker: 'STAGE',
    priority: 1,
    resources: files.map((f) => `file:${f.path}`),
    phases: {
      async understand(): Promise<PhaseOutcome> {
        // The patch is computed meanwhile (analyze takes it): the two git runs do not wait on each other.
        patching = early?.patch ?? diffAgainstHead(input.root, files);
        patching.catch(() => undefined); // awaited in analyze
        baseSha = await (early?.baseSha ?? headSha(input.root));
        return {
          items: [item('Collected the agents’ changes', files.length > 0, `${files.length} file(s), ${input.change.migrations.length} migration(s)`), item('Base revision known', baseSha !== null, baseSha ? `HEAD ${baseSha.slice(0, 12)}` : 'the repository has no commits')],
          metrics: {
            confidence: files.length && baseSha ? 100 : 0,
            // Nothing to stage means the agents before it wrote nothing: their checklists say why.
            ...(!files.length
              ? { confidenceBasis: 'no agent produced a change to stage (0 files, 0 migrations)', unblock: `${input.change.ticket ? `\`agent logs ${input.change.ticket.id} --level debug\`` : '`agent logs --level debug`'} shows each agent's checklist and why it wrote nothing` }
              : !baseSha
                ? { confidenceBasis: 'the repository has no commits to stage the change against', unblock: 'commit the project first (`git add -A && git commit -m "initial"`)' }
                : {}),
          },
        };
      },
      async analyze(): Promise<PhaseOutcome> {
        const paths = files.map((f) => f.path);
        const dupes = paths.filter((p, i) => paths.indexOf(p) !== i);
        patch = await (patching ?? diffAgainstHead(input.root, files));
        return { items: [item('No two agents changed the same file', dupes.length === 0, dupes.length ? dupes.join(', ') : `${paths.length} distinct paths`), item('Patch computed against HEAD', patch.length > 0, `${patch.split('\n').length} lines`)], metrics: { criticalCycles: dupes.length } };
      },
      async plan(): Promise<PhaseOutcome> {
        const withDown = input.change.migrations.filter((m) => m.down.trim());
        return {
          items: [item('Planned rollback procedures', withDown.length === input.change.migrations.length, `${withDown.length}/${input.change.migrations.length} migrations carry rollback SQL; code reverts with git`)],
          metrics: { scenarios: 1 + input.change.migrations.length, mitigated: 1 + withDown.length },
        };
      },
      async validate(ctx): Promise<PhaseOutcome> {
        const overlay = new Map(files.filter((f) => f.content !== null).map((f) => [f.path, f.content!]));
        const changed = new Set(files.map((f) => f.path));
        // The tests run in a child process (from before StageAgent started, when the pipeline could
        // start them early); the type check runs here meanwhile. With V8 coverage: the gate's
        // figure is the share of changed lines those tests execute.
        const proof = early ?? startProof(input, files, ctx.signal, { patching: patching ?? undefined });
        const cancel = () => proof.cancel();
        ctx.signal.addEventListener('abort', cancel, { once: true });
        const plan = await proof.plan;
        if (plan) ctx.log('info', plan.announce);
        const started = performance.now();
        const testRun = plan?.command ? proof.run : null;
        const [before, typed] = [await typeCheck(input.root), await typeCheck(input.root, overlay)];
        const typedAt = Math.round(performance.now() - started);
        const fresh = typed.diagnostics.filter((d) => !before.diagnostics.some((b) => b.path === d.path && b.message === d.message));
        const items = [item('Static analysis passed', fresh.length === 0, `${fresh.length} new type errors across ${typed.files} files`)];
        let failed = 0;
        if (plan) {
          const r = testRun ? await testRun : null;
          if (r && r.exitCode !== 0 && r.failures.length) {
            // Failures that HEAD already has are not this change's doing: only new ones count.
            const known = plan.baseline ? new Set(plan.baseline.failures.map((f) => `${f.file} > ${f.name}`)) : await failingAtHead(input.root, plan.command!, r.failures, ctx.signal);
            const fresh = r.failures.filter((f) => !known.has(`${f.file} > ${f.name}`));
            if (!fresh.length) {
              ctx.log('warn', `${r.failures.length} test(s) already failing before this change: ${r.failures.map((f) => f.name).join('; ')}`);
              r.exitCode = 0;
              r.failures = [];
            }
          }
          const carried = plan.carried;
          const exitCode = r ? r.exitCode : 0;
          const passed = (r?.counts?.passed ?? 0) + (carried?.tests ?? 0);
          const failing = r ? r.counts?.failed ?? (r.exitCode === 0 ? 0 : 1) : 0;
          failed = exitCode === 0 ? 0 : Math.max(1, r?.counts?.failed ?? 1);
          tests = { command: plan.command ?? '', passed, failed: failing, ok: exitCode === 0, ...(carried ? { carried } : {}) };
          for (const f of r?.failures.slice(0, 5) ?? []) ctx.log('error', `Test still failing: ${f.name} (${f.location ?? f.file}): ${f.message}`);
          const counted = r?.counts || carried;
          const from = carried ? ` (${carried.tests} of them in ${carried.files.length} file(s) the change cannot reach, passed on HEAD)` : '';
          items.push(item('All tests passing', exitCode === 0, counted ? `${passed} passed, ${failing} failed${from}` : `exit ${exitCode}`));
          // What ran with the change and what was carried from HEAD's run, said apart.
          const ran = r?.counts ? r.counts.passed : null;
          const split = carried ? `${ran ?? 0} ran with the change, ${carried.tests} carried from HEAD ${carried.baseSha.slice(0, 12)} (${carried.files.length} file(s) the change cannot reach)` : `${passed}`;
          if (exitCode === 0) ctx.log('ok', failing ? `No new test failures (${split} passed, ${failing} failing before the change too)` : `All tests passing${counted ? ` (${split})` : ''}`);
        }
        const dryRun = input.gates().find((g) => /^migrator/i.test(g.agent) && g.phase === 'validate' && g.ok);
        if (!plan) {
          // Many Supabase projects have no test command. A change that is migrations alone is still
          // checked: the Migrator applied it and its rollback on the shadow. That is said, not hidden.
          const onlyMigrations = migrationOnly(input.change);
          untested = onlyMigrations && dryRun ? `the project has no test command${pgTapNote(input.root)}; the change is ${input.change.migrations.length} migration(s) and nothing else, checked by the Migrator's dry run (${dryRun.detail.replace(/^in place of test coverage: /, '')})` : null;
          if (untested) ctx.log('warn', `No project tests ran: ${untested}`);
          items.push(untested ? item('Migration-only change checked by its dry run (no project tests)', true, untested) : item('All tests passing', false, 'no test command: set test.command in agent.config.json'));
        }
        typesClean = fresh.length === 0;
        testsPass = Boolean(tests?.ok) && failed === 0;
        const ran = testRun ? await testRun : null;
        ctx.signal.removeEventListener('abort', cancel);
        // Where validate waits (bench/fix-ticket.mjs reads it): the type check ran beside the tests.
        if (ran) ctx.log('debug', `Tested in ${Math.round(performance.now() - started)} ms${early ? ' more (the run started before StageAgent did)' : ''}: worktree with the change at ${ran.took.worktree} ms, tests done at ${ran.took.tests} ms, coverage read at ${ran.took.coverage} ms${ran.warm ? " (the project's vitest was started ahead, in the worktree, and given the files)" : ''}; type check done at ${typedAt} ms`, { took: { ...ran.took, typeCheck: typedAt }, warm: ran.warm });
        // No run (no test file can reach the change): no changed line ran; the text is the change's.
        const coverage = ran?.coverage ?? (await measureLineCoverage(null, changedLines(patch), (p) => overlay.get(p) ?? null));
        const cov = coverageOutcome({ coverage, testCommand: input.testCommand, ran: plan?.command ?? null, passed: testsPass ? tests?.passed ?? null : null, changed: [...changed], migrations: input.change.migrations.length, dryRun: dryRun?.detail ?? null }, ctx.config.gates.testCoverage);
        items.push(item('Test coverage of the changed lines', cov.ok, cov.evidence));
        return { items, metrics: cov.metrics };
      },
      async execute(ctx): Promise<PhaseOutcome> {
        const pre = [
          item('Precondition: base revision', baseSha !== null, baseSha ?? 'no commit'),
          item('Precondition: no new type errors', typesClean, typesClean ? 'tsc clean for the change' : 'the change adds type errors'),
          untested && !tests
            ? item('Precondition: the migration-only change passed its dry run (no project tests ran)', true, untested)
            : item("Precondition: the project's tests pass with the change", testsPass, tests ? `${tests.passed} passed, ${tests.failed} failed` : 'tests were not run'),
        ];
        const met = pre.filter((p) => p.ok).length;
        // Nothing is written unless every precondition holds; the gate then names what failed.
        if (met === pre.length) {
          manifest = await writeChangeSet(input.root, { ...input.change, gates: input.gates(), tests, ...(untested && !tests ? { untested } : {}), baseSha }, new Date(), patch);
          ctx.log('ok', `Created staged environment: ./${manifest.dir}/`);
          pre.push(item('All changes written atomically', true, `${manifest.dir} (assembled in a temp dir, then renamed)`));
        }
        // What unblocks the first precondition not met.
        const unblock = !baseSha
          ? 'commit the project first (`git add -A && git commit -m "initial"`)'
          : !typesClean
            ? '`agent bugs scan --severity error` lists the type errors; the change must add none'
            : !testsPass && !(untested && !tests)
              ? tests
                ? `the "Test still failing" lines name each test that fails with the change; \`${input.testCommand}\` runs them`
                : 'set test.command in agent.config.json, or a "test" script in package.json'
              : undefined;
        return { items: pre, metrics: { preconditions: pre.length > 3 ? 3 : pre.length, preconditionsMet: met, ...(unblock ? { unblock } : {}) } };
      },
      async verify(ctx): Promise<PhaseOutcome> {
        let applies = true;
        let why = 'git apply --check against HEAD succeeded';
        try {
          await git(input.root, ['apply', '--check', '--whitespace=nowarn', join(input.root, manifest!.dir, 'changes.patch')]);
        } catch (err) {
          applies = false;
          why = (err as Error).message;
        }
        if (applies) ctx.log('ok', 'All changes ready for review');
        done(manifest!);
        return { items: [item('The staged patch applies cleanly', applies, why)], metrics: { postErrors: applies ? 0 : 1 } };
      },
    },
  };
}
