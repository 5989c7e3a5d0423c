// What one SQL statement does, read from its masked text: enough structure for the linter's rules
// and the shadow run's row estimates, not a full parser. Names come back qualified (`public.jobs`
// for an unqualified `jobs`) with quotes removed; unquoted names are lower-cased. Pure.
import { maskSql } from '../sql-mask.js';

export const IDENT = String.raw`(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`;
export const QNAME = String.raw`${IDENT}(?:\s*\.\s*${IDENT}){0,2}`;
const QLIST = String.raw`${QNAME}(?:\s*,\s*${QNAME})*`;

/** Lower-cases ASCII letters outside double-quoted identifiers (length preserved). */
function lowerOutsideQuotes(s: string): string {
  let out = '';
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    out += !quoted && c >= 'A' && c <= 'Z' ? c.toLowerCase() : c;
  }
  return out;
}

/** The identifiers of a possibly qualified name, unquoted. */
export function nameParts(raw: string): string[] {
  const parts: string[] = [];
  const re = new RegExp(IDENT, 'g');
  for (const m of raw.trim().matchAll(re)) {
    const p = m[0];
    parts.push(p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase());
  }
  return parts;
}

/** `jobs` -> `public.jobs`; `auth.users` stays. */
export function qualify(raw: string): string {
  const parts = nameParts(raw);
  if (parts.length === 1) return `public.${parts[0]}`;
  return parts.slice(-2).join('.');
}

export const unquote = (raw: string): string => nameParts(raw)[0] ?? raw;

export function splitList(raw: string): string[] {
  return [...raw.matchAll(new RegExp(QNAME, 'g'))].map((m) => m[0]).filter((n) => !/^(cascade|restrict)$/.test(n));
}

/** Splits at commas outside parentheses; returns each piece with its offset. */
export function splitTopLevel(text: string, base = 0): Array<{ text: string; offset: number }> {
  const out: Array<{ text: string; offset: number }> = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if ((c === ',' && depth === 0) || i === text.length) {
      const piece = text.slice(start, i);
      const lead = piece.length - piece.trimStart().length;
      if (piece.trim()) out.push({ text: piece.trim(), offset: base + start + lead });
      start = i + 1;
    }
  }
  return out;
}

export type ConstraintType = 'primary key' | 'unique' | 'foreign key' | 'check' | 'exclude';

export type AlterAction = { offset: number; text: string } & (
  | { kind: 'add-column'; column: string; definition: string; ifNotExists: boolean }
  | { kind: 'drop-column'; column: string; ifExists: boolean }
  | { kind: 'add-constraint'; constraint: string | null; ctype: ConstraintType; notValid: boolean; usingIndex: boolean }
  | { kind: 'validate-constraint'; constraint: string }
  | { kind: 'drop-constraint'; constraint: string }
  | { kind: 'alter-column-type'; column: string }
  | { kind: 'set-not-null'; column: string }
  | { kind: 'drop-not-null'; column: string }
  | { kind: 'set-default'; column: string; expression: string }
  | { kind: 'drop-default'; column: string }
  | { kind: 'rename-column'; column: string; to: string }
  | { kind: 'rename-table'; to: string }
  | { kind: 'enable-rls' }
  | { kind: 'disable-rls' }
  | { kind: 'other' }
);

export type StatementInfo = { text: string } & (
  | { kind: 'create-table'; table: string; ifNotExists: boolean; temporary: boolean; columnsText: string; columnsOffset: number }
  | { kind: 'alter-table'; table: string; actions: AlterAction[] }
  | { kind: 'create-index'; table: string; index: string | null; unique: boolean; concurrently: boolean; ifNotExists: boolean }
  | { kind: 'drop-index'; indexes: string[]; concurrently: boolean; ifExists: boolean }
  | { kind: 'drop-table'; tables: string[]; ifExists: boolean }
  | { kind: 'drop-schema'; schemas: string[]; ifExists: boolean }
  | { kind: 'drop-other'; objectType: string; ifExists: boolean }
  | { kind: 'truncate'; tables: string[]; cascade: boolean }
  | { kind: 'delete'; table: string; hasWhere: boolean }
  | { kind: 'update'; table: string; hasWhere: boolean }
  | { kind: 'insert'; table: string }
  | { kind: 'set-lock-timeout' }
  | { kind: 'policy'; verb: 'create' | 'alter' | 'drop'; table: string; policy: string }
  | { kind: 'create-trigger'; table: string }
  | { kind: 'create-function'; name: string; securityDefiner: boolean; setsSearchPath: boolean }
  | { kind: 'create-view'; name: string; materialized: boolean; securityInvoker: boolean }
  | { kind: 'alter-view'; name: string; materialized: boolean; renameColumn: { column: string; to: string; offset: number } | null; renameTo: string | null }
  | { kind: 'drop-database'; name: string }
  | { kind: 'create-extension'; name: string; ifNotExists: boolean }
  | { kind: 'create-schema'; name: string; ifNotExists: boolean }
  | { kind: 'transaction'; verb: 'begin' | 'commit' | 'rollback' }
  | { kind: 'other' }
);

function analyzeAction(text: string, offset: number): AlterAction {
  const base = { text, offset };
  let m: RegExpExecArray | null;
  if ((m = new RegExp(String.raw`^add\s+(?:constraint\s+(${IDENT})\s+)?(primary\s+key|unique|foreign\s+key|check|exclude)\b`).exec(text))) {
    const ctype = (m[2] as string).replace(/\s+/g, ' ') as ConstraintType;
    return { ...base, kind: 'add-constraint', constraint: m[1] ? unquote(m[1]) : null, ctype, notValid: /\bnot\s+valid\b/.test(text), usingIndex: /\busing\s+index\b/.test(text) };
  }
  if ((m = new RegExp(String.raw`^add\s+(?:column\s+)?(if\s+not\s+exists\s+)?(${IDENT})\s*(.*)$`, 's').exec(text)) && !/^add\s+constraint\b/.test(text)) {
    return { ...base, kind: 'add-column', column: unquote(m[2] as string), definition: (m[3] ?? '').trim(), ifNotExists: Boolean(m[1]) };
  }
  if ((m = new RegExp(String.raw`^validate\s+constraint\s+(${IDENT})`).exec(text))) return { ...base, kind: 'validate-constraint', constraint: unquote(m[1] as string) };
  if ((m = new RegExp(String.raw`^drop\s+constraint\s+(?:if\s+exists\s+)?(${IDENT})`).exec(text))) return { ...base, kind: 'drop-constraint', constraint: unquote(m[1] as string) };
  if ((m = new RegExp(String.raw`^drop\s+(?:column\s+)?(if\s+exists\s+)?(${IDENT})`).exec(text))) return { ...base, kind: 'drop-column', column: unquote(m[2] as string), ifExists: Boolean(m[1]) };
  if ((m = new RegExp(String.raw`^alter\s+(?:column\s+)?(${IDENT})\s+(.*)$`, 's').exec(text))) {
    const column = unquote(m[1] as string);
    const rest = m[2] ?? '';
    if (/^(set\s+data\s+)?type\b/.test(rest)) return { ...base, kind: 'alter-column-type', column };
    if (/^set\s+not\s+null\b/.test(rest)) return { ...base, kind: 'set-not-null', column };
    if (/^drop\s+not\s+null\b/.test(rest)) return { ...base, kind: 'drop-not-null', column };
    if (/^set\s+default\b/.test(rest)) return { ...base, kind: 'set-default', column, expression: rest.replace(/^set\s+default\s+/, '') };
    if (/^drop\s+default\b/.test(rest)) return { ...base, kind: 'drop-default', column };
    return { ...base, kind: 'other' };
  }
  if ((m = new RegExp(String.raw`^rename\s+(?:column\s+)?(${IDENT})\s+to\s+(${IDENT})`).exec(text)) && !/^rename\s+(to|constraint)\b/.test(text)) {
    return { ...base, kind: 'rename-column', column: unquote(m[1] as string), to: unquote(m[2] as string) };
  }
  if ((m = new RegExp(String.raw`^rename\s+to\s+(${IDENT})`).exec(text))) return { ...base, kind: 'rename-table', to: unquote(m[1] as string) };
  if (/^enable\s+row\s+level\s+security\b/.test(text)) return { ...base, kind: 'enable-rls' };
  if (/^disable\s+row\s+level\s+security\b/.test(text)) return { ...base, kind: 'disable-rls' };
  return { ...base, kind: 'other' };
}

/** Analyzes one statement (as split by splitSql). Offsets in the result index into `sql`. */
export function analyzeStatement(sql: string): StatementInfo {
  const text = lowerOutsideQuotes(maskSql(sql));
  const lead = text.length - text.trimStart().length;
  const s = text.slice(lead);
  const at = (n: number) => lead + n;
  let m: RegExpExecArray | null;

  if ((m = new RegExp(String.raw`^create\s+(?:(?:global|local)\s+)?(temp\s+|temporary\s+|unlogged\s+)?table\s+(if\s+not\s+exists\s+)?(${QNAME})\s*`).exec(s))) {
    const rest = s.slice(m[0].length);
    let columnsText = '';
    let columnsOffset = at(m[0].length);
    if (rest.startsWith('(')) {
      let depth = 0;
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '(') depth++;
        else if (rest[i] === ')' && --depth === 0) {
          columnsText = rest.slice(1, i);
          columnsOffset = at(m[0].length + 1);
          break;
        }
      }
    }
    return { text, kind: 'create-table', table: qualify(m[3] as string), ifNotExists: Boolean(m[2]), temporary: /^temp/.test(m[1] ?? ''), columnsText, columnsOffset };
  }
  if ((m = new RegExp(String.raw`^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(${QNAME})\s+`).exec(s))) {
    const actions = splitTopLevel(s.slice(m[0].length), at(m[0].length)).map((a) => analyzeAction(a.text, a.offset));
    return { text, kind: 'alter-table', table: qualify(m[1] as string), actions };
  }
  if ((m = new RegExp(String.raw`^create\s+(unique\s+)?index\s+(concurrently\s+)?(?:(if\s+not\s+exists\s+)?(${IDENT})\s+)?on\s+(?:only\s+)?(${QNAME})`).exec(s))) {
    return { text, kind: 'create-index', table: qualify(m[5] as string), index: m[4] ? unquote(m[4]) : null, unique: Boolean(m[1]), concurrently: Boolean(m[2]), ifNotExists: Boolean(m[3]) };
  }
  if ((m = new RegExp(String.raw`^drop\s+index\s+(concurrently\s+)?(if\s+exists\s+)?(${QLIST})`).exec(s))) {
    return { text, kind: 'drop-index', indexes: splitList(m[3] as string).map(qualify), concurrently: Boolean(m[1]), ifExists: Boolean(m[2]) };
  }
  if ((m = new RegExp(String.raw`^drop\s+table\s+(if\s+exists\s+)?(${QLIST})`).exec(s))) {
    return { text, kind: 'drop-table', tables: splitList(m[2] as string).map(qualify), ifExists: Boolean(m[1]) };
  }
  if ((m = new RegExp(String.raw`^drop\s+schema\s+(if\s+exists\s+)?(${QLIST})`).exec(s))) {
    return { text, kind: 'drop-schema', schemas: splitList(m[2] as string).map(unquote), ifExists: Boolean(m[1]) };
  }
  if ((m = /^drop\s+((?:materialized\s+)?view|function|procedure|trigger|type|sequence|extension|policy|publication|role|domain)\s+(if\s+exists\s+)?/.exec(s))) {
    if (m[1] === 'policy') {
      const p = new RegExp(String.raw`^drop\s+policy\s+(?:if\s+exists\s+)?(${IDENT})\s+on\s+(${QNAME})`).exec(s);
      if (p) return { text, kind: 'policy', verb: 'drop', policy: unquote(p[1] as string), table: qualify(p[2] as string) };
    }
    return { text, kind: 'drop-other', objectType: (m[1] as string).replace(/\s+/g, ' '), ifExists: Boolean(m[2]) };
  }
  if ((m = new RegExp(String.raw`^truncate\s+(?:table\s+)?(?:only\s+)?(${QLIST})`).exec(s))) {
    return { text, kind: 'truncate', tables: splitList(m[1] as string).filter((n) => !/^(restart|continue|identity)$/.test(n)).map(qualify), cascade: /\bcascade\s*;?\s*$/.test(s) };
  }
  if ((m = new RegExp(String.raw`^delete\s+from\s+(?:only\s+)?(${QNAME})`).exec(s))) {
    return { text, kind: 'delete', table: qualify(m[1] as string), hasWhere: /\bwhere\b/.test(s) };
  }
  if ((m = new RegExp(String.raw`^update\s+(?:only\s+)?(${QNAME})\s`).exec(s))) {
    return { text, kind: 'update', table: qualify(m[1] as string), hasWhere: /\bwhere\b/.test(s) };
  }
  if ((m = new RegExp(String.raw`^insert\s+into\s+(${QNAME})`).exec(s))) return { text, kind: 'insert', table: qualify(m[1] as string) };
  // `SET lock_timeout = 0` (a pg_dump header) turns the timeout off: it does not count as one.
  if ((/^set\s+(?:local\s+|session\s+)?lock_timeout\b/.test(s) || /^select\s+(?:pg_catalog\.)?set_config\s*\(\s*'lock_timeout'/i.test(sql.trim())) && !/lock_timeout'?\s*(?:=|\bto\b|,)\s*'?0'?\s*(?:,|\)|;|$)/i.test(sql.trim())) return { text, kind: 'set-lock-timeout' };
  if ((m = new RegExp(String.raw`^(create|alter)\s+policy\s+(${IDENT})\s+on\s+(${QNAME})`).exec(s))) {
    return { text, kind: 'policy', verb: m[1] as 'create' | 'alter', policy: unquote(m[2] as string), table: qualify(m[3] as string) };
  }
  if (/^create\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\b/.test(s) && (m = new RegExp(String.raw`\bon\s+(${QNAME})`).exec(s))) {
    return { text, kind: 'create-trigger', table: qualify(m[1] as string) };
  }
  if ((m = new RegExp(String.raw`^create\s+(?:or\s+replace\s+)?(?:function|procedure)\s+(${QNAME})`).exec(s))) {
    // pg_dump quotes the setting: SET "search_path" TO ''.
    return { text, kind: 'create-function', name: qualify(m[1] as string), securityDefiner: /\bsecurity\s+definer\b/.test(s), setsSearchPath: /\bset\s+(?:search_path\b|"search_path")/.test(s) };
  }
  if ((m = new RegExp(String.raw`^create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary)\s+)?(?:recursive\s+)?(materialized\s+)?view\s+(?:if\s+not\s+exists\s+)?(${QNAME})`).exec(s))) {
    // View options are read from the original text: `security_invoker = 'true'` is a string there.
    const opts = (/\bwith\s*\(([^)]*)\)\s*as\b/i.exec(sql)?.[1] ?? '').toLowerCase();
    // pg_dump writes WITH ("security_invoker"='on').
    const securityInvoker = opts.split(',').some((o) => /^\s*security_invoker\s*(=\s*'?(true|on|1|yes)'?\s*)?$/.test(o.replace(/"/g, '')));
    return { text, kind: 'create-view', name: qualify(m[2] as string), materialized: Boolean(m[1]), securityInvoker };
  }
  if ((m = new RegExp(String.raw`^alter\s+(materialized\s+)?view\s+(?:if\s+exists\s+)?(${QNAME})\s+`).exec(s))) {
    const rest = s.slice(m[0].length);
    const rc = new RegExp(String.raw`^rename\s+(?:column\s+)?(${IDENT})\s+to\s+(${IDENT})`).exec(rest);
    const rt = new RegExp(String.raw`^rename\s+to\s+(${IDENT})`).exec(rest);
    return {
      text,
      kind: 'alter-view',
      name: qualify(m[2] as string),
      materialized: Boolean(m[1]),
      renameColumn: rc && !rt ? { column: unquote(rc[1] as string), to: unquote(rc[2] as string), offset: at(m[0].length) } : null,
      renameTo: rt ? unquote(rt[1] as string) : null,
    };
  }
  if ((m = new RegExp(String.raw`^drop\s+database\s+(?:if\s+exists\s+)?(${IDENT})`).exec(s))) return { text, kind: 'drop-database', name: unquote(m[1] as string) };
  if ((m = new RegExp(String.raw`^create\s+extension\s+(if\s+not\s+exists\s+)?(${IDENT})`).exec(s))) return { text, kind: 'create-extension', name: unquote(m[2] as string), ifNotExists: Boolean(m[1]) };
  if ((m = new RegExp(String.raw`^create\s+schema\s+(if\s+not\s+exists\s+)?(${IDENT})`).exec(s))) return { text, kind: 'create-schema', name: unquote(m[2] as string), ifNotExists: Boolean(m[1]) };
  if (/^(begin|start\s+transaction)\b/.test(s)) return { text, kind: 'transaction', verb: 'begin' };
  if (/^(commit|end)\b/.test(s)) return { text, kind: 'transaction', verb: 'commit' };
  if (/^(rollback|abort)\b/.test(s)) return { text, kind: 'transaction', verb: 'rollback' };
  return { text, kind: 'other' };
}

/** Column definitions of a CREATE TABLE body: name and the rest, skipping table constraints. */
export function columnDefinitions(columnsText: string, base: number): Array<{ column: string; definition: string; offset: number }> {
  const out: Array<{ column: string; definition: string; offset: number }> = [];
  for (const piece of splitTopLevel(columnsText, base)) {
    if (/^(constraint|primary\s+key|unique|foreign\s+key|check|exclude|like)\b/.test(piece.text)) continue;
    const m = new RegExp(String.raw`^(${IDENT})\s*(.*)$`, 's').exec(piece.text);
    if (m) out.push({ column: unquote(m[1] as string), definition: (m[2] ?? '').trim(), offset: piece.offset });
  }
  return out;
}
