// openDatabase: the project's database. DATABASE_URL through pg when given; otherwise the embedded
// PGlite data dir `<project>/.agent/pgdata`, created from the cached template on first use.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pg } from './types.js';
import { extensionsIn } from './extensions.js';
import { SHIM_EXTENSIONS, SHIMS_MARKER, SUPABASE_SHIMS } from './supabase-shims.js';

export interface OpenDatabaseOptions {
  projectRoot: string;
  /** A connection string (from the environment or .env); the embedded database when absent. */
  databaseUrl?: string | undefined;
  /** Where the PGlite template is cached; default `<project>/.agent/cache`. */
  cacheDir?: string;
  /** The embedded data directory, relative to the project; default `.agent/pgdata`. */
  dataDir?: string;
}

export const PGDATA_DIR = join('.agent', 'pgdata');
export const CACHE_DIR = join('.agent', 'cache');

/** Extensions the project's migrations create, so the embedded database can load their bundles. */
export function projectExtensions(projectRoot: string): string[] {
  const dir = join(projectRoot, 'supabase', 'migrations');
  if (!existsSync(dir)) return [];
  const texts = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
  return extensionsIn(texts);
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Pg> {
  if (opts.databaseUrl) {
    const { openNodePg } = await import('./node-pg.js');
    return openNodePg(opts.databaseUrl);
  }
  const { openPglite } = await import('./pglite.js');
  const dataDir = join(opts.projectRoot, opts.dataDir ?? PGDATA_DIR);
  const description = `embedded PGlite (${opts.dataDir ?? PGDATA_DIR})`;
  // The project's own database serves the app: load the shims' extensions whatever the SQL says.
  const extensions = [...SHIM_EXTENSIONS, ...projectExtensions(opts.projectRoot)];
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    const db = await openPglite({ dataDir, extensions, description });
    try {
      // A data dir made by an older shim version (or by hand) is brought up to date; the shims are idempotent.
      const { rows } = await db.query<{ marker: string | null }>(
        `select obj_description(oid, 'pg_namespace') as marker from pg_namespace where nspname = 'auth'`,
      );
      if (rows[0]?.marker !== SHIMS_MARKER) await db.exec(SUPABASE_SHIMS);
    } catch (err) {
      await db.close();
      throw err;
    }
    return db;
  }
  // Copied beside and renamed into place: a kill mid-copy never leaves a half data directory.
  if (existsSync(dataDir) && readdirSync(dataDir).length) throw new Error(`${opts.dataDir ?? PGDATA_DIR} exists but holds no database (no PG_VERSION): it is damaged or half-deleted`);
  const { copyTemplate } = await import('./template.js');
  const building = `${dataDir}.creating-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  await copyTemplate(opts.cacheDir ?? join(opts.projectRoot, CACHE_DIR), building);
  rmSync(dataDir, { recursive: true, force: true }); // an empty directory at most
  renameSync(building, dataDir);
  return openPglite({ dataDir, extensions, description });
}
