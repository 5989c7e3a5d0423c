// Where a ticket's failing tests lead when no other cause accounts for them: the source files a
// stack frame of a failure names or their imports reach, ranked by the failures with a frame in it,
// then how many of the tests reach it, the ticket's words in its path, the shortest import chain.
// The first becomes a logic cause: its subject that file, its evidence each test at file:line in
// the form CodeSmith reads (agents/shared/causes.ts). Only a model writes its fix; offline it is
// the best lead. Pure.
import { posix } from 'node:path';
import type { SourceFile } from '../shared/project-files.js';
import type { RootCause } from '../shared/causes.js';
import { sameWord, words, type Explained, type TicketTest } from './explain.js';

const CODE = /\.(ts|tsx|js|jsx|mjs|cjs|mts|cts)$/;
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;
// Helpers the tests run on (fixtures, mocks, renderers) are not where a ticket's bug lives.
const TEST_SUPPORT = /(^|\/)(__tests__|__mocks__|__fixtures__|fixtures|mocks|testing|test|tests|e2e)\//;
const EXTS = ['', '.ts', '.tsx', '.js', '.jsx', '.mjs', '/index.ts', '/index.tsx', '/index.js'];
// `import { a, b as c } from './x'`, `import d from '@/x'`, `export { a } from './x'`, `import('./x')`: relative, or through a tsconfig's paths/baseUrl.
const IMPORT = /(?:import|export)\s+(?:type\s+)?([\w$]+\s*,?\s*)?(?:\{([^}]*)\}|\*\s+as\s+[\w$]+)?\s*from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
// Words every path carries that say nothing about what the code does.
const PATH_WORDS = new Set(['lib', 'src', 'app', 'api', 'index', 'route', 'routes', 'utils', 'util', 'components', 'pages', 'functions', 'supabase', 'server', 'client']);

interface Edge {
  to: string;
  /** The names the importer takes from it (empty for a default or namespace import). */
  names: string[];
}

/** A tsconfig's module resolution: its folder, baseUrl and paths (`"@/*": ["./src/*"]`). */
export interface Aliases {
  dir: string;
  baseUrl: string | null;
  paths: Array<[string, string[]]>;
}

/** JSON with the comments and trailing commas tsconfig files allow. */
function looseJson(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = /^"(?:[^"\\\n]|\\.)*"/.exec(text.slice(i))?.[0] ?? c;
      out += end;
      i += end.length - 1;
    } else if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i) - 1;
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) < 0 ? text.length : text.indexOf('*/', i + 2) + 1;
    else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/** The baseUrl and paths of every tsconfig*.json the project has (a config it cannot read is left out). */
export function aliasesOf(files: readonly SourceFile[]): Aliases[] {
  const out: Aliases[] = [];
  for (const f of files) {
    if (!/(^|\/)tsconfig[^/]*\.json$/.test(f.path)) continue;
    try {
      const o = (looseJson(f.content) as { compilerOptions?: { baseUrl?: unknown; paths?: unknown } }).compilerOptions ?? {};
      const paths = o.paths && typeof o.paths === 'object' ? Object.entries(o.paths as Record<string, unknown>).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((t) => typeof t === 'string')) : [];
      const baseUrl = typeof o.baseUrl === 'string' ? o.baseUrl : null;
      if (paths.length || baseUrl) out.push({ dir: posix.dirname(f.path) === '.' ? '' : posix.dirname(f.path), baseUrl, paths });
    } catch {
      // not JSON: it resolves nothing
    }
  }
  // The deepest config first: a nested app's own aliases win over the root's.
  return out.sort((a, b) => b.dir.length - a.dir.length);
}

function resolve(from: string, spec: string, paths: ReadonlySet<string>, aliases: readonly Aliases[]): string | null {
  const find = (base: string) => EXTS.map((e) => base + e).find((p) => paths.has(p)) ?? null;
  if (spec.startsWith('.')) return find(posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.[cm]?js$/, ''));
  for (const a of aliases) {
    if (a.dir && !from.startsWith(`${a.dir}/`)) continue;
    const base = posix.join(a.dir, a.baseUrl ?? '.');
    for (const [pattern, targets] of a.paths) {
      const star = pattern.indexOf('*');
      const rest = star < 0 ? (spec === pattern ? '' : null) : spec.startsWith(pattern.slice(0, star)) && spec.endsWith(pattern.slice(star + 1)) ? spec.slice(star, spec.length - (pattern.length - star - 1)) : null;
      if (rest === null) continue;
      for (const t of targets) {
        const hit = find(posix.normalize(posix.join(base, t.replace('*', rest))).replace(/\.[cm]?js$/, ''));
        if (hit) return hit;
      }
    }
    if (a.baseUrl) {
      const hit = find(posix.normalize(posix.join(base, spec)).replace(/\.[cm]?js$/, ''));
      if (hit) return hit;
    }
  }
  return null;
}

function edgesOf(file: SourceFile, paths: ReadonlySet<string>, aliases: readonly Aliases[]): Edge[] {
  const out: Edge[] = [];
  for (const m of file.content.matchAll(IMPORT)) {
    const to = resolve(file.path, (m[3] ?? m[4])!, paths, aliases);
    if (!to) continue;
    const names = (m[2] ?? '')
      .split(',')
      .map((s) => s.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!.trim())
      .filter((s) => /^[\w$]+$/.test(s));
    out.push({ to, names });
  }
  return out;
}

const isCode = (p: string) => CODE.test(p) && !TEST_FILE.test(p) && !TEST_SUPPORT.test(p) && !p.endsWith('.d.ts');

export interface Reach {
  test: TicketTest;
  /** The files from the test to the located one, the test first. */
  chain: string[];
  /** A stack frame of the failure is in the located file. */
  frame: string | null;
}

export interface LocatedLogic {
  path: string;
  /** The line defining what the tests use from it (or the frame's line); 1 when neither is known. */
  line: number;
  symbol: string | null;
  reaches: Reach[];
  /** Ticket words the path carries. */
  words: string[];
}

/** The innermost stack frame of a failure in a project source file (its location counts as one), else null. */
function frameIn(t: TicketTest, paths: ReadonlySet<string>): { path: string; line: number } | null {
  for (const at of [...(t.failure.frames ?? []), ...(t.failure.location ? [t.failure.location] : [])]) {
    const m = /^(.*):(\d+)$/.exec(at);
    if (!m) continue;
    // A reporter may print frames absolute (jest): the project file it ends with.
    const path = paths.has(m[1]!) ? m[1]! : [...paths].find((p) => m[1]!.endsWith(`/${p}`));
    if (path && isCode(path)) return { path, line: Number(m[2]) };
  }
  return null;
}

/** The source files each test reaches through imports, by the shortest chain (breadth first). */
function reached(start: string, edges: ReadonlyMap<string, Edge[]>): Map<string, string[]> {
  const chains = new Map<string, string[]>([[start, [start]]]);
  let frontier = [start];
  while (frontier.length) {
    const next: string[] = [];
    for (const f of frontier) {
      for (const e of edges.get(f) ?? []) {
        if (chains.has(e.to) || !isCode(e.to)) continue;
        chains.set(e.to, [...chains.get(f)!, e.to]);
        next.push(e.to);
      }
    }
    frontier = next;
  }
  chains.delete(start);
  return chains;
}

/** Where the tests lead, best first (the order is in the file's head). */
export function locateLogic(files: readonly SourceFile[], ticketText: string, tests: readonly TicketTest[]): LocatedLogic[] {
  if (!tests.length) return [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  const paths = new Set(byPath.keys());
  const aliases = aliasesOf(files);
  const edges = new Map<string, Edge[]>();
  for (const f of files) if (CODE.test(f.path)) edges.set(f.path, edgesOf(f, paths, aliases));
  const ticketWords = words(ticketText);
  const found = new Map<string, Reach[]>();
  for (const t of tests) {
    const frame = frameIn(t, paths);
    const chains = reached(t.failure.file, edges);
    if (frame && !chains.has(frame.path)) chains.set(frame.path, [t.failure.file, frame.path]);
    for (const [path, chain] of chains) {
      const list = found.get(path) ?? [];
      list.push({ test: t, chain, frame: frame?.path === path ? `${frame.path}:${frame.line}` : null });
      found.set(path, list);
    }
  }
  const located = [...found].map(([path, reaches]): LocatedLogic => {
    const pathWords = words(path.replace(/\.[^./]+$/, '')).filter((w) => !PATH_WORDS.has(w));
    const shared = [...new Set(pathWords.filter((w) => ticketWords.some((t) => sameWord(w, t))))];
    const frame = reaches.find((r) => r.frame)?.frame;
    const { line, symbol } = frame ? { line: Number(frame.split(':').at(-1)), symbol: null } : definition(byPath, path, reaches, edges);
    return { path, line, symbol, reaches, words: shared };
  });
  const frames = (l: LocatedLogic) => l.reaches.filter((r) => r.frame).length;
  const distance = (l: LocatedLogic) => l.reaches.reduce((n, r) => n + r.chain.length, 0) / l.reaches.length;
  return located.sort((a, b) => frames(b) - frames(a) || b.reaches.length - a.reaches.length || b.words.length - a.words.length || distance(a) - distance(b) || a.path.localeCompare(b.path));
}

/** The line where the located file defines the first name its importers take from it. */
function definition(byPath: ReadonlyMap<string, SourceFile>, path: string, reaches: readonly Reach[], edges: ReadonlyMap<string, Edge[]>): { line: number; symbol: string | null } {
  const lines = byPath.get(path)?.content.split('\n') ?? [];
  for (const r of reaches) {
    for (const e of edges.get(r.chain.at(-2)!) ?? []) {
      if (e.to !== path) continue;
      for (const name of e.names) {
        const re = new RegExp(`^\\s*export\\s+(?:default\\s+)?(?:async\\s+)?(?:function\\*?|const|let|var|class)\\s+${name.replace(/\$/g, '\\$')}\\b`);
        const n = lines.findIndex((l) => re.test(l));
        if (n >= 0) return { line: n + 1, symbol: name };
      }
    }
  }
  return { line: 1, symbol: null };
}

/** The ticket's failing tests that no explaining cause already accounts for. */
export function unaccounted(e: Explained): TicketTest[] {
  return e.tests.filter((t) => !e.explaining.some((c) => c.evidence.some((x) => x.includes(`test "${t.failure.name}"`))));
}

/** Where a failing test is, as a test file (the form CodeSmith reads): its line when the location is in the test file. */
function testAt(t: TicketTest): string {
  const loc = t.failure.location;
  return loc && loc.replace(/:\d+$/, '') === t.failure.file ? loc : t.failure.file;
}

/** The logic cause the located file stands for. Its confidence is computed by explain.ts's tie. */
export function logicCause(l: LocatedLogic, testCount: number): RootCause {
  const how = (r: Reach) => (r.frame ? `fails at ${r.frame}` : r.chain.length === 2 ? `imports it` : `reaches it through ${r.chain.slice(1, -1).join(' -> ')}`);
  const at = `${l.path}:${l.line}${l.symbol ? ` (${l.symbol})` : ''}`;
  return {
    id: `logic:${l.path}`,
    summary: `Logic in ${l.path} fails the ticket's tests (${at}; reached by ${l.reaches.length} of its ${testCount} failing test${testCount === 1 ? '' : 's'})`,
    fix: 'logic',
    subject: l.path,
    evidence: [
      `${at}: ${l.reaches.map((r) => `${r.test.failure.file} ${how(r)}`).join('; ')}`,
      ...l.reaches.map((r) => `${testAt(r.test)}: failing test "${r.test.failure.name}" points here (${r.test.because})`),
    ],
    confidence: 0,
  };
}
