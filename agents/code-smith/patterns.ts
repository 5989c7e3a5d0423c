// Reads the conventions a project already uses from sibling files, so generated code looks like
// the code around it: where tools live and how they are typed, validated and registered, how
// route handlers validate and answer, how tests are written. Pure: file contents in.
import { posix } from 'node:path';
import type { SourceFile } from '../shared/project-files.js';

export interface ToolPattern {
  /** A sibling tools file, e.g. supabase/functions/mcp-server/tools/job_tools.ts */
  sibling: SourceFile;
  /** `tools/<entity>_tools.ts` naming, from the sibling's name. */
  fileFor(entity: string): string;
  /** The array export name pattern: jobTools -> estimateTools. */
  exportFor(entity: string): string;
  /** The sibling's array export, which the registry spreads: `jobTools`. */
  exportName: string;
  registry: SourceFile | null;
  /** Import lines of the sibling (validate, the ToolDefinition type), reused verbatim. */
  imports: string[];
  usesValidate: boolean;
  /** How a failed validation is reported: `throw new Error(input.errors.join('; '))`. */
  validationFailure: string;
  /** The handler's context key for the database: `handler(args, { db })`, `{ store }`. */
  ctxKey: string;
  /** The sibling's tools carry a `description`. */
  describes: boolean;
  /** The sibling array's annotation (`ToolDefinition[]`), and the local declarations it needs. */
  arrayType: string | null;
  localTypes: string[];
}

export interface RoutePattern {
  sibling: SourceFile;
  imports: string[];
  usesValidate: boolean;
  /** The sibling calls `validate<Type>(…)`: the new route declares its input type for it. */
  typedValidate: boolean;
  /** How the sibling hands validated input to insert(): `input.value` or with a cast. */
  insertArg: string;
  /** What the sibling calls `.from('table')` on: a getter call or a module's client. */
  db: string;
  /** How the sibling reads the request body it validates: `await readBody(req)`. */
  readBody: string;
  /** The sibling's answers, with `input`/`error` as the generated handler names them. */
  invalid: string;
  failed: string;
  /** The response function and what follows the payload for a created row: `json`, `, 201`. */
  answer: { fn: string; createdTail: string };
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function findToolPattern(files: readonly SourceFile[]): ToolPattern | null {
  const toolFiles = files.filter((f) => /(^|\/)tools\/[a-z0-9]+_tools\.ts$/.test(f.path) && /name\s*:\s*['"]create_/.test(f.content));
  const sibling = toolFiles[0] ?? files.find((f) => /(^|\/)tools\/[a-z0-9]+_tools\.ts$/.test(f.path));
  if (!sibling) return null;
  const dir = posix.dirname(sibling.path);
  const exportName = /export const (\w+)\s*:/.exec(sibling.content)?.[1] ?? 'tools';
  const stem = /([a-z0-9]+)_tools\.ts$/.exec(sibling.path)![1]!;
  const suffix = exportName.startsWith(camel(stem)) ? exportName.slice(camel(stem).length) : 'Tools';
  // registry.ts above the tools folder, else the module that spreads the sibling's array.
  const arrayType = new RegExp(`export const ${exportName}\\s*:\\s*([^=]+?)\\s*=\\s*\\[`).exec(sibling.content)?.[1] ?? null;
  const typeNames = (arrayType?.match(/[A-Z]\w*/g) ?? []).filter((t) => !['Array', 'ReadonlyArray', 'Record'].includes(t));
  const registry =
    files.find((f) => posix.dirname(f.path) === posix.dirname(dir) && /(^|\/)registry\.ts$/.test(f.path)) ??
    files.find((f) => !/\.(test|spec)\.[jt]sx?$/.test(f.path) && new RegExp(`from\\s+['"]\\.[^'"]*/${stem}_tools(\\.[jt]s)?['"]`).test(f.content) && f.content.includes(`...${exportName}`)) ??
    null;
  return {
    sibling,
    fileFor: (entity) => `${dir}/${entity}_tools.ts`,
    exportFor: (entity) => `${camel(entity)}${suffix}`,
    exportName,
    registry,
    imports: sibling.content.split('\n').filter((l) => l.startsWith('import ')),
    usesValidate: /\bvalidate\s*\(/.test(sibling.content),
    validationFailure: /throw new Error\(input\.errors\.join\('([^']*)'\)\)/.exec(sibling.content)?.[0] ?? "throw new Error(input.errors.join('; '))",
    ctxKey: /handler\s*\(\s*\w+\s*,\s*\{\s*(\w+)\s*\}/.exec(sibling.content)?.[1] ?? 'db',
    describes: /\bdescription\s*:/.test(sibling.content),
    arrayType,
    localTypes: typeNames.flatMap((t) => localDeclaration(sibling.content, t) ?? []),
  };
}

/** A type or interface the sibling declares itself (not imported), to repeat in a new file. */
function localDeclaration(code: string, name: string): string | null {
  const m = new RegExp(`^(?:export\\s+)?(interface|type)\\s+${name}\\b.*$`, 'm').exec(code);
  if (!m) return null;
  const lines = code.slice(m.index).split('\n');
  // To the line where its braces balance (and, for a type alias, its `;`).
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    for (const c of lines[i]!) depth += c === '{' ? 1 : c === '}' ? -1 : 0;
    if (depth === 0 && (m[1] === 'interface' ? /\}\s*$/.test(lines[i]!) : /;\s*$/.test(lines[i]!))) return lines.slice(0, i + 1).join('\n');
  }
  return null;
}

export function findRoutePattern(files: readonly SourceFile[]): RoutePattern | null {
  const routes = files.filter((f) => /^(src\/)?app\/api\/[a-z0-9_-]+\/route\.ts$/.test(f.path) && /export async function POST/.test(f.content));
  const sibling = routes.sort((a, b) => a.content.length - b.content.length)[0];
  if (!sibling) return null;
  const code = sibling.content;
  const post = /export async function POST[\s\S]*?(?=\nexport\s|$)/.exec(code)![0];
  // The validated value's name in the sibling (`const input = validate(…)`), renamed to `input`.
  const v = /const\s+(\w+)\s*=\s*validate\b/.exec(post)?.[1] ?? 'input';
  const asInput = (line: string) => line.replace(new RegExp(`\\b${v}\\.`, 'g'), 'input.');
  const db = /([A-Za-z_$][\w$]*(?:\(\))?)\.from\(\s*['"]/.exec(code)?.[1];
  if (!db) return null;
  const answer = /return\s+([\w$.]+)\(\s*\{\s*\w+\s*:\s*data\s*\}\s*((?:,[^;]*)?)\)\s*;/.exec(post);
  return {
    sibling,
    imports: code.split('\n').filter((l) => l.startsWith('import ')),
    usesValidate: /\bvalidate(<[^>]*>)?\s*\(/.test(code),
    typedValidate: /\bvalidate<[^>]*>\s*\(/.test(code),
    insertArg: asInput(/\.insert\((\w+\.value(?: as [^)]+)?)\)/.exec(post)?.[1] ?? 'input.value'),
    db,
    readBody: (/validate(?:<[^>]*>)?\(\s*([^,]+),/.exec(post)?.[1]?.trim() ?? 'await req.json().catch(() => undefined)').replace(new RegExp(`\\b${/POST\s*\(\s*(\w+)/.exec(post)?.[1] ?? 'req'}\\b`, 'g'), 'req'),
    invalid: asInput(new RegExp(`if\\s*\\(\\s*!${v}\\.ok\\s*\\)\\s*(return\\s[^;]+;)`).exec(post)?.[1] ?? 'return Response.json({ errors: input.errors }, { status: 400 });'),
    failed: /if\s*\(\s*error\s*\)\s*(return\s[^;]+;)/.exec(post)?.[1] ?? 'return Response.json({ error: error.message }, { status: 500 });',
    answer: answer ? { fn: answer[1]!, createdTail: answer[2]!.trim() ? `, ${answer[2]!.trim().replace(/^,\s*/, '')}` : '' } : { fn: 'Response.json', createdTail: ', { status: 201 }' },
  };
}
