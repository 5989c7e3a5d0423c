// Coverage as the share of a change's lines that its tests execute: V8's own coverage of the test
// run (NODE_V8_COVERAGE), mapped back to the changed source lines. Test runners that compile
// modules through node:vm (vitest, jest) are followed by a preload that records the code they
// compiled, whose inline source map leads back to the source; natively loaded files map directly.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The added lines of each file in a unified diff (new-file line numbers, 1-based). Pure. */
export function changedLines(patch: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  let file: Set<number> | null = null;
  let line = 0;
  for (const text of patch.split('\n')) {
    if (text.startsWith('+++ ')) {
      const path = text.slice(4).replace(/^b\//, '').replace(/\t.*$/, '');
      file = path === '/dev/null' ? null : out.set(path, out.get(path) ?? new Set()).get(path)!;
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (!file || text.startsWith('--- ') || text.startsWith('diff ') || text.startsWith('\\')) continue;
    if (text.startsWith('+')) file.add(line++);
    else if (text.startsWith(' ')) line++;
  }
  for (const [path, lines] of out) if (!lines.size) out.delete(path);
  return out;
}

const CODE = /\.(m|c)?[jt]sx?$/;
/** A line that holds no code whatever a source map says: blank, a comment, a type declaration's head. */
const NOT_CODE = /^\s*($|\/\/|\/\*|\*|(export\s+)?(declare\s+)?(interface|type)\s+\w+)/;
const TEST = /(\.(test|spec)\.[cm]?[jt]sx?$)|(^|\/)__tests__\//;

/** The changed files whose lines coverage measures: source code, not the tests themselves. Pure. */
export function measuredFiles(changed: ReadonlyMap<string, Set<number>>): string[] {
  return [...changed.keys()].filter((p) => CODE.test(p) && !TEST.test(p) && !/\.d\.[cm]?ts$/.test(p));
}

// Written beside the coverage output and loaded with NODE_OPTIONS=--require into every Node process
// of the test run. Kept in one string so nothing needs building or shipping apart.
const PRELOAD = `'use strict';
const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');
const root = process.env.CRM_AGENT_COVERAGE_ROOT;
const out = process.env.CRM_AGENT_COVERAGE_SOURCES;
if (root && out) {
  let n = 0;
  const keep = (code, options) => {
    const name = typeof options === 'string' ? options : options && options.filename;
    if (typeof code !== 'string' || typeof name !== 'string') return;
    const file = name.startsWith('file://') ? require('node:url').fileURLToPath(name) : name;
    if (!file.startsWith(root + path.sep) || file.includes(path.sep + 'node_modules' + path.sep)) return;
    const o = typeof options === 'object' && options ? options : {};
    try { fs.writeFileSync(path.join(out, process.pid + '-' + n++ + '.json'), JSON.stringify({ file, code, lineOffset: o.lineOffset || 0, columnOffset: o.columnOffset || 0 })); } catch {}
  };
  const wrap = (name, at) => { const orig = vm[name]; vm[name] = function (code, ...rest) { keep(code, rest[at]); return orig.call(this, code, ...rest); }; };
  wrap('runInThisContext', 0);
  wrap('runInContext', 1);
  wrap('runInNewContext', 1);
  wrap('compileFunction', 1);
  const Script = vm.Script;
  vm.Script = class extends Script { constructor(code, options) { keep(code, options); super(code, options); } };
  require('node:module').syncBuiltinESMExports();
  // vitest's own process runs no test (its pools do, in forks or worker threads): counting its
  // code (vite, esbuild's JS, vitest) only slows the run and writes a ~1.5 MB report nobody reads.
  try {
    if (!process.send && require('node:worker_threads').isMainThread && fs.realpathSync(process.argv[1] || '.').split(path.sep).join('/').endsWith('/vitest/vitest.mjs')) require('node:v8').stopCoverage();
  } catch {}
  // A forked worker is ended with SIGTERM (and SIGKILL half a second later in vitest), so it never
  // writes its coverage at exit: it writes it when it tells its runner it has stopped, and on SIGTERM.
  if (process.send) {
    const take = () => { try { require('node:v8').takeCoverage(); } catch {} };
    const send = process.send;
    process.send = function (message, ...rest) {
      if (message && typeof message === 'object' && message.type === 'stopped') take();
      return send.call(this, message, ...rest);
    };
    process.on('SIGTERM', function onTerm() {
      take();
      if (process.listenerCount('SIGTERM') === 1) { process.removeListener('SIGTERM', onTerm); process.kill(process.pid, 'SIGTERM'); }
    });
  }
}
`;

export interface CoverageRun {
  /** Environment for the test command. */
  env: Record<string, string>;
  v8Dir: string;
  sourcesDir: string;
  root: string;
}

/** Prepares `dir` to collect a test run's coverage of the project at `root`. */
export function coverageRun(dir: string, root: string): CoverageRun {
  const v8Dir = join(dir, 'v8');
  const sourcesDir = join(dir, 'sources');
  mkdirSync(v8Dir, { recursive: true });
  mkdirSync(sourcesDir, { recursive: true });
  const preload = join(dir, 'preload.cjs');
  writeFileSync(preload, PRELOAD);
  const real = realpathSync(root);
  return {
    v8Dir,
    sourcesDir,
    root: real,
    env: {
      NODE_V8_COVERAGE: v8Dir,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : ''}--require ${JSON.stringify(preload)}`,
      CRM_AGENT_COVERAGE_ROOT: real,
      CRM_AGENT_COVERAGE_SOURCES: sourcesDir,
    },
  };
}

interface V8Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface V8Script {
  url: string;
  functions: Array<{ ranges: V8Range[] }>;
}
interface Compiled {
  file: string;
  code: string;
  lineOffset: number;
  columnOffset: number;
}

export const NO_SOURCE = 'the change holds no source code line (only tests, SQL or other files)';
export const NO_CODE = 'no changed line holds executable code (types, comments or blank lines only)';
export const NO_V8 = 'the test run wrote no V8 coverage (its command does not run the tests on Node, or it ran none)';

export interface FileCoverage {
  path: string;
  /** Changed lines that hold executable code. */
  lines: number;
  executed: number;
  /** Changed executable lines no test executed. */
  missed: number[];
  /** Whether any test process loaded the file at all. */
  loaded: boolean;
}

export interface LineCoverage {
  /** Executed changed lines / changed executable lines, 0..100; null when none changed or nothing was measured. */
  percent: number | null;
  lines: number;
  executed: number;
  files: FileCoverage[];
  /** Why percent is null. */
  reason?: string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Source-map segments as [generatedLine, generatedColumn, sourceIndex, originalLine] (0-based). Pure. */
export function decodeMappings(mappings: string): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  let src = 0;
  let origLine = 0;
  let origCol = 0;
  let line = 0;
  for (const group of mappings.split(';')) {
    let col = 0;
    for (const seg of group.split(',')) {
      if (!seg) continue;
      const values: number[] = [];
      let shift = 0;
      let value = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          shift = 0;
          value = 0;
        }
      }
      col += values[0] ?? 0;
      if (values.length >= 4) {
        src += values[1]!;
        origLine += values[2]!;
        origCol += values[3]!;
        out.push([line, col, src, origLine]);
      }
    }
    line++;
  }
  return out;
}

/** The count V8 gives an offset: that of the innermost range holding it. Pure. */
function countAt(ranges: readonly V8Range[], offset: number): number {
  let best: V8Range | null = null;
  for (const r of ranges) if (r.startOffset <= offset && offset < r.endOffset && (!best || r.endOffset - r.startOffset <= best.endOffset - best.startOffset)) best = r;
  return best?.count ?? 0;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Source lines (1-based) of `file` that the script holds code for, and whether each ran, from a
 * compiled script's source map (inline) or, for a file loaded as it is on disk, directly. Pure.
 */
export function linesRun(script: V8Script, compiled: Compiled | null, onDisk: string | null, file: string): Map<number, boolean> | null {
  const ranges = script.functions.flatMap((f) => f.ranges);
  const length = script.functions[0]?.ranges[0]?.endOffset;
  const out = new Map<number, boolean>();
  const mark = (line: number, ran: boolean) => out.set(line, (out.get(line) ?? false) || ran);
  if (compiled) {
    if (length !== undefined && compiled.code.length !== length) return null;
    const map = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/m.exec(compiled.code.slice(compiled.code.lastIndexOf('//# sourceMappingURL=')));
    if (!map) return null;
    const json = JSON.parse(Buffer.from(map[1]!, 'base64').toString('utf8')) as { sources?: string[]; mappings: string };
    const sources = json.sources ?? [];
    const starts = lineStarts(compiled.code);
    for (const [line, col, src, origLine] of decodeMappings(json.mappings)) {
      if (sources.length > 1 && basename(sources[src] ?? '') !== basename(file)) continue;
      // The map is of the module's code; the script may wrap it (vm's line and column offsets say by how much).
      const scriptLine = line - compiled.lineOffset;
      const scriptCol = scriptLine === 0 ? col - compiled.columnOffset : col;
      const offset = (starts[scriptLine] ?? NaN) + scriptCol;
      if (Number.isNaN(offset)) continue;
      mark(origLine + 1, countAt(ranges, offset) > 0);
    }
    return out;
  }
  if (onDisk === null || (length !== undefined && length !== onDisk.length)) return null;
  const starts = lineStarts(onDisk);
  starts.forEach((start, i) => {
    const text = onDisk.slice(start, starts[i + 1] ?? onDisk.length);
    const code = text.search(/\S/);
    if (code === -1 || /^\s*(\/\/|\/\*|\*)/.test(text)) return;
    mark(i + 1, countAt(ranges, start + code) > 0);
  });
  return out;
}

/** Lines of a source file that hold code (a file no test loaded), from TypeScript's transpile. */
async function executableLines(path: string, text: string): Promise<Set<number>> {
  const ts = (await import('typescript')).default;
  const r = ts.transpileModule(text, { fileName: path, compilerOptions: { sourceMap: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, jsx: ts.JsxEmit.ReactJSX } });
  const map = JSON.parse(r.sourceMapText ?? '{"mappings":""}') as { mappings: string };
  return new Set(decodeMappings(map.mappings).map(([, , , l]) => l + 1));
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * Reads a finished run's coverage and measures the changed lines of the files `measuredFiles` picks.
 * `run` null: no test ran (none can reach the change), so no changed line ran. `read` gives a
 * changed file's text (default: from the run's root). `ranTests`: the test files the run reported;
 * one missing from every report means a worker's coverage was lost, and nothing is claimed.
 */
export async function measureLineCoverage(run: CoverageRun | null, changed: ReadonlyMap<string, Set<number>>, read?: (path: string) => string | null, ranTests: readonly string[] = []): Promise<LineCoverage> {
  const files = measuredFiles(changed);
  if (!files.length) return { percent: null, lines: 0, executed: 0, files: [], reason: NO_SOURCE };
  const reports = run && existsSync(run.v8Dir) ? readdirSync(run.v8Dir).filter((f) => f.endsWith('.json')) : [];
  if (run && !reports.length) return { percent: null, lines: 0, executed: 0, files: [], reason: NO_V8 };
  const textOf = read ?? ((path: string) => (run && existsSync(join(run.root, path)) ? readFileSync(join(run.root, path), 'utf8') : null));
  const compiled = new Map<string, Compiled[]>();
  for (const f of run ? readdirSync(run.sourcesDir) : []) {
    const c = readJson<Compiled>(join(run!.sourcesDir, f));
    if (c) compiled.set(c.file, [...(compiled.get(c.file) ?? []), c]);
  }
  const wanted = new Map(run ? files.map((p) => [join(run.root, p), p]) : []);
  const seen = new Map<string, Map<number, boolean>>();
  const loaded = new Set<string>();
  /** Changed files a test loaded whose coverage leads back to no source line (no source map). */
  const unmapped = new Set<string>();
  for (const report of reports) {
    const data = readJson<{ result: V8Script[] }>(join(run!.v8Dir, report));
    for (const script of data?.result ?? []) {
      if (!script.url.startsWith('file://') && !script.url.startsWith('/')) continue;
      const file = script.url.startsWith('file://') ? fileURLToPath(script.url) : script.url;
      loaded.add(file);
      const path = wanted.get(file);
      if (!path) continue;
      const candidates = compiled.get(file) ?? [];
      let lines: Map<number, boolean> | null = null;
      for (const c of candidates) if ((lines = linesRun(script, c, null, file))) break;
      if (!lines && !candidates.length) lines = linesRun(script, null, textOf(path), file);
      if (!lines) {
        unmapped.add(path);
        continue;
      }
      const into = seen.get(path) ?? new Map<number, boolean>();
      for (const [l, ran] of lines) into.set(l, (into.get(l) ?? false) || ran);
      seen.set(path, into);
    }
  }
  const lost = run ? ranTests.filter((t) => !loaded.has(join(run.root, t))) : [];
  if (lost.length) return { percent: null, lines: 0, executed: 0, files: [], reason: `the V8 coverage of ${lost.slice(0, 3).join(', ')}${lost.length > 3 ? ` and ${lost.length - 3} more` : ''} was not written (the worker that ran ${lost.length > 1 ? 'them' : 'it'} ended first), so which changed lines ran is not known` };
  const blind = [...unmapped].filter((p) => !seen.has(p));
  if (blind.length) return { percent: null, lines: 0, executed: 0, files: [], reason: `tests loaded ${blind.join(', ')}, but the code their runner compiled carries no source map back to the source lines, so which changed lines ran is not known` };
  const out: FileCoverage[] = [];
  for (const path of files) {
    const lines = [...changed.get(path)!].sort((a, b) => a - b);
    const run_ = seen.get(path);
    const source = textOf(path);
    const code = run_ ? null : source !== null ? await executableLines(path, source) : new Set<number>();
    const text = source?.split('\n') ?? [];
    // A source map may point a module's prologue at its first line, whatever that holds.
    const executable = lines.filter((l) => (run_ ? run_.has(l) : code!.has(l)) && !NOT_CODE.test(text[l - 1] ?? ''));
    const missed = executable.filter((l) => !run_?.get(l));
    out.push({ path, lines: executable.length, executed: executable.length - missed.length, missed, loaded: Boolean(run_) });
  }
  const lines = out.reduce((n, f) => n + f.lines, 0);
  const executed = out.reduce((n, f) => n + f.executed, 0);
  if (!lines) return { percent: null, lines: 0, executed: 0, files: out, reason: NO_CODE };
  return { percent: Math.round((executed / lines) * 100), lines, executed, files: out };
}

/** "lib/a.ts:3-5,9 (not loaded by any test)". Pure. */
export function describeMissed(files: readonly FileCoverage[], max = 4): string {
  const spans = (ls: number[]) => {
    const parts: string[] = [];
    for (let i = 0; i < ls.length; i++) {
      let j = i;
      while (j + 1 < ls.length && ls[j + 1] === ls[j]! + 1) j++;
      parts.push(i === j ? `${ls[i]}` : `${ls[i]}-${ls[j]}`);
      i = j;
    }
    return parts.join(',');
  };
  const missed = files.filter((f) => f.missed.length);
  const shown = missed.slice(0, max).map((f) => `${f.path}:${spans(f.missed)}${f.loaded ? '' : ' (not loaded by any test)'}`);
  return `${shown.join('; ')}${missed.length > max ? `; and ${missed.length - max} more file(s)` : ''}`;
}
