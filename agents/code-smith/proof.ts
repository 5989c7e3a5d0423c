// What proves a change: a failing test it turns green, or a test it adds that fails without it,
// or (a logic cause no test shows yet) a test it adds that reproduces the symptom: it fails on HEAD
// and the same test passes with the change. Each is run, not assumed: the failing tests on HEAD
// plus the change, the added tests on HEAD plus only the test files, each in a scratch worktree
// (the project's tree is not touched).
import { posix } from 'node:path';
import { diffAgainstHead } from '../../src/integrations/git.js';
import { focusedCommand } from '../../src/integrations/shell.js';
import { item, type ChecklistItem } from '../../src/engine/phases.js';
import { testWithChange } from '../shared/verify-worktree.js';
import type { ChangeFile } from '../shared/change-set.js';

const TEST = /\.(test|spec)\.[cm]?[jt]sx?$/;

export interface Proof {
  item: ChecklistItem;
  /** For the gate's reason when nothing proves the change. */
  failed: string | null;
}

interface Run {
  exitCode: number;
  output: string;
  failures: Array<{ file: string; name: string; message: string; location: string | null }>;
  counts: { passed: number; failed: number } | null;
}

async function run(root: string, files: readonly ChangeFile[], tests: readonly string[], command: string, signal: AbortSignal): Promise<Run> {
  const patch = await diffAgainstHead(root, files);
  return (await testWithChange(root, patch, focusedCommand(command, tests), signal)) as Run;
}

/** The last part of a test's full name (`describe > it`): the it() title. */
const title = (name: string) => name.split(' > ').pop()!;

/**
 * The proof of a change set. `tests.must` are failing tests it must fix (a logic cause's): only
 * their passing proves it. Otherwise the tests it adds or extends must fail without its source
 * changes, or else the failing tests its causes name (`tests.named`) must pass with it.
 * `original` gives a test file's content at HEAD (null: new), to tell the added tests' failures
 * from the file's own.
 */
export async function proveChange(root: string, files: readonly ChangeFile[], tests: { must: ReadonlyArray<{ file: string; name: string }>; named: ReadonlyArray<{ file: string; name: string }> }, original: (path: string) => string | null, command: string | null, signal: AbortSignal, atHead: (path: string) => boolean = (p) => original(p) !== null): Promise<Proof> {
  if (!command) return { item: item(tests.must.length ? 'The change turns the failing tests green' : 'The change adds a test that fails without it', false, 'no test command: set test.command in agent.config.json or a "test" script in package.json'), failed: 'no test command to prove the change with' };
  if (tests.must.length) return turnsGreen(root, files, tests.must, command, signal);
  const added = await addsFailingTest(root, files, original, command, signal, (p) => original(p) !== null || atHead(p));
  if (added.item.ok) return added;
  if (!tests.named.length) return { item: item(added.item.item, false, `${added.item.evidence}, and its causes name no failing test it could turn green`), failed: `nothing proves the change: ${added.item.evidence}, and its causes name no failing test it could turn green` };
  const green = await turnsGreen(root, files, tests.named, command, signal);
  return green.item.ok ? green : { item: item(added.item.item, false, `${added.item.evidence}; and ${green.item.evidence}`), failed: `nothing proves the change: ${added.item.evidence}; and ${green.item.evidence}` };
}

export async function turnsGreen(root: string, files: readonly ChangeFile[], turnGreen: ReadonlyArray<{ file: string; name: string }>, command: string, signal: AbortSignal): Promise<Proof> {
  const label = 'The change turns the failing tests green';
  const paths = [...new Set(turnGreen.map((t) => t.file))];
  const r = await run(root, files, paths, command, signal);
  const still = turnGreen.filter((t) => r.failures.some((f) => f.file === t.file && (f.name === t.name || title(f.name) === title(t.name))));
  // Other failures in those files are StageAgent's to judge against HEAD; these must pass.
  const ran = Boolean(r.counts && r.counts.passed > 0);
  const ok = ran && !still.length;
  const evidence = ok
    ? `now pass: ${turnGreen.map((t) => `${t.file} > ${t.name}`).join('; ')} (${r.counts!.passed} passed${r.counts!.failed ? `, ${r.counts!.failed} other(s) failed` : ''} in ${paths.join(', ')}, HEAD plus the change, in a scratch worktree)`
    : still.length
      ? `still failing with the change: ${still.map((t) => `${t.file} > ${t.name}: ${r.failures.find((f) => f.file === t.file && title(f.name) === title(t.name))?.message ?? ''}`).join('; ')}`
      : `\`${focusedCommand(command, paths)}\` exited ${r.exitCode} without a passing test`;
  return { item: item(label, ok, evidence), failed: ok ? null : `the failing tests do not pass with the change: ${evidence}` };
}

const EXTENSIONS = ['', '.ts', '.tsx', '.mts', '.js', '.jsx', '.mjs', '/index.ts', '/index.tsx', '/index.js'];

/**
 * A new test file that imports, by a relative path, a module only the change creates: on HEAD it
 * cannot even load. Read from the files themselves (HEAD's and the change's), no run needed.
 */
export function importsOnlyTheChangeCreates(test: Pick<ChangeFile, 'path' | 'content'>, created: ReadonlySet<string>, atHead: (path: string) => boolean): { spec: string; path: string } | null {
  for (const m of (test.content ?? '').matchAll(/^\s*import\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const base = posix.normalize(posix.join(posix.dirname(test.path), m[1]!)).replace(/\.(m|c)?js$/, '');
    const candidates = EXTENSIONS.map((e) => base + e);
    const made = candidates.find((c) => created.has(c));
    if (made && !candidates.some(atHead)) return { spec: m[1]!, path: made };
  }
  return null;
}

async function addsFailingTest(root: string, files: readonly ChangeFile[], original: (path: string) => string | null, command: string, signal: AbortSignal, atHead: (path: string) => boolean): Promise<Proof> {
  const label = 'The change adds a test that fails without it';
  const tests = files.filter((f) => TEST.test(f.path) && f.content !== null);
  if (!tests.length) return { item: item(label, false, 'the change adds no test'), failed: 'nothing proves the change: it adds no test' };
  const created = new Set(files.filter((f) => f.content !== null && !atHead(f.path)).map((f) => f.path));
  for (const t of tests.filter((x) => original(x.path) === null)) {
    const hit = importsOnlyTheChangeCreates(t, created, atHead);
    if (hit) return { item: item(label, true, `${t.path} cannot run without the change: it imports ${hit.spec} (${hit.path}), which only the change creates`), failed: null };
  }
  // Only the tests, on HEAD: the code they test is not there yet, so they must fail.
  const r = await run(root, tests, tests.map((t) => t.path), command, signal);
  const added = r.failures.filter((f) => {
    const before = original(f.file);
    return before === null || !before.includes(title(f.name));
  });
  const loadFailure = r.exitCode !== 0 && !r.failures.length;
  const ok = added.length > 0 || loadFailure;
  const evidence = added.length
    ? `${added.length} added test(s) fail without the change: ${added.slice(0, 3).map((f) => `${f.file} > ${f.name}${f.message ? ` (${f.message.slice(0, 100)})` : ''}`).join('; ')} (HEAD plus only ${tests.map((t) => t.path).join(', ')})`
    : loadFailure
      ? `${tests.map((t) => t.path).join(', ')} cannot run without the change (exit ${r.exitCode}: what they import is not there)`
      : `the added tests pass without the change (${r.counts?.passed ?? 0} passed on HEAD plus only ${tests.map((t) => t.path).join(', ')}): they prove nothing about it`;
  return { item: item(label, ok, evidence), failed: ok ? null : `nothing proves the change: ${evidence}` };
}

export interface HeadRun {
  /** At least one added test ran and failed on HEAD plus only the test files. */
  ok: boolean;
  evidence: string;
  /** The added tests that failed there: what the change must turn green. */
  failing: Array<{ file: string; name: string; message: string }>;
}

/**
 * Runs the change's test files on HEAD plus only those files (none of its source changes) and
 * names the added tests that fail there. A reproduction must run and fail on an assertion: a file
 * that cannot load on HEAD shows nothing about the symptom, so it does not count.
 */
export async function failsOnHead(root: string, files: readonly ChangeFile[], original: (path: string) => string | null, command: string | null, signal: AbortSignal): Promise<HeadRun> {
  const tests = files.filter((f) => TEST.test(f.path) && f.content !== null);
  if (!tests.length) return { ok: false, evidence: 'the change set holds no test file (*.test.* or *.spec.*) that reproduces the symptom', failing: [] };
  if (!command) return { ok: false, evidence: 'no test command: set test.command in agent.config.json or a "test" script in package.json', failing: [] };
  const paths = tests.map((t) => t.path);
  const r = await run(root, tests, paths, command, signal);
  const failing = r.failures
    .filter((f) => paths.includes(f.file))
    .filter((f) => {
      const before = original(f.file);
      return before === null || !before.includes(title(f.name));
    })
    .map((f) => ({ file: f.file, name: f.name, message: f.message }));
  const where = `HEAD plus only ${paths.join(', ')}, without the fix, in a scratch worktree`;
  if (failing.length) return { ok: true, failing, evidence: `fails on HEAD: ${failing.slice(0, 3).map((f) => `${f.file} > ${f.name}${f.message ? ` (${f.message.replace(/\s+/g, ' ').slice(0, 160)})` : ''}`).join('; ')}${failing.length > 3 ? `; and ${failing.length - 3} more` : ''} (${where})` };
  if (r.exitCode !== 0 && !r.counts?.passed) return { ok: false, failing, evidence: `${paths.join(', ')} did not run on HEAD (exit ${r.exitCode}, no test failed on an assertion): a reproduction must load and fail on what the symptom is` };
  return { ok: false, failing, evidence: `passes on HEAD (${r.counts?.passed ?? 0} passed, ${where}): it does not reproduce the symptom` };
}
