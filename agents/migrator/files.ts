// Local migration files: `supabase/migrations/<YYYYMMDDHHMMSS>_<name>.sql`, the version being the
// UTC time it was made, as the Supabase CLI writes them. Entries that do not match are skipped
// with a warning object (the Supabase CLI prints "Skipping migration …" for the same cases).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const MIGRATIONS_DIR = 'supabase/migrations';

export interface MigrationFile {
  /** 14 digits, YYYYMMDDHHMMSS in UTC. */
  version: string;
  name: string;
  filename: string;
  /** Relative to the project root, with forward slashes: `supabase/migrations/<filename>`. */
  path: string;
  sql: string;
  /** sha256 of the contents, hex. */
  checksum: string;
  /** The version as an ISO time (UTC). */
  time: string;
}

export interface SkippedFile {
  filename: string;
  reason: string;
}

export type FilenameVerdict = { type: 'migration'; version: string; name: string; time: string } | { type: 'skip'; reason: string };

const PATTERN = /^(\d{14})_(.+)\.sql$/;

/** Pure: does this file name name a migration, and which. */
export function parseMigrationFilename(filename: string): FilenameVerdict {
  const m = PATTERN.exec(filename);
  if (!m) return { type: 'skip', reason: 'file name must match <YYYYMMDDHHMMSS>_<name>.sql' };
  const version = m[1] as string;
  const name = m[2] as string;
  const time = versionTime(version);
  if (!time) return { type: 'skip', reason: `${version} is not a valid UTC timestamp (YYYYMMDDHHMMSS)` };
  return { type: 'migration', version, name, time };
}

/** Pure: `20251101090000` -> `2025-11-01T09:00:00.000Z`, or null when it is not a real time. */
export function versionTime(version: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(version);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || date.getUTCHours() !== h || date.getUTCMinutes() !== mi || date.getUTCSeconds() !== s) return null;
  return date.toISOString();
}

/** Pure: the version for a migration made at `now` (UTC), later than every existing one. */
export function nextVersion(now: Date, existing: Iterable<string>): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const fmt = (d: Date) => `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  let latest = '';
  for (const v of existing) if (v > latest) latest = v;
  const candidate = fmt(now);
  if (candidate > latest) return candidate;
  const latestTime = versionTime(latest);
  if (latestTime) return fmt(new Date(Date.parse(latestTime) + 1000));
  return candidate;
}

export const checksum = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Pure: sorts named files into migrations (by version) and warnings; duplicate versions are skipped. */
export function classifyMigrationFiles(entries: Array<{ filename: string; sql: string }>): { files: MigrationFile[]; skipped: SkippedFile[] } {
  const files: MigrationFile[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Map<string, string>();
  for (const { filename, sql } of [...entries].sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0))) {
    const v = parseMigrationFilename(filename);
    if (v.type === 'skip') {
      skipped.push({ filename, reason: v.reason });
      continue;
    }
    const other = seen.get(v.version);
    if (other) {
      skipped.push({ filename, reason: `version ${v.version} is already used by ${other}` });
      continue;
    }
    seen.set(v.version, filename);
    files.push({ version: v.version, name: v.name, filename, path: `${MIGRATIONS_DIR}/${filename}`, sql, checksum: checksum(sql), time: v.time });
  }
  return { files, skipped };
}

/** Reads `<projectRoot>/supabase/migrations`. Directories and dotfiles are ignored silently. */
export function readMigrationFiles(projectRoot: string): { files: MigrationFile[]; skipped: SkippedFile[] } {
  const dir = join(projectRoot, MIGRATIONS_DIR);
  if (!existsSync(dir)) return { files: [], skipped: [] };
  const entries: Array<{ filename: string; sql: string }> = [];
  for (const filename of readdirSync(dir)) {
    if (filename.startsWith('.')) continue;
    const abs = join(dir, filename);
    if (!statSync(abs).isFile()) continue;
    entries.push({ filename, sql: readFileSync(abs, 'utf8') });
  }
  return classifyMigrationFiles(entries);
}
