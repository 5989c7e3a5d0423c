// TypeScript diagnostics through the compiler API, with the project's own tsconfig.json.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { templateCacheDir } from '../../src/integrations/postgres/cache-dir.js';

export interface Diagnostic {
  path: string;
  line: number;
  column: number;
  code: number;
  message: string;
}

// One process checks the same project several times (BugHunter, CodeSmith, StageAgent), each
// time with a different overlay. The checks run in one worker thread per process
// (./type-check-worker.mjs), which keeps TypeScript's incremental builder between them. A plain
// check asked for while one of the same project is under way shares it; once that has answered,
// the next one checks again: the builder reads the files again and re-checks only what changed
// (~20 ms when nothing did), so no result outlives the files it was measured on.
const plainUnderWay = new Map<string, Promise<TypeCheckResult>>();

export interface TypeCheckResult {
  diagnostics: Diagnostic[];
  /** Source files the check covered (over every tsconfig it followed). */
  files: number;
  /** The tsconfig files checked: the root's, the projects it references, or nested apps'. */
  configs?: string[];
  /** Dependencies are not installed: the check's errors are left out (they follow from it) and counted here. */
  missingDependencies?: { errors: number; install: string };
}

/** The install command of the project's package manager, told by its lockfile. */
export function installCommand(root: string): string {
  if (existsSync(join(root, 'pnpm-lock.yaml'))) return 'pnpm install';
  if (existsSync(join(root, 'yarn.lock'))) return 'yarn install';
  if (existsSync(join(root, 'bun.lockb')) || existsSync(join(root, 'bun.lock'))) return 'bun install';
  return 'npm install';
}

// Cannot find module 'x' (2307), no declaration file for module 'x' (7016), and JSX runtime lookups (2875).
const MISSING_MODULE = new Set([2307, 7016, 2875]);

/**
 * Without node_modules, "Cannot find module 'react'" is not a project bug, nor is what follows from
 * it (JSX elements of type any, `process` unknown, implicit anys): nothing can be type-checked
 * honestly. The errors are left out and counted once, with the way to install.
 */
export function withoutMissingDependencies(root: string, r: TypeCheckResult): TypeCheckResult {
  if (existsSync(join(root, 'node_modules'))) return r;
  const bare = (d: Diagnostic) => MISSING_MODULE.has(d.code) && /module '(?![./])[^']+'|'react\/jsx-runtime'/.test(d.message);
  if (!r.diagnostics.some(bare)) return r;
  return { ...r, diagnostics: [], missingDependencies: { errors: r.diagnostics.length, install: installCommand(root) } };
}

export function typeCheck(root: string, extraFiles: ReadonlyMap<string, string> = new Map()): Promise<TypeCheckResult> {
  if (extraFiles.size) return check(root, extraFiles);
  const underWay = plainUnderWay.get(root);
  if (underWay) return underWay;
  const p = check(root, extraFiles);
  plainUnderWay.set(root, p);
  const done = () => {
    if (plainUnderWay.get(root) === p) plainUnderWay.delete(root);
  };
  p.then(done, done);
  return p;
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (r: TypeCheckResult) => void; reject: (e: Error) => void }>();

function checker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./type-check-worker.mjs', import.meta.url), {
    // cacheDir: where the worker keeps V8's code cache of typescript.js (per machine, like the PGlite template).
    workerData: { typescript: createRequire(import.meta.url).resolve('typescript'), cacheDir: templateCacheDir() },
  });
  w.on('message', (m: { id: number; result?: TypeCheckResult; error?: string }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (!pending.size) w.unref(); // an idle checker does not keep the process alive
    if (m.error !== undefined) p?.reject(new Error(`type check failed: ${m.error}`));
    else p?.resolve(m.result!);
  });
  const fail = (err: Error) => {
    if (worker === w) worker = null;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the type-check worker exited (${code})`)));
  w.unref();
  return (worker = w);
}

function check(root: string, extraFiles: ReadonlyMap<string, string>): Promise<TypeCheckResult> {
  return new Promise((resolve, reject) => {
    const w = checker();
    const id = ++nextId;
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, root, extraFiles: [...extraFiles] });
  }).then((r) => withoutMissingDependencies(root, r as TypeCheckResult));
}
