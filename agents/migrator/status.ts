// Local migration files against the applied history, like `supabase migration list`: one row per
// version with its LOCAL and REMOTE columns and the time, plus what needs attention: pending files,
// versions applied but missing locally, files edited after they were applied (their statements no
// longer match the stored ones), and pending files older than the newest applied one (the CLI
// refuses those without --include-all). Pure.
import type { AppliedMigration } from './history.js';
import { versionTime } from './files.js';
import { splitSql } from './sql-split.js';
import { normalizeStatement } from './sql-mask.js';

export type MigrationState = 'applied' | 'pending' | 'missing-locally' | 'edited' | 'unverified';

export interface LocalMigration {
  version: string;
  name: string;
  path: string;
  sql: string;
}

export interface StatusRow {
  local: string | null;
  remote: string | null;
  /** `YYYY-MM-DD HH:MM:SS` (UTC), from the version. */
  time: string;
  name: string;
  state: MigrationState;
  /** The local file, when there is one. */
  path: string | null;
}

export interface MigrationStatus {
  rows: StatusRow[];
  pending: LocalMigration[];
  missingLocally: AppliedMigration[];
  edited: Array<{ version: string; name: string; path: string }>;
  /** Applied, but the history has no statements to compare with. */
  unverified: string[];
  /** Pending versions older than the newest applied one. */
  outOfOrder: string[];
}

/** Statements normalized for comparison; works whether history stored one string per statement or the whole file. */
export function canonicalStatements(statements: string[]): string[] {
  return statements.flatMap((s) => splitSql(s).map((st) => normalizeStatement(st.sql))).filter(Boolean);
}

export function sameStatements(fileSql: string, stored: string[]): boolean {
  const a = canonicalStatements([fileSql]);
  const b = canonicalStatements(stored);
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

const timeOf = (version: string) => {
  const iso = versionTime(version);
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : version;
};

export function compareMigrations(local: LocalMigration[], applied: AppliedMigration[]): MigrationStatus {
  const localBy = new Map(local.map((m) => [m.version, m]));
  const appliedBy = new Map(applied.map((m) => [m.version, m]));
  const versions = [...new Set([...localBy.keys(), ...appliedBy.keys()])].sort();
  const latestApplied = applied.reduce((max, m) => (m.version > max ? m.version : max), '');
  const status: MigrationStatus = { rows: [], pending: [], missingLocally: [], edited: [], unverified: [], outOfOrder: [] };
  for (const version of versions) {
    const l = localBy.get(version);
    const r = appliedBy.get(version);
    let state: MigrationState;
    if (l && r) {
      if (!r.statements || r.statements.length === 0) {
        state = 'unverified';
        status.unverified.push(version);
      } else if (sameStatements(l.sql, r.statements)) state = 'applied';
      else {
        state = 'edited';
        status.edited.push({ version, name: l.name, path: l.path });
      }
    } else if (l) {
      state = 'pending';
      status.pending.push(l);
      if (version < latestApplied) status.outOfOrder.push(version);
    } else {
      state = 'missing-locally';
      status.missingLocally.push(r as AppliedMigration);
    }
    status.rows.push({ local: l ? version : null, remote: r ? version : null, time: timeOf(version), name: l?.name ?? r?.name ?? '', state, path: l?.path ?? null });
  }
  return status;
}

/** The CLI's table as plain text (the caller decides where it goes). */
export function statusTable(status: MigrationStatus): string {
  const head = ['LOCAL', 'REMOTE', 'TIME (UTC)', 'NAME', 'STATE'];
  const body = status.rows.map((r) => [r.local ?? '', r.remote ?? '', r.time, r.name, r.state]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => ` ${c.padEnd(widths[i] ?? 0)} `).join('│').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w + 2)).join('┼');
  return [line(head), rule, ...body.map(line)].join('\n');
}
