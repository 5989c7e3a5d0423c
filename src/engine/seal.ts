// A staged set is sealed by content hashes (DESIGN.md, safety invariants): the manifest records a
// sha256 of every file in the set's directory (files/, migrations/, changes.patch, REVIEW.md),
// so what deploys is what was staged and reviewed. `sealOf`, `compareSeal` and `destructiveNow`
// are pure; `hashSetDir` and `assertSealed` read the disk.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { UsageError } from '../errors.js';
import type { ChangeSetRow } from '../store/rows.js';
import type { Manifest } from '../../agents/shared/change-set.js';
import { lintMigrations } from '../../agents/migrator/linter/index.js';
import { DESTRUCTIVE_RULES, formatFinding, type LintFinding } from '../../agents/migrator/finding.js';

/** The manifest's own file: it carries the seal, so it is compared with the state database's copy instead. */
export const MANIFEST_FILE = 'manifest.json';

export type Seal = Record<string, string>;

export function sha256(content: string | Uint8Array): string {
  // node:crypto costs ~4 ms to load; only the commands that seal or check pay for it.
  const { createHash } = process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(content).digest('hex');
}

/** Path inside the set's directory (forward slashes) -> sha256 of its bytes, keys sorted. */
export function sealOf(files: Iterable<{ path: string; content: string | Uint8Array }>): Seal {
  const entries = [...files].filter((f) => f.path !== MANIFEST_FILE).map((f) => [f.path, sha256(f.content)] as const);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export type SealVerdict =
  | { type: 'sealed'; files: number }
  | { type: 'unsealed' }
  | { type: 'broken'; changed: string[]; missing: string[]; added: string[] };

/** Pure: the recorded seal against the hashes of what is on disk now. */
export function compareSeal(sealed: Seal | undefined, actual: Seal): SealVerdict {
  if (!sealed) return { type: 'unsealed' };
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [path, hash] of Object.entries(sealed)) {
    if (!(path in actual)) missing.push(path);
    else if (actual[path] !== hash) changed.push(path);
  }
  const added = Object.keys(actual).filter((p) => !(p in sealed));
  return changed.length || missing.length || added.length ? { type: 'broken', changed, missing, added } : { type: 'sealed', files: Object.keys(sealed).length };
}

/** One line naming what differs: "changed: a (sha256 differs); missing: b; added: c". */
export function describeBroken(v: Extract<SealVerdict, { type: 'broken' }>): string {
  return [
    v.changed.length ? `changed since it was staged: ${v.changed.join(', ')} (sha256 differs)` : '',
    v.missing.length ? `missing: ${v.missing.join(', ')}` : '',
    v.added.length ? `added after staging: ${v.added.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** Every file under a staged set's directory but manifest.json: path there (forward slashes) -> bytes. */
export function readSetDir(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else files.set(relative(dir, full).split(sep).join('/'), readFileSync(full));
    }
  };
  walk(dir);
  files.delete(MANIFEST_FILE);
  return files;
}

export function hashSetDir(dir: string): Seal {
  return sealOf([...readSetDir(dir)].map(([path, content]) => ({ path, content })));
}

/** How the admin makes an edited set deployable again. */
export function restageHint(cs: Pick<ChangeSetRow, 'id' | 'ticket_id'>): string {
  return `re-stage it with \`agent restage ${cs.ticket_id ?? cs.id}\` (re-runs lint, gates and the approval policy) or stage the fix again`;
}

/**
 * Throws a UsageError (exit 2) unless every file of the set is byte for byte what was staged and
 * its manifest.json still matches the state database's copy. A set staged before sealing existed
 * has no hashes and is refused too: nothing proves it is what was reviewed.
 */
export function assertSealed(projectRoot: string, cs: ChangeSetRow): void {
  const dir = join(projectRoot, cs.dir);
  if (!existsSync(dir)) throw new UsageError(`${cs.dir}: the staged directory is missing; stage the change again`);
  const manifest = JSON.parse(cs.manifest) as Manifest;
  const verdict = compareSeal(manifest.sha256, hashSetDir(dir));
  if (verdict.type === 'unsealed') throw new UsageError(`${cs.dir}: staged before sets were sealed (its manifest has no sha256 of its files), so nothing proves it is what was reviewed; ${restageHint(cs)}`);
  const onDisk = readManifest(dir);
  const manifestChanged = !onDisk || JSON.stringify(onDisk) !== JSON.stringify(manifest);
  if (verdict.type === 'broken' || manifestChanged) {
    const what = verdict.type === 'broken' ? describeBroken(verdict) : '';
    const m = manifestChanged ? `${MANIFEST_FILE} ${onDisk ? 'differs from the copy recorded when it was staged' : 'is missing or unreadable'}` : '';
    throw new UsageError(`${cs.dir}: ${[what, m].filter(Boolean).join('; ')}; ${restageHint(cs)}`);
  }
}

function readManifest(dir: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

export interface MigrationSql {
  version: string;
  name: string;
  up: string;
}

export interface DestructiveVerdict {
  requiresApproval: boolean;
  /** The destructive rule ids found, each once (drop-table, drop-column, …). */
  rules: string[];
  /** The destructive findings, one line each (`file:line: severity rule object: message`). */
  findings: string[];
}

/**
 * Pure: the destructive-change policy on the SQL that is about to run, whatever staging computed.
 * The migrations are linted in order (a table one of them creates is not "existing" for it).
 */
export function destructiveNow(migrations: readonly MigrationSql[]): DestructiveVerdict {
  const found: LintFinding[] = lintMigrations(migrations.map((m) => ({ path: `migrations/${m.version}_${m.name}.up.sql`, sql: m.up }))).filter((f) => DESTRUCTIVE_RULES.has(f.ruleId));
  return { requiresApproval: found.length > 0, rules: [...new Set(found.map((f) => f.ruleId))], findings: found.map(formatFinding) };
}
