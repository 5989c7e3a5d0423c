// `migrate execute --dry-run --with-data` (issue 14): the pending migrations tried on the rows an
// environment holds, so a migration that fails on data (a VALIDATE meeting an orphan, a NOT NULL
// meeting a null, a unique index meeting duplicates) fails before the deploy, not during it.
//
//   embedded   the data directory is copied (under the environment's lock, with the database
//              closed), the copy opened, and each file applied to it with the deploy's own runner
//              (applyMigration: RESET ALL, one transaction per file, CONCURRENTLY outside); the
//              copy is then removed. The real directory is never opened for writing.
//   Postgres   one transaction that is always rolled back, with lock_timeout (and a statement
//              timeout) so the dry run never queues behind the application's locks for long; each
//              file under a savepoint with the CLI's search_path. A CONCURRENTLY statement cannot
//              run in a transaction: it is not run here (said), and only the shadow checks it.
//              The locks the files take are held until the rollback: that is the price of
//              trying DDL on the real rows without keeping it.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfig } from '../../src/config/config.js';
import type { Secrets } from '../../src/config/secrets.js';
import type { StateDb } from '../../src/store/state-db.js';
import type { Queryable } from '../../src/integrations/postgres/types.js';
import { splitSql } from './sql-split.js';
import { mustRunOutsideTransaction } from './run-sql.js';

export interface DataRunFile {
  version: string;
  name: string;
  path: string;
  sql: string;
}

export interface DataRunOutcome {
  path: string;
  status: 'applied' | 'failed' | 'not-run';
  ms: number;
  /** failed: `line: message`; not-run: why. */
  detail?: string;
}

export interface DataRunReport {
  env: string;
  /** What the user sees for the database (never its credentials). */
  target: string;
  mode: 'copy of the data directory' | 'transaction rolled back' | 'none';
  /** Set when nothing could be tried, and why. */
  skipped?: string;
  files: DataRunOutcome[];
  ok: boolean;
  ms: number;
}

export interface DataRunContext {
  project: { root: string; config(): AgentConfig };
  secrets: Pick<Secrets, 'get'>;
  state(): StateDb;
  signal: AbortSignal;
}

export const DATA_RUN_LOCK_TIMEOUT = '5s';
export const DATA_RUN_STATEMENT_TIMEOUT = '5min';

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Pure: the statements of a file as the rolled-back transaction runs them: transaction control and CONCURRENTLY left out (with why). */
export function transactionPlan(sql: string): Array<{ sql: string; line: number; run: boolean; why?: string }> {
  return splitSql(sql).map((st) => {
    if (/^\s*(begin|commit|rollback|start\s+transaction|end)\b/i.test(st.sql)) return { sql: st.sql, line: st.line, run: false, why: 'transaction control (the dry run is one transaction)' };
    if (mustRunOutsideTransaction(st.sql)) return { sql: st.sql, line: st.line, run: false, why: 'CONCURRENTLY cannot run in a transaction: checked in the shadow only' };
    return { sql: st.sql, line: st.line, run: true };
  });
}

/** The files in one transaction on a Postgres connection, always rolled back. */
export async function runInRolledBackTransaction(db: Queryable, files: readonly DataRunFile[]): Promise<DataRunOutcome[]> {
  const out: DataRunOutcome[] = [];
  await db.exec(`begin; set local lock_timeout = '${DATA_RUN_LOCK_TIMEOUT}'; set local statement_timeout = '${DATA_RUN_STATEMENT_TIMEOUT}'`);
  try {
    let failed = false;
    for (const f of files) {
      if (failed) {
        out.push({ path: f.path, status: 'not-run', ms: 0, detail: 'an earlier file failed' });
        continue;
      }
      const started = performance.now();
      const plan = transactionPlan(f.sql);
      await db.exec('savepoint dry_run_file; set local search_path to "$user", public, extensions');
      let error: string | null = null;
      for (const st of plan) {
        if (!st.run) continue;
        try {
          await db.exec(st.sql);
        } catch (err) {
          error = `line ${st.line}: ${firstLine(err)}`;
          break;
        }
      }
      const skipped = plan.filter((s) => !s.run && /CONCURRENTLY/.test(s.why ?? ''));
      if (error) {
        failed = true;
        out.push({ path: f.path, status: 'failed', ms: performance.now() - started, detail: error });
      } else {
        await db.exec('release savepoint dry_run_file');
        out.push(skipped.length && skipped.length === plan.length ? { path: f.path, status: 'not-run', ms: 0, detail: skipped[0]!.why } : { path: f.path, status: 'applied', ms: performance.now() - started, ...(skipped.length ? { detail: `${skipped.length} CONCURRENTLY statement(s) not run (shadow only)` } : {}) });
      }
    }
  } finally {
    await db.exec('rollback');
  }
  return out;
}

/** The files applied to a copy of an embedded data directory with the deploy's runner; the copy is removed after. */
async function runOnCopy(ctx: DataRunContext, dataDir: string, files: readonly DataRunFile[], copy: (src: string, dest: string) => Promise<void>): Promise<DataRunOutcome[]> {
  const [{ openDatabase }, { processScratch }, { applyMigration }, { MigrationFailure }] = await Promise.all([
    import('../../src/integrations/postgres/open.js'),
    import('../../src/engine/scratch.js'),
    import('./apply.js'),
    import('./run-sql.js'),
  ]);
  const { templateCacheDir } = await import('../../src/integrations/postgres/cache-dir.js');
  const relative = join('.agent', 'tmp', `dry-run-data-${process.pid}-${Date.now()}`);
  const abs = join(ctx.project.root, relative);
  processScratch.add({ path: abs, kind: 'shadow-copy', repo: null });
  try {
    mkdirSync(abs, { recursive: true });
    await copy(join(ctx.project.root, dataDir), abs);
    const db = await openDatabase({ projectRoot: ctx.project.root, dataDir: relative, cacheDir: templateCacheDir() });
    const out: DataRunOutcome[] = [];
    try {
      let failed = false;
      for (const f of files) {
        if (failed) {
          out.push({ path: f.path, status: 'not-run', ms: 0, detail: 'an earlier file failed' });
          continue;
        }
        const started = performance.now();
        try {
          const r = await applyMigration(db, { version: f.version, name: f.name, path: f.path, sql: f.sql });
          out.push({ path: f.path, status: 'applied', ms: r.ms });
        } catch (err) {
          failed = true;
          const d = err instanceof MigrationFailure ? err.diagnosis : null;
          out.push({ path: f.path, status: 'failed', ms: performance.now() - started, detail: d ? `line ${d.line}: ${d.reason}` : firstLine(err) });
        }
      }
    } finally {
      await db.close();
    }
    return out;
  } finally {
    rmSync(abs, { recursive: true, force: true });
    processScratch.remove(abs);
  }
}

/**
 * The pending files tried on an environment's rows. Takes the environment's lock like `agent
 * migrate` (an embedded database only for the copy; a Postgres one for the whole transaction).
 */
export async function dryRunWithData(ctx: DataRunContext, env: 'staging' | 'production', files: readonly DataRunFile[]): Promise<DataRunReport> {
  const started = performance.now();
  const [{ databaseFor }, { holdLocks, databaseLock }, envDb, { copyDir }] = await Promise.all([
    import('../../src/engine/environments.js'),
    import('../../src/engine/locks.js'),
    import('../../src/integrations/env-database.js'),
    import('../../src/integrations/backup-files.js'),
  ]);
  const target = databaseFor(ctx, env);
  const report = (r: Omit<DataRunReport, 'env' | 'target' | 'ms' | 'ok'>): DataRunReport => ({ env, target: target.description, ...r, ok: !r.skipped && r.files.every((f) => f.status !== 'failed'), ms: Math.round(performance.now() - started) });
  if (!files.length) return report({ mode: 'none', files: [], skipped: 'nothing pending' });
  const state = ctx.state();
  const release = await holdLocks(state, `MIGRATE-DATA-${process.pid}`, [databaseLock(target.identity)], { signal: ctx.signal });
  try {
    if (target.kind === 'embedded') {
      if (envDb.dataDirState(ctx.project.root, target) !== 'present') return report({ mode: 'none', files: [], skipped: `no ${target.description} yet: no rows to try the migrations on` });
      let copied = false;
      const copy = async (src: string, dest: string) => {
        await copyDir(src, dest);
        copied = true;
        release(); // the copy is ours: the environment is free again
      };
      try {
        return report({ mode: 'copy of the data directory', files: await runOnCopy(ctx, target.dataDir, files, copy) });
      } finally {
        if (!copied) release();
      }
    }
    const db = await envDb.openEnvironmentDatabase(ctx.project.root, state, target, { create: false, by: 'migrate --dry-run --with-data' });
    if (!db) return report({ mode: 'none', files: [], skipped: 'no database' });
    try {
      return report({ mode: 'transaction rolled back', files: await runInRolledBackTransaction(db, files) });
    } finally {
      await db.close();
    }
  } finally {
    release();
  }
}

/** Pure: the lines `migrate execute --dry-run --with-data` prints for a report. */
export function describeDataRun(r: DataRunReport): Array<{ level: 'ok' | 'info' | 'warn' | 'error'; text: string }> {
  if (r.skipped) return [{ level: 'warn', text: `With data (${r.env}, ${r.target}): not tried: ${r.skipped}` }];
  const lines: Array<{ level: 'ok' | 'info' | 'warn' | 'error'; text: string }> = [{ level: 'info', text: `With data (${r.env}, ${r.target}): ${r.mode === 'copy of the data directory' ? 'applied to a copy of its data directory (the copy is removed)' : `in one transaction, rolled back (lock_timeout ${DATA_RUN_LOCK_TIMEOUT})`}` }];
  for (const f of r.files) {
    if (f.status === 'applied') lines.push({ level: 'ok', text: `  ${f.path} applies on ${r.env}'s rows (${Math.max(1, Math.round(f.ms))} ms)${f.detail ? `; ${f.detail}` : ''}` });
    else if (f.status === 'failed') lines.push({ level: 'error', text: `  ${f.path} fails on ${r.env}'s rows: ${f.detail}` });
    else lines.push({ level: 'warn', text: `  ${f.path} not run: ${f.detail}` });
  }
  const failed = r.files.find((f) => f.status === 'failed');
  lines.push(failed ? { level: 'error', text: `With data: the deploy to ${r.env} would fail at ${failed.path}; nothing was changed there` } : { level: 'ok', text: `With data: every pending migration applies on ${r.env}'s rows; nothing was changed there` });
  return lines;
}

/**
 * After the shadow dry run: the same pending files on the environment's rows. `result` is the shadow
 * dry run's (its data lists the pending files in order); the exit code is 1 when either failed.
 */
export async function withDataStep<R extends { data?: unknown; exitCode?: number }>(ctx: DataRunContext, env: 'staging' | 'production', result: R, log: (level: 'ok' | 'info' | 'warn' | 'error', text: string) => void): Promise<R> {
  const { readFileSync } = await import('node:fs');
  const pending = ((result.data as { pending?: Array<{ version: string; name: string; path: string }> } | undefined)?.pending ?? []).map((p) => ({ ...p, sql: readFileSync(join(ctx.project.root, p.path), 'utf8') }));
  const r = await dryRunWithData(ctx, env, pending);
  for (const l of describeDataRun(r)) log(l.level, l.text);
  return { ...result, data: { ...(result.data as object), withData: r }, exitCode: r.ok || r.skipped ? result.exitCode : 1 };
}
