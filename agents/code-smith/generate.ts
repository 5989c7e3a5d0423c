// Code generation from a table's columns and the project's own patterns. Pure: strings out.
import type { SourceFile } from '../shared/project-files.js';
import type { RoutePattern, ToolPattern } from './patterns.js';

// A table's column is part of the project model every agent reads.
import type { Column } from '../shared/project-model.js';
export type { Column };

export interface Field {
  name: string;
  /** The project's validate() field type. */
  validateType: string;
  json: { type: string; format?: string };
  ts: string;
  required: boolean;
  sample: string;
}

const GENERATED = new Set(['id', 'created_at', 'updated_at']);

/** The field types the project's validator knows (`export type FieldType = 'string' | …`). */
export function validatorTypes(files: readonly SourceFile[]): Set<string> {
  for (const f of files) {
    const m = /export type FieldType\s*=\s*([^;]+);/.exec(f.content);
    if (m) return new Set([...m[1]!.matchAll(/'([a-z]+)'/g)].map((x) => x[1]!));
  }
  return new Set(['string', 'number']);
}

export function fieldsFor(columns: readonly Column[], known: ReadonlySet<string>): Field[] {
  const pick = (...prefs: string[]) => prefs.find((p) => known.has(p)) ?? 'string';
  return columns
    .filter((c) => !GENERATED.has(c.name))
    .map((c): Field => {
      const required = !c.nullable && !c.hasDefault;
      switch (c.type) {
        case 'uuid':
          return { name: c.name, validateType: pick('uuid', 'string'), json: { type: 'string', format: 'uuid' }, ts: 'string', required, sample: `'8a6e0804-2bd0-4672-b79d-d97027f9071a'` };
        case 'integer':
        case 'bigint':
        case 'smallint':
          return { name: c.name, validateType: pick('integer', 'number'), json: { type: 'integer' }, ts: 'number', required, sample: '129900' };
        case 'numeric':
        case 'real':
        case 'double precision':
          return { name: c.name, validateType: pick('number'), json: { type: 'number' }, ts: 'number', required, sample: '12.5' };
        case 'jsonb':
        case 'json': {
          const list = (c.defaultText ?? '').startsWith("'[]'");
          return { name: c.name, validateType: list ? pick('array') : 'string', json: { type: list ? 'array' : 'object' }, ts: list ? 'unknown[]' : 'Record<string, unknown>', required, sample: list ? '[]' : '{}' };
        }
        case 'timestamp with time zone':
        case 'timestamp without time zone':
        case 'date':
          return { name: c.name, validateType: pick('date', 'string'), json: { type: 'string', format: 'date-time' }, ts: 'string', required, sample: `'2026-12-01T09:00:00Z'` };
        case 'boolean':
          return { name: c.name, validateType: pick('boolean', 'string'), json: { type: 'boolean' }, ts: 'boolean', required, sample: 'true' };
        default:
          return { name: c.name, validateType: pick('string'), json: { type: 'string' }, ts: 'string', required, sample: `'${c.name.replace(/_/g, ' ')}'` };
      }
    });
}

const singular = (table: string) => table.replace(/ies$/, 'y').replace(/(ch|sh|x|s)es$/, '$1').replace(/s$/, '');
const article = (w: string) => (/^[aeiou]/.test(w) ? 'an' : 'a');
const pascal = (s: string) => s.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

function shapeLines(fields: readonly Field[], indent: string): string {
  return fields.map((f) => `${indent}${f.name}: { type: '${f.validateType}'${f.required ? ', required: true' : ''} },`).join('\n');
}

/** One tool object in the sibling's style, to go into `<entity>_tools.ts`. */
export function toolObject(name: string, table: string, fields: readonly Field[], p: ToolPattern): string {
  const entity = singular(table);
  const props = fields.map((f) => `        ${f.name}: { type: '${f.json.type}'${f.json.format ? `, format: '${f.json.format}'` : ''} },`).join('\n');
  const required = fields.filter((f) => f.required).map((f) => `'${f.name}'`);
  const validation = p.usesValidate
    ? `      const input = validate(args, {\n${shapeLines(fields, '        ')}\n      });\n      if (!input.ok) ${p.validationFailure};\n      const { data, error } = await ${p.ctxKey}.from('${table}').insert(input.value);`
    : `      const { data, error } = await ${p.ctxKey}.from('${table}').insert(args);`;
  return [
    '  {',
    `    name: '${name}',`,
    p.describes ? `    description: 'Create ${article(entity)} ${entity.replace(/_/g, ' ')} record.',` : null,
    '    inputSchema: {',
    "      type: 'object',",
    '      properties: {',
    props,
    '      },',
    required.length ? `      required: [${required.join(', ')}],` : null,
    '    },',
    `    async handler(args, { ${p.ctxKey} }) {`,
    validation,
    '      if (error) throw new Error(error.message);',
    `      return { ${entity}: data };`,
    '    },',
    '  },',
  ]
    .filter((l) => l !== null)
    .join('\n');
}

/** Adds the tool to an existing tools file (before the array's end), or writes a new one. */
export function addTool(existing: string | null, tool: string, exportName: string, p: ToolPattern): string {
  if (existing) {
    const end = existing.lastIndexOf('];');
    if (end < 0) throw new Error('the tools file has no array to add to');
    let content = existing.slice(0, end) + tool + '\n' + existing.slice(end);
    if (p.usesValidate && !/\bvalidate\b/.test(existing.split('export')[0]!)) {
      const validateImport = p.imports.find((l) => /\bvalidate\b/.test(l));
      if (validateImport) content = validateImport + '\n' + content;
    }
    return content;
  }
  const head = [...p.imports, ...(p.localTypes.length ? ['', ...p.localTypes] : [])].join('\n');
  return `${head}\n\nexport const ${exportName}${p.arrayType ? `: ${p.arrayType}` : ''} = [\n${tool}\n];\n`;
}

/**
 * Registers a new tools file in the registry next to its siblings: its import after theirs, its
 * array spread into the array that spreads the sibling's (`siblingExport`).
 */
export function registerToolsFile(registry: string, exportName: string, importPath: string, siblingExport: string): string {
  if (registry.includes(`'${importPath}'`)) return registry;
  const lines = registry.split('\n');
  const lastImport = lines.map((l, i) => (l.startsWith('import ') ? i : -1)).filter((i) => i >= 0).pop() ?? 0;
  lines.splice(lastImport, 0, `import { ${exportName} } from '${importPath}';`);
  return lines.join('\n').replace(new RegExp(`(=\\s*\\[)([^\\]]*\\.\\.\\.${siblingExport}\\b[^\\]]*)\\]`), (_, head: string, body: string) => `${head}${body.trimEnd()}, ...${exportName}]`);
}

/** app/api/<table>/route.ts in the style of a sibling route. */
export function routeFile(table: string, fields: readonly Field[], p: RoutePattern): string {
  const entity = singular(table);
  const type = `New${pascal(entity)}`;
  const filter = fields.find((f) => f.name.endsWith('_id'))?.name;
  return [
    ...p.imports,
    '',
    ...(p.typedValidate ? [`interface ${type} {`, ...fields.map((f) => `  ${f.name}${f.required ? '' : '?'}: ${f.ts};`), '}', ''] : []),
    'export async function GET(req: Request): Promise<Response> {',
    ...(filter
      ? [
          `  const ${camelOf(filter)} = new URL(req.url).searchParams.get('${filter}');`,
          `  const { data, error } = await ${p.db}.from('${table}').select(${camelOf(filter)} ? { ${filter}: ${camelOf(filter)} } : {});`,
        ]
      : [`  void req;`, `  const { data, error } = await ${p.db}.from('${table}').select();`]),
    `  if (error) ${p.failed}`,
    `  return ${p.answer.fn}({ ${table}: data });`,
    '}',
    '',
    'export async function POST(req: Request): Promise<Response> {',
    `  const input = validate${p.typedValidate ? `<${type}>` : ''}(${p.readBody}, {`,
    shapeLines(fields, '    '),
    '  });',
    `  if (!input.ok) ${p.invalid}`,
    `  const { data, error } = await ${p.db}.from('${table}').insert(${p.insertArg});`,
    `  if (error) ${p.failed}`,
    `  return ${p.answer.fn}({ ${entity}: data }${p.answer.createdTail});`,
    '}',
    '',
  ].join('\n');
}

function camelOf(s: string) {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
