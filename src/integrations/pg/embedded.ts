// Embedded Postgres (PGlite), opened only by commands that need a database. A template data dir
// with the Supabase shims is dumped once into .agent/cache and loaded for every shadow database:
// initdb costs seconds, loading the template well under one.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { SUPABASE_SHIMS } from './shims.js';

const TEMPLATE = 'pg-template-v1.tar.gz';

export async function openShadow(cacheDir: string): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const path = join(cacheDir, TEMPLATE);
  if (existsSync(path)) {
    return PGlite.create({ loadDataDir: new Blob([readFileSync(path)]) });
  }
  const db = await PGlite.create();
  await db.exec(SUPABASE_SHIMS);
  const dump = await db.dumpDataDir('gzip');
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  return db;
}

/** The project's persistent embedded database (.agent/pgdata), with the shims applied once. */
export async function openEmbedded(dataDir: string, cacheDir: string): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (existsSync(join(dataDir, 'PG_VERSION'))) return PGlite.create({ dataDir });
  const template = join(cacheDir, TEMPLATE);
  if (!existsSync(template)) await (await openShadow(cacheDir)).close();
  mkdirSync(dataDir, { recursive: true });
  return PGlite.create({ dataDir, loadDataDir: new Blob([readFileSync(template)]) });
}
