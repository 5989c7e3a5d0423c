// Cross-checks references: a tool, route or env var that code uses but that is defined nowhere.
// Pure: file contents in, findings with file:line out.
import type { SourceFile } from '../shared/project-files.js';

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
// Variables the runtime or the platform sets: never the project's to declare.
const PLATFORM_ENV = new Set(['NODE_ENV', 'CI', 'PORT', 'HOME', 'PATH', 'TZ', 'PWD', 'USER', 'SHELL', 'LANG', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'NEXT_RUNTIME', 'NEXT_PHASE', 'NETLIFY', 'DENO_DEPLOYMENT_ID', 'DENO_REGION']);
const PLATFORM_PREFIX = /^(VERCEL|NEXT_PUBLIC_VERCEL|NETLIFY|RENDER|RAILWAY|FLY|GITHUB|RUNNER)_/;
// The Supabase Edge runtime sets these for every function (supabase/functions/**).
const EDGE_ENV = new Set(['SUPABASE_URL', 'SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_DB_URL', 'SB_EXECUTION_ID', 'SB_REGION']);
/** An env template or local env file: .env, .env.example, .env.local.example, .env.development, app.env.template. */
export const isEnvFile = (path: string) => /(^|\/)\.env(\.[A-Za-z0-9_-]+)*$|\.env\.(template|example|sample|dist)$/.test(path);

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

function collect(files: readonly SourceFile[], patterns: RegExp[], filter: (f: SourceFile) => boolean, skip?: (f: SourceFile, m: RegExpExecArray) => boolean) {
  const found = new Map<string, Array<{ path: string; line: number; text: string }>>();
  for (const f of files) {
    if (!filter(f)) continue;
    for (const re of patterns) {
      re.lastIndex = 0;
      for (let m = re.exec(f.content); m; m = re.exec(f.content)) {
        if (skip?.(f, m)) continue;
        const line = lineOf(f.content, m.index);
        const text = f.content.split('\n')[line - 1]!.trim();
        const seen = found.get(m[1]!) ?? [];
        // One use per line: a line that reads a name twice is one finding.
        if (!seen.some((u) => u.path === f.path && u.line === line)) found.set(m[1]!, [...seen, { path: f.path, line, text }]);
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

  const envFiles = files.filter((f) => isEnvFile(f.path));
  const envDefined = new Set<string>();
  for (const f of envFiles) {
    // Commented-out entries (`# STRIPE_SECRET_KEY_LIVE=`) declare the name too.
    for (const m of f.content.matchAll(/^\s*#?\s*(?:export\s+)?([A-Z][A-Z0-9_]*)\s*=/gm)) envDefined.add(m[1]!);
  }
  if (envDefined.size) {
    const edge = (path: string) => /(^|\/)supabase\/functions\//.test(path);
    // A read with a fallback (`process.env.X ?? 'default'`, `|| ''`) works without the variable.
    const withFallback = (f: SourceFile, m: RegExpExecArray) => /^\s*(\?\?|\|\|)/.test(f.content.slice(m.index + m[0].length, m.index + m[0].length + 40));
    for (const [name, all] of collect(files, ENV_USE, code, withFallback)) {
      if (envDefined.has(name) || PLATFORM_ENV.has(name) || PLATFORM_PREFIX.test(name)) continue;
      const usedAt = all.filter((u) => !(EDGE_ENV.has(name) && edge(u.path)));
      if (usedAt.length) out.push({ kind: 'env', name, usedAt, lookedIn: envFiles.map((f) => f.path).join(', ') });
    }
  }
  return out;
}

/** Migration folders kept for history, not applied: supabase/migrations_archive/, migrations/old/. */
export const isArchived = (path: string) => /(^|\/)([^/]*[_.-])?(archives?|archived|old|legacy|deprecated|backups?)([_.-][^/]*)?\//i.test(path);

/** Ways code and SQL write a table: supabase-js, data providers and resources, SQL INSERT (functions, triggers, seeds). */
function writesTable(t: string): RegExp {
  const q = `['"\`]${t}['"\`]`;
  return new RegExp(
    [
      `from(?:<[^>]*>)?\\(\\s*${q}\\s*\\)\\s*\\.\\s*(insert|upsert)\\b`,
      `\\b(create|createMany|insert|upsert)(?:<[^>]*>)?\\(\\s*${q}`,
      `<Create\\b[^>]*\\bresource=\\{?\\s*${q}`,
      `\\bresource\\s*:\\s*${q}[^}]*\\b(action|mutation)\\s*:\\s*['"\`]create['"\`]`,
      `insert\\s+into\\s+(?:"?\\w+"?\\.)?"?${t}"?(?=[\\s(;])`,
    ].join('|'),
    'i',
  );
}

/** Tables the migrations create that nothing writes to: no insert in code, no INSERT in SQL (outside archived folders). */
export function tablesWithoutWrites(files: readonly SourceFile[], tables: readonly string[]): Array<{ table: string; createdIn: string | null }> {
  const writers = files.filter((f) => ((isCode(f.path) && !isTest(f.path)) || f.path.endsWith('.sql')) && !isArchived(f.path));
  const sql = files.filter((f) => f.path.endsWith('.sql') && !isArchived(f.path));
  return tables
    .filter((t) => !writers.some((f) => writesTable(t).test(f.content)))
    .map((t) => ({ table: t, createdIn: sql.find((f) => new RegExp(`create table (if not exists )?(?:"?\\w+"?\\.)?"?${t}"?(?=[\\s(])`, 'i').test(f.content))?.path ?? null }));
}
