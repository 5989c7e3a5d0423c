// The safety linter over migration SQL (squawk-like): one finding per problem, each with the rule
// id, severity, file, line of the statement (or of the clause inside it), the object and the fix.
// "Existing table" follows squawk: every table not created earlier in the same file is existing
// (a table made in the Studio, or by a migration already applied, holds rows and takes locks), except
// one created by an earlier migration of the same batch (`newTables`: applied together, so still
// empty). Pure.
import type { LintFinding } from '../finding.js';
import { sortFindings } from '../finding.js';
import { splitSql, type SqlStatement } from '../sql-split.js';
import { analyzeStatement, columnDefinitions, type StatementInfo } from './statement.js';
import { objectName } from '../sql-names.js';
import { RULES, type RuleId } from './rules.js';

export { RULES, type RuleId, type RuleInfo, type RuleCategory } from './rules.js';
export { analyzeStatement, qualify, type StatementInfo, type AlterAction } from './statement.js';

export interface LintOptions {
  /** Project-relative path, reported in findings. */
  file: string;
  /** Tables (`schema.table`, or bare names meaning public) created by earlier migrations of the same batch: new, not existing. */
  newTables?: Iterable<string>;
  /** @deprecated no longer decides anything: a table no earlier statement of the batch creates is existing (squawk). */
  knownTables?: Iterable<string>;
  /** The target's PostgreSQL major version (default 15, Supabase's): decides rules that changed between versions. */
  pgVersion?: number;
}

/** Functions a column default commonly calls that are not volatile (so ADD COLUMN … DEFAULT f() does not rewrite the table). */
const NON_VOLATILE_CALLS = new Set([
  'now', 'transaction_timestamp', 'statement_timestamp', 'current_date', 'current_timestamp', 'localtimestamp', 'timezone', 'lower', 'upper', 'coalesce',
  'nullif', 'greatest', 'least', 'concat', 'jsonb_build_object', 'json_build_object', 'jsonb_build_array', 'json_build_array', 'to_jsonb', 'to_json',
  'array', 'make_interval', 'make_date', 'interval', 'auth.uid', 'auth.role', 'auth.jwt', 'auth.email', 'date_trunc', 'length', 'btrim', 'trim',
]);

const VOLATILE_DEFAULT = /\b(gen_random_uuid|uuid_generate_v[1-4]\w*|random|clock_timestamp|timeofday|nextval|txid_current|gen_random_bytes|uuid_generate_v7)\s*\(/;
const SERIAL = /^(small|big)?serial\b|^serial[248]\b/;
const NOT_NULL_CHECK = /^check\s*\(\s*\(?\s*("?)([a-z_][a-z0-9_$]*)\1\s+is\s+not\s+null\s*\)?\s*\)/;

/** Pure: the first function a default expression calls whose volatility the linter does not know (casts excluded), or null. */
export function unknownVolatilityCall(expression: string): string | null {
  for (const m of expression.matchAll(/(::\s*)?\b([a-z_][a-z0-9_$]*(?:\.[a-z_][a-z0-9_$]*)?)\s*\(/g)) {
    if (m[1]) continue; // 'x'::varchar(10)
    const name = (m[2] as string).replace(/^pg_catalog\./, '');
    if (NON_VOLATILE_CALLS.has(name) || /^(varchar|numeric|decimal|char|character|bit|timestamp|timestamptz|time|interval)$/.test(name)) continue;
    return name;
  }
  return null;
}

const norm = (t: string) => (t.includes('.') ? t : `public.${t}`);

export function lintSql(sql: string, opts: LintOptions): LintFinding[] {
  const statements = splitSql(sql);
  const infos = statements.map((st) => analyzeStatement(st.sql));
  const batchNew = new Set([...(opts.newTables ?? [])].map(norm));
  const pgVersion = opts.pgVersion ?? 15;
  const created = new Set<string>();
  const rlsEnabled = new Set<string>();
  const notNullChecks = new Map<string, { key: string; validated: boolean }>();
  const createdIndexes = new Set<string>();
  const findings: LintFinding[] = [];
  let lockTimeout = false;
  let lockTimeoutReported = false;

  const existing = (table: string) => !created.has(table) && !batchNew.has(table);
  const lineAt = (st: SqlStatement, offset: number) => st.line + (st.sql.slice(0, offset).match(/\n/g)?.length ?? 0);
  const add = (ruleId: RuleId, st: SqlStatement, offset: number, object: string, message: string, fix: string) =>
    findings.push({ ruleId, severity: RULES[ruleId].severity, file: opts.file, line: lineAt(st, offset), object, message, fix });
  const needsLockTimeout = (st: SqlStatement, table: string, what: string) => {
    if (lockTimeout || lockTimeoutReported || !existing(table)) return;
    lockTimeoutReported = true;
    add('require-lock-timeout', st, 0, table, `${what} on ${table} waits for its lock with no lock_timeout, queueing every query behind it`, "start the migration with `set lock_timeout = '5s';` so a busy table makes it fail fast instead of stalling the API");
  };

  const hasConcurrently = infos.some((i) => (i.kind === 'create-index' && i.concurrently) || (i.kind === 'drop-index' && i.concurrently) || /^\s*reindex\b.*\bconcurrently\b/.test(i.text));
  if (hasConcurrently && statements.length > 1) {
    const idx = Math.max(0, infos.findIndex((i) => /\bconcurrently\b/.test(i.text)));
    const info = infos[idx];
    const object = info?.kind === 'create-index' ? (info.index ?? info.table) : info?.kind === 'drop-index' ? info.indexes.join(', ') : 'index';
    add('concurrently-in-transaction', statements[idx] as SqlStatement, 0, object, 'Supabase runs each migration file in one transaction, and CONCURRENTLY cannot run inside a transaction block', 'put the CONCURRENTLY statement alone in its own migration file');
  }

  statements.forEach((st, n) => {
    const info = infos[n] as StatementInfo;
    switch (info.kind) {
      case 'set-lock-timeout':
        lockTimeout = true;
        break;
      case 'create-table': {
        for (const c of columnDefinitions(info.columnsText, info.columnsOffset)) lintColumnType(st, `${info.table}.${c.column}`, c.definition, c.offset);
        if (!info.ifNotExists) add('prefer-if-not-exists', st, 0, info.table, `create table ${info.table} fails if the table already exists`, 'use `create table if not exists`');
        if (!info.temporary) created.add(info.table);
        break;
      }
      case 'drop-table':
        for (const t of info.tables) {
          if (created.has(t)) continue;
          add('drop-table', st, 0, t, `drops ${t} and every row in it`, 'stop using the table first and keep it for a release; drop it later in its own migration, after a backup, with approval');
        }
        if (!info.ifExists) add('prefer-if-exists', st, 0, info.tables.join(', '), 'drop table fails if the table is already gone', 'use `drop table if exists`');
        for (const t of info.tables) {
          needsLockTimeout(st, t, 'drop table');
          created.delete(t);
        }
        break;
      case 'drop-schema':
        for (const s of info.schemas) add('drop-schema', st, 0, s, `drops schema ${s} and everything in it`, 'drop the objects you mean to drop, one by one, after a backup, with approval');
        break;
      case 'truncate':
        for (const t of info.tables) {
          if (created.has(t)) continue;
          add('truncate', st, 0, t, info.cascade ? `removes every row of ${t}, and CASCADE also empties every table that references it (and the tables referencing those)` : `removes every row of ${t}`, info.cascade ? 'drop CASCADE (it then fails while other tables reference rows) and delete the rows you mean with a WHERE clause, after a backup, with approval' : 'delete the rows you mean with a WHERE clause, after a backup, with approval');
          needsLockTimeout(st, t, 'truncate');
        }
        break;
      case 'delete':
        if (!info.hasWhere && !created.has(info.table)) add('delete-without-where', st, 0, info.table, `deletes every row of ${info.table}`, 'add a WHERE clause naming the rows to delete');
        else if (info.hasWhere && existing(info.table)) add('delete-rows', st, 0, info.table, `deletes the rows of ${info.table} the WHERE matches: they are gone once it runs`, 'check the rows it matches on each database first (and that a backup holds them); deploying it needs approval');
        break;
      case 'update':
        if (!info.hasWhere && existing(info.table)) add('update-without-where', st, 0, info.table, `updates every row of ${info.table} in one transaction, holding row locks on all of them`, 'add a WHERE clause, or backfill in batches outside the migration');
        break;
      case 'create-index': {
        const object = info.index ? `${info.table.split('.')[0]}.${info.index}` : info.table;
        if (info.index) createdIndexes.add(`${info.table.split('.')[0]}.${info.index}`);
        if (!info.concurrently && existing(info.table)) {
          add('require-concurrent-index-creation', st, 0, object, `building this index blocks writes to ${info.table} until it finishes`, 'use `create index concurrently if not exists …`, alone in its own migration file');
          needsLockTimeout(st, info.table, 'create index');
        }
        // IF NOT EXISTS needs a name: an unnamed index is created again (a duplicate) on every run.
        if (!info.ifNotExists) add('prefer-if-not-exists', st, 0, object, info.index ? 'create index fails if the index already exists' : 'an unnamed index is created again, as a duplicate, each time the statement runs', info.index ? 'use `create index if not exists`' : `name it: \`create index if not exists ${objectName(info.table.split('.').pop() as string, 'idx')} on ${info.table} (…)\` (IF NOT EXISTS needs a name)`);
        break;
      }
      case 'drop-other':
        if (!info.ifExists && !/^(role|publication)$/.test(info.objectType)) add('prefer-if-exists', st, 0, info.objectType, `drop ${info.objectType} fails if it is already gone`, `use \`drop ${info.objectType} if exists\``);
        break;
      case 'alter-view':
        if (info.renameColumn) add('renaming-column', st, info.renameColumn.offset, `${info.name}.${info.renameColumn.column}`, `clients still reading ${info.renameColumn.column} from ${info.name} break as soon as this runs`, 'add the new column to the view beside the old one, move clients over, then drop the old name in a later release');
        if (info.renameTo) add('renaming-table', st, 0, info.name, `clients still using ${info.name} break as soon as this runs`, 'create the view under the new name beside the old one and move clients over');
        break;
      case 'drop-database':
        add('ban-drop-database', st, 0, info.name, `drops the database ${info.name} and everything in it`, 'never drop a database from a migration');
        break;
      case 'transaction':
        if (info.verb === 'begin' && !infos.slice(n + 1).some((i) => i.kind === 'transaction' && i.verb !== 'begin')) add('ban-uncommitted-transaction', st, 0, 'transaction', 'this BEGIN is never committed: what follows it is rolled back when the session ends', 'remove BEGIN (each migration file already runs in a transaction), or end it with COMMIT');
        if (info.verb === 'begin') add('transaction-nesting', st, 0, 'transaction', 'Supabase already runs each migration file in a transaction: this BEGIN starts nothing, and its COMMIT ends the file’s transaction early', 'remove BEGIN/COMMIT from the migration');
        break;
      case 'drop-index':
        if (!info.ifExists) add('prefer-if-exists', st, 0, info.indexes.join(', '), 'drop index fails if the index is already gone', 'use `drop index if exists`');
        if (!info.concurrently && info.indexes.some((i) => !createdIndexes.has(i))) add('require-concurrent-index-deletion', st, 0, info.indexes.join(', '), 'DROP INDEX takes ACCESS EXCLUSIVE on its table: reads and writes wait until it is done', 'use `drop index concurrently if exists …`, alone in its own migration file');
        break;
      case 'policy':
        needsLockTimeout(st, info.table, `${info.verb} policy`);
        break;
      case 'create-trigger':
        needsLockTimeout(st, info.table, 'create trigger');
        break;
      case 'create-function':
        if (info.securityDefiner && !info.setsSearchPath) add('security-definer-search-path', st, 0, info.name, `${info.name} runs with its owner's rights and resolves names through the caller's search_path`, "add `set search_path = ''` (and schema-qualify names in the body)");
        break;
      case 'create-view':
        if (!info.materialized && info.name.startsWith('public.') && !info.securityInvoker) add('security-definer-view', st, 0, info.name, `${info.name} runs with its owner's rights, so API users bypass the row level security of the tables it reads`, 'create it `with (security_invoker = true)`');
        break;
      case 'create-extension':
        if (!info.ifNotExists) add('prefer-if-not-exists', st, 0, info.name, 'create extension fails if the extension is already installed (Supabase installs several)', 'use `create extension if not exists … with schema extensions`');
        break;
      case 'create-schema':
        if (!info.ifNotExists) add('prefer-if-not-exists', st, 0, info.name, 'create schema fails if the schema already exists', 'use `create schema if not exists`');
        break;
      case 'alter-table':
        lintAlter(st, info);
        break;
      default:
        break;
    }
    lintText(st, info.text);
  });

  /** squawk's rules read from the statement text (domains, enums, reindex, partitions, identifiers). */
  function lintText(st: SqlStatement, text: string) {
    let m: RegExpExecArray | null;
    if ((m = /^create\s+domain\s+(\S+)[\s\S]*\bcheck\s*\(/.exec(text))) add('ban-create-domain-with-constraint', st, 0, m[1]!, `domain ${m[1]} has a CHECK: it cannot be added NOT VALID, and changing it later scans every column that uses the domain under lock`, 'use a plain type with a CHECK constraint on each table column (added NOT VALID, then validated)');
    if ((m = /^alter\s+domain\s+(\S+)\s+add\s+(constraint\s+\S+\s+)?check\b/.exec(text)) && !/\bnot\s+valid\b/.test(text)) add('ban-alter-domain-with-add-constraint', st, 0, m[1]!, `adding a constraint to domain ${m[1]} checks every column of every table that uses it, under lock`, 'add it `not valid`, then `alter domain … validate constraint` separately, or put the CHECK on the tables');
    if ((m = /^alter\s+type\s+(\S+)\s+add\s+value\s+(?!.*\b(before|after)\b)/s.exec(text))) add('require-enum-value-ordering', st, 0, m[1]!, `the new value of ${m[1]} goes to the end of the enum, which is its sort order`, 'say where it belongs with `before` or `after` an existing value');
    if ((m = /^reindex\s+(?:\([^)]*\)\s*)?(index|table|schema|database|system)\s+(?!concurrently\b)(\S+)/.exec(text)) && pgVersion >= 12) add('require-concurrent-reindex', st, 0, m[2]!, `REINDEX ${m[1]!.toUpperCase()} blocks writes to ${m[2]} (and reads that would use the index) until it finishes`, `use \`reindex ${m[1]} concurrently ${m[2]}\` (PostgreSQL 12+)`);
    if ((m = /^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(\S+)\s+detach\s+partition\s+(\S+)(?![\s\S]*\b(concurrently|finalize)\b)/.exec(text)) && pgVersion >= 14) add('require-concurrent-partition-detach', st, 0, m[2]!, `detaching ${m[2]} takes ACCESS EXCLUSIVE on ${m[1]}: every query on it waits`, 'use `detach partition … concurrently` (PostgreSQL 14+), alone in its own migration file');
    for (const id of text.matchAll(/\b(?:table|index|view|function|constraint|column|type|schema|sequence|trigger|policy)\s+(?:if\s+(?:not\s+)?exists\s+)?((?:"[^"]+"|[a-z_][a-z0-9_$]*)(?:\.(?:"[^"]+"|[a-z_][a-z0-9_$]*))?)/g)) {
      const long = id[1]!.split('.').map((p) => p.replace(/^"|"$/g, '')).find((p) => Buffer.byteLength(p) > 63);
      if (long) add('identifier-too-long', st, 0, long, `${long} is ${Buffer.byteLength(long)} bytes: Postgres silently truncates identifiers to 63, so later statements naming it in full miss it (or two names collide)`, 'use a name of at most 63 bytes');
    }
  }

  function lintAlter(st: SqlStatement, info: Extract<StatementInfo, { kind: 'alter-table' }>) {
    const t = info.table;
    const old = existing(t);
    needsLockTimeout(st, t, 'alter table');
    for (const a of info.actions) {
      switch (a.kind) {
        case 'drop-column':
          if (!created.has(t)) add('drop-column', st, a.offset, `${t}.${a.column}`, `drops ${t}.${a.column} and its data; running clients that read it break`, 'stop reading and writing the column first; drop it in a later release, after a backup, with approval');
          if (!a.ifExists) add('prefer-if-exists', st, a.offset, `${t}.${a.column}`, 'drop column fails if the column is already gone', 'use `drop column if exists`');
          break;
        case 'add-column': {
          const def = a.definition;
          if (!a.ifNotExists) add('prefer-if-not-exists', st, a.offset, `${t}.${a.column}`, 'add column fails if the column already exists', 'use `add column if not exists`');
          if (!old) break;
          lintColumnType(st, `${t}.${a.column}`, def, a.offset);
          const dflt = /\bdefault\s+(.*)$/s.exec(def)?.[1] ?? '';
          const unknownCall = dflt && !VOLATILE_DEFAULT.test(dflt) ? unknownVolatilityCall(dflt) : null;
          if (dflt && pgVersion < 11) add('volatile-default', st, a.offset, `${t}.${a.column}`, `before PostgreSQL 11 any default makes Postgres rewrite every row of ${t} under ACCESS EXCLUSIVE`, 'add the column without a default, set the default afterwards, and backfill in batches');
          else if (unknownCall) add('volatile-default', st, a.offset, `${t}.${a.column}`, `the default calls ${unknownCall}(), whose volatility is not known here: if it is volatile, Postgres rewrites every row of ${t} under ACCESS EXCLUSIVE`, `check \`select provolatile from pg_proc where proname = '${unknownCall.split('.').pop()}'\` (v = volatile); if so, add the column without a default, set it afterwards, and backfill in batches`);
          else if ((dflt && VOLATILE_DEFAULT.test(dflt)) || SERIAL.test(def)) add('volatile-default', st, a.offset, `${t}.${a.column}`, `a volatile default makes Postgres rewrite every row of ${t} under ACCESS EXCLUSIVE`, 'add the column without a default (or with a constant one), set the default afterwards, and backfill in batches');
          if (/\bnot\s+null\b/.test(def) && !/\bdefault\b/.test(def) && !/\bgenerated\b/.test(def) && !SERIAL.test(def)) add('adding-required-field', st, a.offset, `${t}.${a.column}`, `adding a NOT NULL column without a default fails as soon as ${t} has a row`, 'add it with a default, or add it nullable, backfill, then set NOT NULL safely');
          if (/\breferences\b/.test(def)) add('adding-foreign-key-constraint', st, a.offset, `${t}.${a.column}`, `a column added with REFERENCES takes SHARE ROW EXCLUSIVE on ${t} and on the table it references, blocking their writes`, 'add the column without REFERENCES, then `add constraint … foreign key … not valid` and `validate constraint` in a separate migration');
          if (/\b(unique|primary\s+key)\b/.test(def)) add('add-unique-or-primary-key', st, a.offset, `${t}.${a.column}`, `the unique index is built while ${t} is locked against reads and writes`, 'add the column, `create unique index concurrently`, then `add constraint … unique using index …`');
          break;
        }
        case 'add-constraint': {
          const object = a.constraint ? `${t}.${a.constraint}` : t;
          if (a.ctype === 'check') {
            const nn = NOT_NULL_CHECK.exec(a.text.replace(/^add\s+(constraint\s+\S+\s+)?/, ''));
            if (nn && a.constraint) notNullChecks.set(a.constraint, { key: `${t}.${nn[2]}`, validated: !a.notValid });
          }
          if (!old) break;
          if (a.ctype === 'foreign key' && /\bon\s+delete\s+cascade\b/.test(a.text)) add('on-delete-cascade', st, a.offset, object, `from now on deleting a row that ${t} references deletes the ${t} rows pointing at it`, 'make sure losing those rows with their parent is intended (otherwise on delete set null for a nullable column, or keep the key and stop deleting referenced rows); deploying it needs approval');
          if ((a.ctype === 'foreign key' || a.ctype === 'check') && !a.notValid) add('constraint-missing-not-valid', st, a.offset, object, `adding the ${a.ctype} checks every row of ${t} while writes are blocked`, 'add it `not valid`, then `validate constraint` (which takes a weaker lock)');
          if ((a.ctype === 'unique' || a.ctype === 'primary key') && !a.usingIndex) add('add-unique-or-primary-key', st, a.offset, object, `the ${a.ctype} index on ${t} is built under ACCESS EXCLUSIVE`, '`create unique index concurrently` first, then `add constraint … ' + a.ctype + ' using index …`');
          break;
        }
        case 'validate-constraint': {
          const c = notNullChecks.get(a.constraint);
          if (c) c.validated = true;
          break;
        }
        case 'set-not-null': {
          if (!old) break;
          // PostgreSQL 12+ uses a validated CHECK (col IS NOT NULL) to skip the scan; before 12 nothing does.
          const covered = pgVersion >= 12 && [...notNullChecks.values()].some((c) => c.key === `${t}.${a.column}` && c.validated);
          if (!covered) add('set-not-null', st, a.offset, `${t}.${a.column}`, `SET NOT NULL scans all of ${t} under ACCESS EXCLUSIVE`, 'first `add constraint … check (col is not null) not valid` and `validate constraint`; SET NOT NULL then skips the scan; drop the check afterwards');
          break;
        }
        case 'drop-not-null':
          if (old) add('ban-drop-not-null', st, a.offset, `${t}.${a.column}`, `clients and code that assume ${t}.${a.column} always has a value break on the first null`, 'keep the column NOT NULL; add a new nullable column if the data needs one');
          break;
        case 'alter-column-type':
          if (old) add('changing-column-type', st, a.offset, `${t}.${a.column}`, `changing the type rewrites ${t} and its indexes under ACCESS EXCLUSIVE (unless the types are binary-compatible)`, 'add a new column, backfill it in batches, switch readers, then drop the old one');
          break;
        case 'rename-column':
          if (old) add('renaming-column', st, a.offset, `${t}.${a.column}`, `clients still reading ${a.column} break as soon as this runs`, 'add the new column (or a view) first, move clients over, then drop the old name in a later release');
          break;
        case 'rename-table':
          if (old) add('renaming-table', st, a.offset, t, `clients still using ${t} break as soon as this runs`, 'create the new table or a view with the new name first and move clients over');
          break;
        case 'enable-rls':
          rlsEnabled.add(t);
          break;
        case 'disable-rls':
          if (t.startsWith('public.')) add('rls-disabled', st, a.offset, t, `turns off row level security on ${t}: the anon and authenticated API roles then see every row`, 'keep RLS on and change the policies instead');
          break;
        default:
          break;
      }
    }
  }

  function lintColumnType(st: SqlStatement, object: string, definition: string, offset: number) {
    const type = definition.trim();
    if (/^timestamp\b(?!\s*(\(\s*\d+\s*\)\s*)?with\s+time\s+zone)/.test(type) && !/^timestamptz/.test(type)) add('prefer-timestamptz', st, offset, object, `${object} is a timestamp without time zone: values are read in whatever time zone the session has`, 'use `timestamptz`');
    if (/^(int|integer|int4|serial|serial4)\b/.test(type)) add('prefer-bigint-over-int', st, offset, object, `${object} is a 32-bit integer: a key or counter on a growing table reaches 2,147,483,647`, 'use `bigint` (or `bigint generated … as identity`)');
    if (/^(smallint|int2|smallserial|serial2)\b/.test(type)) add('prefer-bigint-over-smallint', st, offset, object, `${object} is a 16-bit integer: it overflows at 32,767`, 'use `bigint`');
    if (SERIAL.test(type)) add('prefer-identity', st, offset, object, `${object} is a serial: its sequence has its own owner and grants, and copying the table copies neither`, 'use `bigint generated by default as identity`');
    if (/^(varchar|character\s+varying)\s*\(/.test(type)) add('prefer-text-field', st, offset, object, `${object} is varchar(n): raising the limit later can take ACCESS EXCLUSIVE`, 'use `text` with a `check (length(col) <= n)` constraint (added NOT VALID on an existing table)');
    if (/^(char|character|nchar|bpchar)\b(?!\s+varying)/.test(type)) add('ban-char-field', st, offset, object, `${object} is char(n): values are blank-padded and comparisons surprise`, 'use `text` (with a check on its length if needed)');
  }

  // New public tables must enable RLS in the same migration.
  statements.forEach((st, n) => {
    const info = infos[n] as StatementInfo;
    if (info.kind !== 'create-table' || info.temporary || !info.table.startsWith('public.')) return;
    if (!rlsEnabled.has(info.table) && created.has(info.table)) add('rls-not-enabled', st, 0, info.table, `${info.table} is exposed through the Supabase API with no row level security`, `add \`alter table ${info.table} enable row level security;\` and a policy in the same migration`);
  });

  return sortFindings(findings);
}

export interface LintFile {
  path: string;
  sql: string;
}

/** Tables a file leaves behind: those it creates minus those it drops, applied to `before`. Pure. */
export function tablesAfter(sql: string, before: Iterable<string>): Set<string> {
  const tables = new Set([...before].map(norm));
  for (const st of splitSql(sql)) {
    const info = analyzeStatement(st.sql);
    if (info.kind === 'create-table' && !info.temporary) tables.add(info.table);
    else if (info.kind === 'drop-table') for (const t of info.tables) tables.delete(t);
    else if (info.kind === 'alter-table') for (const a of info.actions) if (a.kind === 'rename-table') {
      tables.delete(info.table);
      tables.add(`${info.table.split('.')[0]}.${a.to}`);
    }
  }
  return tables;
}

/**
 * Lints files in order, squawk's way: a table is new only where the same file, or an earlier file of
 * the same batch, created it. The batch is the files reported (`only`; every file when not given):
 * the pending migrations applied together. Files outside it (already applied) are read only to know
 * which tables they dropped or renamed.
 */
export function lintMigrations(files: LintFile[], opts: { only?: (path: string) => boolean; pgVersion?: number } = {}): LintFinding[] {
  let batchNew = new Set<string>();
  const out: LintFinding[] = [];
  for (const f of files) {
    const inBatch = !opts.only || opts.only(f.path);
    if (inBatch) {
      out.push(...lintSql(f.sql, { file: f.path, newTables: batchNew, pgVersion: opts.pgVersion }));
      batchNew = tablesAfter(f.sql, batchNew);
    } else {
      // An applied file's tables are existing; one it drops and a later batch file re-creates is new again.
      const after = tablesAfter(f.sql, batchNew);
      batchNew = new Set([...batchNew].filter((t) => after.has(t)));
    }
  }
  return out;
}
