// The cached template: initdb once into a data directory in a cache directory, apply the Supabase
// shims, and start every shadow (or new embedded) database from a copy of that directory. initdb
// costs ~2 s and ~720 MB. A copy (`cp -R`, ~0.1 s) opened from disk starts in about half the time of
// unpacking a dumped tarball into PGlite's in-memory file system (loadDataDir), which was measured
// here at 1.7–2.0 s against 0.7–0.9 s.
//
// The directory name carries a hash of the shims and the PGlite version, so a changed shim or an
// upgraded PGlite builds a new template instead of loading a stale one. Several processes may race
// to build: a lock directory makes one build while the others wait; the template is built under a
// temporary name and renamed, so a reader never sees half a data directory.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SHIM_EXTENSIONS, SUPABASE_SHIMS } from './supabase-shims.js';
import { openPglite, type PgliteDb } from './pglite.js';
import { processScratch, type ScratchRegistrar } from '../../engine/scratch.js';

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
      renameSync(tmp, path);
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

/**
 * Removes a shadow's copy without making its closer wait: rm(1) takes ~20 ms for what fs.rm takes
 * 0.3–0.5 s here. The child keeps the process alive until it is done.
 */
function removeLater(dir: string): void {
  execFile('rm', ['-rf', dir], (err) => {
    if (err) void rm(dir, { recursive: true, force: true }).catch(() => undefined);
  });
}

export interface ShadowOptions {
  /** Where the template is cached (built there on first use). */
  cacheDir: string;
  /** Extension bundles the SQL to run needs (see extensionsIn). */
  extensions?: Iterable<string>;
  /** Where the copy is registered while it exists (default: this process's, src/engine/scratch.ts). */
  scratch?: ScratchRegistrar;
}

/** A throwaway database with the Supabase shims, in a copy of the template that close() removes. */
export async function openShadowDatabase(opts: ShadowOptions): Promise<PgliteDb> {
  const scratch = opts.scratch ?? processScratch;
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-shadow-'));
  scratch.add({ path: parent, kind: 'shadow-copy', repo: null });
  try {
    const dataDir = join(parent, 'pgdata');
    await copyTemplate(opts.cacheDir, dataDir);
    const db = await openPglite({ dataDir, extensions: opts.extensions ?? [], description: 'shadow PGlite (from template)' });
    const close = db.close;
    return {
      ...db,
      close: async () => {
        try {
          await close();
        } finally {
          removeLater(parent); // rm(1) finishes it even if this process exits first
          scratch.remove(parent);
        }
      },
    };
  } catch (err) {
    rmSync(parent, { recursive: true, force: true });
    scratch.remove(parent);
    throw err;
  }
}

export { templateCacheDir } from './cache-dir.js';
