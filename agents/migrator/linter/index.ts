// The safety linter over migration SQL (squawk-like): one finding per problem, each with the rule
// id, severity, file, line of the statement (or of the clause inside it), the object and the fix.
// "Existing table" means one that existed before this migration: the caller passes the tables known
// before it (lintMigrations works them out from the earlier files). Without that set, every table
// the file does not create itself counts as existing. Pure.
import type { LintFinding } from '../finding.js';
import { sortFindings } from '../finding.js';
import { splitSql, type SqlStatement } from '../sql-split.js';
import { analyzeStatement, type StatementInfo } from './statement.js';
import { RULES, type RuleId } from './rules.js';

export { RULES, type RuleId, type RuleInfo, type RuleCategory } from './rules.js';
export { analyzeStatement, qualify, type StatementInfo, type AlterAction } from './statement.js';

export interface LintOptions {
  /** Project-relative path, reported in findings. */
  file: string;
  /** Tables (`schema.table`, or bare names meaning public) that existed before this migration. */
  knownTables?: Iterable<string>;
}

const VOLATILE_DEFAULT = /\b(gen_random_uuid|uuid_generate_v[1-4]\w*|random|clock_timestamp|timeofday|nextval|txid_current|gen_random_bytes|uuid_generate_v7)\s*\(/;
const SERIAL = /^(small|big)?serial\b|^serial[248]\b/;
const NOT_NULL_CHECK = /^check\s*\(\s*\(?\s*("?)([a-z_][a-z0-9_$]*)\1\s+is\s+not\s+null\s*\)?\s*\)/;

const norm = (t: string) => (t.includes('.') ? t : `public.${t}`);

export function lintSql(sql: string, opts: LintOptions): LintFinding[] {
  const statements = splitSql(sql);
  const infos = statements.map((st) => analyzeStatement(st.sql));
  const known = opts.knownTables ? new Set([...opts.knownTables].map(norm)) : null;
  const created = new Set<string>();
  const rlsEnabled = new Set<string>();
  const notNullChecks = new Map<string, { key: string; validated: boolean }>();
  const findings: LintFinding[] = [];
  let lockTimeout = false;
  let lockTimeoutReported = false;

  const existing = (table: string) => !created.has(table) && (known ? known.has(table) : true);
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
          known?.delete(t);
        }
        break;
      case 'drop-schema':
        for (const s of info.schemas) add('drop-schema', st, 0, s, `drops schema ${s} and everything in it`, 'drop the objects you mean to drop, one by one, after a backup, with approval');
        break;
      case 'truncate':
        for (const t of info.tables) {
          if (created.has(t)) continue;
          add('truncate', st, 0, t, `removes every row of ${t}`, 'delete the rows you mean with a WHERE clause, after a backup, with approval');
          needsLockTimeout(st, t, 'truncate');
        }
        break;
      case 'delete':
        if (!info.hasWhere && !created.has(info.table)) add('delete-without-where', st, 0, info.table, `deletes every row of ${info.table}`, 'add a WHERE clause naming the rows to delete');
        break;
      case 'update':
        if (!info.hasWhere && existing(info.table)) add('update-without-where', st, 0, info.table, `updates every row of ${info.table} in one transaction, holding row locks on all of them`, 'add a WHERE clause, or backfill in batches outside the migration');
        break;
      case 'create-index': {
        const object = info.index ? `${info.table.split('.')[0]}.${info.index}` : info.table;
        if (!info.concurrently && existing(info.table)) {
          add('require-concurrent-index-creation', st, 0, object, `building this index blocks writes to ${info.table} until it finishes`, 'use `create index concurrently if not exists …`, alone in its own migration file');
          needsLockTimeout(st, info.table, 'create index');
        }
        if (!info.ifNotExists) add('prefer-if-not-exists', st, 0, object, 'create index fails if the index already exists', 'use `create index if not exists`');
        break;
      }
      case 'drop-index':
        if (!info.ifExists) add('prefer-if-exists', st, 0, info.indexes.join(', '), 'drop index fails if the index is already gone', 'use `drop index if exists`');
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
  });

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
          const dflt = /\bdefault\s+(.*)$/s.exec(def)?.[1] ?? '';
          if ((dflt && VOLATILE_DEFAULT.test(dflt)) || SERIAL.test(def)) add('volatile-default', st, a.offset, `${t}.${a.column}`, `a volatile default makes Postgres rewrite every row of ${t} under ACCESS EXCLUSIVE`, 'add the column without a default (or with a constant one), set the default afterwards, and backfill in batches');
          if (/\bnot\s+null\b/.test(def) && !/\bdefault\b/.test(def) && !/\bgenerated\b/.test(def) && !SERIAL.test(def)) add('adding-required-field', st, a.offset, `${t}.${a.column}`, `adding a NOT NULL column without a default fails as soon as ${t} has a row`, 'add it with a default, or add it nullable, backfill, then set NOT NULL safely');
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
          const covered = [...notNullChecks.values()].some((c) => c.key === `${t}.${a.column}` && c.validated);
          if (!covered) add('set-not-null', st, a.offset, `${t}.${a.column}`, `SET NOT NULL scans all of ${t} under ACCESS EXCLUSIVE`, 'first `add constraint … check (col is not null) not valid` and `validate constraint`; SET NOT NULL then skips the scan; drop the check afterwards');
          break;
        }
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
 * Lints files in order; each sees the tables the earlier ones created as existing. `only` limits
 * which files are reported (e.g. the new ones) while all are read for the table set.
 */
export function lintMigrations(files: LintFile[], opts: { knownTables?: Iterable<string>; only?: (path: string) => boolean } = {}): LintFinding[] {
  let known = new Set([...(opts.knownTables ?? [])].map(norm));
  const out: LintFinding[] = [];
  for (const f of files) {
    if (!opts.only || opts.only(f.path)) out.push(...lintSql(f.sql, { file: f.path, knownTables: known }));
    known = tablesAfter(f.sql, known);
  }
  return out;
}
