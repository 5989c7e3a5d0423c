// The cached template: initdb once into a data directory in a cache directory, apply the Supabase
// shims, and start every database from it. initdb costs ~2 s and ~720 MB.
// - A shadow starts in memory from an image of that directory (data-image.ts): one file, read,
//   checksummed and written into PGlite's in-memory file system in ~60 ms, where copying the
//   directory (`cp -R`, 40 MB) took 0.2–0.5 s here, and nothing is left on disk to remove.
// - A new embedded (project or environment) database is a copy of the directory, opened from disk.
//
// Names carry a hash of the shims and the PGlite version, so a changed shim or an upgraded PGlite
// builds a new template instead of loading a stale one. Several processes may race to build: a
// lock directory makes one build the directory while the others wait; both the directory and the
// image are written under a temporary name and renamed, so a reader never sees half of either, and
// an image that fails its length or checksum check (a bad disk) is rebuilt from the directory.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SHIM_EXTENSIONS, SUPABASE_SHIMS } from './supabase-shims.js';
import { openPglite, type PgliteDb } from './pglite.js';
import { packDirectory, readImage, type DataImage } from './data-image.js';
import { processScratch, type ScratchRegistrar } from '../../engine/scratch.js';
import { isAlive } from '../../store/state-db.js';

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

/** `pg-template-<hash>`, a data directory; the hash covers the shims and the PGlite version. */
export function templateDirName(): string {
  const hash = createHash('sha256').update(`${pgliteVersion()}\n${SUPABASE_SHIMS}`).digest('hex').slice(0, 12);
  return `pg-template-${hash}`;
}

export interface TemplateInfo {
  path: string;
  /** True when this call ran initdb and wrote the file; false when it was already cached. */
  built: boolean;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid a lock directory names, or null (not written yet, or by a version that wrote none). */
function lockOwner(lockDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Why a build lock may be taken over, or null while its builder may still be at work. A builder
 * killed mid-initdb leaves its lock: taken over at once when its process is gone, else after
 * LOCK_STALE_MS (a lock that names no pid yet, or a pid on another machine's cache).
 */
export function lockIsStale(lockDir: string, now = Date.now()): string | null {
  try {
    const owner = lockOwner(lockDir);
    if (owner !== null && !isAlive(owner)) return `its builder (pid ${owner}) is gone`;
    const age = now - statSync(lockDir).mtimeMs;
    return age > LOCK_STALE_MS ? `older than ${LOCK_STALE_MS / 1000} s` : null;
  } catch {
    return null; // the holder removed it meanwhile
  }
}

async function withLock<T>(lockDir: string, ready: () => boolean, fn: () => Promise<T>): Promise<T | null> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ready()) return null;
      if (lockIsStale(lockDir)) rmSync(lockDir, { recursive: true, force: true });
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

/** Makes sure the template data directory exists in cacheDir, building it if needed. */
export async function ensureTemplate(cacheDir: string): Promise<TemplateInfo> {
  const t0 = performance.now();
  const path = join(cacheDir, templateDirName());
  if (existsSync(path)) return { path, built: false, ms: performance.now() - t0 };
  mkdirSync(cacheDir, { recursive: true });
  const built = await withLock(`${path}.lock`, () => existsSync(path), async () => {
    if (existsSync(path)) return false;
    const tmp = `${path}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    processScratch.add({ path: tmp, kind: 'template-build', repo: null }); // ~40 MB if a kill interrupts initdb
    try {
      const db = await openPglite({ dataDir: tmp, extensions: SHIM_EXTENSIONS });
      try {
        await db.exec(SUPABASE_SHIMS);
      } finally {
        await db.close();
      }
      try {
        renameSync(tmp, path);
      } catch (err) {
        if (!existsSync(join(path, 'PG_VERSION'))) throw err; // else another builder finished first (its lock was taken over as stale)
      }
      rmSync(`${path}.tar.gz`, { force: true }); // what versions before the directory cached
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      processScratch.remove(tmp);
    }
    return true;
  });
  return { path, built: built === true, ms: performance.now() - t0 };
}

/** Copies the template data directory's contents into dest (created if missing). */
export async function copyTemplate(cacheDir: string, dest: string): Promise<void> {
  const { path } = await ensureTemplate(cacheDir);
  mkdirSync(dest, { recursive: true });
  // cp(1) copies the ~1,000 files in a third of the time fs.cpSync takes; fs.cpSync where there is none.
  await new Promise<void>((resolve, reject) => {
    execFile('cp', ['-R', `${path}/.`, dest], (err) => {
      try {
        if (err) cpSync(path, dest, { recursive: true });
        resolve();
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

/** `<template dir>.image`: the template directory as one file (data-image.ts). */
export function templateImagePath(cacheDir: string): string {
  return join(cacheDir, `${templateDirName()}.image`);
}

export interface TemplateImage {
  image: DataImage;
  /** Why it was (re)built in this call: 'missing', or what was wrong with the file there; null when read as it was. */
  rebuilt: string | null;
}

/**
 * The template's image, verified; built from the template directory when missing or damaged.
 * Racing builders each write their own temporary file and rename it: the images are identical.
 */
export async function ensureTemplateImage(cacheDir: string, scratch: ScratchRegistrar = processScratch): Promise<TemplateImage> {
  const { path: dir } = await ensureTemplate(cacheDir);
  const file = templateImagePath(cacheDir);
  let problem = 'missing';
  if (existsSync(file)) {
    try {
      return { image: readImage(readFileSync(file)), rebuilt: null };
    } catch (err) {
      problem = (err as Error).message;
    }
  }
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  scratch.add({ path: tmp, kind: 'template-build', repo: null });
  try {
    const buf = packDirectory(dir);
    writeFileSync(tmp, buf);
    renameSync(tmp, file);
    return { image: readImage(buf), rebuilt: problem };
  } finally {
    rmSync(tmp, { force: true });
    scratch.remove(tmp);
  }
}

export interface ShadowOptions {
  /** Where the template is cached (built there on first use). */
  cacheDir: string;
  /** Extension bundles the SQL to run needs (see extensionsIn). */
  extensions?: Iterable<string>;
  /** Where a template image being written is registered (default: this process's, src/engine/scratch.ts). */
  scratch?: ScratchRegistrar;
}

/** A throwaway in-memory database with the Supabase shims, started from the template's image. */
export async function openShadowDatabase(opts: ShadowOptions): Promise<PgliteDb> {
  const { image } = await ensureTemplateImage(opts.cacheDir, opts.scratch);
  return openPglite({ image, extensions: opts.extensions ?? [], description: 'shadow PGlite (in memory, from the template)' });
}

export { templateCacheDir } from './cache-dir.js';
