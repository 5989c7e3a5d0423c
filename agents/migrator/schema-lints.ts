// Schema lints for `agent bugs scan`, over the database the migrations build (a snapshot): the
// checks Supabase's advisors run, plus `*_id` columns that name a table but have no foreign key.
// Each finding has the shared finding shape and, where a safe one exists, the `fixSql` that
// `agent migrate` could stage. Levels follow Supabase's advisors. Pure (takeSnapshot does the I/O).
//
//   unindexed-foreign-key (info)           foreign key without an index that starts with its columns
//   no-primary-key (info)                  table without a primary key
//   rls-disabled-in-public (error)         table in an API schema (public, config.toml's [api] schemas) with RLS off
//   policy-exists-rls-disabled (error)     policies written but RLS off, so they do nothing
//   rls-enabled-no-policy (info)           RLS on and no policy: the API sees no rows
//   duplicate-index (warning)              two indexes with the same definition
//   multiple-permissive-policies (warning) several permissive policies for one role and action
//   security-definer-view (error)          API-schema view without security_invoker (bypasses RLS)
//   function-search-path-mutable (warning) function without a pinned search_path
//
// Every user schema is scanned (all but those Supabase manages, MANAGED_SCHEMAS); the RLS-exposure
// and view lints only look at the schemas the API serves.
//   missing-foreign-key (warning)          `<name>_id` column matching a table, with no foreign key
//   auth-rls-initplan (warning)            policy calling auth.uid()/auth.jwt()/current_setting() per row
//   rls-references-user-metadata (error)   policy trusting user_metadata, which users can edit
//   rls-policy-always-true (warning)       UPDATE/DELETE using (true) or INSERT/UPDATE with check (true) for API roles
//   unsupported-reg-types (warning)        reg* column types pg_upgrade cannot carry
//   fkey-to-auth-unique (error)            foreign key to auth.users on a column other than id
//   extension-in-public (warning)          extension installed in public
//   materialized-view-in-api (warning)     materialized view in an API schema (no RLS)
//   auth-users-exposed (error)             API view reading auth.users with its owner's rights
//   (the names are Supabase's splinter lints; those needing grants or statistics are not computed here)
import type { Finding, Severity } from './finding.js';
import { sortFindings } from './finding.js';
import type { SchemaSnapshot, TableSnapshot } from './schema-snapshot.js';
import { splitSql } from './sql-split.js';
import { analyzeStatement } from './linter/statement.js';
import { objectName, quoteIdent, quoteQualified } from './sql-names.js';

export type Locator = (target: { table?: string; column?: string; function?: string; view?: string }) => { file: string; line: number } | undefined;

export interface SchemaLintOptions {
  /**
   * Schemas the API exposes (RLS and view lints); default ['public']. Given alone (the older use),
   * also the only schemas scanned.
   */
  schemas?: string[];
  /** Schemas scanned by every other lint; default every user schema (all but those Supabase or Postgres manage). */
  scanned?: string[];
  /** Finds the migration that created (or last changed) an object, for file and line. */
  locate?: Locator;
}

/** Schemas Supabase, its extensions or Postgres manage: never the project's own. */
export const MANAGED_SCHEMAS: ReadonlySet<string> = new Set([
  'auth', 'storage', 'realtime', '_realtime', 'extensions', 'graphql', 'graphql_public', 'net', 'cron', 'vault', 'pgsodium', 'pgsodium_masks',
  'pgbouncer', 'supabase_functions', 'supabase_migrations', '_analytics', 'pgmq', 'pgtle', 'tiger', 'tiger_data', 'topology', 'information_schema', 'pg_catalog', 'repack',
]);

export const isUserSchema = (schema: string): boolean => !MANAGED_SCHEMAS.has(schema) && !/^(pg_|_timescaledb)/.test(schema);

/** Pure: every user schema with a table, view or function in the snapshot, public first. */
export function userSchemas(snapshot: SchemaSnapshot): string[] {
  const all = new Set<string>();
  for (const o of [...Object.values(snapshot.tables), ...Object.values(snapshot.views), ...Object.values(snapshot.functions)]) if (isUserSchema(o.schema)) all.add(o.schema);
  return [...all].sort((a, b) => (a === 'public' ? -1 : b === 'public' ? 1 : a < b ? -1 : 1));
}

/**
 * A locator over migration files: the last statement that created or changed each object. A table
 * is found at its `create table`; a column at its line in that statement, or at the later
 * `alter table … add column` that added it; a function or view at its last `create [or replace]`.
 */
export function locatorFromFiles(files: Array<{ path: string; sql: string }>): Locator {
  const creates = new Map<string, { file: string; line: number; sql: string }>();
  const columns = new Map<string, { file: string; line: number }>();
  const routines = new Map<string, { file: string; line: number }>();
  for (const f of files) {
    for (const st of splitSql(f.sql)) {
      const info = analyzeStatement(st.sql);
      const at = (offset: number) => ({ file: f.path, line: st.line + (st.sql.slice(0, offset).match(/\n/g)?.length ?? 0) });
      if (info.kind === 'create-table') {
        creates.set(info.table, { file: f.path, line: st.line, sql: st.sql });
        for (const k of [...columns.keys()]) if (k.startsWith(`${info.table}.`)) columns.delete(k);
      } else if (info.kind === 'alter-table') {
        for (const a of info.actions) if (a.kind === 'add-column' || a.kind === 'alter-column-type') columns.set(`${info.table}.${a.column}`, at(a.offset));
      } else if (info.kind === 'create-function') routines.set(info.name, at(0));
      else if (info.kind === 'create-view') routines.set(info.name, at(0));
    }
  }
  return ({ table, column, function: fn, view }) => {
    const routine = fn ?? view;
    if (routine) return routines.get(routine.replace(/\(.*$/, ''));
    if (!table) return undefined;
    if (column && columns.has(`${table}.${column}`)) return columns.get(`${table}.${column}`);
    const c = creates.get(table);
    if (!c) return undefined;
    if (column) {
      const lines = c.sql.split('\n');
      const at = lines.findIndex((l, i) => i > 0 && new RegExp(`^\\s*"?${column.replace(/[^a-z0-9_]/gi, '')}"?\\s`, 'i').test(l));
      if (at > 0) return { file: c.file, line: c.line + at };
    }
    return { file: c.file, line: c.line };
  };
}

const singulars = (x: string) => [x, `${x}s`, `${x}es`, x.endsWith('y') ? `${x.slice(0, -1)}ies` : ''].filter(Boolean);

function primaryKey(t: TableSnapshot): string[] | null {
  const pk = Object.values(t.constraints).find((c) => c.type === 'primary key');
  return pk ? pk.columns : null;
}

function ownerColumn(t: TableSnapshot): string | null {
  for (const c of ['owner_id', 'user_id', 'created_by']) if (t.columns[c]?.type === 'uuid') return c;
  return null;
}

export function ownerPolicySql(table: string, column: string): string {
  const name = `${table.split('.').pop()} owner can do everything`;
  return `create policy "${name}" on ${quoteQualified(table)} for all to authenticated using ((select auth.uid()) = ${quoteIdent(column)}) with check ((select auth.uid()) = ${quoteIdent(column)});`;
}

/** `onDelete`: the key's ON DELETE action (`set null` keeps deleting the parent possible for a nullable column). */
export function foreignKeyFixSql(table: string, column: string, refTable: string, refColumn: string, onDelete?: 'set null' | 'cascade' | 'restrict'): string {
  const constraint = objectName(table.split('.').pop() as string, column, 'fkey');
  return [
    "set lock_timeout = '5s';",
    `alter table ${quoteQualified(table)} add constraint ${quoteIdent(constraint)} foreign key (${quoteIdent(column)}) references ${quoteQualified(refTable)} (${quoteIdent(refColumn)})${onDelete ? ` on delete ${onDelete}` : ''} not valid;`,
    `alter table ${quoteQualified(table)} validate constraint ${quoteIdent(constraint)};`,
  ].join('\n');
}

const AUTH_CALL = /\b(?:auth\.(?:uid|jwt|role|email)|current_setting)\s*\(/i;
const REG_TYPES = /^(regcollation|regconfig|regdictionary|regnamespace|regoper|regoperator|regproc|regprocedure)(\[\])?$/;

/** Pure: an auth.uid()/auth.jwt()/current_setting() call a policy evaluates per row (not wrapped in a SELECT). */
export function unwrappedAuthCall(expr: string): boolean {
  // pg_get_expr shows a wrapped call as `( SELECT auth.uid() AS uid)`.
  return AUTH_CALL.test(expr.replace(/\(\s*select\s+[^()]*(?:\([^()]*\))?[^()]*\)/gi, ''));
}

/** Pure: `auth.uid()` -> `(select auth.uid())` (and the other calls), for a fix of an expression with no SELECT. */
export function wrapAuthCalls(expr: string): string {
  return expr.replace(/\b(auth\.(?:uid|jwt|role|email)\s*\(\s*\)|current_setting\s*\([^()]*\))/gi, '(select $1)');
}

export function lintSchema(snapshot: SchemaSnapshot, opts: SchemaLintOptions = {}): Finding[] {
  const schemas = opts.schemas ?? ['public'];
  const scanned = new Set(opts.scanned ?? (opts.schemas ? opts.schemas : userSchemas(snapshot)));
  const exposed = Object.entries(snapshot.tables).filter(([, t]) => scanned.has(t.schema));
  const out: Finding[] = [];
  const add = (ruleId: string, severity: Severity, object: string, where: Parameters<Locator>[0] | null, message: string, fix: string, fixSql?: string) => {
    const f: Finding = { ruleId, severity, object, message, fix };
    const loc = where ? opts.locate?.(where) : undefined;
    if (loc) {
      f.file = loc.file;
      f.line = loc.line;
    }
    if (fixSql) f.fixSql = fixSql;
    out.push(f);
  };

  for (const [key, t] of exposed) {
    const policies = Object.entries(t.policies);
    // Foreign keys without a covering index
    for (const [name, c] of Object.entries(t.constraints)) {
      if (c.type !== 'foreign key') continue;
      const n = c.columns.length;
      const covered = Object.values(t.indexes).some((i) => i.valid && i.columns.length >= n && [...i.columns.slice(0, n)].sort().join(',') === [...c.columns].sort().join(','));
      if (!covered) {
        const idx = objectName(t.name, ...c.columns, 'idx');
        add('unindexed-foreign-key', 'info', `${key}.${name}`, { table: key, column: c.columns[0] as string }, `foreign key ${name} on ${key} (${c.columns.join(', ')}) has no index, so joins and deletes on ${c.references?.table ?? 'the parent'} scan ${key}`, `create an index on ${key} (${c.columns.join(', ')})`, `create index concurrently if not exists ${quoteIdent(idx)} on ${quoteQualified(key)} (${c.columns.map(quoteIdent).join(', ')});`);
      }
    }
    if (!primaryKey(t)) {
      add('no-primary-key', 'info', key, { table: key }, `${key} has no primary key: rows cannot be updated or deleted reliably through the API and replication cannot identify them`, 'add a primary key', t.columns.id && !t.columns.id.nullable ? `alter table ${quoteQualified(key)} add primary key (id);` : undefined);
    }
    const enableRls = `alter table ${quoteQualified(key)} enable row level security;`;
    if (!t.rls && schemas.includes(t.schema)) {
      add('rls-disabled-in-public', 'error', key, { table: key }, `${key} is exposed through the Supabase API with row level security off: anyone with the anon key can read and write every row`, 'enable row level security and add policies for the access the app needs', enableRls);
    }
    if (!t.rls && policies.length) add('policy-exists-rls-disabled', 'error', key, { table: key }, `${key} has ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} (${policies.map(([p]) => p).join(', ')}) but row level security is off, so none of them applies`, 'enable row level security', enableRls);
    if (t.rls && !policies.length) {
      const owner = ownerColumn(t);
      add('rls-enabled-no-policy', 'info', key, { table: key }, `${key} has row level security on and no policy, so the API returns no rows to anon or authenticated users`, owner ? `add a policy, e.g. owners manage their rows through ${owner}` : 'add policies for the access the app needs', owner ? ownerPolicySql(key, owner) : undefined);
    }
    // Policies: Supabase's auth_rls_initplan, rls_references_user_metadata, rls_policy_always_true.
    for (const [name, p] of policies) {
      const obj = `${key}.${name}`;
      const exprs = [p.using, p.check].filter((e): e is string => Boolean(e));
      if (exprs.some(unwrappedAuthCall)) {
        const wrap = (e: string | null) => (e ? wrapAuthCalls(e) : null);
        const canFix = exprs.every((e) => !/\bselect\b/i.test(e));
        const fixSql = canFix ? `alter policy ${quoteIdent(name)} on ${quoteQualified(key)}${p.using ? ` using (${wrap(p.using)})` : ''}${p.check ? ` with check (${wrap(p.check)})` : ''};` : undefined;
        add('auth-rls-initplan', 'warning', obj, { table: key }, `policy "${name}" on ${key} calls auth.<function>() or current_setting() for every row it checks`, 'wrap the call in a subquery, `(select auth.uid())`, so Postgres evaluates it once per statement', fixSql);
      }
      if (exprs.some((e) => /user_metadata/.test(e))) add('rls-references-user-metadata', 'error', obj, { table: key }, `policy "${name}" on ${key} trusts user_metadata from the JWT, which the signed-in user can edit`, 'decide on app_metadata (only the server can set it) or on a table the user cannot write');
      const apiRoles = p.roles.length === 0 || p.roles.some((r) => r === 'public' || r === 'anon' || r === 'authenticated');
      const alwaysTrue = (e: string | null) => e !== null && /^\(?\s*true\s*\)?$/i.test(e.trim());
      if (apiRoles && (((p.command === 'update' || p.command === 'delete') && alwaysTrue(p.using)) || ((p.command === 'insert' || p.command === 'update') && alwaysTrue(p.check)))) {
        add('rls-policy-always-true', 'warning', obj, { table: key }, `policy "${name}" lets ${p.roles.join(', ') || 'everyone'} ${p.command} any row of ${key} (its condition is true)`, 'restrict the condition to the rows the role owns, or drop the policy');
      }
    }
    for (const [col, c] of Object.entries(t.columns)) {
      if (REG_TYPES.test(c.type)) add('unsupported-reg-types', 'warning', `${key}.${col}`, { table: key, column: col }, `${key}.${col} is of type ${c.type}, which pg_upgrade cannot carry over: the project's Postgres cannot be upgraded`, 'store the name as text (or the oid of a regclass) instead');
    }
    for (const [name, c] of Object.entries(t.constraints)) {
      if (c.type === 'foreign key' && c.references?.table === 'auth.users' && c.references.columns.join(',') !== 'id') {
        add('fkey-to-auth-unique', 'error', `${key}.${name}`, { table: key, column: c.columns[0] as string }, `${key}.${name} references auth.users (${c.references.columns.join(', ')}), a unique constraint Supabase may drop in an auth upgrade`, 'reference auth.users (id) instead');
      }
    }
    // Duplicate indexes
    const groups = new Map<string, string[]>();
    for (const [name, i] of Object.entries(t.indexes)) {
      const sig = i.definition.replace(/^CREATE (UNIQUE )?INDEX \S+ ON /, 'CREATE $1INDEX ON ');
      groups.set(sig, [...(groups.get(sig) ?? []), name]);
    }
    for (const names of groups.values()) {
      if (names.length < 2) continue;
      const backing = new Set(Object.keys(t.constraints));
      const keep = names.find((n) => backing.has(n)) ?? names[0];
      const drop = names.filter((n) => n !== keep && !backing.has(n));
      add('duplicate-index', 'warning', `${t.schema}.${names.join(', ')}`, { table: key }, `${key} has identical indexes ${names.join(', ')}: every write maintains both`, `keep ${keep} and drop the others`, drop.length ? drop.map((n) => `drop index concurrently if exists ${quoteQualified(`${t.schema}.${n}`)};`).join('\n') : undefined);
    }
    // Several permissive policies for one role and action
    const byRoleAction = new Map<string, string[]>();
    for (const [name, p] of policies) {
      if (!p.permissive) continue;
      const actions = p.command === 'all' ? ['select', 'insert', 'update', 'delete'] : [p.command];
      for (const role of p.roles) for (const action of actions) byRoleAction.set(`${role}\u0000${action}`, [...(byRoleAction.get(`${role}\u0000${action}`) ?? []), name]);
    }
    for (const [k, names] of byRoleAction) {
      if (names.length < 2) continue;
      const [role, action] = k.split('\u0000') as [string, string];
      add('multiple-permissive-policies', 'warning', key, { table: key }, `${key} has ${names.length} permissive policies for role ${role} and ${action} (${names.join(', ')}); Postgres runs all of them on every query`, 'merge them into one policy whose condition ORs theirs');
    }
    // `<name>_id` columns that match a table but have no foreign key
    for (const [col, c] of Object.entries(t.columns)) {
      const m = /^(.+)_id$/.exec(col);
      if (!m) continue;
      const hasFk = Object.values(t.constraints).some((k) => k.type === 'foreign key' && k.columns.includes(col));
      if (hasFk) continue;
      const base = m[1] as string;
      let target: [string, TableSnapshot] | undefined;
      for (const candidate of singulars(base)) {
        const hit = snapshot.tables[`${t.schema}.${candidate}`];
        if (hit && `${t.schema}.${candidate}` !== key) {
          target = [`${t.schema}.${candidate}`, hit];
          break;
        }
      }
      if (!target && base === 'user' && snapshot.tables['auth.users']) target = ['auth.users', snapshot.tables['auth.users']];
      if (!target) continue;
      const pk = primaryKey(target[1]);
      if (!pk || pk.length !== 1) continue;
      const refCol = pk[0] as string;
      if (target[1].columns[refCol]?.type !== c.type) continue;
      add('missing-foreign-key', 'warning', `${key}.${col}`, { table: key, column: col }, `${t.name}.${col} refers to ${target[0].replace(/^public\./, '')} by name but has no foreign key, so rows can point at ${target[0].replace(/^public\./, '')} that do not exist`, `add a foreign key ${t.name}.${col} -> ${target[0].replace(/^public\./, '')}.${refCol} (NOT VALID, then VALIDATE), then an index on ${t.name} (${col})`, foreignKeyFixSql(key, col, target[0], refCol));
    }
  }

  for (const [name, e] of Object.entries(snapshot.extensions)) {
    if (e.schema === 'public') add('extension-in-public', 'warning', `extension ${name}`, null, `extension ${name} is installed in public, so its functions and types sit in the API's schema`, 'move it to the extensions schema', `alter extension ${quoteIdent(name)} set schema extensions;`);
  }
  for (const [key, v] of Object.entries(snapshot.views)) {
    if (!schemas.includes(v.schema)) continue;
    if (v.materialized) add('materialized-view-in-api', 'warning', key, { view: key }, `materialized view ${key} is served by the API and has no row level security`, 'move it to a schema the API does not serve, or revoke select from anon and authenticated');
    if (!v.securityInvoker && /\bauth\.users\b/.test(v.definition)) add('auth-users-exposed', 'error', key, { view: key }, `view ${key} reads auth.users with its owner's rights, so the API can show every user's data`, 'drop it or make it security_invoker (and read only the caller\'s row)', `alter view ${quoteQualified(key)} set (security_invoker = true);`);
  }
  for (const [key, v] of Object.entries(snapshot.views)) {
    if (!schemas.includes(v.schema) || v.materialized || v.securityInvoker) continue;
    add('security-definer-view', 'error', key, { view: key }, `view ${key} runs with its owner's rights, so API users bypass the row level security of the tables it reads`, 'make it security_invoker', `alter view ${quoteQualified(key)} set (security_invoker = true);`);
  }
  for (const [key, f] of Object.entries(snapshot.functions)) {
    if (!scanned.has(f.schema) || f.config.some((c) => c.startsWith('search_path='))) continue;
    add('function-search-path-mutable', 'warning', key, { function: key }, `function ${key} resolves names through the caller's search_path${f.securityDefiner ? ' while running with its owner’s rights' : ''}`, 'pin its search_path', `alter function ${quoteQualified(`${f.schema}.${f.name}`)}(${f.args}) set search_path = public, extensions, pg_temp;`);
  }
  return sortFindings(out);
}
