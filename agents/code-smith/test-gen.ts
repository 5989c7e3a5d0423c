// Tests for code that already exists: an API route handler or an MCP tools file, in the style of
// the project's tests (their setup lines and imports, reused). Pure: file contents in, strings out.
// What a test expects is read from the code under test (status codes, answer keys, required
// fields); whether it holds is for the test run to say, not for this module.
import { posix } from 'node:path';
import type { SourceFile } from '../bug-hunter/project-files.js';
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
function testPathFor(path: string, files: readonly SourceFile[]): string {
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

/** Adds an import line, merging its names into a line that imports from the same module. */
function addImport(imports: Set<string>, line: string): void {
  const from = /from\s+(['"][^'"]+['"])/.exec(line)?.[1];
  const names = /^import\s*\{([^}]+)\}/.exec(line)?.[1];
  const same = [...imports].find((l) => from && l.endsWith(`from ${from};`) && /^import\s*\{/.test(l));
  if (!same || !names) {
    imports.add(line);
    return;
  }
  const merged = [...new Set([...(/^import\s*\{([^}]+)\}/.exec(same)![1]!.split(',')), ...names.split(',')].map((n) => n.trim()).filter(Boolean))].sort();
  imports.delete(same);
  imports.add(`import { ${merged.join(', ')} } from ${from};`);
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
  const sibling = files.filter((f) => /(^|\/)app\/api\/.+\/route\.(test|spec)\.ts$/.test(f.path)).sort((a, b) => a.path.length - b.path.length)[0];
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
  const answerKey = (body: string) => /json\(\s*\{\s*(\w+)\s*:\s*data\b/.exec(body)?.[1] ?? null;
  const post = functionBody(code, 'POST');
  const get = functionBody(code, 'GET');
  const getCall = (u: string, ctx: string | null) => (get!.params ? `GET(new Request('http://localhost${u}')${ctx ? `, ${ctx}` : ''})` : 'GET()');
  if (post && !param) {
    const shape = shapeFields(post.body);
    const required = shape.length ? shape.filter((f) => f.required) : fields.filter((f) => f.required).map((f) => ({ name: f.name, type: f.validateType, required: true }));
    const body = `{ ${required.map((f) => `${f.name}: ${sampleFor(f.type, f.name)}`).join(', ')} }`;
    const created = [...post.body.matchAll(/json\([^;]*?,\s*(\d{3})\s*\)/g)].map((m) => Number(m[1])).find((s) => s < 300) ?? 200;
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
    if (required.length && /badRequest\(|,\s*400\s*\)/.test(post.body)) {
      tests.push('', "  it('answers 400 when required fields are missing', async () => {", '    const res = await post({});', '    expect(res.status).toBe(400);', '  });');
      cases.push(`POST ${url} without ${required.map((f) => f.name).join(', ')} answers 400`);
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
      const key = /json\(\s*\{\s*(\w+)\s*:\s*data\s*\[\s*0\s*\]/.exec(get.body)?.[1] ?? answerKey(get.body);
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

/** The in-memory database the project's tests make (`memoryStore()`, `createMemoryDb()`, …). */
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
}

function parseTools(code: string): ParsedTool[] {
  const starts = [...code.matchAll(/\bname\s*:\s*['"](\w+)['"]/g)];
  return starts.map((m, i) => {
    const seg = code.slice(m.index, starts[i + 1]?.index ?? code.length);
    const shape = shapeFields(seg);
    const required = new Set((/required\s*:\s*\[([^\]]*)\]/.exec(seg)?.[1] ?? '').match(/\w+/g) ?? []);
    const props = [...(/properties\s*:\s*\{([\s\S]*?)\}\s*,?\s*(required|\})/.exec(seg)?.[1] ?? '').matchAll(/(\w+)\s*:\s*\{\s*type\s*:\s*['"](\w+)['"](?:\s*,\s*format\s*:\s*['"]([\w-]+)['"])?/g)].map((p) => ({ name: p[1]!, type: p[3] === 'uuid' || p[3] === 'email' ? p[3] : p[2]!, required: required.has(p[1]!) }));
    return { name: m[1]!, fields: shape.length ? shape : props, table: /\.from\(\s*['"](\w+)['"]\s*\)\s*\.insert\(/.exec(seg)?.[1] ?? null, ctxKey: /handler\s*\(\s*\w+\s*,\s*\{\s*(\w+)\s*\}/.exec(seg)?.[1] ?? null };
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
