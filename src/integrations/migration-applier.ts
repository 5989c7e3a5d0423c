// Applies and reverts migrations on the target database: DATABASE_URL through pg, otherwise the
// embedded PGlite database in .agent/pgdata. History follows the Supabase CLI's table.
import { join } from 'node:path';
import type { CommandContext } from '../commands/types.js';
import type { MigrationApplier, MigrationToApply } from '../engine/deploy.js';
import { SUPABASE_SHIMS } from './pg/shims.js';

interface Sql {
  exec(sql: string): Promise<void>;
  query(sql: string, params: unknown[]): Promise<void>;
  versions(): Promise<Set<string>>;
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function connect(ctx: CommandContext): Promise<{ sql: Sql; description: string }> {
  const url = ctx.secrets.get('DATABASE_URL');
  if (url) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const wrap = (): Sql => ({
      exec: async (s) => void (await client.query(s)),
      query: async (s, p) => void (await client.query(s, p)),
      versions: async () => new Set((await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations')).rows.map((r) => r.version)),
      tx: async (fn) => {
        await client.query('begin');
        try {
          const r = await fn(wrap());
          await client.query('commit');
          return r;
        } catch (err) {
          await client.query('rollback');
          throw err;
        }
      },
      close: () => client.end(),
    });
    const sql = wrap();
    await sql.exec('create schema if not exists supabase_migrations; create table if not exists supabase_migrations.schema_migrations (version text primary key, statements text[], name text);');
    return { sql, description: 'DATABASE_URL' };
  }
  const { openEmbedded } = await import('./pg/embedded.js');
  const db = await openEmbedded(join(ctx.project.agentDir, 'pgdata'));
  await db.exec(SUPABASE_SHIMS);
  const wrap = (q: Pick<typeof db, 'exec' | 'query'>): Sql => ({
    exec: async (s) => void (await q.exec(s)),
    query: async (s, p) => void (await q.query(s, p)),
    versions: async () => new Set((await q.query<{ version: string }>('select version from supabase_migrations.schema_migrations')).rows.map((r) => r.version)),
    tx: (fn) => db.transaction((t) => fn(wrap(t))),
    close: () => db.close(),
  });
  return { sql: wrap(db), description: 'embedded PGlite (.agent/pgdata)' };
}

/** The project's committed migrations that the target has not applied yet, applied first. */
async function applyPendingProjectMigrations(ctx: CommandContext, sql: Sql, description: string, log: (l: string) => void): Promise<string[]> {
  const { readMigrations } = await import('./pg/migrations.js');
  const done = await sql.versions();
  const applied: string[] = [];
  for (const f of readMigrations(ctx.project.root).files) {
    if (done.has(f.version)) continue;
    await sql.tx(async (q) => {
      await q.exec(f.sql);
      await q.query('insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)', [f.version, f.name, [f.sql]]);
    });
    applied.push(f.version);
  }
  if (applied.length) log(`Brought ${description} up to date: ${applied.length} committed migration(s) applied`);
  return applied;
}

export async function openMigrationApplier(ctx: CommandContext): Promise<MigrationApplier> {
  const { sql, description } = await connect(ctx);
  return {
    description,
    async apply(migrations: MigrationToApply[], log) {
      await applyPendingProjectMigrations(ctx, sql, description, log);
      const applied: string[] = [];
      for (const m of migrations) {
        // A deploy that merged the migration file may have applied it with the project's own.
        if ((await sql.versions()).has(m.version)) {
          applied.push(m.version);
          continue;
        }
        await sql.tx(async (q) => {
          await q.exec(m.up);
          await q.query('insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)', [m.version, m.name, [m.up]]);
        });
        log(`Applied migration ${m.version}_${m.name} to ${description}`);
        applied.push(m.version);
      }
      return applied;
    },
    async revert(migrations: MigrationToApply[], log) {
      for (const m of migrations) {
        await sql.tx(async (q) => {
          await q.exec(m.down);
          await q.query('delete from supabase_migrations.schema_migrations where version = $1', [m.version]);
        });
        log(`Reverted migration ${m.version}_${m.name} on ${description}`);
      }
    },
    close: () => sql.close(),
  };
}
