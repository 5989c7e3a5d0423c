// Orphans before a foreign-key fix is staged (issue 14): rows whose key columns point at no parent
// row make VALIDATE fail on the database that holds them, so the Migrator counts them, with a
// sample, in each environment's database it can reach, and proposes their cleanup as a migration of
// its own (SET NULL for a nullable column, else DELETE) between the key's NOT VALID and its VALIDATE.
// The cleanup is destructive: the staged set then needs the admin's approval to deploy, and nothing
// runs before that. The queries and the cleanup are pure; the probe opens each environment's
// database under its lock, as `agent migrate` does, and only reads.
import type { StagedMigration } from '../shared/change-set.js';
import type { Queryable } from '../../src/integrations/postgres/types.js';
import type { AgentConfig } from '../../src/config/config.js';
import type { Secrets } from '../../src/config/secrets.js';
import type { StateDb } from '../../src/store/state-db.js';
import { migrationPath, rollbackPath } from './rollback-store.js';
import { objectName, quoteIdent, quoteQualified } from './sql-names.js';
import { versionPlus } from './schema-fix.js';

/** A key whose existing rows a staged VALIDATE will check. */
export interface KeyCheck {
  /** `schema.table` */
  table: string;
  constraint: string;
  columns: string[];
  references: { table: string; columns: string[] };
  nullable: boolean;
}

export interface OrphanCount {
  key: KeyCheck;
  count: number;
  /** Up to 5 orphan rows: the table's primary key and the key's columns only (never whole rows). */
  sample: Array<Record<string, unknown>>;
}

export interface EnvironmentOrphans {
  env: string;
  /** What the user sees for the database (never its credentials). */
  target: string;
  /** Set when this environment's rows were not counted, and why. */
  skipped?: string;
  counts: OrphanCount[];
  /** Keys whose tables this database does not have (its migrations are behind), with the error. */
  missing: Array<{ key: KeyCheck; reason: string }>;
}

/** Counts each key's orphans in every environment database it can reach. */
export type OrphanProbe = (keys: readonly KeyCheck[], signal: AbortSignal) => Promise<EnvironmentOrphans[]>;

/** Pure: the WHERE that matches the rows VALIDATE would reject (alias `c` for the table). */
export function orphanPredicate(k: Pick<KeyCheck, 'columns' | 'references'>, alias = 'c'): string {
  const a = alias ? `${alias}.` : '';
  const notNull = k.columns.map((c) => `${a}${quoteIdent(c)} is not null`).join(' and ');
  const match = k.columns.map((c, i) => `p.${quoteIdent(k.references.columns[i] ?? 'id')} = ${a}${quoteIdent(c)}`).join(' and ');
  return `${notNull} and not exists (select 1 from ${quoteQualified(k.references.table)} p where ${match})`;
}

/** Pure: the cleanup to approve: SET NULL for a nullable column, otherwise DELETE. */
export function orphanCleanupStatement(k: KeyCheck): string {
  const table = quoteQualified(k.table);
  const where = orphanPredicate(k, table);
  return k.nullable ? `update ${table} set ${k.columns.map((c) => `${quoteIdent(c)} = null`).join(', ')} where ${where};` : `delete from ${table} where ${where};`;
}

/** The table's primary key columns (for the sample), or none. */
async function primaryKeyOf(db: Queryable, table: string): Promise<string[]> {
  const { rows } = await db.query<{ attname: string }>(
    `select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = $1::regclass and i.indisprimary order by array_position(i.indkey::int2[], a.attnum)`,
    [quoteQualified(table)],
  );
  return rows.map((r) => r.attname);
}

/** Counts one key's orphans on a database, with a sample of 5 (primary key and key columns). */
export async function countOrphans(db: Queryable, k: KeyCheck): Promise<OrphanCount> {
  const table = quoteQualified(k.table);
  const where = orphanPredicate(k);
  const count = Number((await db.query<{ n: string | number }>(`select count(*) as n from ${table} c where ${where}`)).rows[0]?.n ?? 0);
  if (!count) return { key: k, count, sample: [] };
  const pk = (await primaryKeyOf(db, k.table)).filter((c) => !k.columns.includes(c));
  const cols = [...pk, ...k.columns].map((c) => `c.${quoteIdent(c)}`).join(', ');
  const sample = (await db.query<Record<string, unknown>>(`select ${cols} from ${table} c where ${where} order by ${cols} limit 5`)).rows;
  return { key: k, count, sample };
}

/** Pure: `id=2 sales_id=999; id=7 sales_id=1000` */
export const describeSample = (sample: ReadonlyArray<Record<string, unknown>>): string => sample.map((r) => Object.entries(r).map(([c, v]) => `${c}=${v === null ? 'null' : String(v)}`).join(' ')).join('; ');

/** Pure: one line per environment for the log. */
export function describeOrphans(e: EnvironmentOrphans): string[] {
  if (e.skipped) return [`${e.env} (${e.target}): not counted: ${e.skipped}`];
  const lines = e.counts.map((c) =>
    c.count
      ? `${e.env} (${e.target}): ${c.count} row(s) of ${c.key.table} point at no ${c.key.references.table} row, so VALIDATE ${c.key.constraint} would fail there (${describeSample(c.sample)}${c.count > c.sample.length ? '; …' : ''})`
      : `${e.env} (${e.target}): no row of ${c.key.table} violates ${c.key.constraint}`,
  );
  for (const m of e.missing) lines.push(`${e.env} (${e.target}): ${m.key.table} not counted: ${m.reason}`);
  return lines;
}

/**
 * Pure: the migrations with a cleanup migration (destructive) before the VALIDATE of each key that
 * has orphans somewhere, versions re-stamped in order from the first one's.
 */
export function withOrphanCleanup<M extends StagedMigration>(migrations: readonly M[], found: readonly EnvironmentOrphans[]): { migrations: Array<M | (StagedMigration & { reason: string })>; cleanups: KeyCheck[] } {
  const keys = new Map<string, { key: KeyCheck; where: string[] }>();
  for (const e of found)
    for (const c of e.counts)
      if (c.count) {
        const k = keys.get(c.key.constraint) ?? { key: c.key, where: [] };
        k.where.push(`${e.env}: ${c.count}`);
        keys.set(c.key.constraint, k);
      }
  if (!keys.size || !migrations.length) return { migrations: [...migrations], cleanups: [] };
  const out: Array<M | (StagedMigration & { reason: string })> = [];
  for (const m of migrations) {
    for (const { key, where } of keys.values()) {
      if (!new RegExp(`validate constraint ${quoteIdent(key.constraint).replace(/[.*+?^${}()|[\]\\"]/g, '\\$&')};`).test(m.up)) continue;
      const name = objectName('clean_up', key.constraint, 'orphans');
      out.push({
        version: '',
        name,
        upPath: '',
        downPath: '',
        up: [
          `-- Rows of ${key.table} that point at no ${key.references.table} row (${where.join(', ')} when staged): VALIDATE ${key.constraint} fails while they exist.`,
          key.nullable
            ? `-- ${key.columns.join(', ')} ${key.columns.length === 1 ? 'is' : 'are'} nullable: they are set to null (the rows stay).`
            : `-- ${key.columns.join(', ')} ${key.columns.length === 1 ? 'is' : 'are'} NOT NULL: the rows are DELETED. To keep them instead, drop this migration and the VALIDATE of ${key.constraint} (the key then checks new rows only).`,
          '-- Destructive: deploying this set needs the admin\'s approval. It runs after the key exists NOT VALID, so no new such row can appear meanwhile.',
          orphanCleanupStatement(key),
        ].join('\n') + '\n',
        down: '-- Not reversible: the values it cleared are in the backup taken before a production deploy.\n',
        findings: [],
        destructive: true,
        reason: `cleans up the rows of ${key.table} that VALIDATE ${key.constraint} would reject (${where.join(', ')}); destructive: needs approval`,
      });
    }
    out.push({ ...m });
  }
  const base = migrations[0]!.version;
  out.forEach((m, i) => {
    m.version = versionPlus(base, i);
    m.upPath = migrationPath(m.version, m.name);
    m.downPath = rollbackPath(m.version, m.name);
  });
  return { migrations: out, cleanups: [...keys.values()].map((k) => k.key) };
}

/**
 * The probe for a command's context: every environment whose database is configured and there
 * (an embedded one that does not exist yet is not made), opened under its lock like `agent migrate`
 * opens it, waiting at most `waitMs` for a deploy holding it; read-only queries only.
 */
export function environmentOrphanProbe(ctx: { project: { root: string; config(): AgentConfig }; secrets: Pick<Secrets, 'get'>; state(): StateDb }, waitMs = 30_000): OrphanProbe {
  return async (keys, signal) => {
    const [{ databaseFor, ENVIRONMENTS }, { holdLocks, databaseLock }, { openEnvironmentDatabase, dataDirState }] = await Promise.all([
      import('../../src/engine/environments.js'),
      import('../../src/engine/locks.js'),
      import('../../src/integrations/env-database.js'),
    ]);
    const out: EnvironmentOrphans[] = [];
    for (const env of ENVIRONMENTS) {
      let target;
      try {
        target = databaseFor(ctx, env);
      } catch (err) {
        out.push({ env, target: 'none', skipped: (err as Error).message, counts: [], missing: [] });
        continue;
      }
      // Staging and production on one server (sameDatabase) would be counted twice: once is enough.
      if (out.some((o) => o.target === target.description)) continue;
      const entry: EnvironmentOrphans = { env, target: target.description, counts: [], missing: [] };
      out.push(entry);
      // An embedded database not made yet holds no row: no lock to wait for, nothing to open.
      if (target.kind === 'embedded' && dataDirState(ctx.project.root, target) === 'absent') {
        entry.skipped = 'no database there yet';
        continue;
      }
      const state = ctx.state();
      let release: (() => void) | undefined;
      try {
        release = await holdLocks(state, `MIGRATOR-ORPHANS-${process.pid}`, [databaseLock(target.identity)], { signal: AbortSignal.any([signal, AbortSignal.timeout(waitMs)]) });
      } catch {
        if (signal.aborted) throw signal.reason;
        entry.skipped = `another command held its lock for ${Math.round(waitMs / 1000)} s`;
        continue;
      }
      try {
        const db = await openEnvironmentDatabase(ctx.project.root, state, target, { create: false, by: 'the Migrator (orphan count)' });
        if (!db) {
          entry.skipped = 'no database there yet';
          continue;
        }
        try {
          for (const k of keys) {
            try {
              entry.counts.push(await countOrphans(db, k));
            } catch (err) {
              entry.missing.push({ key: k, reason: (err as Error).message.split('\n')[0]! });
            }
          }
        } finally {
          await db.close();
        }
      } catch (err) {
        entry.skipped = (err as Error).message.split('\n')[0]!;
      } finally {
        release();
      }
    }
    return out;
  };
}
