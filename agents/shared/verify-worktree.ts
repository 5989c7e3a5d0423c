// The project's tests on HEAD plus a change, in a throw-away git worktree.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { git } from '../../src/integrations/git.js';
import { parseTestCounts, runShell } from '../../src/integrations/shell.js';
import { startWarmVitest, type WarmVitest } from '../../src/integrations/warm-vitest.js';
import { processScratch, type ScratchRegistrar } from '../../src/engine/scratch.js';
import { parseFailures, parseFileResults } from './test-failures.js';
import { changedLines, coverageRun, measureLineCoverage, type LineCoverage } from './line-coverage.js';

interface Worktree {
  dir: string;
  wt: string;
  /** The commit it has checked out; null when it could not be made. */
  sha: string | null;
  /** The project's vitest started in it ahead of the run (prepareWorktree), with coverage. */
  warm?: WarmVitest | null;
}

/**
 * A worktree at HEAD made ahead of the test run that will use it (prepareWorktree), by project
 * root. Taken once; used only when HEAD is still the commit it holds.
 */
const prepared = new Map<string, { made: Promise<Worktree>; scratch: ScratchRegistrar }>();

async function makeWorktree(root: string, scratch: ScratchRegistrar): Promise<Worktree> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-verify-'));
  const wt = join(dir, 'wt');
  scratch.add({ path: dir, kind: 'verify-worktree', repo: root });
  try {
    const sha = (await git(root, ['rev-parse', '--verify', 'HEAD^{commit}'])).stdout.trim();
    await git(root, ['worktree', 'add', '-q', '--detach', wt, sha]);
    if (existsSync(join(root, 'node_modules')) && !existsSync(join(wt, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(wt, 'node_modules'), 'dir');
    return { dir, wt, sha };
  } catch (err) {
    await removeWorktree(root, { dir, wt, sha: null }, scratch);
    throw err;
  }
}

/**
 * Removes the worktree and its registration. Its admin folder (the `gitdir:` its .git file names,
 * under the repository's worktrees/) is removed directly, as `git worktree prune` would once the
 * folder is gone: `git worktree remove --force` takes 10-100 ms here, the two removals ~2 ms.
 */
async function removeWorktree(root: string, w: Worktree, scratch: ScratchRegistrar): Promise<void> {
  await w.warm?.dispose();
  let admin: string | null = null;
  try {
    const named = /^gitdir: (.+\/worktrees\/[^/\n]+)\n?$/.exec(readFileSync(join(w.wt, '.git'), 'utf8'))?.[1];
    admin = named ? resolve(w.wt, named) : null; // git may write it relative to the worktree
  } catch {
    admin = null;
  }
  rmSync(w.dir, { recursive: true, force: true });
  if (admin && existsSync(join(admin, 'gitdir'))) rmSync(admin, { recursive: true, force: true });
  else await git(root, ['worktree', 'prune']).catch(() => undefined); // a half-made worktree
  scratch.remove(w.dir);
}

/**
 * Starts making the worktree the next testWithChange on `root` will use, so that it is ready
 * when the change is (the fix pipeline calls it while BugHunter works). With `testCommand`, the
 * project's vitest starts in it too, with coverage, waiting for the files to run (warm-vitest.ts).
 */
export function prepareWorktree(root: string, scratch: ScratchRegistrar = processScratch, opts: { testCommand?: string | null } = {}): void {
  if (prepared.has(root)) return;
  const made = makeWorktree(root, scratch).then((w) => {
    if (opts.testCommand) w.warm = startWarmVitest(w.wt, opts.testCommand, coverageRun(coverageDir(w), w.wt).env);
    return w;
  });
  made.catch(() => undefined); // the test run makes its own when this one failed
  prepared.set(root, { made, scratch });
}

/** Removes a prepared worktree no test run took (the run stopped before its tests). */
export async function discardPreparedWorktree(root: string): Promise<void> {
  const p = prepared.get(root);
  if (!p) return;
  prepared.delete(root);
  const w = await p.made.catch(() => null);
  if (w) await removeWorktree(root, w, p.scratch);
}

/** The prepared worktree when it holds HEAD's commit (`head`, when the caller has just read it), else a new one. */
async function worktreeAtHead(root: string, scratch: ScratchRegistrar, knownHead?: string | null): Promise<Worktree> {
  const p = prepared.get(root);
  if (p && p.scratch === scratch) {
    prepared.delete(root);
    const [w, head] = await Promise.all([p.made.catch(() => null), knownHead ?? git(root, ['rev-parse', '--verify', 'HEAD^{commit}']).then((r) => r.stdout.trim(), () => null)]);
    if (w && w.sha === head) return w;
    if (w) await removeWorktree(root, w, scratch); // HEAD moved since: it holds another commit
  }
  return makeWorktree(root, scratch);
}

const coverageDir = (w: Worktree) => join(w.dir, 'coverage');

/**
 * A change given as its files (written over the worktree at HEAD, which is what applying its patch
 * there gives) and its patch against HEAD (for the coverage of the lines it adds), which may still
 * be in the making while the tests run.
 */
export interface WrittenChange {
  files: ReadonlyArray<{ path: string; content: string | null }>;
  patch: Promise<string>;
}

function writeInto(wt: string, files: WrittenChange['files']): void {
  for (const f of files) {
    const full = resolve(wt, f.path);
    if (!full.startsWith(`${wt}/`)) throw new Error(`${f.path} is outside the project`);
    if (f.content === null) rmSync(full, { force: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, f.content);
    }
  }
}

/**
 * Runs the project's tests on HEAD plus the change, in a throw-away worktree. It is registered
 * (src/engine/scratch.ts) before git creates it, so a kill at any point leaves nothing that the
 * next command does not remove. `took`: when (ms from the call) the worktree held the change, the
 * tests ended and the coverage was read.
 */
export async function testWithChange(root: string, change: string | WrittenChange, command: string, signal: AbortSignal, scratch: ScratchRegistrar = processScratch, opts: { coverage?: boolean; head?: string | null; files?: readonly string[] | null } = {}) {
  const started = performance.now();
  const at = () => Math.round(performance.now() - started);
  const w = await worktreeAtHead(root, scratch, opts.head);
  try {
    if (typeof change !== 'string') writeInto(w.wt, change.files);
    else if (change.trim()) await git(w.wt, ['apply', '--whitespace=nowarn', '-'], { input: change });
    const ready = at();
    // With `coverage`, V8's coverage of the run, measured on the lines the patch adds.
    const cov = opts.coverage ? coverageRun(coverageDir(w), w.wt) : null;
    // The vitest started ahead runs exactly what `command` would: the files it narrows the test
    // command to (`files`, none for the whole suite), with coverage. The caller leaves `files` out
    // when the change edits what vitest read at its start (its config, package.json).
    const warm = w.warm && cov && opts.files !== undefined && opts.files !== null ? await w.warm.run(opts.files, { signal }) : null;
    if (!warm) void w.warm?.dispose(); // before the command runs; the worktree's removal waits for it
    const r = warm ?? (await runShell(command, { cwd: w.wt, signal, ...(cov ? { env: cov.env } : {}) }));
    const tested = at();
    const patch = typeof change === 'string' ? change : await change.patch;
    const coverage: LineCoverage | null = cov ? await measureLineCoverage(cov, changedLines(patch), undefined, [...parseFileResults(r.output).keys()]) : null;
    return { ...r, counts: parseTestCounts(r.output), failures: parseFailures(r.output), coverage, warm: warm !== null, took: { worktree: ready, tests: tested, coverage: at() } };
  } finally {
    await removeWorktree(root, w, scratch);
  }
}
