// What the db commands do when they run (issue 16); src/commands/db.ts declares them and imports
// this module only then, so the CLI's start-up stays light.
//
// db sql "<statement>" --env <name> (seed 5.1): the admin's SQL on an environment's database.
// Whether a statement writes is decided by the server itself: it runs first in a READ ONLY
// transaction that is always rolled back. A read-only statement's rows are the answer; one the
// server refuses as a write (SQLSTATE 25006) needs the destructive-change approval, then runs in a
// transaction with lock_timeout and is audited with the statement (secrets and passwords masked).
import { UsageError, WorkFailedError } from '../errors.js';
import type { Pg, Queryable } from '../integrations/postgres/types.js';
import type { EnvName } from '../engine/environments.js';
import type { CommandContext, CommandResult } from './types.js';
import { openEnvironmentUnderLock } from './open-env.js';

const AGENT = 'MIGRATOR';
const LOCK_TIMEOUT = '5s';
const SHOWN_ROWS = 200;

/** An environment's database opened under its lock; close() releases it. Null when embedded and not created. */
export function openEnv(ctx: CommandContext, env: EnvName, holder: string): Promise<Pg | null> {
  return openEnvironmentUnderLock(ctx, env, { holder, by: holder, create: false, agent: AGENT });
}

/** The statement as the audit trail keeps it: password literals masked (registered secrets are redacted by appendAudit). */
export function auditableStatement(sql: string): string {
  return sql.replace(/(password\s*(?:=\s*)?)'(?:[^']|'')*'/gi, "$1'***'").trim();
}

class ReadOnlyDone extends Error {}

interface Ran {
  rows: Array<Record<string, unknown>>;
  rowCount: number;
  statements: number;
}

async function runAll(tx: Queryable, statements: string[]): Promise<Ran> {
  let last = { rows: [] as Array<Record<string, unknown>>, rowCount: 0 };
  for (const s of statements) last = await tx.query<Record<string, unknown>>(s);
  return { ...last, statements: statements.length };
}

const errCode = (err: unknown): string | undefined => (err as { code?: string }).code;

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export async function dbSqlRun(ctx: CommandContext, args: { statement: string; env?: EnvName }): Promise<CommandResult> {
  const text = args.statement.trim();
  if (!text) throw new UsageError('give the SQL to run, e.g. `agent db sql "select count(*) from customers"`');
  const env = (args.env ?? 'production') as EnvName;
  const { splitSql } = await import('../../agents/migrator/sql-split.js');
  const statements = splitSql(text).map((s) => s.sql.trim()).filter(Boolean);
  if (!statements.length) throw new UsageError('the SQL holds no statement (only comments or semicolons)');
  const open = async () => {
    const db = await openEnv(ctx, env, 'DB-SQL');
    if (!db) throw new UsageError(`${env} has no database yet (the embedded one is made by its first deploy or \`agent migrate execute --env ${env}\`)`);
    return db;
  };
  let writes = false;
  let result: Ran | null = null;
  let db = await open();
  const target = db.description;
  try {
    await db.transaction(async (tx) => {
      await tx.exec('SET TRANSACTION READ ONLY');
      result = await runAll(tx, statements);
      throw new ReadOnlyDone(); // never commit, even a read
    });
  } catch (err) {
    if (err instanceof ReadOnlyDone) {
      // read-only: result holds the rows
    } else if (errCode(err) === '25006') writes = true;
    else if (errCode(err) === '25001') throw new UsageError(`${(err as Error).message}: it cannot run inside a transaction; for VACUUM use \`agent db optimize table <name>\` or \`agent db vacuum full\``);
    else throw new WorkFailedError(`${env}: ${(err as Error).message}${errCode(err) ? ` (SQLSTATE ${errCode(err)})` : ''}; nothing was changed`);
  } finally {
    await db.close(); // not held while the admin is asked
  }
  if (writes) {
    const shown = auditableStatement(text);
    ctx.out.line(AGENT, 'warn', `The statement writes to ${target} (the server refused it in a read-only transaction)`);
    await ctx.requireApproval({
      category: 'databaseDestructive',
      action: `run SQL that writes on ${env} (${target}): ${shown.length > 160 ? `${shown.slice(0, 157)}…` : shown}`,
      touches: [target],
      summary: shown,
      requestedBy: 'ORCHESTRATOR',
      resume: { command: 'db sql', args: { statement: text, env } },
    });
    const { appendAudit } = await import('../engine/audit.js');
    const record = (outcome: string) => appendAudit(ctx.state(), { initiator: ctx.initiator, agent: AGENT, action: 'db.sql', approval: ctx.approvalIds(), target: `${env} (${target})`, result: outcome, detail: { statement: shown } });
    db = await open();
    try {
      result = await db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        return runAll(tx, statements);
      });
    } catch (err) {
      const code = errCode(err);
      const why = code === '55P03' ? `a lock was not granted within lock_timeout ${LOCK_TIMEOUT} (another session holds it)` : (err as Error).message;
      record(`failed, rolled back: ${why}`);
      throw new WorkFailedError(`${env}: ${why}${code ? ` (SQLSTATE ${code})` : ''}; the transaction was rolled back, nothing was changed`);
    } finally {
      await db.close();
    }
    record(`committed: ${(result as Ran).statements} statement(s), ${(result as Ran).rowCount} row(s)`);
  }
  const r = result as Ran | null;
  if (!r) throw new Error('unreachable: no result');
  if (r.rows.length) {
    const { table, makeStyle } = await import('../cli/style.js');
    const cols = Object.keys(r.rows[0]!);
    ctx.out.print(table(cols, r.rows.slice(0, SHOWN_ROWS).map((row) => cols.map((c) => cell(row[c]))), makeStyle(ctx.out.color)));
    if (r.rows.length > SHOWN_ROWS) ctx.out.print(`… ${r.rows.length - SHOWN_ROWS} more rows (--json has them all)`);
  }
  ctx.out.line(AGENT, 'ok', writes ? `Committed on ${target}: ${r.statements} statement(s), ${r.rowCount} row(s) affected; audited` : `${r.rows.length} row(s) from ${target} (read-only, nothing changed)`);
  return { data: { env, target, writes, statements: r.statements, rowCount: r.rowCount, rows: r.rows } };
}

// ── db analyze performance | optimize table | vacuum full ─────────────────────────────────────

const SYSTEM_SCHEMAS = `('pg_catalog', 'information_schema', 'supabase_migrations', 'auth', 'storage', 'extensions', 'realtime', 'graphql', 'graphql_public', 'vault', 'pgsodium', 'net', 'supabase_functions', 'cron')`;

export interface UnindexedForeignKey {
  schema: string;
  table: string;
  constraint: string;
  columns: string[];
  /** The planner's row estimate (pg_class.reltuples after ANALYZE); -1 when never analyzed. */
  rows: number;
}

export async function unindexedForeignKeys(db: Queryable): Promise<UnindexedForeignKey[]> {
  const { rows } = await db.query<{ schema: string; table: string; constraint: string; columns: string[] | string; rows: number }>(`
    select n.nspname as schema, cl.relname as table, c.conname as constraint,
           array(select a.attname from unnest(c.conkey) with ordinality k(attnum, ord) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.ord)::text[] as columns,
           cl.reltuples::float8 as rows
    from pg_constraint c join pg_class cl on cl.oid = c.conrelid join pg_namespace n on n.oid = cl.relnamespace
    where c.contype = 'f' and n.nspname not in ${SYSTEM_SCHEMAS}
      and not exists (
        select 1 from pg_index i
        where i.indrelid = c.conrelid
          and (string_to_array(i.indkey::text, ' ')::int2[])[1:array_length(c.conkey, 1)] = c.conkey::int2[])
    order by 1, 2, 3`);
  const arr = (v: string[] | string) => (Array.isArray(v) ? v : v.replace(/^\{|\}$/g, '').split(',').filter(Boolean));
  return rows.map((r) => ({ ...r, columns: arr(r.columns), rows: Number(r.rows) }));
}

interface Finding {
  kind: 'unindexed-foreign-key' | 'duplicate-index' | 'slow-statement' | 'sequential-scans' | 'dead-rows' | 'cache-hit-ratio' | 'unused-index';
  object: string;
  detail: string;
  fix: string | null;
  staged?: string | null;
}

async function serverFigures(db: Queryable): Promise<{ findings: Finding[]; unavailable: string[] }> {
  const findings: Finding[] = [];
  const unavailable: string[] = [];
  const has = await db.query<{ ok: boolean }>(`select exists (select 1 from pg_extension where extname = 'pg_stat_statements') as ok`);
  if (has.rows[0]?.ok) {
    try {
      const { rows } = await db.query<{ query: string; calls: number; mean: number }>(`select query, calls::int, mean_exec_time::float8 as mean from pg_stat_statements order by mean_exec_time desc limit 5`);
      for (const r of rows) findings.push({ kind: 'slow-statement', object: r.query.replace(/\s+/g, ' ').slice(0, 120), detail: `${r.calls} calls, mean ${r.mean.toFixed(1)} ms`, fix: null });
    } catch (err) {
      unavailable.push(`slowest statements: pg_stat_statements is installed but cannot be read (${(err as Error).message})`);
    }
  } else unavailable.push('slowest statements: the pg_stat_statements extension is not installed on this server');
  const seq = await db.query<{ t: string; seq_scan: number; idx_scan: number | null; live: number; dead: number }>(
    `select schemaname || '.' || relname as t, seq_scan::int, idx_scan::int, n_live_tup::int as live, n_dead_tup::int as dead from pg_stat_user_tables where schemaname not in ${SYSTEM_SCHEMAS}`,
  );
  for (const r of seq.rows) {
    if (r.live >= 10_000 && r.seq_scan > (r.idx_scan ?? 0)) findings.push({ kind: 'sequential-scans', object: r.t, detail: `${r.seq_scan} sequential scans against ${r.idx_scan ?? 0} index scans on ~${r.live} rows`, fix: `an index on the columns its queries filter by (\`agent migrate "add index on ${r.t.replace(/^public\./, '')}(<column>)"\`)` });
    if (r.dead > 1000 && r.dead / Math.max(1, r.live + r.dead) > 0.2) findings.push({ kind: 'dead-rows', object: r.t, detail: `${r.dead} dead rows of ${r.live + r.dead} (${Math.round((100 * r.dead) / (r.live + r.dead))}%, a bloat estimate from pg_stat_user_tables)`, fix: `\`agent db optimize table ${r.t}\`` });
  }
  const { unusedIndexes } = await import('../../agents/migrator/catalog-lints.js');
  for (const u of await unusedIndexes(db)) findings.push({ kind: 'unused-index', object: u.object, detail: u.message, fix: u.fixSql ? `a migration: ${u.fixSql}` : u.fix });
  const hit = await db.query<{ ratio: number | null }>(`select sum(heap_blks_hit)::float8 / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) as ratio from pg_statio_user_tables`);
  const ratio = hit.rows[0]?.ratio;
  if (ratio !== null && ratio !== undefined && ratio < 0.99) findings.push({ kind: 'cache-hit-ratio', object: 'database', detail: `cache hit ratio ${(ratio * 100).toFixed(1)}% (below 99%)`, fix: 'more shared_buffers, or fewer rows read per query' });
  return { findings, unavailable };
}

export async function dbAnalyzePerformanceRun(ctx: CommandContext, args: { env?: EnvName; noStage?: boolean }): Promise<CommandResult> {
  const env = (args.env ?? 'production') as EnvName;
  const db = await openEnv(ctx, env, 'DB-ANALYZE');
  if (!db) throw new UsageError(`${env} has no database yet (the embedded one is made by its first deploy or \`agent migrate execute --env ${env}\`)`);
  const findings: Finding[] = [];
  let unavailable: string[] = [];
  const target = db.description;
  let fks: UnindexedForeignKey[];
  try {
    await db.exec('ANALYZE'); // fresh row estimates for what follows
    fks = await unindexedForeignKeys(db);
    const dup = await db.query<{ t: string; indexes: string[] | string }>(`
      select i.indrelid::regclass::text as t, array_agg(i.indexrelid::regclass::text order by i.indexrelid::regclass::text)::text[] as indexes
      from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname not in ${SYSTEM_SCHEMAS}
      group by i.indrelid, i.indkey::text, i.indclass::text, coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
      having count(*) > 1`);
    for (const d of dup.rows) {
      const list = Array.isArray(d.indexes) ? d.indexes : d.indexes.replace(/^\{|\}$/g, '').split(',');
      findings.push({ kind: 'duplicate-index', object: d.t, detail: `indexes ${list.join(', ')} cover the same columns`, fix: `a migration that drops ${list.slice(1).join(', ')} (each duplicates ${list[0]})` });
    }
    if (db.kind === 'pg') {
      const s = await serverFigures(db);
      findings.push(...s.findings);
      unavailable = s.unavailable;
    } else {
      unavailable = [
        'slowest statements: PGlite has no pg_stat_statements',
        'sequential scans, unused indexes, dead rows (bloat) and the cache hit ratio: PGlite runs one session and keeps no usage statistics across them',
      ];
    }
  } finally {
    await db.close();
  }
  for (const fk of fks) {
    const table = fk.schema === 'public' ? fk.table : `${fk.schema}.${fk.table}`;
    const change = `add index on ${table}(${fk.columns.join(', ')})`;
    const f: Finding = { kind: 'unindexed-foreign-key', object: `${fk.schema}.${fk.table}.${fk.constraint}`, detail: `foreign key (${fk.columns.join(', ')}) has no index starting with its columns${fk.rows >= 0 ? `; ~${Math.round(fk.rows)} rows` : ''}: deletes and updates of the referenced rows scan the table`, fix: `agent migrate "${change}"`, staged: null };
    findings.unshift(f);
    if (args.noStage) continue;
    const r = await ctx.dispatch('migrate', { change });
    f.staged = ((r.data as { changeSet?: { dir: string } } | undefined)?.changeSet?.dir) ?? null;
  }
  for (const f of findings) ctx.out.line(AGENT, 'warn', `${f.kind}: ${f.object}: ${f.detail}${f.staged ? ` (fix staged: ./${f.staged}/)` : f.fix ? ` (fix: ${f.fix})` : ''}`);
  for (const u of unavailable) ctx.out.line(AGENT, 'info', `Not available on ${target}: ${u}`);
  ctx.out.line(AGENT, findings.length ? 'warn' : 'ok', `${findings.length} finding(s) on ${target}${fks.length && !args.noStage ? `; ${fks.length} index migration(s) staged for review` : ''}`);
  return { data: { env, target, findings, unavailable } };
}

function checkTableName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/.test(name)) throw new UsageError(`"${name}" is not a table name; give it as table or schema.table`);
}

async function resolveTable(db: Queryable, name: string): Promise<string> {
  checkTableName(name);
  const { rows } = await db.query<{ t: string | null; kind: string | null }>(`select to_regclass($1)::text as t, (select relkind::text from pg_class where oid = to_regclass($1)) as kind`, [name]);
  if (!rows[0]?.t || rows[0].kind !== 'r') throw new UsageError(`${name}: no such table; \`agent db sql "select tablename from pg_tables where schemaname = 'public'"\` lists them`);
  return rows[0].t;
}

const sizeOf = async (db: Queryable, rel: string | null) =>
  Number((await db.query<{ n: string }>(rel ? `select pg_total_relation_size($1::regclass)::text as n` : `select pg_database_size(current_database())::text as n`, rel ? [rel] : [])).rows[0]!.n);

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;

export async function dbOptimizeTableRun(ctx: CommandContext, args: { name: string; env?: EnvName }): Promise<CommandResult> {
  const env = (args.env ?? 'production') as EnvName;
  checkTableName(args.name); // before the database is opened
  const db = await openEnv(ctx, env, 'DB-OPTIMIZE');
  if (!db) throw new UsageError(`${env} has no database yet`);
  try {
    const rel = await resolveTable(db, args.name);
    const before = await sizeOf(db, rel);
    let deadShare: number | null = null;
    if (db.kind === 'pg') {
      const { rows } = await db.query<{ live: number; dead: number }>(`select n_live_tup::int as live, n_dead_tup::int as dead from pg_stat_user_tables where relid = $1::regclass`, [rel]);
      if (rows[0]) deadShare = rows[0].dead / Math.max(1, rows[0].live + rows[0].dead);
    }
    const t0 = performance.now();
    await db.exec(`VACUUM (ANALYZE) ${rel}`);
    ctx.out.line(AGENT, 'ok', `VACUUM (ANALYZE) ${rel} in ${Math.round(performance.now() - t0)} ms`);
    let reindexed = false;
    if (deadShare !== null && deadShare > 0.2) {
      await db.exec(`REINDEX TABLE CONCURRENTLY ${rel}`);
      reindexed = true;
      ctx.out.line(AGENT, 'ok', `REINDEX TABLE CONCURRENTLY ${rel} (${Math.round(deadShare * 100)}% of its rows were dead)`);
    } else if (deadShare === null) ctx.out.line(AGENT, 'info', `Not reindexed: ${db.description} keeps no dead-row statistics (PGlite), so there is no bloat figure to decide by`);
    else ctx.out.line(AGENT, 'info', `Not reindexed: ${Math.round(deadShare * 100)}% dead rows (reindexing from 20%)`);
    const after = await sizeOf(db, rel);
    ctx.out.line(AGENT, 'ok', `${rel}: ${mb(before)} before, ${mb(after)} after`);
    const { appendAudit } = await import('../engine/audit.js');
    appendAudit(ctx.state(), { initiator: ctx.initiator, agent: AGENT, action: 'db.optimize', approval: ctx.approvalIds(), target: `${env} ${rel}`, result: `${before} -> ${after} bytes${reindexed ? ', reindexed' : ''}` });
    return { data: { env, table: rel, bytesBefore: before, bytesAfter: after, reindexed } };
  } finally {
    await db.close();
  }
}

export async function dbVacuumFullRun(ctx: CommandContext, args: { table?: string; env?: EnvName }): Promise<CommandResult> {
  const env = (args.env ?? 'production') as EnvName;
  if (args.table) checkTableName(args.table);
  let db = await openEnv(ctx, env, 'DB-VACUUM');
  if (!db) throw new UsageError(`${env} has no database yet`);
  let rel: string | null = null;
  let before: number;
  const target = db.description;
  try {
    rel = args.table ? await resolveTable(db, args.table) : null;
    before = await sizeOf(db, rel);
  } finally {
    await db.close();
  }
  const what = rel ?? 'every table of the database';
  ctx.out.line(AGENT, 'warn', `VACUUM FULL ${what} on ${target}: takes an ACCESS EXCLUSIVE lock (no reads or writes of ${rel ?? 'each table'} until it is rewritten); ${rel ? 'its size' : 'the database'} now ${mb(before)}`);
  await ctx.requireApproval({
    category: 'databaseDestructive',
    action: `VACUUM FULL ${what} on ${env} (${target}), ACCESS EXCLUSIVE lock, ${mb(before)}`,
    touches: [rel ?? target],
    requestedBy: AGENT,
    resume: { command: 'db vacuum full', args: { ...(args.table ? { table: args.table } : {}), env } },
  });
  db = (await openEnv(ctx, env, 'DB-VACUUM'))!;
  let after: number;
  try {
    const t0 = performance.now();
    await db.exec(rel ? `VACUUM FULL ${rel}` : 'VACUUM FULL');
    after = await sizeOf(db, rel);
    ctx.out.line(AGENT, 'ok', `VACUUM FULL ${what} in ${Math.round(performance.now() - t0)} ms: ${mb(before)} before, ${mb(after)} after`);
  } finally {
    await db.close();
  }
  const { appendAudit } = await import('../engine/audit.js');
  appendAudit(ctx.state(), { initiator: ctx.initiator, agent: AGENT, action: 'db.vacuum-full', approval: ctx.approvalIds(), target: `${env} ${rel ?? 'database'}`, result: `${before} -> ${after} bytes` });
  return { data: { env, table: rel, bytesBefore: before, bytesAfter: after } };
}
