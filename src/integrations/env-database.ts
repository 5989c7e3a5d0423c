// Opens an environment's database: its own embedded data directory (.agent/pgdata/<env>) or its
// server. The embedded one is opened only by the holder of its lock (PGlite is single-writer: two
// processes in one data directory corrupt it), is never re-created behind the user's back once it
// has held something, and a data directory from before environments (.agent/pgdata itself) becomes
// production's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { WorkFailedError } from '../errors.js';
import type { StateDb } from '../store/state-db.js';
import type { DatabaseTarget } from '../engine/environments.js';
import { PGDATA_ROOT } from '../engine/environments.js';
import { databaseLock, holdsLock } from '../engine/locks.js';
import { sleep } from '../engine/sleep.js';
import type { Pg } from './postgres/types.js';
import { templateCacheDir } from './postgres/cache-dir.js';

const createdKey = (env: string) => `envdb.${env}.created`;

export type DataDirState = 'present' | 'absent' | 'damaged';

/** What is on disk for an embedded environment: a database, nothing, or something half there. */
export function dataDirState(root: string, target: DatabaseTarget & { kind: 'embedded' }): DataDirState {
  const dir = join(root, target.dataDir);
  if (existsSync(join(dir, 'PG_VERSION'))) return existsSync(join(dir, 'base')) && existsSync(join(dir, 'global')) ? 'present' : 'damaged';
  if (!existsSync(dir) || !readdirSync(dir).length) return 'absent';
  return 'damaged';
}

/** The embedded database held something once (it was created for a deploy or `migrate execute`). */
export function embeddedHadHistory(state: StateDb, env: string): { at: string; by: string } | undefined {
  return state.getKv<{ at: string; by: string }>(createdKey(env));
}

/** `.agent/pgdata` from before environments had one shared database: it becomes production's. */
export function adoptLegacyDataDir(root: string): boolean {
  const legacy = join(root, PGDATA_ROOT);
  if (!existsSync(join(legacy, 'PG_VERSION'))) return false;
  const moving = join(root, '.agent', 'pgdata.moving');
  try {
    renameSync(legacy, moving);
  } catch {
    return false; // another process is moving it
  }
  mkdirSync(legacy, { recursive: true });
  renameSync(moving, join(legacy, 'production'));
  return true;
}

/** A kill between the two renames above leaves `.agent/pgdata.moving`: finish the move. */
function finishLegacyMove(root: string): void {
  const moving = join(root, '.agent', 'pgdata.moving');
  if (!existsSync(join(moving, 'PG_VERSION'))) return;
  mkdirSync(join(root, PGDATA_ROOT), { recursive: true });
  if (!existsSync(join(root, PGDATA_ROOT, 'production'))) renameSync(moving, join(root, PGDATA_ROOT, 'production'));
}

export interface OpenEnvOptions {
  /** Make the embedded database when there is none (deploys, `migrate execute`); readers pass false. */
  create: boolean;
  /** Who asks, for the record of who created it. */
  by: string;
  log?: (message: string) => void;
}

/**
 * The environment's database, or null when it is embedded, absent and not to be created. The
 * caller holds the environment's lock (engine/locks databaseLock) for as long as it is open.
 */
export async function openEnvironmentDatabase(root: string, state: StateDb, target: DatabaseTarget, opts: OpenEnvOptions): Promise<Pg | null> {
  if (!holdsLock(state, databaseLock(target.identity))) throw new Error(`internal: ${target.description} opened without its lock`);
  if (target.kind === 'url') {
    const { openNodePg } = await import('./postgres/node-pg.js');
    let db: Pg;
    try {
      db = await openNodePg(target.url, target.description);
    } catch (err) {
      throw new WorkFailedError(`${target.env}: cannot connect to ${target.description}: ${(err as Error).message}`);
    }
    // Other machines (another admin's crm-agent) do not share our state database: the server's own
    // advisory lock keeps them out too, for as long as this connection is open.
    const key = BigInt(`0x${createHash('sha256').update(`crm-agent:${target.identity}`).digest('hex').slice(0, 15)}`).toString();
    for (let announced = false; ; ) {
      const { rows } = await db.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [key]);
      if (rows[0]?.ok) return db;
      if (!announced) opts.log?.(`Waiting for another session holding ${target.description}'s deploy lock (pg_advisory_lock)`);
      announced = true;
      await sleep(250);
    }
  }
  finishLegacyMove(root);
  if (adoptLegacyDataDir(root)) opts.log?.(`Moved the embedded database ${PGDATA_ROOT} (from before staging and production had their own) to ${target.dataDir.replace(/[^/\\]+$/, 'production')}`);
  const on = dataDirState(root, target);
  const history = embeddedHadHistory(state, target.env);
  if (on === 'damaged') throw damaged(target, 'it is half there (files missing)');
  if (on === 'absent') {
    if (history) {
      throw new WorkFailedError(
        `${target.env}: the embedded database ${target.dataDir} is missing, but it was created ${history.at.slice(0, 16).replace('T', ' ')} by ${history.by} and deployments depend on it; restore the directory from your backup, or rebuild it from the migrations with \`agent migrate execute --env ${target.env} --recreate\` (its rows are lost)`,
      );
    }
    if (!opts.create) return null;
  }
  const { openDatabase } = await import('./postgres/open.js');
  try {
    const db = await openDatabase({ projectRoot: root, dataDir: target.dataDir, cacheDir: templateCacheDir() });
    if (on === 'absent') state.setKv(createdKey(target.env), { at: new Date().toISOString(), by: opts.by });
    return db;
  } catch (err) {
    throw damaged(target, (err as Error).message);
  }
}

/** Forgets that an embedded database existed, so `--recreate` may make it again. */
export function forgetEmbedded(state: StateDb, env: string): void {
  state.deleteKv(createdKey(env));
}

function damaged(target: DatabaseTarget & { kind: 'embedded' }, reason: string): WorkFailedError {
  return new WorkFailedError(
    `${target.env}: the embedded database ${target.dataDir} cannot be opened (${reason}); restore the directory from your backup, or move it aside and rebuild it from the migrations with \`agent migrate execute --env ${target.env} --recreate\``,
  );
}
