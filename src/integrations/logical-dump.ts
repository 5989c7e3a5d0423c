// A logical dump through the driver, for a server backup where pg_dump is not installed (issue
// 16): the user schemas' tables (columns, defaults, identity), their sequences, rows (as JSON,
// loaded with json_populate_recordset), constraints and indexes, read from the catalog. Views,
// functions, triggers, policies, grants and extensions are not in it: `logicalDumpLimits` says so
// and the restore's schema compare names what is missing. Restored as one transaction: each dumped
// table is dropped (cascade) and made again.
import type { Queryable } from './postgres/types.js';

export const logicalDumpLimits = 'tables, sequences, rows, constraints and indexes only (no views, functions, triggers, policies, grants or extensions: install pg_dump for those)';

const SKIP = `('pg_catalog', 'information_schema', 'pg_toast', 'supabase_migrations', 'auth', 'storage', 'extensions', 'realtime', 'graphql', 'graphql_public', 'vault', 'pgsodium', 'net', 'supabase_functions', 'cron')`;
const NOT_EXT = (oid: string) => `not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = ${oid} and d.deptype = 'e')`;

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** A dollar-quote tag that does not occur in the text. */
function dollar(text: string): string {
  let n = 0;
  while (text.includes(`$d${n}$`)) n++;
  return `$d${n}$`;
}

export async function logicalDump(db: Queryable): Promise<string> {
  const out: string[] = [`-- crm-agent logical dump: ${logicalDumpLimits}`, 'set local check_function_bodies = off;'];
  const tables = (
    await db.query<{ oid: number; schema: string; name: string }>(
      `select c.oid::int as oid, n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and not c.relispartition and n.nspname not in ${SKIP} and n.nspname not like 'pg\\_%' and ${NOT_EXT('c.oid')} order by 2, 3`,
    )
  ).rows;
  const q = (t: { schema: string; name: string }) => `${ident(t.schema)}.${ident(t.name)}`;
  for (const s of [...new Set(tables.map((t) => t.schema))]) out.push(`create schema if not exists ${ident(s)};`);
  for (const t of [...tables].reverse()) out.push(`drop table if exists ${q(t)} cascade;`);
  const seqs = (
    await db.query<{ schema: string; name: string }>(
      `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind = 'S' and n.nspname not in ${SKIP} and ${NOT_EXT('c.oid')} order by 1, 2`,
    )
  ).rows.map((r) => ({ ...r, last: null as string | null, called: false }));
  for (const s of seqs) {
    const { rows } = await db.query<{ last: string; called: boolean }>(`select last_value::text as last, is_called as called from ${q(s)}`);
    s.last = rows[0]?.last ?? null;
    s.called = rows[0]?.called ?? false;
  }
  // Sequences that serial columns use by name come first; identity sequences come with their column.
  const identitySeqs = new Set<string>();
  const cols = new Map<number, Array<{ name: string; type: string; notnull: boolean; dflt: string | null; identity: string; generated: string; expr: string | null }>>();
  for (const t of tables) {
    const { rows } = await db.query<{ name: string; type: string; notnull: boolean; dflt: string | null; identity: string; generated: string; expr: string | null; seq: string | null }>(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as notnull, a.attidentity::text as identity, a.attgenerated::text as generated,
              case when a.attgenerated = '' then pg_get_expr(ad.adbin, ad.adrelid) end as dflt, case when a.attgenerated <> '' then pg_get_expr(ad.adbin, ad.adrelid) end as expr,
              case when a.attidentity <> '' then pg_get_serial_sequence($2, a.attname) end as seq
       from pg_attribute a left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
       where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped order by a.attnum`,
      [t.oid, q(t)],
    );
    for (const r of rows) if (r.seq) identitySeqs.add(r.seq.replace(/"/g, ''));
    cols.set(t.oid, rows);
  }
  for (const s of seqs) {
    if (identitySeqs.has(`${s.schema}.${s.name}`)) continue;
    out.push(`create sequence if not exists ${q(s)};`);
  }
  for (const t of tables) {
    const defs = cols.get(t.oid)!.map((c) => {
      let d = `${ident(c.name)} ${c.type}`;
      if (c.generated === 's' && c.expr) d += ` generated always as (${c.expr}) stored`;
      else if (c.identity) d += ` generated ${c.identity === 'a' ? 'always' : 'by default'} as identity`;
      else if (c.dflt) d += ` default ${c.dflt}`;
      if (c.notnull && !c.identity) d += ' not null';
      return d;
    });
    out.push(`create table ${q(t)} (\n  ${defs.join(',\n  ')}\n);`);
  }
  for (const t of tables) {
    const writable = cols.get(t.oid)!.filter((c) => c.generated !== 's').map((c) => ident(c.name));
    const { rows } = await db.query<{ data: string | null }>(`select json_agg(t)::text as data from ${q(t)} t`);
    const data = rows[0]?.data;
    if (!data) continue;
    const tag = dollar(data);
    const list = writable.join(', ');
    const overriding = cols.get(t.oid)!.some((c) => c.identity === 'a') ? ' overriding system value' : '';
    out.push(`insert into ${q(t)} (${list})${overriding} select ${list} from json_populate_recordset(null::${q(t)}, ${tag}${data}${tag});`);
  }
  for (const s of seqs) if (s.last !== null) out.push(`select setval('${q(s).replace(/'/g, "''")}', ${s.last}, ${s.called});`);
  const cons = (
    await db.query<{ t: string; name: string; def: string; kind: string }>(
      `select c.conrelid::regclass::text as t, c.conname as name, pg_get_constraintdef(c.oid) as def, c.contype::text as kind
       from pg_constraint c where c.conrelid = any($1::oid[]) and c.contype in ('p', 'u', 'c', 'x', 'f') order by case c.contype when 'f' then 1 else 0 end, 1, 2`,
      [tables.map((t) => t.oid)],
    )
  ).rows;
  for (const c of cons) out.push(`alter table ${c.t} add constraint ${ident(c.name)} ${c.def};`);
  const idx = (
    await db.query<{ def: string }>(
      `select pg_get_indexdef(i.indexrelid) as def from pg_index i where i.indrelid = any($1::oid[])
       and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid) order by 1`,
      [tables.map((t) => t.oid)],
    )
  ).rows;
  for (const i of idx) out.push(`${i.def};`);
  return out.join('\n') + '\n';
}
