// Backups (issue 16, seed 5.1): what one holds, which one a point in time means, which ones
// retention removes, and whether files still match their checksums. Pure: the I/O is in
// integrations/backup-files.ts.
//
// A backup is a directory `.agent/backups/<id>/` holding the environment's database (the embedded
// data directory copied as files, or a pg_dump / logical dump of a server), the state database (an
// online SQLite backup), the audit head of the chain in that copy, the schema snapshot taken at the
// same moment, and manifest.json with every file's sha256. The list is the directories: nothing
// about a backup lives only in the state database, which a restore replaces.
import type { EnvName } from './environments.js';

export const BACKUPS_DIR = '.agent/backups';
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;

export type BackupReason = 'manual' | 'before-production-deploy' | 'pre-restore';

export type DatabaseCopy =
  | { kind: 'embedded'; dir: 'pgdata'; source: string }
  | { kind: 'pg_dump'; file: 'database.dump'; source: string; tool: string }
  | { kind: 'logical'; file: 'database.sql'; source: string }
  | { kind: 'absent'; source: string; note: string };

export interface BackupFile {
  /** Relative to the backup's directory, with '/' separators. */
  path: string;
  sha256: string;
  bytes: number;
}

export interface BackupManifest {
  version: typeof MANIFEST_VERSION;
  id: string;
  env: EnvName;
  createdAt: string;
  reason: BackupReason;
  by: string;
  database: DatabaseCopy;
  /** The newest migration applied to the environment's database when it was copied; null when none or no database. */
  schemaVersion: string | null;
  /** The state database's own schema step (PRAGMA user_version) in the copy. */
  stateSchema: number;
  /** The last audit entry in the copied state database (what `.agent/audit.head` must say after a restore). */
  audit: { seq: number; hash: string } | null;
  files: BackupFile[];
  bytes: number;
  ms: number;
}

/** `BK-20261202-170512-042`: sortable by time; the suffix keeps two backups in one second apart. */
export function backupId(now: Date, taken: ReadonlySet<string>): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `BK-${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  for (let n = now.getUTCMilliseconds(); ; n = (n + 1) % 1000) {
    const id = `${base}-${p(n, 3)}`;
    if (!taken.has(id)) return id;
  }
}

export const isBackupId = (s: string): boolean => /^BK-\d{8}-\d{6}-\d{3}$/.test(s);

/** A manifest read from disk, checked for the fields a restore relies on; a string says what is wrong. */
export function parseManifest(text: string): BackupManifest | string {
  let v: Partial<BackupManifest>;
  try {
    v = JSON.parse(text) as Partial<BackupManifest>;
  } catch {
    return 'manifest.json is not JSON';
  }
  if (v.version !== MANIFEST_VERSION) return `manifest.json has version ${String(v.version)}; this crm-agent reads version ${MANIFEST_VERSION}`;
  if (typeof v.id !== 'string' || !isBackupId(v.id)) return 'manifest.json has no backup id';
  if (v.env !== 'staging' && v.env !== 'production') return 'manifest.json names no environment';
  if (typeof v.createdAt !== 'string' || Number.isNaN(Date.parse(v.createdAt))) return 'manifest.json has no creation time';
  if (!v.database || typeof v.database.kind !== 'string') return 'manifest.json does not say what database copy it holds';
  if (!Array.isArray(v.files) || v.files.some((f) => typeof f?.path !== 'string' || typeof f.sha256 !== 'string' || typeof f.bytes !== 'number')) return 'manifest.json lists no files with checksums';
  return v as BackupManifest;
}

/** What a backup holds, in a few words, for the list. */
export function describeHoldings(m: BackupManifest): string {
  const db =
    m.database.kind === 'embedded' ? 'data directory' : m.database.kind === 'pg_dump' ? 'pg_dump (custom format)' : m.database.kind === 'logical' ? 'logical dump' : 'no database (none existed)';
  return `${db}, state database, audit head #${m.audit?.seq ?? 0}`;
}

/** Newest first. */
export function sortNewestFirst(ms: readonly BackupManifest[]): BackupManifest[] {
  return [...ms].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1));
}

export type PointInTime =
  | { type: 'found'; backup: BackupManifest; newer: number }
  | { type: 'none'; reason: string };

/** Point-in-time restore: the newest backup of `env` taken at or before `at`. */
export function backupAtOrBefore(ms: readonly BackupManifest[], env: EnvName, at: Date): PointInTime {
  const ofEnv = sortNewestFirst(ms.filter((m) => m.env === env));
  const i = ofEnv.findIndex((m) => Date.parse(m.createdAt) <= at.getTime());
  if (i < 0) {
    const oldest = ofEnv.at(-1);
    return { type: 'none', reason: oldest ? `the oldest ${env} backup is ${oldest.id} (${oldest.createdAt}), after ${at.toISOString()}` : `there is no ${env} backup` };
  }
  return { type: 'found', backup: ofEnv[i]!, newer: i };
}

/**
 * Which backups retention removes: per environment, everything past the newest `keep`, and
 * anything older than `maxAgeDays` except the newest one (a project never loses its last backup to
 * age). `protect` is never removed (the backup just taken, the one being restored).
 */
export function retentionPlan(ms: readonly BackupManifest[], policy: { keep: number; maxAgeDays: number }, now: Date, protect: ReadonlySet<string> = new Set()): Array<{ id: string; why: string }> {
  const out: Array<{ id: string; why: string }> = [];
  const cutoff = now.getTime() - policy.maxAgeDays * 86_400_000;
  for (const env of ['staging', 'production'] as const) {
    const ofEnv = sortNewestFirst(ms.filter((m) => m.env === env));
    ofEnv.forEach((m, i) => {
      if (i === 0 || protect.has(m.id)) return;
      if (i >= policy.keep) out.push({ id: m.id, why: `beyond the newest ${policy.keep} ${env} backups` });
      else if (Date.parse(m.createdAt) < cutoff) out.push({ id: m.id, why: `older than ${policy.maxAgeDays} days` });
    });
  }
  return out;
}

export interface ChecksumVerdict {
  ok: boolean;
  /** Files whose content no longer hashes to the manifest's sha256. */
  changed: string[];
  missing: string[];
  /** Files in the backup's directory the manifest does not list. */
  extra: string[];
}

/** Compares the files found (path -> sha256, or null when absent) with the manifest's. */
export function compareChecksums(expected: readonly BackupFile[], found: ReadonlyMap<string, string | null>, present: readonly string[]): ChecksumVerdict {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const f of expected) {
    const got = found.get(f.path);
    if (got === null || got === undefined) missing.push(f.path);
    else if (got !== f.sha256) changed.push(f.path);
  }
  const listed = new Set(expected.map((f) => f.path));
  const extra = present.filter((p) => !listed.has(p) && p !== MANIFEST_FILE);
  return { ok: !changed.length && !missing.length && !extra.length, changed, missing, extra };
}

export function describeChecksumFailure(v: ChecksumVerdict): string {
  const part = (label: string, xs: string[]) => (xs.length ? `${xs.length} ${label} (${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ', …' : ''})` : null);
  return [part('changed', v.changed), part('missing', v.missing), part('not in the manifest', v.extra)].filter(Boolean).join(', ');
}

/** `--at` for point-in-time: an ISO time, a date, or an age (`2h`, `1d` ago). Null when it is none of those. */
export function parseAt(text: string, now: Date): Date | null {
  const t = text.trim();
  const age = /^(\d+)\s*([mhd])$/.exec(t);
  if (age) return new Date(now.getTime() - Number(age[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 'm' | 'h' | 'd']);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) return null;
  const d = new Date(t.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
