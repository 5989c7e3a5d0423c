// Which of the project's test files a change can affect, so StageAgent runs those and carries the
// others' results over from BugHunter's run of the whole suite on the same HEAD. Pure: file
// contents in, a selection out.
//
// A test file is affected when it, or anything it imports (transitively, through relative
// imports), is in the change. Whatever the import graph cannot see makes a file affected too: a
// module in its reach that reads files, spawns processes, imports dynamically, through a path
// alias or with a bundler query (`./schema.sql?raw`). A change to what every test may read
// (package manifests, lockfiles, tsconfig, runner config, setup files, __mocks__) runs them all.
import { builtinModules } from 'node:module';
import { buildGraph, type Graph } from '../shared/import-graph.js';
import type { SourceFile } from '../shared/project-files.js';
import type { FileResult, TestFailure } from '../shared/test-failures.js';

/** The whole suite's results on a clean working tree at `sha`, per test file as the runner reported them. */
export interface TestBaseline {
  sha: string;
  command: string;
  files: Record<string, FileResult>;
  failures: TestFailure[];
}

export type TestSelection =
  | { kind: 'all'; reason: string }
  /** `run`: the files to run with the change; `carried`: unaffected files that passed in the baseline. */
  | { kind: 'affected'; run: string[]; carried: string[] };

const isTest = (p: string) => /\.(test|spec)\.[cm]?[jt]sx?$/.test(p);
const isModule = (p: string) => /\.([cm]?[jt]sx?|json)$/.test(p);
const GLOBAL = /(^|\/)(package\.json|[^/]*lock(file)?\.(json|yaml)|yarn\.lock|bun\.lockb?|tsconfig[^/]*\.json|[^/]*\.config\.[cm]?[jt]s|\.env[^/]*|[^/]*setup[^/]*\.[cm]?[jt]sx?|\.babelrc|\.swcrc)$|(^|\/)__mocks__\//;
const SETUP = /\b(setupFiles|globalSetup|setupFilesAfterEnv)\b/;
const READS_OUTSIDE_IMPORTS = /\bfrom\s+['"](node:)?(fs|fs\/promises|child_process)['"]|\brequire\(\s*['"](node:)?(fs|fs\/promises|child_process)['"]|\bimport\(\s*['"](node:)?(fs|fs\/promises|child_process)['"]|\bimport\(\s*[^'"\s)]|\brequire\(\s*[^'"\s)]|import\.meta\.glob|\bfrom\s+['"][^'"]*\?[^'"]*['"]/;
const BARE = /(?:import|export)\s+(?:[^'"]*?\s+from\s+)?['"]([^'"./][^'"]*)['"]|import\(\s*['"]([^'"./][^'"]*)['"]\s*\)|require\(\s*['"]([^'"./][^'"]*)['"]\s*\)/g;
const BUILTIN = new Set(builtinModules);

/** Whether a change to this path may affect every test (a manifest, a lockfile, a config, setup files, mocks). Pure. */
export function affectsEveryTest(path: string): boolean {
  return GLOBAL.test(path);
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Whether the graph cannot see everything this file depends on. */
export function opaque(content: string, isPackage: (name: string) => boolean): boolean {
  if (READS_OUTSIDE_IMPORTS.test(content)) return true;
  for (const m of content.matchAll(BARE)) {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    if (spec.startsWith('node:') || BUILTIN.has(spec)) continue;
    if (!isPackage(packageName(spec))) return true; // `@/lib/x`, `~/x`, `#x`: a path alias the graph does not follow
  }
  return false;
}

function reach(graph: Graph, start: string): Set<string> {
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length) for (const next of graph.get(stack.pop()!) ?? []) if (!seen.has(next)) (seen.add(next), stack.push(next));
  return seen;
}

/**
 * `files`: the project as the change leaves it; `changed`: every path the change adds, edits or
 * deletes; `isPackage`: whether a bare import names an installed package.
 */
export function selectTests(files: readonly SourceFile[], changed: readonly string[], baseline: TestBaseline, isPackage: (name: string) => boolean): TestSelection {
  const global = changed.find(affectsEveryTest);
  if (global) return { kind: 'all', reason: `the change edits ${global}, which every test may depend on` };
  const data = changed.filter((p) => !isModule(p));
  const setup = files.find((f) => /(^|\/)(vitest|vite|jest)\.config\.[cm]?[jt]s$|^package\.json$/.test(f.path) && SETUP.test(f.content));
  if (data.length && setup) return { kind: 'all', reason: `${setup.path} names setup files, which may read ${data[0]}` };

  const byPath = new Map(files.map((f) => [f.path, f]));
  // A deleted module stays in the graph (empty), so the tests that imported it still reach it.
  const graph = buildGraph([...files, ...changed.filter((p) => !byPath.has(p)).map((path) => ({ path, content: '' }))]);
  const touched = new Set(changed);
  const hidden = new Map<string, boolean>();
  const isHidden = (p: string) => {
    let h = hidden.get(p);
    if (h === undefined) hidden.set(p, (h = opaque(byPath.get(p)?.content ?? '', isPackage)));
    return h;
  };
  const affected = (test: string) => [...reach(graph, test)].some((p) => touched.has(p) || isHidden(p));

  const existing = Object.keys(baseline.files).filter((t) => byPath.has(t));
  const added = changed.filter((p) => isTest(p) && byPath.has(p) && !(p in baseline.files));
  // Only a file that passed is carried over: one that failed (or ran no test) runs again, so the
  // change's effect on it is seen rather than assumed.
  const passed = (t: string) => baseline.files[t]!.failed === 0 && baseline.files[t]!.tests !== 0;
  const run = [...existing.filter((t) => !passed(t) || affected(t)), ...added];
  const carried = existing.filter((t) => !run.includes(t));
  if (!carried.length) return { kind: 'all', reason: 'every test file can reach the change' };
  return { kind: 'affected', run, carried };
}
