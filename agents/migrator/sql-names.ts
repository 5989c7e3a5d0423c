// Identifier quoting for generated SQL. Pure.

// Postgres reserved words and the type/function-name keywords that cannot be bare column names.
const RESERVED = new Set(
  ('all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case cast char character check coalesce collate collation ' +
    'column concurrently constraint create cross current_catalog current_date current_role current_schema current_time current_timestamp current_user dec decimal default ' +
    'deferrable desc distinct do else end except exists extract false fetch float for foreign freeze from full grant greatest group grouping having ilike in initially inner inout int ' +
    'integer intersect interval into is isnull join lateral leading least left like limit localtime localtimestamp national natural nchar none normalize not notnull null nullif numeric ' +
    'offset on only or order out outer overlaps overlay placing position precision primary real references returning right row select session_user setof similar smallint some substring ' +
    'symmetric system_user table tablesample then time timestamp to trailing treat trim true union unique user using values varchar variadic verbose when where window with xmlattributes')
    .split(' '),
);

export const isReserved = (name: string): boolean => RESERVED.has(name);

export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** `public.jobs` -> `public.jobs`; parts quoted as needed. */
export const quoteQualified = (qualified: string): string => qualified.split('.').map(quoteIdent).join('.');

/** A name for a generated object, kept within Postgres' 63-byte limit. */
export function objectName(...parts: string[]): string {
  const name = parts.filter(Boolean).join('_');
  return name.length <= 63 ? name : name.slice(0, 63).replace(/_+$/, '');
}

export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
