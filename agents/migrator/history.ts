// The applied-migration history, in the table the Supabase CLI uses:
// supabase_migrations.schema_migrations(version text primary key, statements text[], name text).
// Created (and upgraded with the two columns) exactly as the CLI does when it is missing.
import type { Queryable } from '../../src/integrations/postgres/types.js';
import { splitSql } from './sql-split.js';

export const HISTORY_TABLE = 'supabase_migrations.schema_migrations';

export interface AppliedMigration {
  version: string;
  name: string;
  /** The statements the CLI stored; null when the row predates the column. */
  statements: string[] | null;
}

export const CREATE_HISTORY_SQL = [
  'create schema if not exists supabase_migrations',
  'create table if not exists supabase_migrations.schema_migrations (version text not null primary key)',
  'alter table supabase_migrations.schema_migrations add column if not exists statements text[]',
  'alter table supabase_migrations.schema_migrations add column if not exists name text',
];

export async function ensureHistoryTable(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ ok: boolean }>(
    `select exists (select 1 from information_schema.columns where table_schema = 'supabase_migrations' and table_name = 'schema_migrations' and column_name = 'name')
        and exists (select 1 from information_schema.columns where table_schema = 'supabase_migrations' and table_name = 'schema_migrations' and column_name = 'statements') as ok`,
  );
  if (rows[0]?.ok) return;
  for (const sql of CREATE_HISTORY_SQL) await db.exec(sql);
}

/** The history, oldest first; empty when the table does not exist (nothing applied yet). */
export async function readHistory(db: Queryable): Promise<AppliedMigration[]> {
  const { rows: exists } = await db.query<{ t: string | null }>(`select to_regclass('supabase_migrations.schema_migrations')::text as t`);
  if (!exists[0]?.t) return [];
  const { rows: cols } = await db.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_schema = 'supabase_migrations' and table_name = 'schema_migrations'`,
  );
  const has = new Set(cols.map((c) => c.column_name));
  const { rows } = await db.query<{ version: string; name: string | null; statements: string[] | string | null }>(
    `select version, ${has.has('name') ? 'name' : 'null::text as name'}, ${has.has('statements') ? 'statements' : 'null::text[] as statements'} from supabase_migrations.schema_migrations order by version`,
  );
  return rows.map((r) => ({ version: r.version, name: r.name ?? '', statements: parseTextArray(r.statements) }));
}

function parseTextArray(v: string[] | string | null): string[] | null {
  if (v === null || Array.isArray(v)) return v;
  // A driver that did not parse text[]: `{a,"b c"}`
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^,{}]+)/g;
  for (const m of v.slice(1, -1).matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? ''));
  return out;
}

/** What the CLI stores in `statements`: the file split into trimmed statements. */
export const statementsOf = (sql: string): string[] => splitSql(sql).map((s) => s.sql);

export async function recordApplied(db: Queryable, m: { version: string; name: string; statements: string[] }): Promise<void> {
  await db.query(`insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)`, [m.version, m.name, m.statements]);
}

export async function removeApplied(db: Queryable, versions: string[]): Promise<void> {
  await db.query(`delete from supabase_migrations.schema_migrations where version = any($1)`, [versions]);
}

// Which deployment applied each migration, kept on the target beside the history and written in
// the same transaction as the history row: no kill can separate "applied" from "applied by whom".
// (The schema snapshot leaves supabase_migrations out, so this table is never a schema difference.)
export const DEPLOYED_TABLE = 'supabase_migrations.crm_agent_deployed';

export interface DeployedMigration {
  version: string;
  deployment: string;
  ticket: string | null;
  environment: string;
}

export async function ensureDeployedTable(db: Queryable): Promise<void> {
  await db.exec(
    `create schema if not exists supabase_migrations;
     create table if not exists ${DEPLOYED_TABLE} (version text primary key, deployment text not null, ticket text, environment text not null, applied_at timestamptz not null default now())`,
  );
}

export async function recordDeployed(db: Queryable, m: DeployedMigration): Promise<void> {
  await db.query(`insert into ${DEPLOYED_TABLE} (version, deployment, ticket, environment) values ($1, $2, $3, $4) on conflict (version) do update set deployment = excluded.deployment, ticket = excluded.ticket, environment = excluded.environment, applied_at = now()`, [
    m.version,
    m.deployment,
    m.ticket,
    m.environment,
  ]);
}

export async function removeDeployed(db: Queryable, versions: string[]): Promise<void> {
  const { rows } = await db.query<{ t: string | null }>(`select to_regclass('${DEPLOYED_TABLE}')::text as t`);
  if (rows[0]?.t) await db.query(`delete from ${DEPLOYED_TABLE} where version = any($1)`, [versions]);
}

export async function readDeployed(db: Queryable, deployments: string[]): Promise<DeployedMigration[]> {
  const { rows: exists } = await db.query<{ t: string | null }>(`select to_regclass('${DEPLOYED_TABLE}')::text as t`);
  if (!exists[0]?.t) return [];
  const { rows } = await db.query<DeployedMigration>(`select version, deployment, ticket, environment from ${DEPLOYED_TABLE} where deployment = any($1) order by version`, [deployments]);
  return rows;
}
