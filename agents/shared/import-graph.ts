// The project's import graph: who imports whom, cycles through given files, and which tests
// reach a file. Pure: file contents in.
import { posix } from 'node:path';
import type { SourceFile } from './project-files.js';

const IMPORT = /(?:import|export)\s+(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const EXTS = ['', '.ts', '.tsx', '.js', '.jsx', '/index.ts', '/index.tsx', '/index.js'];

export type Graph = Map<string, Set<string>>;

export function buildGraph(files: readonly SourceFile[]): Graph {
  const paths = new Set(files.map((f) => f.path));
  const graph: Graph = new Map();
  for (const f of files) {
    if (!/\.(ts|tsx|js|jsx|mjs)$/.test(f.path)) continue;
    const deps = new Set<string>();
    for (const m of f.content.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      const base = posix.normalize(posix.join(posix.dirname(f.path), spec)).replace(/\.js$/, '');
      const hit = EXTS.map((e) => base + e).find((p) => paths.has(p));
      if (hit) deps.add(hit);
    }
    graph.set(f.path, deps);
  }
  return graph;
}

/** Import cycles that pass through any of `through` (each cycle once, as a path list). */
export function cyclesThrough(graph: Graph, through: readonly string[]): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const start of through) {
    const stack: Array<{ node: string; path: string[] }> = [{ node: start, path: [start] }];
    while (stack.length) {
      const { node, path } = stack.pop()!;
      for (const next of graph.get(node) ?? []) {
        if (next === start) {
          const key = [...path].sort().join('>');
          if (!seen.has(key)) {
            seen.add(key);
            cycles.push([...path, start]);
          }
        } else if (!path.includes(next) && path.length < 12) stack.push({ node: next, path: [...path, next] });
      }
    }
  }
  return cycles;
}

/** Files that import `target`, directly or through others. */
export function dependents(graph: Graph, target: string): Set<string> {
  const out = new Set<string>();
  let frontier = [target];
  while (frontier.length) {
    const next: string[] = [];
    for (const [file, deps] of graph) {
      if (out.has(file)) continue;
      if (frontier.some((t) => deps.has(t))) {
        out.add(file);
        next.push(file);
      }
    }
    frontier = next;
  }
  return out;
}

const isTest = (p: string) => /\.(test|spec)\.[jt]sx?$/.test(p);

/** Percent of the given source files that at least one test reaches through imports. */
export function testReach(graph: Graph, sources: readonly string[]): { percent: number | null; untested: string[] } {
  const code = sources.filter((s) => /\.(ts|tsx|js|jsx)$/.test(s) && !isTest(s));
  if (!code.length) return { percent: null, untested: [] };
  const untested = code.filter((s) => ![...dependents(graph, s)].some(isTest));
  return { percent: Math.round(((code.length - untested.length) / code.length) * 100), untested };
}
