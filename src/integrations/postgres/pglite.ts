// PGlite behind the Pg interface. Loaded with import() only here, so nothing on the CLI's
// one-shot path pays for the WASM module.
import type { Pg, Queryable, QueryResult } from './types.js';

const SUPABASE_SEARCH_PATH = 'search_path="$user", public, extensions';
import { pgliteExtensions } from './extensions.js';
import { writeImage, type DataImage } from './data-image.js';

export interface PgliteOpenOptions {
  /** A directory on disk; omitted: in memory. */
  dataDir?: string;
  /**
   * Extension names (as in `create extension`) whose bundles to load. A database made from the
   * template has pgcrypto and uuid-ossp installed; their functions work only if loaded here.
   */
  extensions?: Iterable<string>;
  description?: string;
  /** Start in memory from this data directory image (data-image.ts); not with dataDir. */
  image?: DataImage;
}

interface PgliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; rowCount?: number; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}

function rowCountOf(r: { rows: unknown[]; rowCount?: number; affectedRows?: number }): number {
  return r.rowCount ?? r.affectedRows ?? r.rows.length;
}

function wrap(q: PgliteLike): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      const r = await q.query<T>(sql, params);
      return { rows: r.rows, rowCount: rowCountOf(r) };
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  };
}

/** The raw PGlite instance, for tests. */
export interface PgliteDb extends Pg {
  readonly raw: import('@electric-sql/pglite').PGlite;
}

let baselineOnly = false;

/** PGlite's in-memory file system with the image written into PGDATA before Postgres starts. */
async function imageFs(image: DataImage): Promise<unknown> {
  const { MemoryFS } = await import('@electric-sql/pglite');
  type Opts = Parameters<InstanceType<typeof MemoryFS>['init']>[1];
  type Mod = { ENV: Record<string, string>; FS: Parameters<typeof writeImage>[0] };
  class ImageFS extends MemoryFS {
    override async init(pg: Parameters<InstanceType<typeof MemoryFS>['init']>[0], emscriptenOptions: Opts) {
      const { emscriptenOpts } = await super.init(pg, emscriptenOptions);
      const preRun = [...((emscriptenOpts as { preRun?: unknown[] }).preRun ?? []), (mod: Mod) => writeImage(mod.FS, mod.ENV.PGDATA as string, image)];
      return { emscriptenOpts: { ...emscriptenOpts, preRun } as Opts };
    }
  }
  return new ImageFS();
}

export async function openPglite(opts: PgliteOpenOptions = {}): Promise<PgliteDb> {
  if (!baselineOnly) {
    // V8 compiles Postgres's 9 MB of WebAssembly with its baseline compiler, then again with its
    // optimizing one, which is seconds of CPU on other cores that a short-lived shadow never
    // repays: a schema scan took 2.0 s and 3.1 s of CPU with it, 1.25 s and 1.4 s without, here.
    // The flag is read when a module compiles; PGlite is the only WebAssembly this process runs.
    // The type-check worker sets it too, for its code cache's sake (type-check-worker.mjs).
    (await import('node:v8')).setFlagsFromString('--liftoff-only');
    baselineOnly = true;
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const extensions = await pgliteExtensions(opts.extensions ?? []);
  const options: Record<string, unknown> = { extensions };
  // PGlite pins search_path=public on its command line, which beats `alter database … set`; use
  // Supabase's path instead so unqualified uuid_generate_v4() and friends resolve as they do there.
  const defaults = (PGlite as unknown as { defaultStartParams?: string[] }).defaultStartParams;
  // shared_buffers: Postgres's 128MB default is touched at start-up; 16MB is plenty for a shadow or
  // a development database and starts ~0.5 s sooner here (1.2–1.4 s against 0.6–0.9 s for a data dir).
  if (Array.isArray(defaults)) options.startParams = [...defaults.map((p) => (p.startsWith('search_path=') ? SUPABASE_SEARCH_PATH : p)), '-c', 'shared_buffers=16MB'];
  if (opts.dataDir && opts.image) throw new Error('openPglite: give dataDir or image, not both');
  if (opts.dataDir) options.dataDir = opts.dataDir;
  if (opts.image) options.fs = await imageFs(opts.image);
  const db = await PGlite.create(options);
  const base = wrap(db as unknown as PgliteLike);
  return {
    kind: 'pglite',
    description: opts.description ?? (opts.dataDir ? `embedded PGlite (${opts.dataDir})` : 'in-memory PGlite'),
    raw: db,
    query: base.query,
    exec: base.exec,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => db.transaction((tx) => fn(wrap(tx as unknown as PgliteLike))),
    close: async () => {
      if (!db.closed) await db.close();
    },
  };
}
