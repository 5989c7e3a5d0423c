// Reads a plain description of a routine schema change into an intent, offline and deterministic.
// It accepts a small, documented grammar; anything it cannot read with confidence is refused with
// what it understood and an example that works. It never guesses. Pure.
//
// Accepted (case-insensitive; names may be `schema.table`):
//   create table   add|create [a|the|new] <words> table [with <columns>]   ("Add customer preferences table with JSONB column")
//                  create table <name> (<columns>)
//   add column     add column <name> <type> [modifiers] to <table>        ("add column notes text to jobs")
//                  add [a|an] <type> column <name> [modifiers] to <table> | add column <table>.<name> <type> [modifiers]
//   drop column    drop|remove column <name> from <table> | drop column <table>.<name>
//   rename column  rename column <table>.<old> to <new> | rename column <old> on <table> to <new>
//   add index      add [unique] index on <table>(<col>[, <col>…]) | add index on <table>.<col>
//   foreign key    add foreign key from <table>.<col> to <table>[.<col>|(<col>)] [on delete cascade|set null|restrict]
//   RLS            enable rls|row level security on <table> [with owner policy [on <col>]]
//   NOT NULL       make <table>.<col> not null|required | set <table>.<col> not null;  make <table>.<col> nullable
// Columns: `<name> <type> [not null|required|nullable] [default <value>] [unique] [references <table>[(<col>)]] [on delete …]`,
// or `[a|an] <type> column [named <name>]`, separated by commas or "and".
// Types: text, string, varchar(n), integer/int, bigint, smallint, numeric[(p,s)]/decimal/number, real, double precision/float,
// uuid, timestamptz/datetime, timestamp, date, time, jsonb, json, boolean/bool, bytea; a trailing [] makes an array.
// Defaults: numbers, 'quoted text', true, false, null, now(), current_timestamp, current_date, gen_random_uuid(), auth.uid(), {} and [] (jsonb).
// Conventions: a new table gets `id uuid primary key default gen_random_uuid()` and `created_at timestamptz not null default now()`
// unless given; an unnamed JSON/JSONB column in a new table is named after the table's last word and is `not null default '{}'`.

export interface ColumnSpec {
  name: string;
  type: string;
  nullable: boolean;
  default?: string;
  unique?: boolean;
  primaryKey?: boolean;
  references?: { table: string; column: string | null; onDelete?: string };
}

export type Intent =
  | { kind: 'create-table'; table: string; columns: ColumnSpec[] }
  | { kind: 'add-column'; table: string; column: ColumnSpec }
  | { kind: 'drop-column'; table: string; column: string }
  | { kind: 'rename-column'; table: string; from: string; to: string }
  | { kind: 'add-index'; table: string; columns: string[]; unique: boolean }
  | { kind: 'add-foreign-key'; table: string; column: string; refTable: string; refColumn: string | null; onDelete: string | null }
  | { kind: 'enable-rls'; table: string; ownerPolicy: boolean; ownerColumn: string | null }
  | { kind: 'set-not-null'; table: string; column: string }
  | { kind: 'drop-not-null'; table: string; column: string };

export type ParseResult = { type: 'ok'; intent: Intent } | { type: 'refused'; understood: string; example: string; reason: string };

export const EXAMPLES = {
  'create-table': 'create table vendors with name text not null, phone text, active boolean default true',
  'add-column': 'add column notes text to jobs',
  'drop-column': 'drop column legacy_code from customers',
  'rename-column': 'rename column jobs.desc to description',
  'add-index': 'add index on estimates(job_id)',
  'add-foreign-key': 'add foreign key from estimates.job_id to jobs.id',
  'enable-rls': 'enable RLS on estimates with owner policy on owner_id',
  'set-not-null': 'make jobs.customer_id not null',
  'drop-not-null': 'make jobs.scheduled_for nullable',
} as const;

const ID = String.raw`[a-z_][a-z0-9_]*`;
const TBL = String.raw`(?:${ID}\.)?${ID}`;
const COLREF = String.raw`${ID}(?:\.${ID}){1,2}`;
const ART = String.raw`(?:(?:a|an|the|new)\s+)*`;

const TYPE_WORDS: Record<string, string> = {
  text: 'text', string: 'text', varchar: 'varchar', integer: 'integer', int: 'integer', int4: 'integer', bigint: 'bigint', int8: 'bigint',
  smallint: 'smallint', int2: 'smallint', numeric: 'numeric', decimal: 'numeric', number: 'numeric', real: 'real', float: 'double precision',
  float8: 'double precision', double: 'double precision', uuid: 'uuid', timestamptz: 'timestamptz', datetime: 'timestamptz', timestamp: 'timestamp',
  date: 'date', time: 'time', jsonb: 'jsonb', json: 'json', boolean: 'boolean', bool: 'boolean', bytea: 'bytea',
};

const refused = (understood: string, example: string, reason: string): ParseResult => ({ type: 'refused', understood, example, reason });
const ok = (intent: Intent): ParseResult => ({ type: 'ok', intent });

/** `jobs` -> `public.jobs`. */
const table = (raw: string) => (raw.includes('.') ? raw : `public.${raw}`);
function splitColref(raw: string): { table: string; column: string } {
  const parts = raw.split('.');
  const column = parts.pop() as string;
  return { table: table(parts.join('.')), column };
}

/** Lower-cases outside single-quoted strings, strips backticks and double quotes, collapses spaces. */
function normalize(description: string): string {
  let out = '';
  let quoted = false;
  for (const c of description.trim()) {
    if (c === "'") quoted = !quoted;
    if (!quoted && (c === '`' || c === '"')) continue;
    out += quoted ? c : c.toLowerCase();
  }
  return out.replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1 ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').replace(/[.!;]+\s*$/, '').trim();
}

function tokenize(text: string): string[] {
  return text.match(/'(?:[^']|'')*'|[a-z_][a-z0-9_.]*\([^)]*\)(?:\[\])?|\([^)]*\)|[^\s,]+/g) ?? [];
}

type Parsed<T> = { value: T; next: number } | { error: string };

function parseType(tokens: string[], i: number): Parsed<string> {
  const t = tokens[i];
  if (!t) return { error: 'no type given' };
  let array = '';
  let word = t;
  if (word.endsWith('[]')) {
    array = '[]';
    word = word.slice(0, -2);
  }
  const sized = /^(varchar|numeric|decimal|char)\((\d+(?:,\s*\d+)?)\)$/.exec(word);
  if (sized) return { value: `${sized[1] === 'decimal' ? 'numeric' : sized[1]}(${(sized[2] as string).replace(/\s/g, '')})${array}`, next: i + 1 };
  if (word === 'double' && tokens[i + 1] === 'precision') return { value: `double precision${array}`, next: i + 2 };
  if (word === 'timestamp' && tokens[i + 1] === 'with' && tokens[i + 2] === 'time' && tokens[i + 3]?.startsWith('zone')) return { value: `timestamptz${tokens[i + 3]?.endsWith('[]') ? '[]' : array}`, next: i + 4 };
  if (word === 'character' && tokens[i + 1]?.startsWith('varying')) return { value: `varchar${tokens[i + 1]?.slice(7) ?? ''}`, next: i + 2 };
  const mapped = TYPE_WORDS[word];
  if (!mapped) return { error: `"${t}" is not a type I know` };
  return { value: mapped + array, next: i + 1 };
}

const NUMERIC_TYPES = /^(integer|bigint|smallint|numeric|real|double precision)/;

function parseDefault(token: string | undefined, type: string): Parsed<string> {
  if (!token) return { error: 'default without a value' };
  const t = token;
  const isJson = /^jsonb?$/.test(type);
  if (t === 'null') return { value: 'null', next: 1 };
  if (/^-?\d+(\.\d+)?$/.test(t)) return NUMERIC_TYPES.test(type) ? { value: t, next: 1 } : { error: `default ${t} is a number but the column is ${type}` };
  if (t === 'true' || t === 'false') return type === 'boolean' ? { value: t, next: 1 } : { error: `default ${t} needs a boolean column, not ${type}` };
  if (t === '{}' || t === '[]') return isJson ? { value: `'${t}'::${type}`, next: 1 } : { error: `default ${t} needs a json or jsonb column` };
  if (/^'(?:[^']|'')*'$/.test(t)) return { value: isJson ? `${t}::${type}` : t, next: 1 };
  const fn: Record<string, RegExp> = { 'now()': /^(timestamptz|timestamp|date)$/, current_timestamp: /^(timestamptz|timestamp)$/, current_date: /^date$/, 'gen_random_uuid()': /^uuid$/, 'auth.uid()': /^uuid$/ };
  const allowed = fn[t];
  if (allowed) return allowed.test(type) ? { value: t, next: 1 } : { error: `default ${t} does not fit a ${type} column` };
  return { error: `I cannot read the default "${t}": quote text defaults ('new') or use a number, true/false, now(), gen_random_uuid() or auth.uid()` };
}

/** Modifiers after the type; every token must be understood. */
function parseModifiers(tokens: string[], i: number, col: ColumnSpec): string | null {
  while (i < tokens.length) {
    const t = tokens[i] as string;
    const n = tokens[i + 1];
    if (t === 'not' && n === 'null') {
      col.nullable = false;
      i += 2;
    } else if (t === 'required' || t === 'non-null' || t === 'non-nullable') {
      col.nullable = false;
      i++;
    } else if (t === 'null' || t === 'nullable' || t === 'optional') {
      col.nullable = true;
      i++;
    } else if (t === 'unique') {
      col.unique = true;
      i++;
    } else if (t === 'primary' && n === 'key') {
      col.primaryKey = true;
      col.nullable = false;
      i += 2;
    } else if (t === 'default') {
      const d = parseDefault(n, col.type);
      if ('error' in d) return d.error;
      col.default = d.value;
      i += 2;
    } else if (t === 'references' || t === 'refs') {
      const target = n ?? '';
      let m = new RegExp(String.raw`^(${TBL})\((${ID})\)$`).exec(target);
      let consumed = 2;
      if (!m && new RegExp(`^${TBL}$`).test(target) && /^\(\w+\)$/.test(tokens[i + 2] ?? '')) {
        m = [target, target, (tokens[i + 2] as string).slice(1, -1)] as unknown as RegExpExecArray;
        consumed = 3;
      }
      if (m) col.references = { table: table(m[1] as string), column: m[2] as string };
      else if (new RegExp(`^${ID}\\.${ID}$`).test(target) && !target.startsWith('public.')) {
        const [tbl, c] = target.split('.') as [string, string];
        col.references = { table: table(tbl), column: c };
      } else if (new RegExp(`^${TBL}$`).test(target)) col.references = { table: table(target), column: null };
      else return `I cannot read the referenced table "${target}"`;
      i += consumed;
    } else if (t === 'on' && n === 'delete' && col.references) {
      const a = tokens[i + 2];
      const b = tokens[i + 3];
      if (a === 'cascade' || a === 'restrict') {
        col.references.onDelete = a;
        i += 3;
      } else if ((a === 'set' && b === 'null') || (a === 'no' && b === 'action')) {
        col.references.onDelete = `${a} ${b}`;
        i += 4;
      } else return 'on delete must be cascade, set null, restrict or no action';
    } else return `I do not understand "${tokens.slice(i).join(' ')}"`;
  }
  return null;
}

/** One column: `<name> <type> [mods]` or `[a|an] <type> column [named|called <name>] [mods]`. */
function parseColumn(text: string, unnamedName: string | null): Parsed<ColumnSpec> {
  const tokens = tokenize(text.trim());
  let i = 0;
  if (tokens[i] === 'a' || tokens[i] === 'an' || tokens[i] === 'the') i++;
  if (tokens[i] === 'column') i++;
  // `<type> column [named <name>]`
  const typeFirst = parseType(tokens, i);
  if (!('error' in typeFirst) && tokens[typeFirst.next] === 'column') {
    let j = typeFirst.next + 1;
    let name: string | null = null;
    if (tokens[j] === 'named' || tokens[j] === 'called') j++;
    if (tokens[j] && new RegExp(`^${ID}$`).test(tokens[j] as string) && !['not', 'null', 'default', 'unique', 'references', 'required', 'nullable', 'optional', 'primary'].includes(tokens[j] as string)) {
      name = tokens[j] as string;
      j++;
    }
    const isJson = /^jsonb?$/.test(typeFirst.value);
    if (!name && !(unnamedName && isJson)) return { error: `the ${typeFirst.value} column needs a name ("a ${typeFirst.value} column named settings")` };
    const col: ColumnSpec = { name: name ?? (unnamedName as string), type: typeFirst.value, nullable: true };
    if (!name) {
      col.nullable = false;
      col.default = `'{}'::${typeFirst.value}`;
    }
    const err = parseModifiers(tokens, j, col);
    return err ? { error: err } : { value: col, next: tokens.length };
  }
  const name = tokens[i];
  if (!name || !new RegExp(`^${ID}$`).test(name)) return { error: `"${text.trim()}" does not start with a column name` };
  const type = parseType(tokens, i + 1);
  if ('error' in type) return { error: `column ${name}: ${type.error}` };
  const col: ColumnSpec = { name, type: type.value, nullable: true };
  const err = parseModifiers(tokens, type.next, col);
  return err ? { error: `column ${name}: ${err}` } : { value: col, next: tokens.length };
}

function splitColumns(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quoted = false;
  const words = text.replace(/^columns?\s+/, '');
  for (let i = 0; i < words.length; i++) {
    const c = words[i] as string;
    if (c === "'") quoted = !quoted;
    if (!quoted && c === '(') depth++;
    if (!quoted && c === ')') depth--;
    if (!quoted && depth === 0 && (c === ',' || words.startsWith(' and ', i))) {
      out.push(cur);
      cur = '';
      if (c !== ',') i += 4;
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim().replace(/^and\s+/, '')).filter(Boolean);
}

function createTable(name: string, columnsText: string | undefined): ParseResult {
  const tbl = table(name);
  const last = tbl.split('.').pop()?.split('_').pop() ?? 'data';
  const columns: ColumnSpec[] = [];
  for (const piece of columnsText ? splitColumns(columnsText) : []) {
    const c = parseColumn(piece, last);
    if ('error' in c) return refused(`create table ${tbl}, but not its column "${piece}"`, EXAMPLES['create-table'], c.error);
    if (columns.some((x) => x.name === c.value.name)) return refused(`create table ${tbl}`, EXAMPLES['create-table'], `column ${c.value.name} is given twice`);
    columns.push(c.value);
  }
  return ok({ kind: 'create-table', table: tbl, columns });
}

const re = (s: string) => new RegExp(`^${s}$`);

export function parseIntent(description: string): ParseResult {
  const d = normalize(description);
  let m: RegExpExecArray | null;
  if (!d) return refused('nothing', EXAMPLES['add-column'], 'the description is empty');
  const several = /\s(?:and|then|,)\s*(?:also\s+)?(add|create|drop|remove|make|rename|enable|set)\s/.exec(d);
  if (several) return refused(`several changes ("… ${several[0].trim()} …")`, EXAMPLES['add-column'], 'describe one change per migration');

  // Destructive table-level changes are never generated.
  if ((m = re(String.raw`(?:drop|delete|remove)\s+${ART}(?:table\s+(${TBL})|(${TBL})\s+table)`).exec(d))) {
    return refused(`drop table ${table((m[1] ?? m[2]) as string)}`, EXAMPLES['drop-column'], 'dropping a table destroys its data; write that migration by hand (it will need approval)');
  }

  // Foreign key
  if ((m = re(String.raw`(?:add|create)\s+${ART}foreign\s+key\s+(?:from\s+|on\s+)?(${COLREF}|${TBL}\(${ID}\))\s+(?:to|references|->)\s+(${TBL}(?:\.${ID})?|${TBL}\(${ID}\))(?:\s+on\s+delete\s+(cascade|set null|restrict|no action))?`).exec(d))) {
    const src = (m[1] as string).replace(/\((\w+)\)$/, '.$1');
    const { table: t, column } = splitColref(src);
    const target = (m[2] as string).replace(/\((\w+)\)$/, '.$1');
    const parts = target.split('.');
    let refTable: string;
    let refColumn: string | null = null;
    if (parts.length === 3) {
      refTable = `${parts[0]}.${parts[1]}`;
      refColumn = parts[2] as string;
    } else if (parts.length === 2 && parts[0] !== 'public') {
      refTable = table(parts[0] as string);
      refColumn = parts[1] as string;
    } else refTable = table(target);
    return ok({ kind: 'add-foreign-key', table: t, column, refTable, refColumn, onDelete: m[3] ?? null });
  }

  // Index
  if ((m = re(String.raw`(?:(?:add|create)\s+${ART})?(unique\s+)?index\s+(?:on|for)\s+(?:table\s+)?(${TBL})\s*\(([a-z0-9_, ]+)\)`).exec(d))) {
    const columns = (m[3] as string).split(',').map((c) => c.trim()).filter(Boolean);
    if (!columns.every((c) => re(ID).test(c))) return refused(`an index on ${table(m[2] as string)}`, EXAMPLES['add-index'], 'the column list must be plain column names');
    return ok({ kind: 'add-index', table: table(m[2] as string), columns, unique: Boolean(m[1]) });
  }
  if ((m = re(String.raw`(?:(?:add|create)\s+${ART})?(unique\s+)?index\s+(?:on|for)\s+(${COLREF})`).exec(d))) {
    const { table: t, column } = splitColref(m[2] as string);
    return ok({ kind: 'add-index', table: t, columns: [column], unique: Boolean(m[1]) });
  }

  // RLS
  if ((m = re(String.raw`(?:enable|turn on|add)\s+(?:rls|row[ -]level security)\s+(?:on|for|to)\s+(?:the\s+)?(?:table\s+)?(${TBL})(?:\s+table)?(?:\s+(?:with|and)\s+(?:an?\s+)?owner(?:ship)?\s+polic(?:y|ies)(?:\s+(?:on|using|by|for)\s+(?:column\s+)?(${ID}))?)?`).exec(d))) {
    const ownerPolicy = /owner(ship)?\s+polic/.test(d);
    return ok({ kind: 'enable-rls', table: table(m[1] as string), ownerPolicy, ownerColumn: m[2] ?? null });
  }

  // NOT NULL / nullable
  if ((m = re(String.raw`(?:make|set|mark)\s+(?:column\s+)?(${COLREF})\s+(?:as\s+)?(not null|required|non-null|non-nullable|nullable|optional)`).exec(d))
    || (m = re(String.raw`set\s+(not null)\s+on\s+(?:column\s+)?(${COLREF})`).exec(d))) {
    const [ref, state] = m[1]?.includes('.') ? [m[1], m[2] as string] : [m[2] as string, m[1] as string];
    const { table: t, column } = splitColref(ref as string);
    return ok({ kind: /nullable|optional/.test(state) && !/non/.test(state) ? 'drop-not-null' : 'set-not-null', table: t, column });
  }
  if ((m = re(String.raw`(?:make|set|mark)\s+(?:the\s+)?column\s+(${ID})\s+(?:on|in|of)\s+(?:table\s+)?(${TBL})\s+(not null|required|nullable|optional)`).exec(d))) {
    return ok({ kind: /nullable|optional/.test(m[3] as string) ? 'drop-not-null' : 'set-not-null', table: table(m[2] as string), column: m[1] as string });
  }

  // Rename column
  if ((m = re(String.raw`rename\s+(?:the\s+)?(?:column\s+)?(${COLREF})\s+to\s+(${ID}(?:\.${ID}){0,2})`).exec(d))) {
    const { table: t, column } = splitColref(m[1] as string);
    const to = (m[2] as string).split('.');
    if (to.length > 1 && splitColref(m[2] as string).table !== t) return refused(`rename ${t}.${column}`, EXAMPLES['rename-column'], 'the new name must be in the same table');
    return ok({ kind: 'rename-column', table: t, from: column, to: to[to.length - 1] as string });
  }
  if ((m = re(String.raw`rename\s+(?:the\s+)?column\s+(${ID})\s+(?:on|in|of)\s+(?:table\s+)?(${TBL})\s+to\s+(${ID})`).exec(d))
    || (m = re(String.raw`rename\s+(?:the\s+)?column\s+(${ID})\s+to\s+(${ID})\s+(?:on|in|of)\s+(?:table\s+)?(${TBL})`).exec(d))) {
    const byOn = /\bto\s+\S+$/.test(d) && !/\bto\s+\S+\s+(on|in|of)\s/.test(d);
    return byOn ? ok({ kind: 'rename-column', table: table(m[2] as string), from: m[1] as string, to: m[3] as string }) : ok({ kind: 'rename-column', table: table(m[3] as string), from: m[1] as string, to: m[2] as string });
  }

  // Drop column
  if ((m = re(String.raw`(?:drop|remove|delete)\s+(?:the\s+)?(?:column\s+)?(${ID})\s+(?:from|on|in)\s+(?:the\s+)?(?:table\s+)?(${TBL})(?:\s+table)?`).exec(d))) {
    return ok({ kind: 'drop-column', table: table(m[2] as string), column: m[1] as string });
  }
  if ((m = re(String.raw`(?:drop|remove|delete)\s+(?:the\s+)?column\s+(${COLREF})`).exec(d))) {
    const { table: t, column } = splitColref(m[1] as string);
    return ok({ kind: 'drop-column', table: t, column });
  }

  // Create table
  if ((m = re(String.raw`create\s+table\s+(?:if\s+not\s+exists\s+)?(${TBL})\s*\((.*)\)`).exec(d))) return createTable(m[1] as string, m[2]);
  if ((m = re(String.raw`(?:add|create|make)\s+${ART}table\s+(?:called\s+|named\s+)?(${TBL})(?:\s+(?:with|having|containing)\s+(.+))?`).exec(d))) return createTable(m[1] as string, m[2]);
  if ((m = re(String.raw`(?:add|create|make)\s+${ART}((?:[a-z][a-z0-9_]*\s+){0,3}[a-z][a-z0-9_]*)\s+table(?:\s+(?:with|having|containing)\s+(.+))?`).exec(d))) {
    const words = (m[1] as string).split(' ').filter((w) => !['a', 'an', 'the', 'new'].includes(w));
    if (!words.length) return refused('create a table, but not its name', EXAMPLES['create-table'], 'name the table');
    return createTable(words.join('_'), m[2]);
  }

  // Add column
  if ((m = re(String.raw`add\s+${ART}(?:(nullable|optional|required)\s+)?column\s+(?:if\s+not\s+exists\s+)?(${ID})\s+(.+?)\s+(?:to|on|in)\s+(?:the\s+)?(?:table\s+)?(${TBL})(?:\s+table)?`).exec(d))) {
    return addColumn(m[4] as string, `${m[2]} ${m[3]}${m[1] === 'required' ? ' not null' : ''}`);
  }
  if ((m = re(String.raw`add\s+${ART}column\s+(${COLREF})\s+(.+)`).exec(d))) {
    const { table: t, column } = splitColref(m[1] as string);
    return addColumn(t, `${column} ${m[2]}`);
  }
  if ((m = re(String.raw`add\s+((?:a|an)\s+\S+(?:\s+precision)?\s+column\s+.+?)\s+(?:to|on|in)\s+(?:the\s+)?(?:table\s+)?(${TBL})(?:\s+table)?`).exec(d))) {
    return addColumn(m[2] as string, m[1] as string);
  }
  if ((m = re(String.raw`add\s+(${ID}\s+.+?)\s+(?:column\s+)?to\s+(?:the\s+)?(?:table\s+)?(${TBL})(?:\s+table)?`).exec(d))) {
    return addColumn(m[2] as string, m[1] as string);
  }

  return refuseUnknown(d);
}

function addColumn(tableName: string, spec: string): ParseResult {
  const t = table(tableName);
  const c = parseColumn(spec, null);
  if ('error' in c) return refused(`add a column to ${t}`, EXAMPLES['add-column'], c.error);
  if (c.value.primaryKey) return refused(`add column ${c.value.name} to ${t}`, EXAMPLES['add-column'], 'adding a primary key column to an existing table is not generated; write it by hand');
  return ok({ kind: 'add-column', table: t, column: c.value });
}

/** The closest action the words point at, for the refusal. */
function refuseUnknown(d: string): ParseResult {
  const on = /\b(?:on|to|from|in)\s+(?:the\s+)?(?:table\s+)?([a-z_][a-z0-9_.]*)/.exec(d)?.[1];
  const where = on ? ` on ${on}` : '';
  const guess: Array<[RegExp, keyof typeof EXAMPLES, string]> = [
    [/\bforeign\s+key\b|\breferences?\b/, 'add-foreign-key', `a foreign key${where}`],
    [/\bindex\b/, 'add-index', `an index${where}`],
    [/\brls\b|row[ -]level|\bpolic(y|ies)\b/, 'enable-rls', `row level security${where}`],
    [/\brename\b/, 'rename-column', `a rename${where}`],
    [/\bnot null\b|\brequired\b|\bnullable\b/, 'set-not-null', `a NOT NULL change${where}`],
    [/\b(drop|remove|delete)\b/, 'drop-column', `a drop${where}`],
    [/\btable\b/, 'create-table', `a new table`],
    [/\bcolumn\b|\bfield\b/, 'add-column', `a new column${where}`],
  ];
  for (const [pattern, kind, understood] of guess) {
    if (pattern.test(d)) return refused(understood, EXAMPLES[kind], `I could not read "${d}" with confidence; it must follow the form of the example`);
  }
  return refused('no schema change I can write offline', Object.values(EXAMPLES).join(' | '), `"${d}" matches none of: create table, add/drop/rename column, add index, add foreign key, enable RLS, set NOT NULL`);
}
