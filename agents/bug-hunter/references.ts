// Cross-checks references: a tool, route or env var that code uses but that is defined nowhere.
// Pure: file contents in, findings with file:line out.
import type { SourceFile } from './project-files.js';

export interface UnresolvedReference {
  kind: 'tool' | 'route' | 'env';
  name: string;
  usedAt: Array<{ path: string; line: number; text: string }>;
  /** Where we looked for a definition, for the report. */
  lookedIn: string;
}

const TOOL_CALL = [/\b(?:callTool|executeTool|invokeTool|runTool|useTool)\s*\([^'"`)]*?['"`]([a-z][a-z0-9_]+)['"`]/g, /\btool\s*:\s*['"`]([a-z][a-z0-9_]+)['"`]/g];
const TOOL_DEF = /\bname\s*:\s*['"`]([a-z][a-z0-9_]+)['"`]/g;
const ROUTE_USE = /['"`](\/api\/[a-z0-9\-_/[\]]+?)\/?(?:\?[^'"`]*)?['"`]/gi;
const ENV_USE = [/process\.env\.([A-Z][A-Z0-9_]+)/g, /process\.env\[['"]([A-Z][A-Z0-9_]+)['"]\]/g, /Deno\.env\.get\(\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\)/g];
const PLATFORM_ENV = new Set(['NODE_ENV', 'CI', 'PORT', 'HOME', 'PATH', 'TZ', 'VERCEL', 'VERCEL_ENV']);

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function isCode(path: string): boolean {
  return /\.(ts|tsx|js|jsx|mjs|cjs)$/.test(path);
}

function isTest(path: string): boolean {
  return /\.(test|spec)\.[jt]sx?$/.test(path) || /(^|\/)(__tests__|test|tests)\//.test(path);
}

function collect(files: readonly SourceFile[], patterns: RegExp[], filter: (f: SourceFile) => boolean) {
  const found = new Map<string, Array<{ path: string; line: number; text: string }>>();
  for (const f of files) {
    if (!filter(f)) continue;
    for (const re of patterns) {
      re.lastIndex = 0;
      for (let m = re.exec(f.content); m; m = re.exec(f.content)) {
        const line = lineOf(f.content, m.index);
        const text = f.content.split('\n')[line - 1]!.trim();
        found.set(m[1]!, [...(found.get(m[1]!) ?? []), { path: f.path, line, text }]);
      }
    }
  }
  return found;
}

/** Route files of the app router: app/api/jobs/[id]/route.ts serves /api/jobs/:id. */
export function routePatterns(files: readonly SourceFile[]): RegExp[] {
  return files
    .map((f) => /^(?:src\/)?app(\/api\/.*)\/route\.(ts|tsx|js)$/.exec(f.path)?.[1])
    .filter((p): p is string => Boolean(p))
    .map((p) => new RegExp('^' + p.replace(/\[[^\]]+\]/g, '[^/]+') + '$'));
}

export function findUnresolved(files: readonly SourceFile[]): UnresolvedReference[] {
  const out: UnresolvedReference[] = [];
  const code = (f: SourceFile) => isCode(f.path) && !isTest(f.path);

  const calls = collect(files, TOOL_CALL, code);
  const defined = collect(files, [TOOL_DEF], code);
  for (const [name, usedAt] of calls) {
    if (defined.has(name)) continue;
    // A call inside the file that dispatches tools by name is not a use.
    out.push({ kind: 'tool', name, usedAt, lookedIn: 'tool definitions (`name: "…"`) in the project' });
  }

  const routes = routePatterns(files);
  if (routes.length) {
    for (const [path, usedAt] of collect(files, [ROUTE_USE], code)) {
      const clean = path.replace(/\$\{[^}]+\}/g, 'x');
      if (!routes.some((r) => r.test(clean))) out.push({ kind: 'route', name: path, usedAt, lookedIn: 'app/api/**/route.ts' });
    }
  }

  const envDefined = new Set<string>();
  for (const f of files) {
    if (!/(^|\/)\.env(\.[a-z]+)?$|\.env\.example$/.test(f.path)) continue;
    for (const m of f.content.matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)\s*=/gm)) envDefined.add(m[1]!);
  }
  if (envDefined.size) {
    for (const [name, usedAt] of collect(files, ENV_USE, code)) {
      if (!envDefined.has(name) && !PLATFORM_ENV.has(name)) out.push({ kind: 'env', name, usedAt, lookedIn: '.env.example / .env' });
    }
  }
  return out;
}

/** Tables the migrations create that no code writes to (no `.from('t').insert(` or INSERT INTO). */
export function tablesWithoutWrites(files: readonly SourceFile[], tables: readonly string[]): Array<{ table: string; createdIn: string | null }> {
  const code = files.filter((f) => isCode(f.path) && !isTest(f.path));
  return tables
    .filter((t) => !code.some((f) => new RegExp(`from\\(\\s*['"\`]${t}['"\`]\\s*\\)\\s*\\.\\s*(insert|upsert)\\b|insert\\s+into\\s+(public\\.)?${t}\\b`, 'i').test(f.content)))
    .map((t) => ({ table: t, createdIn: files.find((f) => f.path.endsWith('.sql') && new RegExp(`create table (if not exists )?(public\\.)?${t}\\b`, 'i').test(f.content))?.path ?? null }));
}
