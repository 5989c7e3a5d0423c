// The shadow dry run. A throwaway database from the cached template (never a fresh initdb), the
// applied migrations replayed, the pending ones applied and timed per statement, the rows they
// touch estimated from the target's statistics, then each pending migration's rollback applied
// (newest first) and the schema compared with the schema before it: "verified" or the exact
// differences. A statement that cannot run (an extension PGlite lacks, say) is diagnosed with its
// file, line and reason, and the run continues.
import type { Queryable } from '../../src/integrations/postgres/types.js';
import { extensionsIn } from '../../src/integrations/postgres/extensions.js';
import { takeSnapshot, type SchemaSnapshot } from './schema-snapshot.js';
import { describeDifference, diffSchemas, type SchemaDifference } from './schema-diff.js';
import { runFile, type Diagnosis, type StatementRun } from './run-sql.js';
import { splitSql } from './sql-split.js';
import { analyzeStatement } from './linter/statement.js';
import { maskSql } from './sql-mask.js';

export interface ShadowMigration {
  version: string;
  name: string;
  /** Project-relative path, for diagnoses. */
  path: string;
  sql: string;
  /** Its rollback, when one is stored. */
  down?: { path: string; sql: string } | null;
}

export type Effect = 'update' | 'delete' | 'insert' | 'truncate' | 'rewrite' | 'scan' | 'index';

export interface RowEstimate {
  file: string;
  line: number;
  table: string;
  effect: Effect;
  rows: number;
  /** target-plan: EXPLAIN on the target; target-statistics: pg_class.reltuples / pg_stat_user_tables; shadow: the shadow's own count. */
  source: 'target-plan' | 'target-statistics' | 'shadow';
}

export interface PendingRun {
  version: string;
  name: string;
  path: string;
  ms: number;
  transactional: boolean;
  statements: StatementRun[];
  diagnoses: Diagnosis[];
}

export type RollbackStatus = 'verified' | 'differs' | 'failed' | 'missing' | 'skipped';

export interface RollbackCheck {
  version: string;
  name: string;
  path: string | null;
  status: RollbackStatus;
  /** Human-readable, one per difference: what the rollback left different from the schema before. */
  differences: string[];
  details: SchemaDifference[];
  diagnoses: Diagnosis[];
  reason?: string;
}

export interface DryRunReport {
  ok: boolean;
  /** Where the shadow's time went: opening it, replaying, applying the pending ones (with their snapshots and estimates), their rollbacks (with the compare). */
  shadow: { openMs: number; replayMs: number; applyMs: number; rollbackMs: number };
  /** Already-applied migrations replayed into the shadow. */
  replayed: { count: number; diagnoses: Diagnosis[] };
  pending: PendingRun[];
  /** Every diagnosis of the pending migrations and their rollbacks. */
  diagnoses: Diagnosis[];
  estimates: RowEstimate[];
  impact: { rowsAffected: number; rowsRewritten: number; rowsScanned: number };
  /** Shadow time of the pending statements plus a per-row allowance for the estimated rows. */
  estimatedMs: number;
  rollback: RollbackCheck[];
  rollbackVerified: boolean;
  /** Extensions PGlite lacks that an inert stand-in replaced, once each: what this run did not check. */
  notChecked: string[];
  /** The schema after the pending migrations (before their rollback). */
  schemaAfter: SchemaSnapshot;
}

export interface ShadowDb extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ShadowRunOptions {
  /** Opens the shadow database; given the extension names the SQL creates. */
  open: (extensions: string[]) => Promise<ShadowDb>;
  applied: ShadowMigration[];
  pending: ShadowMigration[];
  /** The real database whose statistics estimate the rows touched. */
  target?: Queryable;
}

// Per-row allowances (ms) for the time estimate: deliberately rough, documented, never zero for rows.
const MS_PER_ROW: Record<Effect, number> = { update: 0.01, delete: 0.01, insert: 0.01, truncate: 0, rewrite: 0.005, scan: 0.001, index: 0.003 };

/** Pure: which table a statement touches and how, for the row estimate. */
export function statementEffects(sql: string): Array<{ table: string; effect: Effect }> {
  const info = analyzeStatement(sql);
  switch (info.kind) {
    case 'update':
      return [{ table: info.table, effect: 'update' }];
    case 'delete':
      return [{ table: info.table, effect: 'delete' }];
    case 'insert':
      return [{ table: info.table, effect: 'insert' }];
    case 'truncate':
      return info.tables.map((table) => ({ table, effect: 'truncate' as const }));
    case 'create-index':
      return [{ table: info.table, effect: 'index' }];
    case 'alter-table': {
      const out: Array<{ table: string; effect: Effect }> = [];
      for (const a of info.actions) {
        if (a.kind === 'alter-column-type') out.push({ table: info.table, effect: 'rewrite' });
        else if (a.kind === 'add-column' && /\bdefault\s+.*\b(gen_random_uuid|uuid_generate_v\w+|random|clock_timestamp|nextval)\s*\(|^(big|small)?serial/.test(a.definition)) out.push({ table: info.table, effect: 'rewrite' });
        else if (a.kind === 'set-not-null' || a.kind === 'validate-constraint') out.push({ table: info.table, effect: 'scan' });
        else if (a.kind === 'add-constraint' && !a.notValid && (a.ctype === 'check' || a.ctype === 'foreign key')) out.push({ table: info.table, effect: 'scan' });
        else if (a.kind === 'add-constraint' && (a.ctype === 'unique' || a.ctype === 'primary key') && !a.usingIndex) out.push({ table: info.table, effect: 'index' });
      }
      return out;
    }
    default:
      return [];
  }
}

async function tableRows(db: Queryable, table: string): Promise<number | null> {
  const [schema, name] = table.split('.') as [string, string];
  const { rows } = await db.query<{ reltuples: number; live: number | string }>(
    `select c.reltuples::float8 as reltuples, coalesce(s.n_live_tup, 0)::bigint as live
     from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_stat_user_tables s on s.relid = c.oid
     where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`,
    [schema, name],
  );
  const r = rows[0];
  if (!r) return null;
  return r.reltuples >= 0 ? Math.round(r.reltuples) : Number(r.live);
}

async function planRows(db: Queryable, sql: string, modifies: boolean): Promise<number | null> {
  try {
    // EXPLAIN (without ANALYZE) plans the statement and does not run it.
    const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${sql}`);
    const raw = rows[0]?.['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: { 'Plan Rows'?: number; Plans?: Array<{ 'Plan Rows'?: number }> } }>;
    const top = plan[0]?.Plan;
    // For UPDATE/DELETE the top node is ModifyTable; its input carries the row estimate.
    const n = modifies ? (top?.Plans?.[0]?.['Plan Rows'] ?? top?.['Plan Rows']) : top?.['Plan Rows'];
    return typeof n === 'number' ? n : null;
  } catch {
    return null;
  }
}

/** Index of each top-level (parenthesis depth 0) keyword in masked, lower-cased SQL. */
function topLevel(masked: string, words: string[]): Record<string, number> {
  const found: Record<string, number> = {};
  let depth = 0;
  for (let i = 0; i < masked.length; i++) {
    const c = masked[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /[a-z]/.test(c ?? '') && !/[a-z0-9_]/.test(masked[i - 1] ?? '')) {
      const word = /^[a-z_]+/.exec(masked.slice(i))?.[0] ?? '';
      if (words.includes(word) && found[word] === undefined) found[word] = i;
      i += Math.max(word.length - 1, 0);
    }
  }
  return found;
}

/**
 * Pure: an UPDATE or DELETE rewritten as the SELECT of the rows it touches, so the target can
 * estimate it even when the statement uses a column the pending migration adds. Null when unsure.
 */
export function touchedRowsQuery(sql: string): string | null {
  const masked = maskSql(sql).toLowerCase();
  const upd = /^\s*update\s+/.exec(masked);
  const del = /^\s*delete\s+from\s+/.exec(masked);
  if (!upd && !del) return null;
  const start = (upd ?? del)![0].length;
  const k = topLevel(masked, ['set', 'from', 'using', 'where', 'returning']);
  const end = (i: number | undefined) => (i === undefined ? sql.length : i);
  const stop = Math.min(end(k.where), end(k.returning));
  let from: string;
  let extra = '';
  if (upd) {
    if (k.set === undefined) return null;
    from = sql.slice(start, k.set);
    if (k.from !== undefined && k.from > k.set) extra = sql.slice(k.from + 4, Math.min(end(k.where), end(k.returning)));
  } else {
    from = sql.slice(start, Math.min(end(k.using), stop));
    if (k.using !== undefined) extra = sql.slice(k.using + 5, stop);
  }
  const where = k.where !== undefined ? sql.slice(k.where, end(k.returning)) : '';
  return `select 1 from ${from.trim()}${extra.trim() ? `, ${extra.trim()}` : ''} ${where}`.trim();
}

async function estimate(run: StatementRun, sql: string, shadow: Queryable, target: Queryable | undefined): Promise<RowEstimate[]> {
  const out: RowEstimate[] = [];
  for (const { table, effect } of statementEffects(sql)) {
    let rows: number | null = null;
    let source: RowEstimate['source'] = 'shadow';
    if (target) {
      if (effect === 'update' || effect === 'delete') {
        rows = await planRows(target, sql, true);
        const select = rows === null ? touchedRowsQuery(sql) : null;
        if (select) rows = await planRows(target, select, false);
        if (rows !== null) source = 'target-plan';
      }
      if (rows === null) {
        rows = await tableRows(target, table);
        if (rows !== null) source = 'target-statistics';
      }
    }
    if (rows === null) rows = effect === 'update' || effect === 'delete' || effect === 'insert' ? run.rowCount : ((await tableRows(shadow, table)) ?? 0);
    out.push({ file: run.file, line: run.line, table, effect, rows, source });
  }
  return out;
}

export async function runShadow(opts: ShadowRunOptions): Promise<DryRunReport> {
  const texts = [...opts.applied, ...opts.pending].flatMap((m) => [m.sql, m.down?.sql ?? '']);
  const t0 = performance.now();
  const db = await opts.open(extensionsIn(texts));
  const openMs = performance.now() - t0;
  try {
    // 1. Replay what the target already has.
    const r0 = performance.now();
    const replayDiagnoses: Diagnosis[] = [];
    const notChecked = new Set<string>();
    for (const m of opts.applied) {
      const run = await runFile(db, m.path, m.sql, { keepGoing: true, earlier: firstFailure(replayDiagnoses), standIns: true, batch: true });
      replayDiagnoses.push(...run.diagnoses);
      for (const e of run.standIns) notChecked.add(e);
    }
    const replayMs = performance.now() - r0;

    // 2. Apply the pending ones, timed, with a snapshot before each.
    const a0 = performance.now();
    const before: SchemaSnapshot[] = [];
    const pending: PendingRun[] = [];
    const diagnoses: Diagnosis[] = [];
    const estimates: RowEstimate[] = [];
    let pendingMs = 0;
    for (const m of opts.pending) {
      before.push(await takeSnapshot(db));
      const run = await runFile(db, m.path, m.sql, { keepGoing: true, earlier: firstFailure(diagnoses) ?? firstFailure(replayDiagnoses), standIns: true });
      for (const e of run.standIns) notChecked.add(e);
      pending.push({ version: m.version, name: m.name, path: m.path, ms: run.ms, transactional: run.transactional, statements: run.statements, diagnoses: run.diagnoses });
      diagnoses.push(...run.diagnoses);
      pendingMs += run.statements.reduce((sum, s) => sum + s.ms, 0);
      const byLine = new Map(splitSql(m.sql).map((st) => [st.line, st.sql]));
      for (const s of run.statements) if (s.ok && !s.skipped) estimates.push(...(await estimate(s, byLine.get(s.line) ?? '', db, opts.target)));
    }
    const schemaAfter = await takeSnapshot(db);
    const applyMs = performance.now() - a0;

    // 3. Roll back, newest first, comparing each time with the schema before that migration.
    const b0 = performance.now();
    const rollback: RollbackCheck[] = [];
    let blocked: string | null = null;
    for (let i = opts.pending.length - 1; i >= 0; i--) {
      const m = opts.pending[i] as ShadowMigration;
      const base = { version: m.version, name: m.name, path: m.down?.path ?? null, differences: [], details: [], diagnoses: [] };
      if (blocked) {
        rollback.push({ ...base, status: 'skipped', reason: blocked });
        continue;
      }
      if (!m.down) {
        rollback.push({ ...base, status: 'missing', reason: 'no rollback is stored for this migration' });
        blocked = `the rollback of ${m.version}_${m.name} is missing, so the schema before this one cannot be reached`;
        continue;
      }
      const run = await runFile(db, m.down.path, m.down.sql, { keepGoing: true, standIns: true });
      diagnoses.push(...run.diagnoses);
      const details = diffSchemas(before[i] as SchemaSnapshot, await takeSnapshot(db));
      const status: RollbackStatus = run.diagnoses.some((d) => d.cause !== 'shadow-limitation') ? 'failed' : details.length ? 'differs' : 'verified';
      rollback.push({ ...base, status, differences: details.map(describeDifference), details, diagnoses: run.diagnoses });
      if (status !== 'verified') blocked = `the rollback of ${m.version}_${m.name} did not restore the schema, so earlier ones cannot be compared`;
    }
    rollback.reverse();
    const rollbackMs = performance.now() - b0;

    const sum = (effects: Effect[]) => estimates.filter((e) => effects.includes(e.effect)).reduce((n, e) => n + e.rows, 0);
    const estimatedMs = Math.round(pendingMs + estimates.reduce((ms, e) => ms + e.rows * MS_PER_ROW[e.effect], 0));
    const rollbackVerified = rollback.length > 0 && rollback.every((r) => r.status === 'verified');
    return {
      // A statement only a missing extension explains is not checked, never a failure.
      ok: diagnoses.every((d) => d.cause === 'shadow-limitation') && (opts.pending.length === 0 || rollbackVerified),
      shadow: { openMs, replayMs, applyMs, rollbackMs },
      replayed: { count: opts.applied.length, diagnoses: replayDiagnoses },
      pending,
      diagnoses,
      estimates,
      impact: { rowsAffected: sum(['update', 'delete', 'insert', 'truncate']), rowsRewritten: sum(['rewrite']), rowsScanned: sum(['scan', 'index']) },
      estimatedMs,
      rollback,
      rollbackVerified,
      notChecked: [...notChecked].sort(),
      schemaAfter,
    };
  } finally {
    await db.close();
  }
}

/** The failure later ones are blamed on: the first real one, else the first missing extension. */
function firstFailure(ds: Diagnosis[]): Diagnosis | undefined {
  return ds.find((d) => d.cause === 'sql-error') ?? ds[0];
}

/**
 * Replays migration files into a database, diagnosing failures and continuing (for schema scans).
 * Each extension an inert stand-in replaced is reported once, as a shadow limitation ("not checked").
 */
export async function replayInto(db: ShadowDb, files: Array<{ path: string; sql: string }>): Promise<Diagnosis[]> {
  const out: Diagnosis[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const run = await runFile(db, f.path, f.sql, { keepGoing: true, earlier: firstFailure(out), standIns: true, batch: true });
    out.push(...run.diagnoses);
    for (const name of run.standIns) {
      if (seen.has(name)) continue;
      seen.add(name);
      const at = run.statements.find((s) => s.skipped?.startsWith(`not checked: ${name} `));
      out.push({ file: f.path, line: at?.line ?? 1, statement: at?.statement ?? `create extension ${name}`, reason: `not checked: ${name} (the embedded shadow database has no ${name}; an inert stand-in replayed in its place, so what calls it is not checked)`, cause: 'shadow-limitation', extension: name });
    }
  }
  return out;
}
