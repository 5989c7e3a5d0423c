// Applying migrations to the real target (the embedded database or DATABASE_URL), recording each in
// the Supabase CLI's history table in the same transaction, so a failed file leaves nothing behind.
// Like the CLI it refuses pending files older than the newest applied one unless told to include
// them. A file whose only statement is CONCURRENTLY runs outside a transaction (it cannot run in
// one) and is recorded right after.
import type { Pg, Queryable } from '../../src/integrations/postgres/types.js';
import { readMigrationFiles, type SkippedFile } from './files.js';
import { ensureDeployedTable, ensureHistoryTable, readDeployed, readHistory, recordApplied, recordDeployed, removeApplied, removeDeployed, statementsOf } from './history.js';
import { compareMigrations } from './status.js';
import { MigrationFailure, runFile, type Diagnosis } from './run-sql.js';

export interface AppliedRecord {
  version: string;
  name: string;
  path: string;
  ms: number;
}

export type ApplyResult =
  | { type: 'applied'; applied: AppliedRecord[]; skipped: SkippedFile[] }
  | { type: 'blocked'; reason: string; outOfOrder: string[]; skipped: SkippedFile[] }
  | { type: 'failed'; applied: AppliedRecord[]; failed: Diagnosis & { version: string }; skipped: SkippedFile[] };

/** Who applies a migration, recorded on the target with its history row (the deploy journal). */
export interface DeployedBy {
  deployment: string;
  ticket: string | null;
  environment: string;
}

/** Applies one migration and records it (and, for a deployment, by whom); throws MigrationFailure (nothing applied) on error. */
export async function applyMigration(db: Pg, m: { version: string; name: string; path?: string; sql: string }, by?: DeployedBy): Promise<AppliedRecord> {
  const path = m.path ?? `${m.version}_${m.name}.sql`;
  const record = async (q: Queryable) => {
    await recordApplied(q, { version: m.version, name: m.name, statements: statementsOf(m.sql) });
    if (by) await recordDeployed(q, { version: m.version, ...by });
  };
  // The embedded database is PGlite: the Supabase extensions it lacks get their stand-ins there too.
  const run = await runFile(db, path, m.sql, { keepGoing: false, after: record, standIns: db.kind === 'pglite' });
  return { version: m.version, name: m.name, path, ms: run.ms };
}

/** Runs a rollback and removes the version from the history (and the deploy journal), in one transaction. */
export async function revertMigration(db: Pg, m: { version: string; name: string; path?: string; down: string }): Promise<void> {
  await runFile(db, m.path ?? `${m.version}_${m.name}.down.sql`, m.down, {
    keepGoing: false,
    standIns: db.kind === 'pglite',
    after: async (q) => {
      await removeApplied(q, [m.version]);
      await removeDeployed(q, [m.version]);
    },
  });
}

export async function applyPendingMigrations(projectRoot: string, db: Pg, opts: { includeAll?: boolean } = {}): Promise<ApplyResult> {
  const { files, skipped } = readMigrationFiles(projectRoot);
  await ensureHistoryTable(db);
  const status = compareMigrations(files, await readHistory(db));
  if (status.outOfOrder.length && !opts.includeAll) {
    return { type: 'blocked', reason: `${status.outOfOrder.join(', ')} ${status.outOfOrder.length === 1 ? 'is' : 'are'} older than the newest applied migration; apply with includeAll if that is intended`, outOfOrder: status.outOfOrder, skipped };
  }
  const applied: AppliedRecord[] = [];
  for (const m of status.pending) {
    try {
      applied.push(await applyMigration(db, m));
    } catch (err) {
      if (err instanceof MigrationFailure) return { type: 'failed', applied, failed: { ...err.diagnosis, version: m.version }, skipped };
      throw err;
    }
  }
  return { type: 'applied', applied, skipped };
}

export interface MigrationPair {
  version: string;
  name: string;
  up: string;
  down: string;
}

/**
 * The deploy engine's view of the target (structurally its MigrationApplier): brings the target up
 * to date with the committed migrations, then applies a change set's migrations, each one
 * transaction with its history row and the row naming the deployment that applied it; reverts
 * newest first. A failure throws MigrationFailure naming the file and line.
 */
export function migrationApplier(projectRoot: string, db: Pg) {
  return {
    description: db.description,
    /** Applies the committed migrations the target lacks (what the main branch already has). */
    async upToDate(log: (line: string) => void): Promise<void> {
      const pending = await applyPendingMigrations(projectRoot, db, { includeAll: true });
      if (pending.type === 'failed') throw new MigrationFailure(pending.failed);
      if (pending.type === 'applied' && pending.applied.length) log(`Brought ${db.description} up to date: ${pending.applied.length} committed migration(s) applied`);
    },
    async apply(migrations: MigrationPair[], log: (line: string) => void, by: DeployedBy, onApplied?: (version: string) => void): Promise<string[]> {
      await this.upToDate(log);
      await ensureDeployedTable(db);
      const done = new Set((await readHistory(db)).map((h) => h.version));
      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) {
          log(`Migration ${m.version}_${m.name} is already applied to ${db.description}`);
          continue;
        }
        await applyMigration(db, { version: m.version, name: m.name, sql: m.up }, by);
        log(`Applied migration ${m.version}_${m.name} to ${db.description}`);
        applied.push(m.version);
        onApplied?.(m.version);
      }
      return applied;
    },
    async revert(migrations: MigrationPair[], log: (line: string) => void): Promise<void> {
      for (const m of [...migrations].sort((a, b) => (a.version < b.version ? 1 : -1))) {
        await revertMigration(db, { version: m.version, name: m.name, down: m.down });
        log(`Reverted migration ${m.version}_${m.name} on ${db.description}`);
      }
    },
    /** The versions in the target's history now. */
    async history(): Promise<Set<string>> {
      return new Set((await readHistory(db)).map((h) => h.version));
    },
    /** What the target records as applied by these deployments. */
    appliedBy: (deployments: string[]) => readDeployed(db, deployments),
    async snapshot() {
      const { takeSnapshot } = await import('./schema-snapshot.js');
      return takeSnapshot(db);
    },
    close: () => db.close(),
  };
}
