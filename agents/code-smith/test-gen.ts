// Tests for code that already exists: an API route handler or an MCP tools file, in the style of
// the project's tests (their setup lines and imports, reused). Pure: file contents in, strings out.
// What a test expects is read from the code under test (status codes, answer keys, required
// fields); whether it holds is for the test run to say, not for this module.
import { posix } from 'node:path';
import type { SourceFile } from '../shared/project-files.js';
import type { Field } from './generate.js';
import { singular } from './component.js';

export type TestTargetKind = 'route' | 'tools';

export interface TestTarget {
  kind: TestTargetKind;
  path: string;
  table: string | null;
  testPath: string;
}

const ROUTE = /(^|\/)app\/api\/.+\/route\.ts$/;
const isTools = (f: SourceFile) => /(^|\/)tools\/[a-z0-9_]+\.ts$/.test(f.path) && !/\.(test|spec)\.ts$/.test(f.path) && /\bname\s*:\s*['"]/.test(f.content) && /\bhandler\s*\(/.test(f.content);
const isTest = (p: string) => /\.(test|spec)\.[jt]sx?$/.test(p);

/** route.test.ts, or route.spec.ts when that is what the project's tests are called. */
export function testPathFor(path: string, files: readonly SourceFile[]): string {
  const spec = files.filter((f) => /\.spec\.[jt]sx?$/.test(f.path)).length > files.filter((f) => /\.test\.[jt]sx?$/.test(f.path)).length;
  return path.replace(/\.ts$/, spec ? '.spec.ts' : '.test.ts');
}

/** The table the code writes, else the first it reads. */
const tableOf = (content: string) => /\.from\(\s*['"](\w+)['"]\s*\)\s*\.insert\(/.exec(content)?.[1] ?? /\.from\(\s*['"](\w+)['"]\s*\)/.exec(content)?.[1] ?? null;

function targetOf(f: SourceFile, files: readonly SourceFile[]): TestTarget | null {
  if (ROUTE.test(f.path)) return { kind: 'route', path: f.path, table: tableOf(f.content), testPath: testPathFor(f.path, files) };
  if (isTools(f)) return { kind: 'tools', path: f.path, table: tableOf(f.content), testPath: testPathFor(f.path, files) };
  return null;
}

const hasTest = (t: TestTarget, files: readonly SourceFile[]) => files.some((f) => f.path === t.testPath || f.path === t.path.replace(/\.ts$/, '.test.ts') || f.path === t.path.replace(/\.ts$/, '.spec.ts'));

/** What `agent generate test "<spec>"` is about: a file named by path, or a table's route or tools. */
export function resolveTestTarget(spec: string, files: readonly SourceFile[], tables: readonly string[]): { ok: true; target: TestTarget } | { ok: false; understood: string; example: string } {
  const candidates = files.map((f) => targetOf(f, files)).filter((t): t is TestTarget => t !== null);
  const untested = candidates.filter((t) => !hasTest(t, files));
  const example = `agent generate test "${(untested.find((t) => t.kind === 'route') ?? untested[0])?.path ?? 'app/api/<table>/route.ts'}"`;
  const pathToken = spec
    .split(/\s+/)
    .map((w) => w.replace(/^['"`(]+|['"`),.;:]+$/g, '').replace(/^\.\//, ''))
    .find((w) => /\.[cm]?[jt]sx?$/.test(w) || (w.includes('/') && w.length > 2));
  let target: TestTarget | null = null;
  if (pathToken) {
    const file = files.find((f) => f.path === pathToken) ?? files.find((f) => f.path.endsWith(`/${pathToken}`));
    if (!file) return { ok: false, understood: `a test for ${pathToken}, but the project has no such file`, example };
    target = targetOf(file, files);
    if (!target) return { ok: false, understood: `a test for ${file.path}, which is neither an API route (app/api/**/route.ts) nor an MCP tools file (tools/*.ts); offline generation writes tests for those`, example };
  } else {
    const words = spec.toLowerCase().match(/[a-z][a-z0-9_]*/g) ?? [];
    const parts = words.flatMap((w) => [w, ...w.split('_')]);
    const table = tables.find((t) => parts.some((w) => w === t || w === singular(t) || `${w}s` === t));
    if (!table) return { ok: false, understood: `a test for "${spec}", but it names no file and no table of the project (tables: ${tables.join(', ') || 'none'})`, example };
    const wantsTools = parts.some((w) => /^(tool|tools|mcp)$/.test(w));
    const wantsRoute = parts.some((w) => /^(endpoint|endpoints|route|routes|api|handler)$/.test(w));
    const routes = candidates.filter((t) => t.kind === 'route' && new RegExp(`(^|/)app/api/${table}/`).test(t.path)).sort((a, b) => a.path.length - b.path.length);
    const tools = candidates.filter((t) => t.kind === 'tools' && (posix.basename(t.path, '.ts').split('_')[0] === singular(table) || t.table === table));
    const pool = wantsTools ? tools : wantsRoute ? routes : [...routes, ...tools];
    target = pool.find((t) => !hasTest(t, files)) ?? pool[0] ?? null;
    if (!target) return { ok: false, understood: `a test for the ${wantsTools ? 'MCP tools' : wantsRoute ? 'API route' : 'route or tools'} of ${table}, but the project has none`, example };
  }
  if (hasTest(target, files)) return { ok: false, understood: `a test for ${target.path}, which already has one (${files.find((f) => f.path === target.testPath || f.path.startsWith(target.path.replace(/\.ts$/, '.')) && isTest(f.path))?.path ?? target.testPath}); \`agent test\` runs it`, example };
  return { ok: true, target };
}

/** A sample value the project's validator accepts for a field of that type and name. */
export function sampleFor(type: string, name: string, format?: string): string {
  if (type === 'uuid' || format === 'uuid' || /_id$/.test(name)) return `'8a6e0804-2bd0-4672-b79d-d97027f9071a'`;
  if (type === 'email' || format === 'email' || /email/.test(name)) return `'ada@example.com'`;
  if (type === 'integer' || type === 'number') return '1200';
  if (type === 'date' || format === 'date-time' || format === 'date' || /(_at|_on|_for|date)$/.test(name)) return `'2026-12-01T09:00:00Z'`;
  if (type === 'array') return '[]';
  if (type === 'object') return '{}';
  if (type === 'boolean') return 'true';
  return `'Sample ${name.replace(/_/g, ' ')}'`;
}

interface ShapeField {
  name: string;
  type: string;
  required: boolean;
}

/** The fields of a `validate(x, { name: { type: '…', required: true }, … })` call. */
export function shapeFields(code: string): ShapeField[] {
  const call = /validate(?:<[^>]*>)?\(\s*[^,]+,\s*\{([\s\S]*?)\}\s*\)/.exec(code);
  if (!call) return [];
  return [...call[1]!.matchAll(/(\w+)\s*:\s*\{\s*type\s*:\s*['"](\w+)['"]\s*(,\s*required\s*:\s*true\s*)?\}/g)].map((m) => ({ name: m[1]!, type: m[2]!, required: Boolean(m[3]) }));
}

const relImport = (fromFile: string, toFile: string) => {
  const r = posix.relative(posix.dirname(fromFile), toFile).replace(/\.(ts|tsx)$/, '');
  return r.startsWith('.') ? r : `./${r}`;
};

/** An import line of `from` rewritten for a file at `to` (relative paths re-resolved). */
function moveImport(line: string, from: string, to: string): string {
  const spec = /from\s+['"]([^'"]+)['"]/.exec(line)?.[1];
  if (!spec || !spec.startsWith('.')) return line;
  return line.replace(spec, relImport(to, posix.join(posix.dirname(from), spec)));
}

function functionBody(code: string, name: string): { params: string; body: string } | null {
  const m = new RegExp(`export\\s+(?:async\\s+)?function\\s+${name}\\s*\\(([^)]*(?:\\{[^}]*\\}[^)]*)?)\\)`).exec(code);
  if (!m) return null;
  const rest = code.slice(m.index + m[0].length);
  const end = rest.search(/\nexport\s/);
  return { params: m[1]!.trim(), body: end < 0 ? rest : rest.slice(0, end) };
}

const usesVitestImports = (files: readonly SourceFile[]) => files.some((f) => isTest(f.path) && /from\s+['"]vitest['"]/.test(f.content)) || !files.some((f) => isTest(f.path));

export interface GeneratedTest {
  path: string;
  content: string;
  /** What each test checks, for the checklist. */
  cases: string[];
  /** What the code does that no test here covers, said plainly. */
  notes: string[];
}

/** One import line's module and local bindings (`import { a, b as c } from 'm'`, `* as ns`, default). */
function bindings(line: string): { spec: string; type: boolean; def?: string; ns?: string; named: Array<{ raw: string; local: string }> } | null {
  const m = /^import\s+(type\s+)?(?:(\w+)\s*,?\s*)?(?:\*\s+as\s+(\w+)|\{([^}]*)\})?\s*from\s+['"]([^'"]+)['"];?\s*$/.exec(line.trim());
  if (!m || (!m[2] && !m[3] && m[4] === undefined)) return null;
  const named = (m[4] ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .map((raw) => ({ raw, local: raw.replace(/^type\s+/, '').split(/\s+as\s+/).pop()! }));
  return { spec: m[5]!, type: Boolean(m[1]), def: m[2], ns: m[3], named };
}

const localsOf = (line: string) => {
  const b = bindings(line);
  return b ? [b.def, b.ns, ...b.named.map((n) => n.local)].filter((n): n is string => Boolean(n)) : [];
};

/** The import line with only the bindings `used` keeps, or null when it keeps none. */
function pruneImport(line: string, used: (name: string) => boolean): string | null {
  const b = bindings(line);
  if (!b) return line;
  const named = b.named.filter((n) => used(n.local));
  const parts = [b.def && used(b.def) ? b.def : null, b.ns && used(b.ns) ? `* as ${b.ns}` : null, named.length ? `{ ${named.map((n) => n.raw).join(', ')} }` : null].filter(Boolean);
  return parts.length ? `import ${b.type ? 'type ' : ''}${parts.join(', ')} from '${b.spec}';` : null;
}

/** Import lines with `line` added: its names merged into a named import of the same module, else after the last import. */
function mergeImport(lines: readonly string[], line: string): string[] {
  const add = bindings(line);
  const at = add && !add.type && add.named.length && !add.def && !add.ns ? lines.findIndex((l) => { const b = bindings(l); return b?.spec === add.spec && !b.type && !b.ns && b.named.length > 0; }) : -1;
  const out = [...lines];
  if (at < 0) {
    const last = out.map((l, i) => (l.startsWith('import ') ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    out.splice(last + 1, 0, line);
    return out;
  }
  const same = bindings(out[at]!)!;
  const raw = [...new Map([...same.named, ...add!.named].map((n) => [n.local, n.raw])).values()].sort();
  out[at] = `import ${same.def ? `${same.def}, ` : ''}{ ${raw.join(', ')} } from '${same.spec}';`;
  return out;
}

/** Adds an import line, merging its names into a line that imports from the same module. */
function addImport(imports: Set<string>, line: string): void {
  const merged = mergeImport([...imports], line);
  imports.clear();
  for (const l of merged) imports.add(l);
}

/**
 * The status a handler answers invalid input with: the 4xx in its `if (!input.ok) return …`
 * line, or in the body of the project function that line calls (`badInput(…)` -> 422).
 */
function refusalStatus(body: string, files: readonly SourceFile[]): number | null {
  const ret = /if\s*\(\s*!\w+\.ok\s*\)\s*return\s+([^;]+);/.exec(body)?.[1];
  if (!ret) return null;
  const direct = /\b(4\d\d)\b/.exec(ret)?.[1];
  if (direct) return Number(direct);
  const fn = /^([A-Za-z_$][\w$]*)\(/.exec(ret)?.[1];
  for (const f of fn ? files : []) {
    const at = f.content.search(new RegExp(`export\\s+(?:async\\s+)?function\\s+${fn}\\b|export\\s+const\\s+${fn}\\s*=`));
    if (at < 0) continue;
    const own = f.content.slice(at).split(/\nexport\s/)[0]!;
    const status = /\b(4\d\d)\b/.exec(own)?.[1];
    if (status) return Number(status);
  }
  return null;
}

/** The project's route test to take setup lines from: the shortest path among app/api tests. */
export function siblingRouteTest(files: readonly SourceFile[]): SourceFile | undefined {
  return files.filter((f) => /(^|\/)app\/api\/.+\/route\.(test|spec)\.ts$/.test(f.path)).sort((a, b) => a.path.length - b.path.length)[0];
}

/** A test for an API route handler, with the setup of the project's other route tests. */
export function routeTestFor(target: TestTarget, files: readonly SourceFile[], fields: readonly Field[]): GeneratedTest | { error: string } {
  const route = files.find((f) => f.path === target.path)!;
  const code = route.content;
  const testPath = target.testPath;
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => functionBody(code, m));
  if (!methods.length) return { error: `${target.path} exports no GET/POST/PUT/PATCH/DELETE handler` };
  const url = '/' + target.path.replace(/^(src\/)?app\//, '').replace(/\/route\.ts$/, '');
  const param = /\[(\w+)\]/.exec(url)?.[1] ?? null;
  const sibling = siblingRouteTest(files);
  const imports = new Set<string>();
  if (usesVitestImports(files)) imports.add("import { beforeEach, describe, expect, it } from 'vitest';");
  const setup: string[] = [];
  if (sibling) {
    for (const l of sibling.content.split('\n')) {
      if (/^\s*beforeEach\(.*\);\s*$/.test(l)) setup.push(`  ${l.trim()}`);
    }
    // Only the imports the reused setup needs.
    const names = (l: string) => (/^import\s*(?:type\s*)?\{([^}]+)\}/.exec(l)?.[1] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!).filter(Boolean);
    for (const l of sibling.content.split('\n')) {
      if (l.startsWith('import ') && !/from\s+['"](vitest|\.\/route)['"]/.test(l) && names(l).some((n) => setup.some((s) => new RegExp(`\\b${n}\\b`).test(s)))) imports.add(moveImport(l, sibling.path, testPath));
    }
  }
  const cases: string[] = [];
  const notes: string[] = [];
  const tests: string[] = [];
  const entity = singular(target.table ?? 'row').replace(/_/g, ' ');
  const a = /^[aeiou]/.test(entity) ? 'an' : 'a';
  const answerKey = (body: string) => /return\s+[\w$.]+\(\s*\{\s*(\w+)\s*:\s*data\b/.exec(body)?.[1] ?? null;
  const post = functionBody(code, 'POST');
  const get = functionBody(code, 'GET');
  const getCall = (u: string, ctx: string | null) => (get!.params ? `GET(new Request('http://localhost${u}')${ctx ? `, ${ctx}` : ''})` : 'GET()');
  if (post && !param) {
    const shape = shapeFields(post.body);
    const required = shape.length ? shape.filter((f) => f.required) : fields.filter((f) => f.required).map((f) => ({ name: f.name, type: f.validateType, required: true }));
    const body = `{ ${required.map((f) => `${f.name}: ${sampleFor(f.type, f.name)}`).join(', ')} }`;
    const created = [...post.body.matchAll(/return\s+[\w$.]+\(\s*\{[^;]*?,\s*(?:\{\s*status\s*:\s*)?(\d{3})\s*\}?\s*\)/g)].map((m) => Number(m[1])).find((s) => s < 300) ?? 200;
    const key = answerKey(post.body);
    const listKey = get && !get.params.includes('{') ? answerKey(get.body) : null;
    tests.push(
      `  it('stores ${a} ${entity} from a valid body', async () => {`,
      `    const res = await post(${body});`,
      `    expect(res.status).toBe(${created});`,
      ...(key ? [`    expect((await res.json()).${key}).toMatchObject(${body});`] : []),
      ...(listKey ? [`    const list = await (await ${getCall(url, null)}).json();`, `    expect(list.${listKey}).toHaveLength(1);`] : []),
      '  });',
    );
    cases.push(`POST ${url} with the required fields answers ${created}${key ? ` with the stored ${key}` : ''}${listKey ? `, and GET lists it` : ''}`);
    const refused = refusalStatus(post.body, files);
    if (required.length && refused) {
      tests.push('', `  it('answers ${refused} when required fields are missing', async () => {`, '    const res = await post({});', `    expect(res.status).toBe(${refused});`, '  });');
      cases.push(`POST ${url} without ${required.map((f) => f.name).join(', ')} answers ${refused}`);
    }
  } else if (get && !param) {
    const key = answerKey(get.body);
    tests.push(`  it('lists ${target.table ?? 'rows'}', async () => {`, `    const res = await ${getCall(url, null)};`, '    expect(res.status).toBe(200);', ...(key ? [`    expect(Array.isArray((await res.json()).${key})).toBe(true);`] : []), '  });');
    cases.push(`GET ${url} answers 200${key ? ` with a ${key} list` : ''}`);
  }
  if (get && param) {
    const dbCall = /(\w+)\(\)\.from\(/.exec(get.body)?.[1];
    const dbImport = dbCall ? code.split('\n').find((l) => l.startsWith('import ') && new RegExp(`\\b${dbCall}\\b`).test(l)) : undefined;
    if (!dbImport || !target.table) {
      notes.push(`GET ${url}: no way to seed a row found (the handler reads no \`x().from('table')\`), not tested`);
    } else {
      addImport(imports, moveImport(dbImport, route.path, testPath));
      const pair = (v: string) => (v === param ? param : `${param}: ${v}`);
      const ctx = (v: string) => (/Promise</.test(get.params) ? `{ params: Promise.resolve({ ${pair(v)} }) }` : `{ params: { ${pair(v)} } }`);
      const key = /return\s+[\w$.]+\(\s*\{\s*(\w+)\s*:\s*data\s*\[\s*0\s*\]/.exec(get.body)?.[1] ?? answerKey(get.body);
      const seed = `{ ${fields.filter((f) => f.required).map((f) => `${f.name}: ${f.sample}`).join(', ')} }`;
      tests.push(
        ...(tests.length ? [''] : []),
        `  it('answers one ${entity} by ${param}', async () => {`,
        `    const { data } = await ${dbCall}().from('${target.table}').insert(${seed});`,
        `    const ${param} = String(data!.id);`,
        `    const res = await GET(new Request(\`http://localhost${url.replace(`[${param}]`, '${' + param + '}')}\`), ${ctx(param)});`,
        '    expect(res.status).toBe(200);',
        ...(key ? [`    expect((await res.json()).${key}.id).toBe(${param});`] : []),
        '  });',
      );
      cases.push(`GET ${url} answers the stored ${entity}`);
      if (/\b404\b/.test(get.body)) {
        const missing = `'00000000-0000-4000-8000-000000000000'`;
        tests.push('', `  it('answers 404 for an unknown ${param}', async () => {`, `    const res = await GET(new Request('http://localhost${url.replace(`[${param}]`, missing.slice(1, -1))}'), ${ctx(missing)});`, '    expect(res.status).toBe(404);', '  });');
        cases.push(`GET ${url} answers 404 for an unknown ${param}`);
      }
    }
  }
  for (const m of methods.filter((m) => !['GET', 'POST'].includes(m))) notes.push(`${m} ${url} is not covered: offline generation writes GET and POST cases`);
  if (post && param) notes.push(`POST ${url} is not covered: offline generation writes POST cases for collection routes`);
  if (!tests.length) return { error: `nothing in ${target.path} that an offline test can exercise (${notes.join('; ')})` };
  const routeImport = `import { ${methods.filter((m) => tests.join('\n').includes(`${m}(`) || (m === 'POST' && tests.join('\n').includes('post('))).join(', ')} } from './route';`;
  const vitestLine = [...imports].find((l) => l.includes("from 'vitest'"));
  const vitest = vitestLine && !setup.length ? vitestLine.replace('beforeEach, ', '') : vitestLine;
  const usedImports = [...imports].filter((l) => l !== vitestLine);
  const helper = tests.join('\n').includes('post(') ? [`const post = (body: unknown) => POST(new Request('http://localhost${url}', { method: 'POST', body: JSON.stringify(body) }));`, ''] : [];
  return {
    path: testPath,
    cases,
    notes,
    content: [...(vitest ? [vitest] : []), ...usedImports, routeImport, '', ...helper, `describe('${url}', () => {`, ...setup, ...(setup.length ? [''] : []), ...tests, '});', ''].join('\n'),
  };
}

/** The in-memory database the project's tests make (a `memoryStore()`, `fakeDb()`, `inMemory…()` factory). */
export function findTestDbFactory(files: readonly SourceFile[]): { name: string; module: string } | null {
  for (const t of files.filter((f) => isTest(f.path))) {
    for (const m of t.content.matchAll(/^import\s*\{([^}]+)\}\s*from\s*['"](\.[^'"]+)['"]/gm)) {
      for (const name of m[1]!.split(',').map((s) => s.trim().replace(/^type\s+/, ''))) {
        if (/memory|fake|mock|stub|inmem|testdb/i.test(name) && new RegExp(`\\b${name}\\(\\)`).test(t.content)) {
          return { name, module: posix.join(posix.dirname(t.path), m[2]!) };
        }
      }
    }
  }
  return null;
}

interface ParsedTool {
  name: string;
  fields: ShapeField[];
  table: string | null;
  ctxKey: string | null;
  /** The handler checks its input with validate(): input without the required fields is refused. */
  validates: boolean;
}

function parseTools(code: string): ParsedTool[] {
  const starts = [...code.matchAll(/\bname\s*:\s*['"](\w+)['"]/g)];
  return starts.map((m, i) => {
    const seg = code.slice(m.index, starts[i + 1]?.index ?? code.length);
    const shape = shapeFields(seg);
    const required = new Set((/required\s*:\s*\[([^\]]*)\]/.exec(seg)?.[1] ?? '').match(/\w+/g) ?? []);
    const props = [...(/properties\s*:\s*\{([\s\S]*?)\}\s*,?\s*(required|\})/.exec(seg)?.[1] ?? '').matchAll(/(\w+)\s*:\s*\{\s*type\s*:\s*['"](\w+)['"](?:\s*,\s*format\s*:\s*['"]([\w-]+)['"])?/g)].map((p) => ({ name: p[1]!, type: p[3] === 'uuid' || p[3] === 'email' ? p[3] : p[2]!, required: required.has(p[1]!) }));
    return { name: m[1]!, fields: shape.length ? shape : props, table: /\.from\(\s*['"](\w+)['"]\s*\)\s*\.insert\(/.exec(seg)?.[1] ?? null, ctxKey: /handler\s*\(\s*\w+\s*,\s*\{\s*(\w+)\s*\}/.exec(seg)?.[1] ?? null, validates: shape.length > 0 };
  });
}

/** A test that calls each tool that writes, with the project's in-memory database. */
export function toolsTestFor(target: TestTarget, files: readonly SourceFile[]): GeneratedTest | { error: string } {
  const code = files.find((f) => f.path === target.path)!.content;
  const exportName = /export\s+const\s+(\w+)\s*(?::[^=]+)?=\s*\[/.exec(code)?.[1];
  if (!exportName) return { error: `${target.path} exports no array of tools` };
  const factory = findTestDbFactory(files);
  if (!factory) return { error: "no test of the project makes an in-memory database (a `memory…()`/`fake…()` factory) for the tools to write to" };
  const tools = parseTools(code);
  const writers = tools.filter((t) => t.table && t.ctxKey);
  const notes = tools.filter((t) => !writers.includes(t)).map((t) => `${t.name} writes no table: not tested offline`);
  if (!writers.length) return { error: `no tool in ${target.path} writes a table (${tools.map((t) => t.name).join(', ') || 'none found'})` };
  const testPath = target.testPath;
  const cases: string[] = [];
  const tests: string[] = [];
  for (const t of writers) {
    const required = t.fields.filter((f) => f.required);
    const args = `{ ${required.map((f) => `${f.name}: ${sampleFor(f.type, f.name)}`).join(', ')} }`;
    tests.push(
      ...(tests.length ? [''] : []),
      `  it('${t.name} stores a ${t.table} row', async () => {`,
      `    const db = ${factory.name}();`,
      `    await tool('${t.name}').handler(${args}, { ${t.ctxKey === 'db' ? 'db' : `${t.ctxKey}: db`} });`,
      `    expect((await db.from('${t.table}').select()).data).toHaveLength(1);`,
      '  });',
    );
    cases.push(`${t.name} with ${required.map((f) => f.name).join(', ') || 'no arguments'} stores one ${t.table} row`);
    if (required.length) {
      tests.push(
        '',
        `  it('${t.name} refuses input without ${required.map((f) => f.name).join(', ')}', async () => {`,
        `    const db = ${factory.name}();`,
        `    await expect(tool('${t.name}').handler({}, { ${t.ctxKey === 'db' ? 'db' : `${t.ctxKey}: db`} })).rejects.toThrow();`,
        `    expect((await db.from('${t.table}').select()).data).toHaveLength(0);`,
        '  });',
      );
      cases.push(`${t.name} without ${required.map((f) => f.name).join(', ')} throws and stores nothing`);
    }
  }
  return {
    path: testPath,
    cases,
    notes,
    content: [
      ...(usesVitestImports(files) ? ["import { describe, expect, it } from 'vitest';"] : []),
      `import { ${factory.name} } from '${relImport(testPath, factory.module)}';`,
      `import { ${exportName} } from '${relImport(testPath, target.path)}';`,
      '',
      `const tool = (name: string) => ${exportName}.find((t) => t.name === name)!;`,
      '',
      `describe('${exportName}', () => {`,
      ...tests,
      '});',
      '',
    ].join('\n'),
  };
}

// ---- a new tool's test, through the project's tool registry as its own registry test calls it ----

/** Index just past the bracket that closes the one at `open`, or -1 (strings skipped). */
function closing(code: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  for (let i = open; i < code.length; i++) {
    const c = code[i]!;
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < code.length && code[i] !== c; i++) if (code[i] === '\\') i++;
    } else if (pairs[c]) stack.push(pairs[c]);
    else if (c === stack.at(-1)) {
      stack.pop();
      if (!stack.length) return i + 1;
    }
  }
  return -1;
}

/** The top-level arguments of the call whose `(` is at `open`. */
function callArgs(code: string, open: number): string[] | null {
  const end = closing(code, open);
  if (end < 0) return null;
  const args: string[] = [];
  let start = open + 1;
  for (let i = open + 1; i < end - 1; i++) {
    const c = code[i]!;
    if ('([{"\'`'.includes(c)) i = (c === '"' || c === "'" || c === '`' ? closingQuote(code, i) : closing(code, i)) - 1;
    else if (c === ',') {
      args.push(code.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = code.slice(start, end - 1).trim();
  if (last) args.push(last);
  return args;
}

function closingQuote(code: string, at: number): number {
  let i = at + 1;
  for (; i < code.length && code[i] !== code[at]; i++) if (code[i] === '\\') i++;
  return i + 1;
}

const stripExt = (p: string) => p.replace(/\.[cm]?[jt]sx?$/, '');

/** Whether the import specifier `spec` in `fromFile` names the module at `target`. */
function resolvesTo(fromFile: string, spec: string, target: string): boolean {
  if (!spec.startsWith('.')) return false;
  const r = stripExt(posix.join(posix.dirname(fromFile), spec));
  return r === stripExt(target) || `${r}/index` === stripExt(target);
}

const importsOf = (f: SourceFile) => f.content.split('\n').filter((l) => l.startsWith('import '));

/** How a test of the project uses the tool registry: what it calls, lists and hands the calls. */
interface RegistryUse {
  test: SourceFile;
  /** `fn` or `obj.fn`, called as `callee('<tool>', args, ...rest)`. */
  callee: string;
  rest: string[];
  /** `out.error` checked `toBeUndefined()` after a good call: [property, matcher]. */
  okCheck: [string, string] | null;
  /** A failed call answers with that property set rather than throwing. */
  answersErrors: boolean;
  /** An expression of the registered tools' names, from the test's `expect(…).toContain('<tool>')`. */
  listExpr: string | null;
  factory: string;
  dbVar: string;
}

const KEYWORDS = new Set(['true', 'false', 'null', 'undefined', 'new', 'await', 'async', 'void', 'typeof', 'as', 'const']);

function registryUse(test: SourceFile, registry: string): RegistryUse | { error: string } {
  const code = test.content;
  const regNames = importsOf(test).flatMap((l) => (resolvesTo(test.path, bindings(l)?.spec ?? '', registry) && !bindings(l)!.type ? localsOf(l) : []));
  const calls: Array<{ callee: string; rest: string[]; result: string | null }> = [];
  for (const m of code.matchAll(/([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\(\s*(['"])[a-z][\w-]*\2\s*,/g)) {
    if (!regNames.includes(m[1]!.split('.')[0]!)) continue;
    const args = callArgs(code, m.index + m[1]!.length);
    if (!args || args.length < 2) continue;
    const before = code.slice(code.lastIndexOf('\n', m.index) + 1, m.index);
    calls.push({ callee: m[1]!, rest: args.slice(2), result: /(?:const|let)\s+(\w+)\s*=\s*(?:await\s+)?$/.exec(before)?.[1] ?? null });
  }
  if (!calls.length) return { error: `${test.path} calls no tool through ${regNames.join(', ') || 'the registry'} as \`fn('<tool>', args, …)\`` };
  const checkOf = (v: string | null): [string, string] | null => {
    const m = v ? new RegExp(`expect\\(\\s*${v}\\.(\\w+)\\s*\\)\\.(toBeUndefined|toBeNull|toBeFalsy)\\(\\)`).exec(code) : null;
    return m ? [m[1]!, m[2]!] : null;
  };
  const call = calls.find((c) => checkOf(c.result)) ?? calls[0]!;
  const okCheck = checkOf(call.result);
  const failed = (v: string, p: string) => new RegExp(`expect\\(\\s*${v}\\.${p}\\s*\\)\\.(?:(?:toBe|toEqual|toMatch|toContain)\\(\\s*(?!undefined\\b|null\\b)\\S|toBeTruthy\\(\\)|toBeDefined\\(\\))`).test(code);
  const answersErrors = okCheck !== null && calls.some((c) => c.result !== null && failed(c.result, okCheck[0]));
  let listExpr: string | null = null;
  for (const m of code.matchAll(/\bexpect\(/g)) {
    const open = m.index + 'expect'.length;
    const end = closing(code, open);
    if (end < 0 || !/^\s*\.toContain\(\s*['"][a-z][\w-]*['"]\s*\)/.test(code.slice(end))) continue;
    let expr = code.slice(open + 1, end - 1).trim();
    if (/^\w+$/.test(expr)) expr = new RegExp(`(?:const|let)\\s+${expr}\\s*=\\s*(.+?);?\\s*$`, 'm').exec(code)?.[1] ?? expr;
    if (regNames.some((n) => new RegExp(`(^|[^.\\w])${n}\\b`).test(expr))) {
      listExpr = expr;
      break;
    }
  }
  const factory = findTestDbFactory([test]);
  if (!factory) return { error: `${test.path} makes no in-memory database (a \`memory…()\`/\`fake…()\` factory) for its tool calls` };
  let rest = call.rest;
  let dbVar = new RegExp(`(?:const|let)\\s+(\\w+)\\s*=\\s*${factory.name}\\(\\)`).exec(code)?.[1] ?? 'db';
  if (rest.some((r) => r.includes(`${factory.name}()`))) rest = rest.map((r) => r.split(`${factory.name}()`).join(dbVar).replace(new RegExp(`\\b${dbVar}\\s*:\\s*${dbVar}\\b`), dbVar));
  if (!rest.some((r) => new RegExp(`\\b${dbVar}\\b`).test(r))) return { error: `the tool calls in ${test.path} are not handed its in-memory database (${factory.name}())` };
  // What the context needs besides the database must be an import the generated test can reuse.
  const imported = new Set(importsOf(test).flatMap(localsOf));
  const free = rest.flatMap((r) => r.replace(/(['"`])(?:\\.|(?!\1).)*\1/g, '').replace(/\.\s*[A-Za-z_$][\w$]*/g, '').replace(/[A-Za-z_$][\w$]*\s*:/g, '').match(/[A-Za-z_$][\w$]*/g) ?? []).filter((n) => n !== dbVar && !KEYWORDS.has(n) && !imported.has(n));
  if (free.length) return { error: `the tool calls in ${test.path} pass ${[...new Set(free)].join(', ')}, which the test builds itself; a generated test cannot rebuild it` };
  return { test, callee: call.callee, rest, okCheck, answersErrors, listExpr, factory: factory.name, dbVar };
}

/** How the project's tests read a table's rows: `(await db.from('t').select()).data`. */
function rowsRead(files: readonly SourceFile[]): { method: string; prop: string } {
  for (const t of files.filter((f) => isTest(f.path))) {
    const m = /\(await\s+\w+\.from\(\s*['"]\w+['"]\s*\)\.(\w+)\(\s*\)\)\.(\w+)/.exec(t.content);
    if (m) return { method: m[1]!, prop: m[2]! };
  }
  return { method: 'select', prop: 'data' };
}

/**
 * A test that a tool in `toolsFile` is reachable through the project's registry and stores a row
 * in the project's in-memory database: the registry test's own listing and calls, reused. Without
 * a test that shows how the registry is listed and called, no test (the reason says why).
 */
export function registryToolTest(files: readonly SourceFile[], opts: { registry: string | null; toolsFile: string; tool: string; testPath: string }): GeneratedTest | { error: string } {
  if (!opts.registry) return { error: 'the project has no tool registry to reach the tool through' };
  const registry = opts.registry;
  const tool = parseTools(files.find((f) => f.path === opts.toolsFile)?.content ?? '').find((t) => t.name === opts.tool);
  if (!tool?.table) return { error: `${opts.tool} writes no table: nothing to check that it stores` };
  const tests = files.filter((f) => isTest(f.path) && importsOf(f).some((l) => resolvesTo(f.path, bindings(l)?.spec ?? '', registry)));
  if (!tests.length) return { error: `no test of the project imports ${registry}: none shows how its tools are listed and called` };
  const uses = tests.map((t) => registryUse(t, registry));
  const use = uses.find((u): u is RegistryUse => !('error' in u));
  if (!use) return { error: uses.map((u) => (u as { error: string }).error).join('; ') };
  const { method, prop } = rowsRead(files);
  const required = tool.fields.filter((f) => f.required);
  const args = `{ ${required.map((f) => `${f.name}: ${sampleFor(f.type, f.name)}`).join(', ')} }`;
  const call = (a: string) => `${use.callee}('${tool.name}', ${a}${use.rest.length ? `, ${use.rest.join(', ')}` : ''})`;
  const rows = (n: number) => `    expect((await ${use.dbVar}.from('${tool.table}').${method}()).${prop}).toHaveLength(${n});`;
  const cases: string[] = [];
  const tests_: string[] = [];
  if (use.listExpr) {
    tests_.push("  it('is listed by the registry', () => {", `    expect(${use.listExpr}).toContain('${tool.name}');`, '  });', '');
    cases.push(`${tool.name} is listed by the registry (as ${use.test.path} lists tools)`);
  }
  tests_.push(
    `  it('stores a row in ${tool.table} when called through the registry', async () => {`,
    `    const ${use.dbVar} = ${use.factory}();`,
    ...(use.okCheck ? [`    const out = await ${call(args)};`, `    expect(out.${use.okCheck[0]}).${use.okCheck[1]}();`] : [`    await ${call(args)};`]),
    rows(1),
    '  });',
  );
  cases.push(`${use.callee}('${tool.name}', { ${required.map((f) => f.name).join(', ')} }) stores one ${tool.table} row`);
  if (tool.validates && required.length) {
    tests_.push(
      '',
      `  it('refuses input without ${required.map((f) => f.name).join(', ')}', async () => {`,
      `    const ${use.dbVar} = ${use.factory}();`,
      ...(use.answersErrors ? [`    const out = await ${call('{}')};`, `    expect(out.${use.okCheck![0]}).toBeTruthy();`] : [`    await Promise.resolve().then(() => ${call('{}')}).catch(() => undefined);`]),
      rows(0),
      '  });',
    );
    cases.push(`${tool.name} without ${required.map((f) => f.name).join(', ')} is refused and stores nothing`);
  }
  const body = [`describe('${tool.name} through the registry', () => {`, ...tests_, '});', ''];
  const used = new Set(body.join('\n').match(/[A-Za-z_$][\w$]*/g));
  const imports = importsOf(use.test)
    .filter((l) => bindings(l)?.spec !== 'vitest')
    .map((l) => pruneImport(moveImport(l, use.test.path, opts.testPath), (n) => used.has(n)))
    .filter((l): l is string => l !== null);
  return {
    path: opts.testPath,
    cases,
    notes: use.listExpr ? [] : [`${use.test.path} does not list the registry's tools by name: only the call through it is tested`],
    content: [...(usesVitestImports(files) ? ["import { describe, expect, it } from 'vitest';"] : []), ...imports, '', ...body].join('\n'),
  };
}

// ---- where a generated test goes: never over a test the project has ----

const topLevelNames = (code: string) => [...code.matchAll(/^(?:export\s+)?(?:const|let|var|class|(?:async\s+)?function)\s+(\w+)/gm)].map((m) => m[1]!);

/**
 * A generated test placed without overwriting a test that is already at its path. A free path
 * gets the file. At a taken path the new describe block is appended to the file there, its
 * imports merged into the file's own, so the module keeps one test file as the project has it;
 * when a name the block needs is already bound there to something else, it goes to a sibling file
 * instead (`x.test.ts` -> `x.<slug>.test.ts`), and the project's file is left as it is.
 */
export function placeTest(t: GeneratedTest, existing: string | null, slug: string, taken: (path: string) => boolean): GeneratedTest & { placed: 'new' | 'appended' | 'sibling' } {
  if (existing === null) return { ...t, placed: 'new' };
  const lines = t.content.split('\n');
  const genImports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import ')).join('\n').trim();
  const exLines = existing.split('\n');
  const headEnd = exLines.map((l, i) => (l.startsWith('import ') ? i : -1)).reduce((a, b) => Math.max(a, b), -1) + 1;
  // What a name is bound to: module and exported name for imports, 'local' for declarations.
  const origin = (line: string, n: string) => `${stripExt(bindings(line)!.spec)}:${bindings(line)!.named.find((x) => x.local === n)?.raw.replace(/^type\s+/, '').split(/\s+as\s+/)[0] ?? n}`;
  const bound = new Map<string, string>();
  for (const l of exLines.slice(0, headEnd).filter((x) => x.startsWith('import '))) for (const n of localsOf(l)) bound.set(n, origin(l, n));
  for (const n of topLevelNames(existing)) bound.set(n, 'local');
  const clash = genImports.some((l) => localsOf(l).some((n) => bound.has(n) && bound.get(n) !== origin(l, n))) || topLevelNames(body).some((n) => bound.has(n));
  if (clash) {
    const test = /(\.(?:test|spec)\.[cm]?[jt]sx?)$/;
    const base = t.path.replace(test, `.${slug}$1`);
    let path = base;
    for (let i = 2; taken(path); i++) path = base.replace(test, `-${i}$1`);
    return { ...t, path, placed: 'sibling' };
  }
  let head = exLines.slice(0, headEnd);
  for (const l of genImports) {
    const line = pruneImport(l, (n) => !bound.has(n));
    if (line) head = mergeImport(head, line);
  }
  const rest = exLines.slice(headEnd);
  return { ...t, placed: 'appended', content: `${[...head, ...rest].join('\n').trimEnd()}\n\n${body}\n` };
}
