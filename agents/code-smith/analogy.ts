// CodeSmith by analogy: it finds, with the TypeScript AST, where the project keeps the things a fix
// adds (tool registries that are object literals, arrays, Maps or switches; route handlers, route
// factories, nested apps, Supabase Edge Functions), picks the nearest sibling that does the same
// kind of thing (a tool that inserts, a route that posts), and writes the new code as a
// transformation of that sibling: its names, table and columns mapped to the new ones, its
// validation rebuilt from the schema in the sibling's own notation. Pure: file contents and the
// `typescript` module in (loaded lazily by the caller), strings out.
import { posix } from 'node:path';
import type * as TS from 'typescript';
import type { SourceFile } from '../shared/project-files.js';
import { singular } from '../shared/words.js';
import type { Field } from './generate.js';

type Ts = typeof TS;
export type Typescript = Ts;

/** The compiler API, loaded only by the phases that read code (a one-shot command never pays for it). */
export async function loadTypescript(): Promise<Ts> {
  return ((await import('typescript')) as unknown as { default: Ts }).default;
}

const CODE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const TEST = /\.(test|spec)\.[cm]?[jt]sx?$/;
const OPS = new Set(['insert', 'upsert', 'update', 'delete', 'select']);
export type Operation = 'insert' | 'upsert' | 'update' | 'delete' | 'select';

// One parse per file text: a registry's entries resolve into the same few files again and again.
const parsed = new Map<string, TS.SourceFile>();

function parse(ts: Ts, f: SourceFile): TS.SourceFile {
  const key = `${f.path}\0${f.content}`;
  const hit = parsed.get(key);
  if (hit) return hit;
  const kind = /\.tsx$/.test(f.path) ? ts.ScriptKind.TSX : /\.jsx$/.test(f.path) ? ts.ScriptKind.JSX : /\.[cm]?js$/.test(f.path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(f.path, f.content, ts.ScriptTarget.Latest, true, kind);
  if (parsed.size > 2000) parsed.clear();
  parsed.set(key, sf);
  return sf;
}

const lineOf = (sf: TS.SourceFile, pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;

// ---- what a piece of code does to the database ----

export interface DbUse {
  table: string;
  op: Operation;
}

/** Every `<x>.from('table').<op>(…)` (supabase-js and look-alikes) and SQL `insert into table` in a node. */
export function dbUses(ts: Ts, node: TS.Node): DbUse[] {
  const out: DbUse[] = [];
  const visit = (n: TS.Node) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && OPS.has(n.expression.name.text)) {
      const inner = n.expression.expression;
      if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression) && inner.expression.name.text === 'from' && inner.arguments[0] && ts.isStringLiteralLike(inner.arguments[0])) {
        out.push({ table: inner.arguments[0].text, op: n.expression.name.text as Operation });
      }
    }
    if (ts.isStringLiteralLike(n) || ts.isTemplateExpression(n)) {
      const m = /\binsert\s+into\s+(?:public\.)?"?(\w+)"?/i.exec(n.getText());
      if (m) out.push({ table: m[1]!, op: 'insert' });
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

// ---- registries ----

export type RegistryKind = 'object' | 'array' | 'map' | 'switch';

export interface RegistryEntry {
  /** The name callers use: the object key, the Map key, the case label, the tool's `name`. */
  key: string;
  /** The identifier the entry refers to (null: the case clause holds the code itself). */
  local: string | null;
  /** The entry's own text (`create_client`, `create_client: createClient`, `['a', a]`, a case clause). */
  text: string;
  start: number;
  end: number;
}

export interface Registry {
  file: SourceFile;
  kind: RegistryKind;
  /** The variable (object, array, Map) or the switch's subject. */
  name: string;
  line: number;
  entries: RegistryEntry[];
  /** Where the entries are separated by new lines, the indentation of one. */
  indent: string | null;
}

const keyText = (ts: Ts, n: TS.PropertyName): string | null => (ts.isIdentifier(n) || ts.isStringLiteralLike(n) || ts.isNumericLiteral(n) ? n.text : null);

/** Where the file's text puts entries: on lines of their own (their indentation) or inline. */
function indentOf(content: string, first: number, second: number | undefined): string | null {
  const lineStart = content.lastIndexOf('\n', first - 1) + 1;
  const lead = content.slice(lineStart, first);
  if (!/^\s*$/.test(lead)) return null;
  if (second !== undefined && !content.slice(first, second).includes('\n')) return null;
  return lead;
}

/**
 * The registries of a project: an object literal, array or Map whose entries refer to at least two
 * functions or tool objects, or a switch over names with at least two string cases.
 */
export function findRegistries(ts: Ts, files: readonly SourceFile[]): Registry[] {
  const out: Registry[] = [];
  for (const f of files) {
    if (!CODE.test(f.path) || TEST.test(f.path) || f.path.endsWith('.d.ts')) continue;
    // Cheap screen before parsing: a registry needs one of these shapes in its text.
    if (!/=\s*\{|=\s*\[|new Map|\bswitch\s*\(|\.set\(/.test(f.content)) continue;
    const sf = parse(ts, f);
    const setCalls = new Map<string, RegistryEntry[]>();
    const visit = (n: TS.Node) => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
        let init: TS.Expression = n.initializer;
        while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
        if (ts.isObjectLiteralExpression(init)) {
          const entries: RegistryEntry[] = [];
          for (const p of init.properties) {
            if (ts.isShorthandPropertyAssignment(p)) entries.push({ key: p.name.text, local: p.name.text, text: p.getText(sf), start: p.getStart(sf), end: p.end });
            else if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.initializer)) {
              const k = keyText(ts, p.name);
              if (k) entries.push({ key: k, local: p.initializer.text, text: p.getText(sf), start: p.getStart(sf), end: p.end });
            }
          }
          if (entries.length >= 2 && entries.length * 2 >= init.properties.length) {
            out.push({ file: f, kind: 'object', name: n.name.text, line: lineOf(sf, n.getStart(sf)), entries, indent: indentOf(f.content, entries[0]!.start, entries[1]?.start) });
          }
        } else if (ts.isArrayLiteralExpression(init)) {
          const ids = init.elements.filter(ts.isIdentifier);
          if (ids.length >= 2 && ids.length === init.elements.length) {
            const entries = ids.map((e) => ({ key: e.text, local: e.text, text: e.getText(sf), start: e.getStart(sf), end: e.end }));
            out.push({ file: f, kind: 'array', name: n.name.text, line: lineOf(sf, n.getStart(sf)), entries, indent: indentOf(f.content, entries[0]!.start, entries[1]?.start) });
          }
        } else if (ts.isNewExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'Map' && init.arguments?.[0] && ts.isArrayLiteralExpression(init.arguments[0])) {
          const entries: RegistryEntry[] = [];
          for (const e of init.arguments[0].elements) {
            if (ts.isArrayLiteralExpression(e) && e.elements.length === 2 && ts.isStringLiteralLike(e.elements[0]!) && ts.isIdentifier(e.elements[1]!)) {
              entries.push({ key: e.elements[0].text, local: e.elements[1].text, text: e.getText(sf), start: e.getStart(sf), end: e.end });
            }
          }
          if (entries.length >= 2) out.push({ file: f, kind: 'map', name: n.name.text, line: lineOf(sf, n.getStart(sf)), entries, indent: indentOf(f.content, entries[0]!.start, entries[1]?.start) });
        }
      }
      // registry.set('name', handler); as statements
      if (ts.isExpressionStatement(n) && ts.isCallExpression(n.expression) && ts.isPropertyAccessExpression(n.expression.expression) && n.expression.expression.name.text === 'set') {
        const [k, v] = n.expression.arguments;
        if (k && v && ts.isStringLiteralLike(k) && ts.isIdentifier(v)) {
          const recv = n.expression.expression.expression.getText(sf);
          const list = setCalls.get(recv) ?? [];
          list.push({ key: k.text, local: v.text, text: n.getText(sf), start: n.getStart(sf), end: n.end });
          setCalls.set(recv, list);
        }
      }
      if (ts.isSwitchStatement(n)) {
        const cases = n.caseBlock.clauses.filter((c): c is TS.CaseClause => ts.isCaseClause(c) && ts.isStringLiteralLike(c.expression) && c.statements.length > 0);
        if (cases.length >= 2) {
          const entries = cases.map((c) => {
            let local: string | null = null;
            const find = (x: TS.Node) => {
              if (local) return;
              if (ts.isCallExpression(x) && ts.isIdentifier(x.expression)) local = x.expression.text;
              else ts.forEachChild(x, find);
            };
            c.statements.forEach(find);
            return { key: (c.expression as TS.StringLiteral).text, local, text: c.getText(sf), start: c.getStart(sf), end: c.end };
          });
          out.push({ file: f, kind: 'switch', name: n.expression.getText(sf), line: lineOf(sf, n.getStart(sf)), entries, indent: indentOf(f.content, entries[0]!.start, entries[1]?.start) });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    for (const [recv, entries] of setCalls) {
      if (entries.length >= 2) out.push({ file: f, kind: 'map', name: recv, line: lineOf(sf, entries[0]!.start), entries, indent: indentOf(f.content, entries[0]!.start, entries[1]?.start) });
    }
  }
  return out;
}

// ---- a registry entry's code ----

export interface Declaration {
  file: SourceFile;
  /** The declared name (the registry may call it by another). */
  name: string;
  line: number;
  text: string;
  start: number;
  end: number;
  /** How the registry file imports it, when it lives elsewhere: the import's module specifier. */
  importedFrom: string | null;
  uses: DbUse[];
}

/** `./clients` from `apps/web/mcp/handlers.ts` -> the project file it names. */
export function resolveModule(from: string, spec: string, files: readonly SourceFile[]): SourceFile | null {
  if (!spec.startsWith('.')) return null;
  const base = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.(m|c)?js$/, '');
  const tries = [base, ...['.ts', '.tsx', '.mts', '.js', '.mjs', '.jsx'].map((e) => base + e), ...['/index.ts', '/index.tsx', '/index.js'].map((e) => base + e)];
  for (const t of tries) {
    const f = files.find((x) => x.path === t);
    if (f) return f;
  }
  return null;
}

/** The top-level declaration of `name` in a file: a function, a const, a class; with its export keyword. */
function declarationIn(ts: Ts, f: SourceFile, name: string): Omit<Declaration, 'importedFrom'> | null {
  const sf = parse(ts, f);
  for (const s of sf.statements) {
    const named =
      ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name?.text === name) ||
      (ts.isVariableStatement(s) && s.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name));
    if (!named) continue;
    // With the doc comment above it: it says what the code does, and is renamed with it.
    const start = ts.getLeadingCommentRanges(f.content, s.pos)?.find((c) => f.content.startsWith('/**', c.pos))?.pos ?? s.getStart(sf);
    return { file: f, name, line: lineOf(sf, start), text: f.content.slice(start, s.end), start, end: s.end, uses: dbUses(ts, s) };
  }
  return null;
}

/** Where a registry entry's code is: declared in the registry's file, or imported from a project module. */
export function resolveEntry(ts: Ts, files: readonly SourceFile[], r: Registry, e: RegistryEntry): Declaration | null {
  if (!e.local) {
    // A case clause that holds the code itself.
    const sf = parse(ts, r.file);
    const clause = findNodeAt(ts, sf, e.start, e.end);
    return { file: r.file, name: e.key, line: lineOf(sf, e.start), text: e.text, start: e.start, end: e.end, importedFrom: null, uses: clause ? dbUses(ts, clause) : [] };
  }
  const own = declarationIn(ts, r.file, e.local);
  if (own) return { ...own, importedFrom: null };
  const sf = parse(ts, r.file);
  for (const s of sf.statements) {
    if (!ts.isImportDeclaration(s) || !ts.isStringLiteral(s.moduleSpecifier) || !s.importClause?.namedBindings || !ts.isNamedImports(s.importClause.namedBindings)) continue;
    const b = s.importClause.namedBindings.elements.find((x) => x.name.text === e.local);
    if (!b) continue;
    const target = resolveModule(r.file.path, s.moduleSpecifier.text, files);
    if (!target) return null;
    const d = declarationIn(ts, target, (b.propertyName ?? b.name).text);
    return d ? { ...d, importedFrom: s.moduleSpecifier.text } : null;
  }
  return null;
}

function findNodeAt(ts: Ts, sf: TS.SourceFile, start: number, end: number): TS.Node | null {
  let hit: TS.Node | null = null;
  const visit = (n: TS.Node) => {
    if (n.getStart(sf) === start && n.end === end) hit = n;
    else if (n.pos <= start && n.end >= end) ts.forEachChild(n, visit);
  };
  visit(sf);
  return hit;
}

// ---- the nearest sibling ----

export interface ToolSibling {
  registry: Registry;
  entry: RegistryEntry;
  decl: Declaration;
  /** The table the sibling writes (or reads, when none of them writes). */
  table: string;
  op: Operation;
  /** Why this one: for the log and REVIEW.md. */
  why: string;
}

const verb = (name: string) => name.split(/_|(?=[A-Z])/)[0]!.toLowerCase();

/** Every registry entry whose code reaches the database, resolved. */
export function toolSiblings(ts: Ts, files: readonly SourceFile[], registries: readonly Registry[]): ToolSibling[] {
  const out: ToolSibling[] = [];
  for (const r of registries) {
    for (const e of r.entries) {
      const d = resolveEntry(ts, files, r, e);
      const use = d?.uses.find((u) => u.op === 'insert') ?? d?.uses[0];
      if (d && use) out.push({ registry: r, entry: e, decl: d, table: use.table, op: use.op, why: '' });
    }
  }
  return out;
}

/**
 * The sibling a new tool `name` that writes `table` follows: one that inserts (what a create tool
 * does), then one whose name starts with the same verb, then the shortest. Null when no entry of
 * any registry reaches the database.
 */
export function nearestToolSibling(siblings: readonly ToolSibling[], name: string, op: Operation = 'insert'): ToolSibling | null {
  const score = (s: ToolSibling) => (s.op === op ? 100 : 0) + (verb(s.entry.key) === verb(name) ? 20 : 0) + (s.entry.key.includes('_') === name.includes('_') ? 5 : 0);
  const best = [...siblings].sort((a, b) => score(b) - score(a) || a.decl.text.length - b.decl.text.length)[0];
  if (!best) return null;
  const reasons = [best.op === op ? `it ${op}s into ${best.table}` : `it ${best.op}s ${best.table} (no tool ${op}s)`, verb(best.entry.key) === verb(name) ? `its name starts with ${verb(name)}` : null].filter(Boolean);
  return { ...best, why: `${best.entry.key} (${best.decl.file.path}:${best.decl.line}), registered in ${best.registry.name} (${best.registry.file.path}:${best.registry.line}, ${KIND_WORDS[best.registry.kind]}): ${reasons.join(', ')}` };
}

const KIND_WORDS: Record<RegistryKind, string> = { object: 'an object literal', array: 'an array', map: 'a Map', switch: 'a switch over tool names' };

// ---- the transformation ----

const pascal = (s: string) => s.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Renames a sibling's words to the new thing's in one pass: the tool name whole (create_client,
 * createClient, CreateClient), then the table and its row noun in each casing (clients/Clients/
 * CLIENTS, client/Client/CLIENT) where they stand as words of an identifier or a text.
 */
export function renamer(pairs: ReadonlyArray<readonly [string, string]>): (text: string) => string {
  const map = new Map<string, string>();
  for (const [from, to] of pairs) {
    if (!from || from === to) continue;
    for (const [f, t] of [[from, to], [pascal(from), pascal(to)], [camel(from), camel(to)], [from.toUpperCase(), to.toUpperCase()]] as const) if (!map.has(f)) map.set(f, t);
  }
  if (!map.size) return (s) => s;
  const keys = [...map.keys()].sort((a, b) => b.length - a.length);
  // A word: no lower-case letter glued on either side. client_id and Clients are words; the Client
  // of another camelCase name is not (supabase-js's createClient stays as it is).
  const re = new RegExp(`(?<![a-z])(${keys.map(escape).join('|')})(?![a-z])`, 'g');
  return (text) => text.replace(re, (m) => map.get(m) ?? m);
}

export function entityPairs(fromTable: string, toTable: string, fromName?: string, toName?: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (fromName && toName) pairs.push([fromName, toName]);
  pairs.push([fromTable, toTable], [singular(fromTable), singular(toTable)]);
  return pairs;
}

/** How one property of the sibling's column objects looked, with what the column is. */
interface ColumnProp {
  field: Field;
  value: string;
}

/** A literal a test hands in (`'Ada'`, `42`, `true`), not an expression the code computes. */
const isLiteral = (ts: Ts, e: TS.Expression) => ts.isStringLiteralLike(e) || ts.isNumericLiteral(e) || e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword;

function retype(value: string, from: Field, to: Field): string {
  let v = value;
  if (from.validateType !== to.validateType && v.includes(`'${from.validateType}'`)) v = v.replace(`'${from.validateType}'`, `'${to.validateType}'`);
  else if (from.json.type !== to.json.type && v.includes(`'${from.json.type}'`)) v = v.replace(`'${from.json.type}'`, `'${to.json.type}'`);
  // zod: z.string() / z.number() / z.boolean()
  const zod: Record<string, string> = { string: 'z.string()', number: 'z.number()', integer: 'z.number().int()', boolean: 'z.boolean()', array: 'z.array(z.unknown())', object: 'z.record(z.unknown())' };
  const zFrom = /\bz\.(string|number|boolean|array|record)\((?:[^()]*|\([^()]*\))\)(?:\.int\(\))?(?:\.uuid\(\))?/.exec(v);
  if (zFrom && from.json.type !== to.json.type) v = v.replace(zFrom[0], zod[to.json.type] ?? 'z.string()');
  if (from.required !== to.required) {
    if (to.required) v = v.replace(/,?\s*required\s*:\s*false/, '').replace(/\.(optional|nullable|nullish)\(\)/g, '');
    else v = v.replace(/,?\s*required\s*:\s*true/, '').replace(/^(z\.[\s\S]*\))$/, '$1.optional()');
    if (to.required && /\{\s*type\s*:/.test(v) && !/required\s*:/.test(v)) v = v.replace(/\s*\}$/, ', required: true }');
  }
  return v;
}

/**
 * Rewrites every object literal in `code` whose keys are columns of the sibling's table (the
 * validation shape, the insert's row, a test's arguments), and every type literal of them (the
 * row's type), for the new table's fields, each new
 * property in the notation of the sibling's property most like it; and `required: ['a', 'b']`
 * lists of the sibling's columns. Literal values (a test's arguments) become the new field's
 * sample. Returns the code and what it rewrote.
 */
export function remapColumns(ts: Ts, code: string, from: readonly Field[], to: readonly Field[], path = 'x.ts', hold?: string[]): { code: string; rewrote: number } {
  const sf = parse(ts, { path, content: code });
  const cols = new Map(from.map((f) => [f.name, f]));
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const visit = (n: TS.Node) => {
    if (ts.isObjectLiteralExpression(n) && n.properties.length) {
      const props = n.properties.map((p) => (ts.isPropertyAssignment(p) ? { name: keyText(ts, p.name), value: p.initializer } : ts.isShorthandPropertyAssignment(p) ? { name: p.name.text, value: p.name } : null));
      if (props.every((p) => p?.name && cols.has(p.name))) {
        const known: ColumnProp[] = props.map((p) => ({ field: cols.get(p!.name!)!, value: p!.value.getText(sf) }));
        const literal = props.every((p) => isLiteral(ts, p!.value));
        // Arguments a test passes carry what the new row needs; a shape or a row, every field.
        const fields = literal ? to.filter((f) => f.required) : to;
        const first = n.properties[0]!;
        const ind = indentOf(code, first.getStart(sf), n.properties[1]?.getStart(sf));
        const items = fields.map((f) => {
          const like = known.find((k) => k.field.validateType === f.validateType && k.field.required === f.required) ?? known.find((k) => k.field.validateType === f.validateType) ?? known.find((k) => k.field.required === f.required) ?? known[0]!;
          const value = literal ? f.sample : retype(like.value.replace(new RegExp(`(?<![\\w$])${escape(like.field.name)}(?![\\w$])`, 'g'), f.name), like.field, f);
          return `${f.name}: ${value}`;
        });
        const closeIndent = ind === null ? '' : code.slice(code.lastIndexOf('\n', n.end - 1) + 1, n.end - 1);
        const body = ind === null ? `{ ${items.join(', ')} }` : `{\n${items.map((i) => `${ind}${i},`).join('\n')}\n${closeIndent}}`;
        edits.push({ start: n.getStart(sf), end: n.end, text: body });
        return;
      }
    }
    // A type of the sibling's row (`args: { name: string; email?: string }`): the new fields' types.
    if (ts.isTypeLiteralNode(n) && n.members.length && n.members.every((m) => ts.isPropertySignature(m) && keyText(ts, m.name) !== null && cols.has(keyText(ts, m.name)!))) {
      const ind = indentOf(code, n.members[0]!.getStart(sf), n.members[1]?.getStart(sf));
      const items = to.map((f) => `${f.name}${f.required ? '' : '?'}: ${f.ts}`);
      const closeIndent = ind === null ? '' : code.slice(code.lastIndexOf('\n', n.end - 1) + 1, n.end - 1);
      edits.push({ start: n.getStart(sf), end: n.end, text: ind === null ? `{ ${items.join('; ')} }` : `{\n${items.map((i) => `${ind}${i};`).join('\n')}\n${closeIndent}}` });
      return;
    }
    if (ts.isPropertyAssignment(n) && keyText(ts, n.name) === 'required' && ts.isArrayLiteralExpression(n.initializer) && n.initializer.elements.length && n.initializer.elements.every((e) => ts.isStringLiteralLike(e) && cols.has(e.text))) {
      const q = n.initializer.elements[0]!.getText(sf)[0];
      edits.push({ start: n.initializer.getStart(sf), end: n.initializer.end, text: `[${to.filter((f) => f.required).map((f) => `${q}${f.name}${q}`).join(', ')}]` });
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  let out = code;
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    const text = hold ? `\u0001${hold.push(e.text) - 1}\u0001` : e.text;
    out = out.slice(0, e.start) + text + out.slice(e.end);
  }
  return { code: out, rewrote: edits.length };
}

/**
 * The sibling's text as the new thing's: column objects rebuilt for the new fields, then the
 * sibling's words renamed (the rebuilt objects held apart, so a new column such as `client_id` is
 * not renamed as if it were the sibling's entity).
 */
export function transform(ts: Ts, text: string, rename: (s: string) => string, from: readonly Field[], to: readonly Field[], path = 'x.ts'): { code: string; rewrote: number } {
  const hold: string[] = [];
  const r = remapColumns(ts, text, from, to, path, hold);
  return { code: rename(r.code).replace(/\u0001(\d+)\u0001/g, (_, i: string) => hold[Number(i)]!), rewrote: r.rewrote };
}

// ---- writing a tool by analogy ----

export interface AnalogyFile {
  path: string;
  content: string;
  reason: string;
}

export interface ToolByAnalogy {
  files: AnalogyFile[];
  /** What was followed, said in the log and in each file's reason (REVIEW.md). */
  followed: string;
  /** The file the new tool's code is in, and the name it is declared by there. */
  toolFile: string;
  declared: string;
}

/** Inserts `text` as a new last entry of a registry, formatted like the entries before it. */
function addEntry(content: string, r: Registry, text: string): string {
  const last = r.entries.at(-1)!;
  if (r.kind === 'switch' || (r.kind === 'map' && /;\s*$/.test(last.text))) {
    // A case clause or a .set() statement: a statement of its own, after the last one.
    const lineStart = content.lastIndexOf('\n', last.start - 1) + 1;
    const lead = content.slice(lineStart, last.start);
    return `${content.slice(0, last.end)}\n${/^\s*$/.test(lead) ? lead : ''}${text}${content.slice(last.end)}`;
  }
  const comma = content.slice(last.end).match(/^\s*,/);
  const after = last.end + (comma ? comma[0].length : 0);
  if (r.indent !== null) return `${content.slice(0, after)}${comma ? '' : ','}\n${r.indent}${text}${comma ? ',' : ''}${content.slice(after)}`;
  return `${content.slice(0, last.end)}, ${text}${content.slice(last.end)}`;
}

/** Adds `name` to an import from `spec` in the file, or a new import line after the last one. */
export function addImport(ts: Ts, f: SourceFile, name: string, spec: string, like: string | null): string {
  const sf = parse(ts, f);
  const imports = sf.statements.filter(ts.isImportDeclaration);
  const same = imports.find((s) => ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text === spec && s.importClause?.namedBindings && ts.isNamedImports(s.importClause.namedBindings));
  if (same) {
    const nb = same.importClause!.namedBindings as TS.NamedImports;
    if (nb.elements.some((e) => e.name.text === name)) return f.content;
    const lastEl = nb.elements.at(-1);
    if (!lastEl) return f.content;
    return `${f.content.slice(0, lastEl.end)}, ${name}${f.content.slice(lastEl.end)}`;
  }
  const line = like ?? `import { ${name} } from '${spec}';`;
  const last = imports.at(-1);
  if (!last) return `${line}\n${f.content}`;
  return `${f.content.slice(0, last.end)}\n${line}${f.content.slice(last.end)}`;
}

/** The import specifier of `target` seen from `from`, in the style of `like` (extension or not). */
function specifier(from: string, target: string, like: string | null): string {
  let rel = posix.relative(posix.dirname(from), target);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const ext = like ? /\.(m|c)?[jt]s$/.exec(like)?.[0] ?? '' : '';
  return rel.replace(/\.(m|c)?[jt]sx?$/, ext === '.ts' ? '.ts' : ext ? ext.replace('.ts', '.js') : '');
}

/**
 * The new tool `name` (writing `table`, whose fields are `to`) as a transformation of `s`: the
 * sibling's declaration renamed and its column objects rebuilt, placed where the new table's tools
 * already live (or in a file named like the sibling's), and registered in the sibling's registry
 * the way the sibling is.
 */
export function toolByAnalogy(ts: Ts, files: readonly SourceFile[], s: ToolSibling, name: string, table: string, from: readonly Field[], to: readonly Field[]): ToolByAnalogy {
  const declared = s.decl.name === s.entry.key ? name : renamer(entityPairs(s.table, table, s.entry.key, name))(s.decl.name);
  const rename = renamer(entityPairs(s.table, table, s.entry.key, name));
  const code = transform(ts, s.decl.text, rename, from, to, s.decl.file.path).code;
  const followed = `following ${s.why}`;
  const out = new Map<string, AnalogyFile>();
  const current = (p: string) => out.get(p)?.content ?? files.find((f) => f.path === p)?.content ?? null;
  // Where the new table's tools already live (a registry entry that reaches it), else a file named
  // like the sibling's for the new entity, else the sibling's own file.
  let toolFile: string;
  if (s.decl.importedFrom === null) toolFile = s.decl.file.path;
  else {
    const home = files.find((f) => f.path !== s.registry.file.path && posix.dirname(f.path) === posix.dirname(s.decl.file.path) && CODE.test(f.path) && !TEST.test(f.path) && new RegExp(`\\.from\\(\\s*['"\`]${escape(table)}['"\`]`).test(f.content));
    const renamedFile = posix.join(posix.dirname(s.decl.file.path), rename(posix.basename(s.decl.file.path)));
    toolFile = home?.path ?? (renamedFile !== s.decl.file.path ? renamedFile : s.decl.file.path);
  }
  const existing = current(toolFile);
  if (s.entry.local === null) {
    // A case clause that holds the code itself: the new case is the code, added by the registration below.
  } else if (existing !== null) {
    // Appended after the file's last statement, with the sibling's imports it lacks.
    let content = existing.trimEnd() + '\n\n' + code + '\n';
    const siblingImports = parse(ts, s.decl.file).statements.filter(ts.isImportDeclaration);
    for (const imp of siblingImports) {
      const spec = (imp.moduleSpecifier as TS.StringLiteral).text;
      const names = imp.importClause?.namedBindings && ts.isNamedImports(imp.importClause.namedBindings) ? imp.importClause.namedBindings.elements.map((e) => e.name.text) : [];
      for (const n of names) {
        if (!new RegExp(`(?<![\\w$])${escape(n)}(?![\\w$])`).test(code)) continue;
        const target = spec.startsWith('.') ? resolveModule(s.decl.file.path, spec, files) : null;
        const mine = target ? specifier(toolFile, target.path, spec) : spec;
        if (toolFile === s.decl.file.path) continue;
        const isType = imp.importClause?.isTypeOnly || (imp.importClause?.namedBindings as TS.NamedImports).elements.find((e) => e.name.text === n)?.isTypeOnly;
        const bound = parse(ts, { path: toolFile, content }).statements.some((st) => ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings) && st.importClause.namedBindings.elements.some((e) => e.name.text === n));
        if (!bound) content = addImport(ts, { path: toolFile, content }, n, mine, isType ? `import type { ${n} } from '${mine}';` : null);
      }
    }
    out.set(toolFile, { path: toolFile, content, reason: `adds the tool ${name}, ${followed}` });
  } else {
    // A new file: the sibling file's imports (those the code uses), then the code.
    const sf = parse(ts, s.decl.file);
    const imports = sf.statements.filter(ts.isImportDeclaration).map((i) => i.getText(sf)).filter((l) => (/\{([^}]*)\}/.exec(l)?.[1] ?? l).split(',').some((n) => new RegExp(`(?<![\\w$])${escape(n.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!)}(?![\\w$])`).test(code)));
    out.set(toolFile, { path: toolFile, content: `${imports.join('\n')}${imports.length ? '\n\n' : ''}${code}\n`, reason: `the tool ${name}, ${followed}` });
  }
  // Registration: the sibling's entry renamed, after the registry's last entry; its import as the sibling's.
  const reg = s.registry;
  let regContent = current(reg.file.path)!;
  const regNow = { ...reg, file: { path: reg.file.path, content: regContent } };
  const entryText = reg.kind === 'switch' ? transform(ts, s.entry.text, rename, from, to, reg.file.path).code : rename(s.entry.text).replace(new RegExp(`(?<![\\w$])${escape(rename(s.decl.name))}(?![\\w$])`, 'g'), declared);
  const fresh = findRegistries(ts, [regNow.file]).find((x) => x.name === reg.name && x.kind === reg.kind) ?? regNow;
  regContent = addEntry(regContent, fresh, entryText);
  if (toolFile !== reg.file.path) regContent = addImport(ts, { path: reg.file.path, content: regContent }, declared, specifier(reg.file.path, toolFile, s.decl.importedFrom), null);
  out.set(reg.file.path, { path: reg.file.path, content: regContent, reason: `registers ${name} in ${reg.name} as ${s.entry.key} is registered` });
  return { files: [...out.values()], followed, toolFile, declared };
}

// ---- a test by analogy ----

export interface TestByAnalogy {
  path: string;
  content: string;
  cases: string[];
}

const TEST_CALL = /^(it|test)(\.\w+)?$/;

/**
 * The sibling's tests, transformed: every it()/test() of the project's tests that names the sibling
 * (with the describe() around it and that describe's setup, other tests left out), renamed and its
 * arguments rebuilt from the new fields' samples; appended to the test file it came from, with the
 * imports the renamed code needs. Null when no test names the sibling.
 */
export function testByAnalogy(ts: Ts, files: readonly SourceFile[], siblingName: string, rename: (s: string) => string, from: readonly Field[], to: readonly Field[], newModule: { name: string; declared: string; file: string; siblingFile: string } | null): TestByAnalogy | { error: string } {
  const mention = new RegExp(`(?<![\\w$])${escape(siblingName)}(?![\\w$])`);
  for (const f of files) {
    if (!TEST.test(f.path) || !mention.test(f.content)) continue;
    const sf = parse(ts, f);
    const blocks: string[] = [];
    const cases: string[] = [];
    const callee = (n: TS.Node) => (ts.isExpressionStatement(n) && ts.isCallExpression(n.expression) ? n.expression.expression.getText(sf) : null);
    const prune = (stmt: TS.Statement): string | null => {
      const c = callee(stmt);
      if (!c) return null;
      if (TEST_CALL.test(c)) {
        if (!mention.test(stmt.getText(sf))) return null;
        const title = (stmt as TS.ExpressionStatement).expression as TS.CallExpression;
        cases.push(rename((title.arguments[0] as TS.StringLiteral | undefined)?.text ?? siblingName));
        return stmt.getText(sf);
      }
      if (/^describe(\.\w+)?$/.test(c)) {
        const call = (stmt as TS.ExpressionStatement).expression as TS.CallExpression;
        const fn = call.arguments[1];
        if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !ts.isBlock(fn.body)) return null;
        const kept: string[] = [];
        let any = false;
        for (const inner of fn.body.statements) {
          const ic = callee(inner);
          if (ic && (TEST_CALL.test(ic) || /^describe/.test(ic))) {
            const p = prune(inner);
            if (p) {
              kept.push(p);
              any = true;
            }
          } else kept.push(inner.getText(sf));
        }
        if (!any) return null;
        const head = f.content.slice(stmt.getStart(sf), fn.body.getStart(sf) + 1);
        const ind = '  ';
        return `${head}\n${kept.map((k) => k.split('\n').map((l) => (l.startsWith(ind) ? l : ind + l)).join('\n')).join('\n\n')}\n});`;
      }
      return null;
    };
    for (const s of sf.statements) {
      const p = prune(s);
      if (p) blocks.push(p);
    }
    if (!blocks.length) continue;
    let body = blocks.map((b) => transform(ts, b, rename, from, to, f.path).code).join('\n\n');
    // A describe() title names what it tests: the renamed one says it is the new tool's.
    body = body.replace(/^describe\((['"`])([^'"`]*)\1/m, (m, q: string, t: string) => (t.includes(newModule?.name ?? '\0') ? m : `describe(${q}${t} (${newModule?.name ?? 'new'})${q}`));
    let content = f.content.trimEnd() + '\n\n' + body + '\n';
    // The test imports the sibling directly: the new code from its own module.
    if (newModule) {
      for (const imp of sf.statements.filter(ts.isImportDeclaration)) {
        const nb = imp.importClause?.namedBindings;
        if (!nb || !ts.isNamedImports(nb)) continue;
        for (const el of nb.elements) {
          const renamed = rename(el.name.text);
          if (renamed === el.name.text || !new RegExp(`(?<![\\w$])${escape(renamed)}(?![\\w$])`).test(body)) continue;
          const target = resolveModule(f.path, (imp.moduleSpecifier as TS.StringLiteral).text, files);
          const spec = target?.path === newModule.siblingFile ? specifier(f.path, newModule.file, (imp.moduleSpecifier as TS.StringLiteral).text) : (imp.moduleSpecifier as TS.StringLiteral).text;
          content = addImport(ts, { path: f.path, content }, renamed === rename(newModule.name) ? newModule.declared : renamed, spec, null);
        }
      }
    }
    return { path: f.path, content, cases };
  }
  return { error: `no test of the project names ${siblingName}: none to follow` };
}

// ---- routes ----

export interface RouteInfo {
  file: SourceFile;
  /** The HTTP methods it exports, and how: a function, or a factory's result. */
  methods: Array<{ method: string; factory: string | null }>;
  uses: DbUse[];
  edge: boolean;
  /** The URL folder the route answers at (`app/api/clients`), its app's api root (`apps/web/app/api`). */
  apiRoot: string | null;
}

const ROUTE_FILE = /(^|\/)app\/api\/(.+\/)?route\.[cm]?[jt]sx?$/;
const EDGE_FILE = /(^|\/)supabase\/functions\/[^/]+\/index\.[cm]?[jt]s$/;

/** Every route handler of the project: Next.js app routes at any depth (nested apps too) and Supabase Edge Functions. */
export function findRoutes(ts: Ts, files: readonly SourceFile[]): RouteInfo[] {
  const out: RouteInfo[] = [];
  for (const f of files) {
    const route = ROUTE_FILE.test(f.path);
    const edge = EDGE_FILE.test(f.path);
    if (!(route || edge) || TEST.test(f.path)) continue;
    const sf = parse(ts, f);
    const methods: RouteInfo['methods'] = [];
    for (const s of sf.statements) {
      const exported = ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (!exported) continue;
      if (ts.isFunctionDeclaration(s) && s.name && /^(GET|POST|PUT|PATCH|DELETE)$/.test(s.name.text)) methods.push({ method: s.name.text, factory: null });
      if (ts.isVariableStatement(s)) {
        for (const d of s.declarationList.declarations) {
          if (!ts.isIdentifier(d.name) || !/^(GET|POST|PUT|PATCH|DELETE)$/.test(d.name.text) || !d.initializer) continue;
          const factory = ts.isCallExpression(d.initializer) ? d.initializer.expression.getText(sf) : null;
          methods.push({ method: d.name.text, factory });
        }
      }
    }
    if (edge) methods.push(...(/\b(Deno\.serve|serve)\s*\(/.test(f.content) ? [{ method: /\.method\s*===?\s*['"](\w+)['"]/.exec(f.content)?.[1] ?? 'POST', factory: null }] : []));
    const uses = dbUses(ts, sf);
    // A factory told the table by name: makeHandler('clients', …) or makeHandler({ table: 'clients' }).
    for (const m of methods.filter((x) => x.factory)) {
      const call = new RegExp(`export\\s+const\\s+${m.method}\\s*=\\s*${escape(m.factory!)}\\s*\\(\\s*(?:\\{[^}]*?table\\s*:\\s*)?['"\`](\\w+)['"\`]`).exec(f.content);
      if (call) uses.push({ table: call[1]!, op: m.method === 'POST' ? 'insert' : m.method === 'GET' ? 'select' : m.method === 'DELETE' ? 'delete' : 'update' });
    }
    const apiRoot = route ? f.path.replace(/\/(?:[^/]+\/)*route\.[cm]?[jt]sx?$/, '').replace(/(app\/api)\/.*$/, '$1') : null;
    out.push({ file: f, methods, uses, edge, apiRoot });
  }
  return out;
}

/** A route's one-line description: what it exports and what it does to the database. */
export function describeRoute(r: RouteInfo): string {
  const m = r.methods.map((x) => (x.factory ? `${x.method} = ${x.factory}(…)` : x.method)).join(', ') || 'no handler';
  const w = r.uses.length ? [...new Set(r.uses.map((u) => `${u.op}s ${u.table}`))].join(', ') : 'touches no table';
  return `${r.file.path} (${m}; ${w})`;
}

export interface RouteSibling {
  route: RouteInfo;
  table: string;
  why: string;
}

/**
 * The route a new endpoint for `table` follows: a POST that inserts into a table, in the app the
 * project keeps most routes in, the shortest first. Null, with every route seen and why none fits.
 */
export function nearestRouteSibling(routes: readonly RouteInfo[]): RouteSibling | { none: string } {
  const fits = routes.filter((r) => r.methods.some((m) => m.method === 'POST') && r.uses.some((u) => u.op === 'insert'));
  // The app's own routes first; an Edge Function when that is where the project writes rows.
  const best = fits.sort((a, b) => Number(a.edge) - Number(b.edge) || a.file.content.length - b.file.content.length)[0];
  if (best) {
    const table = best.uses.find((u) => u.op === 'insert')!.table;
    const post = best.methods.find((m) => m.method === 'POST')!;
    return { route: best, table, why: `${best.file.path}: ${best.edge ? 'an Edge Function whose POST' : `POST${post.factory ? ` = ${post.factory}(…)` : ''}`} inserts into ${table}` };
  }
  if (!routes.length) return { none: 'the project has no route handlers (app/api/**/route.ts, supabase/functions/*/index.ts)' };
  const seen = routes.slice(0, 6).map(describeRoute).join('; ');
  return { none: `none of the ${routes.length} route handler(s) seen posts a row into a table, so none shows how this project writes one: ${seen}${routes.length > 6 ? `; and ${routes.length - 6} more` : ''}` };
}

/**
 * Where the new route for `table` goes: beside the sibling, at the same depth (its relative imports
 * hold as they are), in a folder named like the sibling's for the new entity (clients -> notes,
 * create-client -> create-note), or named for the table.
 */
export function newRoutePath(s: RouteSibling, table: string): string {
  const rename = renamer(entityPairs(s.table, table));
  const dir = posix.dirname(s.route.file.path);
  const base = posix.basename(dir);
  return posix.join(posix.dirname(dir), rename(base) !== base ? rename(base) : table, posix.basename(s.route.file.path));
}

/** The new route for `table` as a transformation of the sibling route, at the sibling's place for the new table. */
export function routeByAnalogy(ts: Ts, s: RouteSibling, table: string, from: readonly Field[], to: readonly Field[]): AnalogyFile & { rename: (t: string) => string } {
  const rename = renamer(entityPairs(s.table, table));
  const path = newRoutePath(s, table);
  const content = transform(ts, s.route.file.content, rename, from, to, path).code;
  return { path, content, reason: `the API endpoint for ${table}, following ${s.why}`, rename };
}

/** The sibling route's own test, transformed for the new route and put beside it. */
export function routeTestByAnalogy(ts: Ts, files: readonly SourceFile[], s: RouteSibling, newRoute: string, rename: (t: string) => string, from: readonly Field[], to: readonly Field[]): { path: string; content: string; followed: string } | { error: string } {
  const stem = s.route.file.path.replace(/\.[cm]?[jt]sx?$/, '');
  const test = files.find((f) => TEST.test(f.path) && f.path.replace(/\.(test|spec)\.[cm]?[jt]sx?$/, '') === stem);
  if (!test) return { error: `${s.route.file.path} has no test beside it (route.test.ts) to follow` };
  const path = posix.join(posix.dirname(newRoute), posix.basename(test.path));
  if (files.some((f) => f.path === path)) return { error: `${path} already exists` };
  return { path, content: transform(ts, test.content, rename, from, to, path).code, followed: test.path };
}
