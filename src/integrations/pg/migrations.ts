// The project's Supabase migrations: files, replay into a database, and the foreign-key lint
// BugHunter uses ("`*_id` columns that match a table but have no foreign key").
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { SchemaFinding } from '../../../agents/bug-hunter/root-cause.js';

export const MIGRATIONS_DIR = 'supabase/migrations';
const FILE = /^(\d{14})_([a-z0-9_]+)\.sql$/i;

export interface MigrationFile {
  version: string;
  name: string;
  path: string;
  sql: string;
}

export function readMigrations(root: string): { files: MigrationFile[]; skipped: string[] } {
  const dir = join(root, MIGRATIONS_DIR);
  if (!existsSync(dir)) return { files: [], skipped: [] };
  const files: MigrationFile[] = [];
  const skipped: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.sql')) continue;
    const m = FILE.exec(name);
    if (!m) {
      skipped.push(name);
      continue;
    }
    files.push({ version: m[1]!, name: m[2]!, path: `${MIGRATIONS_DIR}/${name}`, sql: readFileSync(join(dir, name), 'utf8') });
  }
  return { files, skipped };
}

export interface ReplayError {
  file: string;
  message: string;
}

/** Applies each file in its own transaction; a failing file is reported and the rest continue. */
export async function replay(db: PGlite, files: MigrationFile[]): Promise<ReplayError[]> {
  const errors: ReplayError[] = [];
  for (const f of files) {
    try {
      await db.transaction(async (tx) => {
        await tx.exec(f.sql);
        await tx.query('insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3) on conflict (version) do nothing', [f.version, f.name, [f.sql]]);
      });
    } catch (err) {
      errors.push({ file: f.path, message: (err as Error).message });
    }
  }
  return errors;
}

interface FkCandidate {
  table: string;
  column: string;
  target: string;
}

/** Pure: the SQL that adds the missing key safely (NOT VALID, then VALIDATE) and its rollback. */
export function foreignKeySql(c: FkCandidate): { up: string; down: string; constraint: string; index: string } {
  const constraint = `${c.table}_${c.column}_fkey`;
  const index = `${c.table}_${c.column}_idx`;
  return {
    constraint,
    index,
    up: [
      `alter table public.${c.table} add constraint ${constraint} foreign key (${c.column}) references public.${c.target} (id) not valid;`,
      `alter table public.${c.table} validate constraint ${constraint};`,
      `create index if not exists ${index} on public.${c.table} (${c.column});`,
    ].join('\n'),
    down: [`drop index if exists public.${index};`, `alter table public.${c.table} drop constraint if exists ${constraint};`].join('\n'),
  };
}

export async function missingForeignKeys(db: PGlite, files: MigrationFile[]): Promise<SchemaFinding[]> {
  const { rows } = await db.query<FkCandidate>(`
    select c.table_name as "table", c.column_name as "column", t.table_name as "target"
    from information_schema.columns c
    join information_schema.tables t
      on t.table_schema = 'public'
     and t.table_type = 'BASE TABLE'
     and t.table_name in (regexp_replace(c.column_name, '_id$', ''), regexp_replace(c.column_name, '_id$', '') || 's', regexp_replace(c.column_name, '_id$', '') || 'es')
    where c.table_schema = 'public'
      and c.column_name like '%\\_id'
      and c.table_name <> t.table_name
      and not exists (
        select 1 from pg_constraint k
        join pg_attribute a on a.attrelid = k.conrelid and a.attnum = any (k.conkey)
        where k.contype = 'f' and k.conrelid = format('public.%I', c.table_name)::regclass and a.attname = c.column_name
      )
    order by 1, 2`);
  return rows.map((r) => {
    const creator = files.find((f) => new RegExp(`create table (if not exists )?(public\\.)?${r.table}\\b`, 'i').test(f.sql));
    const line = creator ? creator.sql.split('\n').findIndex((l) => new RegExp(`^\\s*${r.column}\\b`).test(l)) + 1 : undefined;
    return {
      ruleId: 'missing-foreign-key',
      severity: 'warning',
      object: `public.${r.table}.${r.column}`,
      file: creator?.path,
      line: line || undefined,
      message: `${r.table}.${r.column} refers to ${r.target} by name but has no foreign key, so rows can point at ${r.target} that do not exist`,
      fix: `add a foreign key ${r.table}.${r.column} -> ${r.target}.id (NOT VALID, then VALIDATE) with an index`,
      fixSql: foreignKeySql(r).up,
    };
  });
}

export async function tableColumns(db: PGlite, table: string): Promise<Array<{ name: string; type: string; nullable: boolean; hasDefault: boolean; defaultText: string | null }>> {
  const { rows } = await db.query<{ name: string; type: string; nullable: string; def: string | null }>(
    `select column_name as name, data_type as type, is_nullable as nullable, column_default as def
     from information_schema.columns where table_schema = 'public' and table_name = $1 order by ordinal_position`,
    [table],
  );
  return rows.map((r) => ({ name: r.name, type: r.type, nullable: r.nullable === 'YES', hasDefault: r.def !== null, defaultText: r.def }));
}

export async function publicTables(db: PGlite): Promise<string[]> {
  const { rows } = await db.query<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
  return rows.map((r) => r.t);
}
