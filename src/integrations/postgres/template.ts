// The cached template: initdb once, apply the Supabase shims, dump the data dir to a gzip tarball in
// a cache directory, and start every shadow (or new embedded) database from that tarball with
// loadDataDir. initdb costs ~2 s and ~720 MB; loading the tarball ~0.5 s.
//
// The file name carries a hash of the shims and the PGlite version, so a changed shim or an upgraded
// PGlite builds a new template instead of loading a stale one. Several processes may race to build:
// a lock directory makes one build while the others wait for the file; the file is written to a
// temporary name and renamed, so a reader never sees half a tarball.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SHIM_EXTENSIONS, SUPABASE_SHIMS } from './supabase-shims.js';
import { openPglite, type PgliteDb } from './pglite.js';

const LOCK_STALE_MS = 120_000;
const LOCK_WAIT_MS = 180_000;

function pgliteVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@electric-sql/pglite');
    const pkg = JSON.parse(readFileSync(join(dirname(dirname(entry)), 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `pg-template-<hash>.tar.gz`; the hash covers the shims and the PGlite version. */
export function templateFileName(): string {
  const hash = createHash('sha256').update(`${pgliteVersion()}\n${SUPABASE_SHIMS}`).digest('hex').slice(0, 12);
  return `pg-template-${hash}.tar.gz`;
}

export interface TemplateInfo {
  path: string;
  /** True when this call ran initdb and wrote the file; false when it was already cached. */
  built: boolean;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withLock<T>(lockDir: string, ready: () => boolean, fn: () => Promise<T>): Promise<T | null> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ready()) return null;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > LOCK_STALE_MS) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // the holder removed it meanwhile
      }
      if (Date.now() - started > LOCK_WAIT_MS) throw new Error(`timed out waiting for ${lockDir}`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Makes sure the template tarball exists in cacheDir, building it if needed. */
export async function ensureTemplate(cacheDir: string): Promise<TemplateInfo> {
  const t0 = performance.now();
  const path = join(cacheDir, templateFileName());
  if (existsSync(path)) return { path, built: false, ms: performance.now() - t0 };
  mkdirSync(cacheDir, { recursive: true });
  const built = await withLock(`${path}.lock`, () => existsSync(path), async () => {
    if (existsSync(path)) return false;
    const db = await openPglite({ extensions: SHIM_EXTENSIONS });
    try {
      await db.exec(SUPABASE_SHIMS);
      const dump = await db.raw.dumpDataDir('gzip');
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
      renameSync(tmp, path);
      return true;
    } finally {
      await db.close();
    }
  });
  return { path, built: built === true, ms: performance.now() - t0 };
}

const loaded = new Map<string, Blob>();

/** The template as a Blob, read from disk once per process. */
export async function templateBlob(cacheDir: string): Promise<Blob> {
  const { path } = await ensureTemplate(cacheDir);
  let blob = loaded.get(path);
  if (!blob) {
    blob = new Blob([readFileSync(path)]);
    loaded.set(path, blob);
  }
  return blob;
}

export interface ShadowOptions {
  /** Where the template tarball is cached (built there on first use). */
  cacheDir: string;
  /** Extension bundles the SQL to run needs (see extensionsIn). */
  extensions?: Iterable<string>;
}

/** A throwaway in-memory database with the Supabase shims, started from the cached template. */
export async function openShadowDatabase(opts: ShadowOptions): Promise<PgliteDb> {
  const blob = await templateBlob(opts.cacheDir);
  return openPglite({ loadDataDir: blob, extensions: opts.extensions ?? [], description: 'shadow PGlite (from template)' });
}

export { templateCacheDir } from './cache-dir.js';
