// The disk side of backups (issue 16): copy an environment's database and the state database into
// `.agent/backups/<id>/`, hash what was written, and put a backup back. The caller holds the
// environment's database lock (engine/locks databaseLock) for the whole of createBackup and
// restore*: no deploy, rollback or migrate touches the database meanwhile, and with nothing open
// an embedded data directory is consistent on disk, so a copy of its files is a backup of it.
import { createHash } from 'node:crypto';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { WorkFailedError } from '../errors.js';
import { isAlive, type StateDb } from '../store/state-db.js';
import type { DatabaseTarget } from '../engine/environments.js';
import { BACKUPS_DIR, MANIFEST_FILE, MANIFEST_VERSION, backupId, compareChecksums, parseManifest, type BackupFile, type BackupManifest, type BackupReason, type ChecksumVerdict, type DatabaseCopy } from '../engine/backup.js';
import { dataDirState, openEnvironmentDatabase } from './env-database.js';
import { databaseLock, holdsLock } from '../engine/locks.js';
import type { Pg } from './postgres/types.js';
import type { SchemaSnapshot } from '../../agents/migrator/schema-snapshot.js';

export const SCHEMA_FILE = 'schema.json';
export const STATE_FILE = 'state.db';
/** Tables that describe processes running now, not history: a restore keeps the live rows. */
export const LIVE_TABLES = ['locks', 'sessions', 'scratch'] as const;

export const backupsRoot = (root: string) => join(root, BACKUPS_DIR);

export interface Listed {
  backups: BackupManifest[];
  /** Directories under .agent/backups that are not a readable backup, and why. */
  unreadable: Array<{ id: string; why: string }>;
}

export function listBackups(root: string): Listed {
  const dir = backupsRoot(root);
  const out: Listed = { backups: [], unreadable: [] };
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name.includes('.partial-')) continue;
    const file = join(dir, name, MANIFEST_FILE);
    if (!existsSync(file)) {
      out.unreadable.push({ id: name, why: 'no manifest.json' });
      continue;
    }
    const m = parseManifest(readFileSync(file, 'utf8'));
    if (typeof m === 'string') out.unreadable.push({ id: name, why: m });
    else if (m.id !== name) out.unreadable.push({ id: name, why: `its manifest names ${m.id}` });
    else out.backups.push(m);
  }
  return out;
}

/** Every file under dir, relative with '/' separators, sorted. */
function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full, base));
    else if (e.isFile()) out.push(relative(base, full).split(sep).join('/'));
  }
  return out.sort();
}

function sha256Stream(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Files up to this size are read whole, synchronously; larger ones (relation segments up to 1 GB) are streamed. */
const READ_WHOLE = 16 * 1024 * 1024;
/** The event loop is let through this often (spinner, Ctrl-C, the cp child's exit) between whole reads. */
const YIELD_EVERY = 64 * 1024 * 1024;

async function hashFiles(dir: string, paths: readonly string[]): Promise<BackupFile[]> {
  // A PGlite data directory is ~1,000 files, most of them 8 KB: a stream per file spent more in
  // its machinery than in sha256 (40 MB: ~100 ms streamed, ~35 ms read whole, here).
  const out: BackupFile[] = [];
  let sinceYield = 0;
  for (const p of paths) {
    const full = join(dir, p);
    const bytes = statSync(full).size;
    if (bytes > READ_WHOLE) {
      out.push({ path: p, sha256: await sha256Stream(full), bytes });
      continue;
    }
    const buf = readFileSync(full);
    out.push({ path: p, sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length });
    sinceYield += buf.length;
    if (sinceYield >= YIELD_EVERY) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  return out;
}

/** Checks a backup's files against its manifest (before anything is restored from it). */
export async function verifyBackupFiles(root: string, m: BackupManifest): Promise<ChecksumVerdict> {
  const dir = join(backupsRoot(root), m.id);
  const present = walk(dir);
  const has = new Set(present);
  const found = new Map<string, string | null>();
  const hashed = await hashFiles(dir, m.files.map((f) => f.path).filter((p) => has.has(p)));
  for (const f of m.files) found.set(f.path, null);
  for (const h of hashed) found.set(h.path, h.sha256);
  return compareChecksums(m.files, found, present);
}

/** cp -R src/. dest: cp(1) copies a data directory's ~1,000 files in a third of fs.cpSync's time. */
export function copyDir(src: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  return new Promise((resolve, reject) => {
    execFile('cp', ['-R', `${src}/.`, dest], (err) => {
      try {
        if (err) cpSync(src, dest, { recursive: true });
        resolve();
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}


/** A backup killed while it was written leaves `<id>.partial-<pid>`: removed once its process is gone. */
export function sweepPartials(root: string): string[] {
  const dir = backupsRoot(root);
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = /\.partial-(\d+)$/.exec(name);
    if (m && !isAlive(Number(m[1]))) {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

/**
 * The environment's database opened to read its catalog (the schema snapshot, the newest
 * migration); the caller holds the lock. An embedded one starts without the extension bundles and
 * without the shim upgrade openEnvironmentDatabase does: a catalog read calls no extension function,
 * linking pgcrypto and uuid-ossp's side modules cost 0.1–0.25 s of each open here, and the upgrade
 * is a write a backup has no business making (the next deploy or migrate makes it). Null when an
 * embedded one is absent.
 */
export async function openCatalog(root: string, state: StateDb, target: DatabaseTarget, by: string): Promise<Pg | null> {
  if (target.kind === 'url') return openEnvironmentDatabase(root, state, target, { create: false, by });
  if (!holdsLock(state, databaseLock(target.identity))) throw new Error(`internal: ${target.description} opened without its lock`);
  const on = dataDirState(root, target);
  if (on === 'absent') return null;
  if (on === 'damaged') throw new WorkFailedError(`${target.env}: the embedded database ${target.dataDir} is half there (files missing)`);
  const { openPglite } = await import('./postgres/pglite.js');
  try {
    return await openPglite({ dataDir: join(root, target.dataDir), extensions: [], description: target.description });
  } catch (err) {
    throw new WorkFailedError(`${target.env}: the embedded database ${target.dataDir} cannot be opened (${(err as Error).message})`);
  }
}

/** The newest applied migration (Supabase CLI's history table), null when there is none. */
async function newestMigration(db: Pg): Promise<string | null> {
  try {
    const { rows } = await db.query<{ version: string }>(`select version from supabase_migrations.schema_migrations order by version desc limit 1`);
    return rows[0]?.version ?? null;
  } catch {
    return null;
  }
}

/** Connection settings for the libpq tools, so the password never appears in a process list. */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (u.hostname) env.PGHOST = decodeURIComponent(u.hostname);
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  env.PGDATABASE = db ? decodeURIComponent(db) : 'postgres';
  const ssl = u.searchParams.get('sslmode');
  if (ssl) env.PGSSLMODE = ssl;
  return env;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => resolve({ code: null, stderr: err.message, missing: (err as NodeJS.ErrnoException).code === 'ENOENT' }));
    child.on('close', (code) => resolve({ code, stderr: stderr.trim(), missing: false }));
  });
}

export interface CreateOptions {
  root: string;
  state: StateDb;
  target: DatabaseTarget;
  reason: BackupReason;
  by: string;
  log?: (message: string) => void;
  now?: Date;
  /** A pre-restore backup of an embedded database: the manifest lists the live directory's files,
   * and the restore moves the directory itself in (restoreEmbedded) instead of copying it. */
  deferDataDir?: boolean;
}

/**
 * Writes a backup of the environment's database and the state database; the caller holds the
 * database lock. Written under `<id>.partial-<pid>` and renamed when complete.
 */
export async function createBackup(opts: CreateOptions): Promise<BackupManifest> {
  const t0 = performance.now();
  const { root, state, target } = opts;
  const parent = backupsRoot(root);
  mkdirSync(parent, { recursive: true });
  sweepPartials(root);
  const now = opts.now ?? new Date();
  const id = backupId(now, new Set(readdirSync(parent).map((n) => n.replace(/\.partial-\d+$/, ''))));
  const work = join(parent, `${id}.partial-${process.pid}`);
  mkdirSync(work);
  try {
    let database: DatabaseCopy;
    let snapshot: SchemaSnapshot | null = null;
    let schemaVersion: string | null = null;
    let liveHashes: BackupFile[] = [];
    const { takeSnapshot } = await import('../../agents/migrator/schema-snapshot.js');
    const onDisk = target.kind === 'embedded' ? dataDirState(root, target) : null;
    const dataDir = target.kind === 'embedded' ? target.dataDir : '';
    if (onDisk === 'absent') {
      database = { kind: 'absent', source: target.description, note: `${dataDir} does not exist yet (no deploy or migrate execute has created it)` };
    } else {
      if (onDisk === 'damaged') {
        // What a restore replaces may be the damaged directory it repairs: kept as it is, unopened.
        if (!opts.deferDataDir) throw new WorkFailedError(`${target.env}: ${dataDir} is damaged (files missing); a backup of it would not restore: \`agent system restore from <id>\` puts an earlier one back`);
        opts.log?.(`${dataDir} is damaged: the pre-restore backup keeps its files as they are, without a schema snapshot`);
      } else {
        const db = await openCatalog(root, state, target, opts.by);
        if (!db) throw new WorkFailedError(`${target.env}: no database to back up (${target.description})`);
        try {
          snapshot = await takeSnapshot(db);
          schemaVersion = await newestMigration(db);
          if (target.kind === 'url') database = await dumpServer(target, db, work);
        } finally {
          await db.close();
        }
      }
      // Closed, still under the lock: the files are what PGlite left consistent on disk.
      if (target.kind === 'embedded') {
        // Nothing writes the closed directory under the lock: its files are hashed in place while
        // cp(1) copies them (two cores at once), or, for a pre-restore backup, not copied at all:
        // the restore renames the live directory into the backup (restoreEmbedded).
        const live = join(root, target.dataDir);
        const paths = walk(live);
        const copying = opts.deferDataDir ? Promise.resolve() : copyDir(live, join(work, 'pgdata')); // cp starts before the hashing holds the thread
        const [hashed] = await Promise.all([hashFiles(live, paths), copying]);
        liveHashes = hashed.map((f) => ({ ...f, path: `pgdata/${f.path}` }));
        database = { kind: 'embedded', dir: 'pgdata', source: target.description };
      }
    }
    await state.db.backup(join(work, STATE_FILE));
    const { stateSchema, audit } = readStateCopy(state, join(work, STATE_FILE));
    rmSync(join(work, `${STATE_FILE}-wal`), { force: true });
    rmSync(join(work, `${STATE_FILE}-shm`), { force: true });
    if (snapshot) writeFileSync(join(work, SCHEMA_FILE), JSON.stringify(snapshot));
    const files = [...liveHashes, ...(await hashFiles(work, walk(work).filter((p) => !p.startsWith('pgdata/'))))].sort((a, b) => (a.path < b.path ? -1 : 1));
    const manifest: BackupManifest = {
      version: MANIFEST_VERSION,
      id,
      env: target.env,
      createdAt: now.toISOString(),
      reason: opts.reason,
      by: opts.by,
      database: database!,
      schemaVersion,
      stateSchema,
      audit,
      files,
      bytes: files.reduce((t, f) => t + f.bytes, 0),
      ms: Math.round(performance.now() - t0),
    };
    writeFileSync(join(work, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    renameSync(work, join(parent, id));
    return manifest;
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** pg_dump in custom format when it is installed; else a logical dump through the driver. */
async function dumpServer(target: DatabaseTarget & { kind: 'url' }, db: Pg, work: string): Promise<DatabaseCopy> {
  const file = join(work, 'database.dump');
  const r = await run('pg_dump', ['--format=custom', '--no-owner', '--file', file], libpqEnv(target.url));
  if (!r.missing) {
    if (r.code !== 0) throw new WorkFailedError(`pg_dump of ${target.description} failed (exit ${r.code}): ${r.stderr.split('\n')[0] ?? ''}`);
    const version = /\d+(\.\d+)?/.exec(spawnSync('pg_dump', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[0];
    return { kind: 'pg_dump', file: 'database.dump', source: target.description, tool: `pg_dump${version ? ` ${version}` : ''}` };
  }
  const { logicalDump } = await import('./logical-dump.js');
  writeFileSync(join(work, 'database.sql'), await logicalDump(db));
  return { kind: 'logical', file: 'database.sql', source: target.description };
}

/**
 * The schema step and the last audit entry of a copied state database, read through the live
 * connection. The copy is switched out of WAL mode: opened in WAL mode, even read-only (sqlite3 on
 * a backup, say), it grows -wal and -shm files its manifest does not list, and the restore refuses it.
 */
export function readStateCopy(state: StateDb, file: string): { stateSchema: number; audit: { seq: number; hash: string } | null } {
  state.db.prepare('ATTACH DATABASE ? AS bkcopy').run(file);
  try {
    state.db.pragma('bkcopy.journal_mode = DELETE');
    const stateSchema = state.db.pragma('bkcopy.user_version', { simple: true }) as number;
    const audit = (state.db.prepare('SELECT seq, hash FROM bkcopy.audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? null;
    return { stateSchema, audit };
  } finally {
    state.db.exec('DETACH DATABASE bkcopy');
  }
}

/**
 * After a restore the git checkpoint (refs/crm-agent/audit-head) may record entries the restored
 * chain no longer holds: it is set to the restored head (deleted when the chain is empty). The
 * restore is itself audited right after, and that entry moves both anchors on.
 */
export function resetGitCheckpoint(root: string, head: { seq: number; hash: string } | null, ref: string): boolean {
  if (!existsSync(join(root, '.git'))) return false;
  const git = (args: string[], input?: string) => spawnSync('git', ['-C', root, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'], timeout: 10_000 });
  if (!head) return git(['update-ref', '-d', ref]).status === 0;
  const blob = git(['hash-object', '-w', '--stdin'], JSON.stringify({ seq: head.seq, hash: head.hash, ts: Date.now() }) + '\n');
  if (blob.status !== 0) return false;
  return git(['update-ref', '-m', `crm-agent restore: audit head #${head.seq}`, ref, blob.stdout.trim()]).status === 0;
}

/** Removes a backup's directory (retention). */
export async function removeBackup(root: string, id: string): Promise<void> {
  await rm(join(backupsRoot(root), id), { recursive: true, force: true });
}

// ── restore ────────────────────────────────────────────────────────────────────────────────────

/**
 * Copies the backup's data directory beside the environment's (`<dataDir>.restoring-<pid>`), to be
 * renamed in by swapInEmbedded. The copy runs in cp(1) on the other core while the pre-restore
 * backup opens and hashes the live directory: neither touches what the other reads or writes.
 */
export async function copyIncoming(root: string, m: BackupManifest, target: DatabaseTarget & { kind: 'embedded' }): Promise<string> {
  const incoming = `${join(root, target.dataDir)}.restoring-${process.pid}`;
  rmSync(incoming, { recursive: true, force: true });
  try {
    await copyDir(join(backupsRoot(root), m.id, 'pgdata'), incoming);
  } catch (err) {
    rmSync(incoming, { recursive: true, force: true });
    throw err;
  }
  return incoming;
}

/**
 * Puts the copied directory in place of the environment's (the current one is moved aside first),
 * so a kill never leaves half a directory where the database is opened. The caller holds the lock
 * and has taken the pre-restore backup.
 */
export async function swapInEmbedded(root: string, incoming: string, target: DatabaseTarget & { kind: 'embedded' }, pre: BackupManifest | null): Promise<void> {
  const live = join(root, target.dataDir);
  // The live directory becomes the pre-restore backup's pgdata/ (its manifest already lists its
  // files); a kill between the two renames leaves both backups whole and the database absent.
  if (existsSync(live)) {
    if (pre?.database.kind === 'embedded') renameSync(live, join(backupsRoot(root), pre.id, 'pgdata'));
    else {
      const aside = `${live}.replaced-${process.pid}`;
      renameSync(live, aside);
      renameSync(incoming, live);
      await rm(aside, { recursive: true, force: true });
      return;
    }
  }
  renameSync(incoming, live);
}

/** copyIncoming then swapInEmbedded. */
export async function restoreEmbedded(root: string, m: BackupManifest, target: DatabaseTarget & { kind: 'embedded' }, pre: BackupManifest | null): Promise<void> {
  await swapInEmbedded(root, await copyIncoming(root, m, target), target, pre);
}

/** pg_restore --clean of a custom-format dump into the server; a logical dump runs as SQL. */
export async function restoreServer(root: string, m: BackupManifest, target: DatabaseTarget & { kind: 'url' }, open: () => Promise<Pg>): Promise<void> {
  const dir = join(backupsRoot(root), m.id);
  if (m.database.kind === 'pg_dump') {
    const r = await run('pg_restore', ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', '--dbname', libpqEnv(target.url).PGDATABASE!, join(dir, m.database.file)], libpqEnv(target.url));
    if (r.missing) throw new WorkFailedError(`${m.id} is a pg_dump (custom format) and pg_restore is not installed here: install the PostgreSQL client tools and restore again`);
    if (r.code !== 0) throw new WorkFailedError(`pg_restore into ${target.description} failed (exit ${r.code}; nothing was changed, it ran in one transaction): ${r.stderr.split('\n')[0] ?? ''}`);
    return;
  }
  if (m.database.kind === 'logical') {
    const db = await open();
    try {
      const sql = readFileSync(join(dir, m.database.file), 'utf8');
      await db.transaction((tx) => tx.exec(sql));
    } finally {
      await db.close();
    }
  }
}

/**
 * Replaces the state database's history with the backup's, in one transaction on the live file
 * (other processes keep their connections and see the restored rows): every table but the live
 * ones (locks, sessions, scratch) and the `envdb.*` records of which embedded databases exist.
 * Counters never go back, so no ticket, approval or deployment id is handed out twice.
 */
export function restoreStateDb(state: StateDb, file: string): { tables: number; rows: number } {
  const db = state.db;
  db.prepare('ATTACH DATABASE ? AS bk').run(file);
  try {
    const bkVersion = db.pragma('bk.user_version', { simple: true }) as number;
    if (bkVersion > state.schemaVersion) throw new WorkFailedError(`the backup's state database has schema step ${bkVersion}, newer than this crm-agent's ${state.schemaVersion}: restore it with the crm-agent version that wrote it`);
    return state.tx(() => {
      const triggers = db.prepare(`SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL`).all() as Array<{ name: string; sql: string }>;
      for (const t of triggers) db.exec(`DROP TRIGGER main."${t.name}"`);
      const tables = (db.prepare(`SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as Array<{ name: string }>).map((r) => r.name);
      const inBackup = new Set((db.prepare(`SELECT name FROM bk.sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name));
      const keptKv = db.prepare(`SELECT key, value, updated_at FROM main.kv WHERE key LIKE 'envdb.%'`).all() as Array<{ key: string; value: string; updated_at: number }>;
      const counters = db.prepare('SELECT name, value FROM main.counters').all() as Array<{ name: string; value: number }>;
      let rows = 0;
      let restored = 0;
      for (const t of tables) {
        if ((LIVE_TABLES as readonly string[]).includes(t)) continue;
        db.exec(`DELETE FROM main."${t}"`);
        if (!inBackup.has(t)) continue;
        const mine = new Set((db.prepare(`SELECT name FROM pragma_table_info(?, 'main')`).all(t) as Array<{ name: string }>).map((r) => r.name));
        const cols = (db.prepare(`SELECT name FROM pragma_table_info(?, 'bk')`).all(t) as Array<{ name: string }>).map((r) => r.name).filter((c) => mine.has(c));
        const list = cols.map((c) => `"${c}"`).join(', ');
        rows += db.prepare(`INSERT INTO main."${t}" (${list}) SELECT ${list} FROM bk."${t}"`).run().changes;
        restored++;
      }
      const upKv = db.prepare('INSERT INTO main.kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
      for (const k of keptKv) upKv.run(k.key, k.value, k.updated_at);
      const upCounter = db.prepare('INSERT INTO main.counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)');
      for (const c of counters) upCounter.run(c.name, c.value);
      if (inBackup.has('sqlite_sequence')) {
        db.exec(`DELETE FROM main.sqlite_sequence`);
        db.exec(`INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM bk.sqlite_sequence`);
      }
      for (const t of triggers) db.exec(t.sql);
      return { tables: restored, rows };
    });
  } finally {
    db.exec('DETACH DATABASE bk');
  }
}

/** Writes `.agent/audit.head` to the restored chain's last entry (temp file + rename). */
export function writeAuditHead(headFile: string, head: { seq: number; hash: string } | null): void {
  if (!head) {
    rmSync(headFile, { force: true });
    return;
  }
  const tmp = `${headFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ seq: head.seq, hash: head.hash, ts: Date.now() }) + '\n');
  renameSync(tmp, headFile);
}
