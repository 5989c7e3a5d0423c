// A normalized JSON picture of a database's schema, from catalog queries: tables with columns
// (type, nullability, default), constraints, indexes, RLS flags, policies and triggers; views;
// functions; enums; extensions. Keys are sorted so two snapshots compare with JSON equality, and the
// snapshot is what the schema differ, the schema lints and the SQL builder read.
//
// Covered: every schema except Postgres' own (pg_catalog, information_schema, pg_toast, temp) and
// the migration history (supabase_migrations). Objects that belong to an extension are left out.
import type { Queryable } from '../../src/integrations/postgres/types.js';

export interface ColumnSnapshot {
  type: string;
  nullable: boolean;
  default: string | null;
  /** 'always' | 'by default' for identity columns. */
  identity?: string;
  /** The expression of a generated column. */
  generated?: string;
}

export type ConstraintKind = 'primary key' | 'foreign key' | 'unique' | 'check' | 'exclusion' | 'trigger';

export interface ConstraintSnapshot {
  type: ConstraintKind;
  definition: string;
  columns: string[];
  validated: boolean;
  references?: { table: string; columns: string[] };
}

export interface IndexSnapshot {
  definition: string;
  unique: boolean;
  primary: boolean;
  valid: boolean;
  /** Key columns in order; null for an expression. */
  columns: Array<string | null>;
  /** The WHERE of a partial index. */
  predicate: string | null;
  method: string;
}

export interface PolicySnapshot {
  command: 'all' | 'select' | 'insert' | 'update' | 'delete';
  permissive: boolean;
  roles: string[];
  using: string | null;
  check: string | null;
}

export interface TableSnapshot {
  schema: string;
  name: string;
  rls: boolean;
  forceRls: boolean;
  columns: Record<string, ColumnSnapshot>;
  constraints: Record<string, ConstraintSnapshot>;
  indexes: Record<string, IndexSnapshot>;
  policies: Record<string, PolicySnapshot>;
  triggers: Record<string, string>;
}

export interface ViewSnapshot {
  schema: string;
  name: string;
  materialized: boolean;
  securityInvoker: boolean;
  definition: string;
}

export interface FunctionSnapshot {
  schema: string;
  name: string;
  args: string;
  returns: string;
  language: string;
  securityDefiner: boolean;
  volatility: 'immutable' | 'stable' | 'volatile';
  /** proconfig, e.g. ["search_path=public"]. */
  config: string[];
  /** md5 of the body. */
  bodyHash: string;
}

export interface SchemaSnapshot {
  version: 1;
  /** Keyed `schema.table`. */
  tables: Record<string, TableSnapshot>;
  views: Record<string, ViewSnapshot>;
  /** Keyed `schema.name(identity args)`. */
  functions: Record<string, FunctionSnapshot>;
  /** Keyed `schema.type`: labels in order. */
  enums: Record<string, string[]>;
  /** Keyed by extension name. */
  extensions: Record<string, { schema: string; version: string }>;
}

const SKIP_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema', 'supabase_migrations') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;
const NOT_EXTENSION = (cls: string, oid: string) => `not exists (select 1 from pg_depend dep where dep.classid = '${cls}'::regclass and dep.objid = ${oid} and dep.deptype = 'e')`;

const CONTYPE: Record<string, ConstraintKind> = { p: 'primary key', f: 'foreign key', u: 'unique', c: 'check', x: 'exclusion', t: 'trigger' };
const CMD: Record<string, PolicySnapshot['command']> = { '*': 'all', ALL: 'all', r: 'select', SELECT: 'select', a: 'insert', INSERT: 'insert', w: 'update', UPDATE: 'update', d: 'delete', DELETE: 'delete' };
const VOL: Record<string, FunctionSnapshot['volatility']> = { i: 'immutable', s: 'stable', v: 'volatile' };

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const arr = (v: unknown): string[] => (Array.isArray(v) ? (v as unknown[]).map(String) : typeof v === 'string' && v.startsWith('{') ? v.slice(1, -1).split(',').filter(Boolean).map((s) => s.replace(/^"|"$/g, '')) : []);

export async function takeSnapshot(db: Queryable): Promise<SchemaSnapshot> {
  const tables: Record<string, TableSnapshot> = {};
  const views: Record<string, ViewSnapshot> = {};

  const rels = await db.query<{ schema: string; name: string; kind: string; rls: boolean; force_rls: boolean; options: string[] | null; viewdef: string | null }>(`
    select n.nspname as schema, c.relname as name, c.relkind as kind, c.relrowsecurity as rls, c.relforcerowsecurity as force_rls,
           c.reloptions::text[] as options, case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end as viewdef
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm') and ${SKIP_SCHEMAS} and ${NOT_EXTENSION('pg_class', 'c.oid')}`);
  for (const r of rels.rows) {
    const key = `${r.schema}.${r.name}`;
    if (r.kind === 'r' || r.kind === 'p') {
      tables[key] = { schema: r.schema, name: r.name, rls: r.rls, forceRls: r.force_rls, columns: {}, constraints: {}, indexes: {}, policies: {}, triggers: {} };
    } else {
      const opts = arr(r.options);
      views[key] = { schema: r.schema, name: r.name, materialized: r.kind === 'm', securityInvoker: opts.some((o) => /^security_invoker=(true|on|1|yes)$/i.test(o)), definition: (r.viewdef ?? '').trim() };
    }
  }

  const cols = await db.query<{ schema: string; table: string; column: string; type: string; notnull: boolean; dflt: string | null; identity: string; generated: string }>(`
    select n.nspname as schema, c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as notnull,
           pg_get_expr(d.adbin, d.adrelid) as dflt, a.attidentity::text as identity, a.attgenerated::text as generated
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p') and ${SKIP_SCHEMAS}`);
  for (const r of cols.rows) {
    const t = tables[`${r.schema}.${r.table}`];
    if (!t) continue;
    const col: ColumnSnapshot = { type: r.type, nullable: !r.notnull, default: r.generated ? null : r.dflt };
    if (r.identity) col.identity = r.identity === 'a' ? 'always' : 'by default';
    if (r.generated && r.dflt) col.generated = r.dflt;
    t.columns[r.column] = col;
  }

  const cons = await db.query<{ schema: string; table: string; name: string; type: string; def: string; validated: boolean; cols: string[] | null; ref_schema: string | null; ref_table: string | null; ref_cols: string[] | null }>(`
    select n.nspname as schema, c.relname as table, k.conname as name, k.contype::text as type, pg_get_constraintdef(k.oid) as def, k.convalidated as validated,
           array(select a.attname::text from unnest(k.conkey) with ordinality u(attnum, ord) join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.ord) as cols,
           rn.nspname as ref_schema, rc.relname as ref_table,
           array(select a.attname::text from unnest(k.confkey) with ordinality u(attnum, ord) join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.ord) as ref_cols
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_class rc on rc.oid = k.confrelid left join pg_namespace rn on rn.oid = rc.relnamespace
    where k.contype in ('p', 'f', 'u', 'c', 'x', 't') and ${SKIP_SCHEMAS}`);
  for (const r of cons.rows) {
    const t = tables[`${r.schema}.${r.table}`];
    const type = CONTYPE[r.type];
    if (!t || !type) continue;
    const c: ConstraintSnapshot = { type, definition: r.def, columns: arr(r.cols), validated: r.validated };
    if (type === 'foreign key' && r.ref_table) c.references = { table: `${r.ref_schema}.${r.ref_table}`, columns: arr(r.ref_cols) };
    t.constraints[r.name] = c;
  }

  const idx = await db.query<{ schema: string; table: string; name: string; def: string; unique: boolean; primary: boolean; valid: boolean; cols: Array<string | null> | null; pred: string | null; method: string }>(`
    select n.nspname as schema, c.relname as table, i.relname as name, pg_get_indexdef(x.indexrelid) as def, x.indisunique as unique, x.indisprimary as primary,
           x.indisvalid as valid, pg_get_expr(x.indpred, x.indrelid) as pred, am.amname as method,
           array(select case when u.attnum = 0 then null else a.attname::text end from unnest(x.indkey::int2[]) with ordinality u(attnum, ord)
                 left join pg_attribute a on a.attrelid = x.indrelid and a.attnum = u.attnum where u.ord <= x.indnkeyatts order by u.ord) as cols
    from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid
    join pg_namespace n on n.oid = c.relnamespace join pg_am am on am.oid = i.relam
    where ${SKIP_SCHEMAS}`);
  for (const r of idx.rows) {
    const t = tables[`${r.schema}.${r.table}`];
    if (!t) continue;
    const columns = Array.isArray(r.cols) ? r.cols.map((c) => (c === null || c === 'NULL' ? null : String(c))) : [];
    t.indexes[r.name] = { definition: r.def, unique: r.unique, primary: r.primary, valid: r.valid, columns, predicate: r.pred, method: r.method };
  }

  const pols = await db.query<{ schema: string; table: string; name: string; cmd: string; permissive: boolean; roles: string[] | null; qual: string | null; check: string | null }>(`
    select n.nspname as schema, c.relname as table, p.polname as name, p.polcmd::text as cmd, p.polpermissive as permissive,
           case when p.polroles = '{0}' then array['public']::text[] else array(select rolname::text from pg_roles where oid = any (p.polroles) order by rolname) end as roles,
           pg_get_expr(p.polqual, p.polrelid) as qual, pg_get_expr(p.polwithcheck, p.polrelid) as check
    from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
    where ${SKIP_SCHEMAS}`);
  for (const r of pols.rows) {
    const t = tables[`${r.schema}.${r.table}`];
    if (!t) continue;
    t.policies[r.name] = { command: CMD[r.cmd] ?? 'all', permissive: r.permissive, roles: arr(r.roles).sort(), using: r.qual, check: r.check };
  }

  const trgs = await db.query<{ schema: string; table: string; name: string; def: string }>(`
    select n.nspname as schema, c.relname as table, t.tgname as name, pg_get_triggerdef(t.oid) as def
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where not t.tgisinternal and ${SKIP_SCHEMAS}`);
  for (const r of trgs.rows) {
    const t = tables[`${r.schema}.${r.table}`];
    if (t) t.triggers[r.name] = r.def;
  }

  const fns = await db.query<{ schema: string; name: string; args: string; returns: string | null; language: string; secdef: boolean; vol: string; config: string[] | null; hash: string }>(`
    select n.nspname as schema, p.proname as name, pg_get_function_identity_arguments(p.oid) as args, pg_get_function_result(p.oid) as returns,
           l.lanname as language, p.prosecdef as secdef, p.provolatile::text as vol, p.proconfig::text[] as config, md5(coalesce(p.prosrc, '')) as hash
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
    where p.prokind in ('f', 'p') and ${SKIP_SCHEMAS} and ${NOT_EXTENSION('pg_proc', 'p.oid')}`);
  const functions: Record<string, FunctionSnapshot> = {};
  for (const r of fns.rows) {
    functions[`${r.schema}.${r.name}(${r.args})`] = { schema: r.schema, name: r.name, args: r.args, returns: r.returns ?? 'void', language: r.language, securityDefiner: r.secdef, volatility: VOL[r.vol] ?? 'volatile', config: arr(r.config).sort(), bodyHash: r.hash };
  }

  const ens = await db.query<{ schema: string; name: string; labels: string[] }>(`
    select n.nspname as schema, t.typname as name, array(select e.enumlabel::text from pg_enum e where e.enumtypid = t.oid order by e.enumsortorder) as labels
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where t.typtype = 'e' and ${SKIP_SCHEMAS} and ${NOT_EXTENSION('pg_type', 't.oid')}`);
  const enums: Record<string, string[]> = {};
  for (const r of ens.rows) enums[`${r.schema}.${r.name}`] = arr(r.labels);

  const exts = await db.query<{ name: string; schema: string; version: string }>(`
    select e.extname as name, n.nspname as schema, e.extversion as version from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname <> 'plpgsql'`);
  const extensions: Record<string, { schema: string; version: string }> = {};
  for (const r of exts.rows) extensions[r.name] = { schema: r.schema, version: r.version };

  for (const t of Object.values(tables)) {
    t.columns = sortKeys(t.columns);
    t.constraints = sortKeys(t.constraints);
    t.indexes = sortKeys(t.indexes);
    t.policies = sortKeys(t.policies);
    t.triggers = sortKeys(t.triggers);
  }
  return { version: 1, tables: sortKeys(tables), views: sortKeys(views), functions: sortKeys(functions), enums: sortKeys(enums), extensions: sortKeys(extensions) };
}

/** An empty snapshot (a database with nothing in it). */
export const emptySnapshot = (): SchemaSnapshot => ({ version: 1, tables: {}, views: {}, functions: {}, enums: {}, extensions: {} });

/** Pure: the snapshot restricted to some schemas (e.g. ['public'] for what the API exposes). */
export function onlySchemas(s: SchemaSnapshot, schemas: string[]): SchemaSnapshot {
  const keep = <T extends { schema: string }>(rec: Record<string, T>) => Object.fromEntries(Object.entries(rec).filter(([, v]) => schemas.includes(v.schema)));
  return { ...s, tables: keep(s.tables), views: keep(s.views), functions: keep(s.functions), enums: Object.fromEntries(Object.entries(s.enums).filter(([k]) => schemas.includes(k.split('.')[0] as string))) };
}
