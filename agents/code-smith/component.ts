// React components for a table, in the style of the project's own components: where they live and
// how they are named, exported, typed and fed (rows as a prop, or fetched from the project's API
// route), and how the project's tests render them. Pure: file contents in, strings out.
import { posix } from 'node:path';
import type { SourceFile } from '../shared/project-files.js';
import type { Column, Field } from './generate.js';
import { singular } from '../shared/words.js';

export type ComponentVariant = 'list' | 'form';

export interface ComponentTestStyle {
  /** The test this follows, or null when it is react-dom/server's renderToStaticMarkup. */
  sibling: string | null;
  /** Whether tests import describe/it/expect from vitest (false: vitest globals). */
  importsVitest: boolean;
  /** The import line of the render function, seen from a test at `testPath`. */
  renderImport(testPath: string): string;
  /** An expression that evaluates to the HTML of the JSX expression given. */
  render(jsx: string): string;
  /** Whether that renderer runs hooks (react-dom and Testing Library do; a static walker does not). */
  hooks: boolean;
  /** Where the test of a component at `componentPath` goes. */
  testFileFor(componentPath: string): string;
}

export interface ComponentPattern {
  /** The component followed; null when the project has none (Next.js conventions then). */
  sibling: SourceFile | null;
  dir: string;
  naming: 'pascal' | 'kebab';
  exportStyle: 'named' | 'default';
  /** 'prop': rows come in as a prop (a server component); 'api': it fetches the project's route. */
  fetches: 'prop' | 'api';
  useClient: boolean;
  /** className strings of the sibling's table and empty-state paragraph, reused verbatim. */
  classes: { table: string | null; empty: string | null; error: string | null };
  /** What each choice was read from, for the checklist. */
  notes: string[];
}

const SPECIAL = /(^|\/)(page|layout|loading|error|not-found|template|default|global-error)\.tsx$/;
const TEST = /\.(test|spec)\.[jt]sx$/;
const COMPONENT_EXPORT = /export\s+(default\s+)?function\s+[A-Z]\w*\s*\(|export\s+const\s+[A-Z]\w*\s*=\s*\(/;

export const pascal = (s: string) => s.replace(/(^|[_-])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
export const camel = (s: string) => s.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export { singular };
const kebab = (pascalName: string) => pascalName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const words = (column: string) => column.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

export function componentFiles(files: readonly SourceFile[]): SourceFile[] {
  return files.filter((f) => /\.tsx$/.test(f.path) && !TEST.test(f.path) && !SPECIAL.test(f.path) && COMPONENT_EXPORT.test(f.content));
}

/** The project's component conventions, read from the component that fits the variant best. */
export function findComponentPattern(files: readonly SourceFile[], variant: ComponentVariant): ComponentPattern {
  const all = componentFiles(files);
  const inComponentsDir = all.filter((f) => /(^|\/)components\//.test(f.path));
  const pool = inComponentsDir.length ? inComponentsDir : all;
  const fits = (f: SourceFile) => (variant === 'form' ? /<form\b/.test(f.content) : /\.map\(/.test(f.content));
  const sibling = pool.find(fits) ?? pool[0] ?? null;
  if (!sibling) {
    const srcLayout = files.some((f) => f.path.startsWith('src/app/')) || (!files.some((f) => f.path.startsWith('app/')) && files.some((f) => f.path.startsWith('src/')));
    const dir = srcLayout ? 'src/components' : 'components';
    return {
      sibling: null,
      dir,
      naming: 'pascal',
      exportStyle: 'named',
      fetches: 'prop',
      useClient: false,
      classes: { table: null, empty: null, error: null },
      notes: [`no component to follow: Next.js conventions (${dir}/<Name>.tsx, a named export, typed props, rows handed in as a prop by a server component)`],
    };
  }
  const base = posix.basename(sibling.path, '.tsx');
  const naming = /^[a-z0-9]+(-[a-z0-9]+)*$/.test(base) && base !== 'index' ? 'kebab' : 'pascal';
  const useClient = /^\s*['"]use client['"]/.test(sibling.content);
  const fetches = /\bfetch\(\s*[`'"]\/api\//.test(sibling.content) ? 'api' : 'prop';
  const cls = (tag: string) => new RegExp(`<${tag}\\b[^>]*className="([^"]*)"`).exec(sibling.content)?.[1] ?? null;
  const emptyClass = /if\s*\(\s*!\s*[\w.]+(?:\.length)?\s*\)\s*return\s*<p[^>]*className="([^"]*)"/.exec(sibling.content)?.[1] ?? null;
  return {
    sibling,
    dir: posix.dirname(sibling.path),
    naming,
    exportStyle: /export\s+default\s+function/.test(sibling.content) ? 'default' : 'named',
    fetches,
    useClient,
    classes: { table: cls('table'), empty: emptyClass, error: /className="([^"]*error[^"]*)"/.exec(sibling.content)?.[1] ?? null },
    notes: [
      `follows ${sibling.path}: ${naming === 'pascal' ? 'PascalCase' : 'kebab-case'} file names in ${posix.dirname(sibling.path)}/, ${/export\s+default\s+function/.test(sibling.content) ? 'a default export' : 'a named export'}, ${fetches === 'api' ? "fetches the project's API route" : 'rows handed in as a prop'}${useClient ? ", 'use client'" : ''}`,
    ],
  };
}

/** How the project's tests render components: a sibling component test, or react-dom/server. */
export function findComponentTestStyle(files: readonly SourceFile[], canResolve: (module: string) => boolean): ComponentTestStyle | { none: string } {
  const tests = files.filter((f) => /\.(test|spec)\.tsx$/.test(f.path) && /<[A-Z]\w*[\s/>]/.test(f.content));
  for (const t of tests) {
    const call = /\b(\w+)\(\s*<[A-Z]/.exec(t.content);
    if (!call) continue;
    const fn = call[1]!;
    const importLine = t.content.split('\n').find((l) => l.startsWith('import ') && new RegExp(`[{,\\s]${fn}[,}\\s]`).test(l.replace(/\bfrom\b.*/, '')));
    if (!importLine) continue;
    const from = /from\s+['"]([^'"]+)['"]/.exec(importLine)![1]!;
    const testDir = posix.dirname(t.path);
    const target = from.startsWith('.') ? posix.join(testDir, from) : null;
    const rtl = from === '@testing-library/react';
    const inTestsDir = /(^|\/)__tests__\//.test(t.path);
    const componentSibling = files.find((f) => f.path.endsWith('.tsx') && !TEST.test(f.path) && t.content.includes(posix.basename(f.path, '.tsx')) && COMPONENT_EXPORT.test(f.content));
    return {
      sibling: t.path,
      importsVitest: /from\s+['"]vitest['"]/.test(t.content),
      renderImport: (testPath) => {
        if (!target) return importLine;
        let rel = posix.relative(posix.dirname(testPath), target);
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return importLine.replace(from, rel);
      },
      render: (jsx) => (rtl ? `${fn}(${jsx}).container.innerHTML` : `${fn}(${jsx})`),
      hooks: rtl || from.startsWith('react-dom') || Boolean(componentSibling && /\buse[A-Z]\w*\(/.test(componentSibling.content)),
      testFileFor: (componentPath) => {
        const ext = /\.(test|spec)\.tsx$/.exec(t.path)![0];
        const dir = posix.dirname(componentPath);
        return inTestsDir ? `${dir}/__tests__/${posix.basename(componentPath, '.tsx')}${ext}` : `${dir}/${posix.basename(componentPath, '.tsx')}${ext}`;
      },
    };
  }
  if (canResolve('react-dom/server')) {
    return {
      sibling: null,
      importsVitest: !files.some((f) => /globals\s*:\s*true/.test(f.content) && /vite(st)?\.config/.test(f.path)),
      renderImport: () => "import { renderToStaticMarkup } from 'react-dom/server';",
      render: (jsx) => `renderToStaticMarkup(${jsx})`,
      hooks: true,
      testFileFor: (componentPath) => componentPath.replace(/\.tsx$/, '.test.tsx'),
    };
  }
  return { none: 'no component test to follow, and react-dom/server does not resolve from the project: nothing here can render a component in a test (a Next.js app has react-dom; or add a component test to follow)' };
}

export interface ComponentSpec {
  table: string;
  variant: ComponentVariant;
  columns: readonly Column[];
  fields: readonly Field[];
  /** The project's API route for the table and what it answers, when there is one. */
  route: { url: string; getKey: string | null; hasPost: boolean } | null;
}

export interface PlannedComponent {
  name: string;
  path: string;
  content: string;
  /** 'prop' or 'api': how this one gets its rows. */
  fetches: 'prop' | 'api';
  usesHooks: boolean;
  notes: string[];
}

interface Shown {
  name: string;
  header: string;
  cell: (row: string) => string;
}

/** The columns a list shows: readable ones first, keys and JSON left out, at most six. */
function shownColumns(columns: readonly Column[]): Shown[] {
  const readable = columns.filter((c) => c.name !== 'id' && !/_id$/.test(c.name) && !/^json/.test(c.type) && c.name !== 'created_at' && c.name !== 'updated_at');
  const pick = (readable.length ? readable : columns.filter((c) => c.name !== 'id')).slice(0, 6);
  return pick.map((c) => ({
    name: c.name,
    header: words(c.name),
    cell: (row) => (c.type === 'boolean' ? `{${row}.${c.name} ? 'yes' : 'no'}` : /^json/.test(c.type) ? `{JSON.stringify(${row}.${c.name})}` : c.nullable ? `{${row}.${c.name} ?? ''}` : `{${row}.${c.name}}`),
  }));
}

const tsOf = (c: Column, fields: readonly Field[]) => fields.find((f) => f.name === c.name)?.ts ?? (c.name === 'id' ? 'string' : 'string');

function rowInterface(type: string, columns: readonly Column[], fields: readonly Field[]): string[] {
  return [`export interface ${type} {`, ...columns.map((c) => `  ${c.name}: ${tsOf(c, fields)}${c.nullable ? ' | null' : ''};`), '}'];
}

const attr = (name: string, value: string | null, fallback: string) => ` className="${value ?? fallback}"`;

export function componentName(table: string, variant: ComponentVariant): string {
  return `${pascal(singular(table))}${variant === 'list' ? 'List' : 'Form'}`;
}

export function componentPath(p: ComponentPattern, name: string): string {
  return `${p.dir}/${p.naming === 'kebab' ? kebab(name) : name}.tsx`;
}

/** A list or form component for the table, in the pattern's style. */
export function componentFile(spec: ComponentSpec, p: ComponentPattern): PlannedComponent {
  const name = componentName(spec.table, spec.variant);
  const path = componentPath(p, name);
  const entity = singular(spec.table);
  const type = pascal(entity);
  const rows = camel(spec.table);
  const notes: string[] = [];
  let fetches = p.fetches;
  if (fetches === 'api' && (!spec.route || (spec.variant === 'list' ? !spec.route.getKey : !spec.route.hasPost))) {
    notes.push(`the sibling fetches from its API route, but ${spec.route ? `${spec.route.url} has no ${spec.variant === 'list' ? 'GET that answers a list' : 'POST'}` : `there is no API route for ${spec.table}`}: rows come in as a prop instead`);
    fetches = 'prop';
  }
  const exportFn = p.exportStyle === 'default' ? 'export default function' : 'export function';
  const lines: string[] = [];
  const t = spec.table.replace(/_/g, ' ');
  const e = entity.replace(/_/g, ' ');
  if (!p.sibling || /^\s*\/\//.test(p.sibling.content)) {
    const header =
      spec.variant === 'list'
        ? fetches === 'api'
          ? `The ${t} list, fetched from ${spec.route!.url} in the browser.`
          : `The ${t} list: the rows come in as a prop (a server component: no hooks, no 'use client').`
        : fetches === 'api'
          ? `A form for a new ${e}, posted to ${spec.route!.url}.`
          : `A form for a new ${e}: its action gets the fields (a server action, or a function that posts them).`;
    lines.push(`// ${header}`);
  }
  const client = fetches === 'api' || p.useClient;
  if (client) lines.push("'use client';", '');
  if (spec.variant === 'list') {
    const shown = shownColumns(spec.columns);
    const table = [
      `    <table${attr('table', p.classes.table, 'list')}>`,
      '      <thead>',
      '        <tr>',
      ...shown.map((s) => `          <th>${s.header}</th>`),
      '        </tr>',
      '      </thead>',
      '      <tbody>',
      `        {${rows}.map((${camel(entity)}) => (`,
      `          <tr key={${camel(entity)}.id}>`,
      ...shown.map((s) => `            <td>${s.cell(camel(entity))}</td>`),
      '          </tr>',
      '        ))}',
      '      </tbody>',
      '    </table>',
    ];
    const empty = `  if (!${rows}.length) return <p${attr('p', p.classes.empty, 'empty')}>No ${spec.table.replace(/_/g, ' ')} yet.</p>;`;
    if (fetches === 'api') {
      lines.push("import { useEffect, useState } from 'react';", '', ...rowInterface(type, spec.columns, spec.fields), '');
      lines.push(
        `${exportFn} ${name}() {`,
        `  const [${rows}, set${pascal(rows)}] = useState<${type}[] | null>(null);`,
        '  const [error, setError] = useState<string | null>(null);',
        '  useEffect(() => {',
        `    fetch('${spec.route!.url}')`,
        '      .then(async (res) => {',
        '        const body = await res.json();',
        '        if (!res.ok) throw new Error(body.error ?? res.statusText);',
        `        set${pascal(rows)}(body.${spec.route!.getKey});`,
        '      })',
        '      .catch((e: Error) => setError(e.message));',
        '  }, []);',
        `  if (error) return <p${attr('p', p.classes.error, 'error')}>{error}</p>;`,
        `  if (!${rows}) return <p>Loading ${spec.table.replace(/_/g, ' ')}…</p>;`,
        empty,
        '  return (',
        ...table,
        '  );',
        '}',
      );
    } else {
      lines.push(...rowInterface(type, spec.columns, spec.fields), '', `export interface ${name}Props {`, `  ${rows}: ${type}[];`, '}', '');
      lines.push(`${exportFn} ${name}({ ${rows} }: ${name}Props) {`, empty, '  return (', ...table, '  );', '}');
    }
    return { name, path, content: lines.join('\n') + '\n', fetches, usesHooks: fetches === 'api', notes };
  }
  // A form for a new row: every column a caller fills in (required ones, and optional ones without a default).
  const byName = new Map(spec.columns.map((c) => [c.name, c]));
  const inputs = spec.fields.filter((f) => !/^json/.test(byName.get(f.name)?.type ?? '') && (f.required || !byName.get(f.name)?.hasDefault));
  const inputType = (f: Field) => (f.ts === 'number' ? 'number' : f.ts === 'boolean' ? 'checkbox' : f.validateType === 'email' || /email/.test(f.name) ? 'email' : byName.get(f.name)?.type === 'date' ? 'date' : /^timestamp/.test(byName.get(f.name)?.type ?? '') ? 'datetime-local' : null);
  const fieldLines = inputs.flatMap((f) => ['      <label>', `        ${words(f.name)}`, `        <input name="${f.name}"${inputType(f) ? ` type="${inputType(f)}"` : ''}${f.required ? ' required' : ''} />`, '      </label>']);
  const submit = `      <button type="submit">Save ${entity.replace(/_/g, ' ')}</button>`;
  if (fetches === 'api') {
    const numeric = inputs.filter((f) => f.ts === 'number').map((f) => `'${f.name}'`);
    lines.push("import { useState, type FormEvent } from 'react';", '');
    lines.push(
      `export interface ${name}Props {`,
      `  /** Called with what ${spec.route!.url} answers once the ${entity.replace(/_/g, ' ')} is stored. */`,
      '  onSaved?: (saved: unknown) => void;',
      '}',
      '',
      `${exportFn} ${name}({ onSaved }: ${name}Props) {`,
      '  const [error, setError] = useState<string | null>(null);',
      '  async function submit(event: FormEvent<HTMLFormElement>) {',
      '    event.preventDefault();',
      '    const body: Record<string, unknown> = {};',
      "    new FormData(event.currentTarget).forEach((value, key) => {",
      `      if (value !== '') body[key] = ${numeric.length ? `[${numeric.join(', ')}].includes(key) ? Number(value) : value` : 'value'};`,
      '    });',
      `    const res = await fetch('${spec.route!.url}', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });`,
      '    const answer = await res.json();',
      '    if (!res.ok) return setError((answer.details ?? [answer.error]).join(\'; \'));',
      '    setError(null);',
      '    onSaved?.(answer);',
      '  }',
      '  return (',
      '    <form onSubmit={submit}>',
      ...fieldLines,
      `      {error && <p${attr('p', p.classes.error, 'error')}>{error}</p>}`,
      submit,
      '    </form>',
      '  );',
      '}',
    );
    return { name, path, content: lines.join('\n') + '\n', fetches, usesHooks: true, notes };
  }
  lines.push(
    `export interface ${name}Props {`,
    `  /** Gets the fields on submit: a server action, or a function that posts them${spec.route?.hasPost ? ` to ${spec.route.url}` : ''}. */`,
    '  action: (data: FormData) => void | Promise<void>;',
    '}',
    '',
    `${exportFn} ${name}({ action }: ${name}Props) {`,
    '  return (',
    '    <form action={action}>',
    ...fieldLines,
    submit,
    '    </form>',
    '  );',
    '}',
  );
  return { name, path, content: lines.join('\n') + '\n', fetches, usesHooks: false, notes };
}

const sampleText = (c: Column, i: number) => `${words(c.name)} ${i}`;

function sampleValue(c: Column, i: number): string {
  if (c.name === 'id') return `'row-${i}'`;
  if (c.type === 'uuid') return `'00000000-0000-4000-8000-00000000000${i}'`;
  if (/int|numeric|real|double/.test(c.type)) return String(1200 * i);
  if (c.type === 'boolean') return 'true';
  if (/^json/.test(c.type)) return (c.defaultText ?? '').startsWith("'[]'") ? '[]' : '{}';
  if (/^timestamp|^date/.test(c.type)) return `'2026-12-0${i}T09:00:00Z'`;
  return `'${sampleText(c, i)}'`;
}

/** A test for the generated component, rendered the way the project's tests render components. */
export function componentTest(spec: ComponentSpec, planned: PlannedComponent, style: ComponentTestStyle, p: ComponentPattern): { path: string; content: string } {
  const path = style.testFileFor(planned.path);
  let importPath = posix.relative(posix.dirname(path), planned.path).replace(/\.tsx$/, '');
  if (!importPath.startsWith('.')) importPath = `./${importPath}`;
  const head = [
    ...(style.importsVitest ? ["import { describe, expect, it } from 'vitest';"] : []),
    style.renderImport(path),
    p.exportStyle === 'default' ? `import ${planned.name} from '${importPath}';` : `import { ${planned.name} } from '${importPath}';`,
    '',
    `describe('${planned.name}', () => {`,
  ];
  const body: string[] = [];
  const tag = (props: string) => `<${planned.name}${props} />`;
  if (spec.variant === 'list') {
    const rows = camel(spec.table);
    const shown = shownColumns(spec.columns);
    if (planned.fetches === 'prop') {
      const row = (i: number) => `{ ${spec.columns.map((c) => `${c.name}: ${sampleValue(c, i)}`).join(', ')} }`;
      const cellText = (c: Shown, i: number) => {
        const col = spec.columns.find((x) => x.name === c.name)!;
        const v = sampleValue(col, i);
        return col.type === 'boolean' ? 'yes' : /^json/.test(col.type) ? v : v.replace(/^'|'$/g, '');
      };
      body.push(
        `  it('shows one row per ${singular(spec.table).replace(/_/g, ' ')}', () => {`,
        `    const html = ${style.render(tag(` ${rows}={[${row(1)}, ${row(2)}]}`))};`,
        `    expect(html).toContain('${shown.map((s) => `<th>${s.header}</th>`).join('')}');`,
        `    expect(html).toContain('${shown.map((s) => `<td>${cellText(s, 1)}</td>`).join('')}');`,
        `    expect(html).toContain('${shown.map((s) => `<td>${cellText(s, 2)}</td>`).join('')}');`,
        '  });',
        '',
        `  it('says so when there are no ${spec.table.replace(/_/g, ' ')}', () => {`,
        `    expect(${style.render(tag(` ${rows}={[]}`))}).toContain('No ${spec.table.replace(/_/g, ' ')} yet.');`,
        '  });',
      );
    } else {
      body.push(
        "  it('shows that it is loading until the route answers', () => {",
        `    expect(${style.render(tag(''))}).toContain('Loading ${spec.table.replace(/_/g, ' ')}');`,
        '  });',
      );
    }
  } else {
    const names = [...planned.content.matchAll(/<input name="(\w+)"([^>]*)\/>/g)].map((m) => ({ name: m[1]!, required: /\brequired\b/.test(m[2]!) }));
    const props = planned.fetches === 'prop' ? ' action={() => undefined}' : '';
    body.push(
      "  it('has an input for each field and a submit button', () => {",
      `    const html = ${style.render(tag(props))};`,
      ...names.map((n) => `    expect(html).toMatch(/<input[^>]*name="${n.name}"${n.required ? '[^>]*required' : ''}/);`),
      `    expect(html).toContain('Save ${singular(spec.table).replace(/_/g, ' ')}');`,
      '  });',
    );
  }
  return { path, content: [...head, ...body, '});', ''].join('\n') };
}
