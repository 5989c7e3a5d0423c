// Embedded Postgres (PGlite), opened only by commands that need a database. A template data dir
// with the Supabase shims is dumped once into .agent/cache and loaded for every shadow database:
// initdb costs seconds, loading the template well under one.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import type { PGlite } from '@electric-sql/pglite';
import { SUPABASE_SHIMS } from './shims.js';

const TEMPLATE = 'pg-template-v1.tar.gz';

/** A template shared by every project on this machine (initdb once, not once per project). */
export function templateCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'crm-agent');
}

export async function openShadow(cacheDir = templateCacheDir()): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const path = join(cacheDir, TEMPLATE);
  if (existsSync(path)) {
    return PGlite.create({ loadDataDir: new Blob([readFileSync(path)]) });
  }
  const db = await PGlite.create();
  await db.exec(SUPABASE_SHIMS);
  const dump = await db.dumpDataDir('gzip');
  mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed, so a concurrent process never loads half a template.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  renameSync(tmp, path);
  return db;
}

/** The project's persistent embedded database (.agent/pgdata), with the shims applied once. */
export async function openEmbedded(dataDir: string, cacheDir = templateCacheDir()): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (existsSync(join(dataDir, 'PG_VERSION'))) return PGlite.create({ dataDir });
  const template = join(cacheDir, TEMPLATE);
  if (!existsSync(template)) await (await openShadow(cacheDir)).close();
  mkdirSync(dataDir, { recursive: true });
  return PGlite.create({ dataDir, loadDataDir: new Blob([readFileSync(template)]) });
}
