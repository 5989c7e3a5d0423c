// engine/backup.ts: point in time, retention, checksums, manifests, times (pure).
import { describe, expect, it } from 'vitest';
import { backupAtOrBefore, backupId, compareChecksums, describeChecksumFailure, parseAt, parseManifest, retentionPlan, type BackupManifest } from '../../src/engine/backup.js';
import { auditableStatement } from '../../src/commands/db-run.js';

const mk = (id: string, env: 'staging' | 'production', createdAt: string): BackupManifest => ({
  version: 1,
  id,
  env,
  createdAt,
  reason: 'manual',
  by: 'admin',
  database: { kind: 'embedded', dir: 'pgdata', source: 'x' },
  schemaVersion: null,
  stateSchema: 6,
  audit: null,
  files: [{ path: 'state.db', sha256: 'a'.repeat(64), bytes: 1 }],
  bytes: 1,
  ms: 1,
});

const A = mk('BK-20261201-100000-000', 'production', '2026-12-01T10:00:00.000Z');
const B = mk('BK-20261201-120000-000', 'production', '2026-12-01T12:00:00.000Z');
const C = mk('BK-20261202-090000-000', 'production', '2026-12-02T09:00:00.000Z');
const S = mk('BK-20261202-100000-000', 'staging', '2026-12-02T10:00:00.000Z');

describe('backups (pure)', () => {
  it('point in time is the newest backup of the environment at or before the time, and says how many are newer', () => {
    const r = backupAtOrBefore([A, B, C, S], 'production', new Date('2026-12-01T12:00:00Z'));
    expect(r).toMatchObject({ type: 'found', backup: { id: B.id }, newer: 1 });
    expect(backupAtOrBefore([A, B, C, S], 'production', new Date('2026-12-03T00:00:00Z'))).toMatchObject({ backup: { id: C.id }, newer: 0 });
    const none = backupAtOrBefore([A, B, C, S], 'production', new Date('2026-11-30T00:00:00Z'));
    expect(none).toEqual({ type: 'none', reason: `the oldest production backup is ${A.id} (${A.createdAt}), after 2026-11-30T00:00:00.000Z` });
    expect(backupAtOrBefore([A], 'staging', new Date())).toEqual({ type: 'none', reason: 'there is no staging backup' });
  });

  it('retention keeps the newest per environment, removes past the count and past the age, never a protected one', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    expect(retentionPlan([A, B, C, S], { keep: 2, maxAgeDays: 30 }, now)).toEqual([{ id: A.id, why: 'beyond the newest 2 production backups' }]);
    expect(retentionPlan([A, B, C, S], { keep: 10, maxAgeDays: 1 }, new Date('2026-12-02T12:00:01Z')).map((r) => r.id)).toEqual([B.id, A.id]);
    expect(retentionPlan([A, B, C, S], { keep: 10, maxAgeDays: 1 }, now).map((r) => r.id)).toEqual([A.id]);
    expect(retentionPlan([A, B, C, S], { keep: 1, maxAgeDays: 30 }, now, new Set([A.id])).map((r) => r.id)).toEqual([B.id]);
    // The last backup of an environment is never removed by age.
    expect(retentionPlan([S], { keep: 1, maxAgeDays: 1 }, new Date('2027-01-01T00:00:00Z'))).toEqual([]);
  });

  it('checksums: changed, missing and unlisted files are each named', () => {
    const files = [
      { path: 'a', sha256: '1', bytes: 1 },
      { path: 'b', sha256: '2', bytes: 1 },
      { path: 'c', sha256: '3', bytes: 1 },
    ];
    const v = compareChecksums(files, new Map([['a', '1'], ['b', 'x'], ['c', null]]), ['a', 'b', 'manifest.json', 'stray']);
    expect(v).toEqual({ ok: false, changed: ['b'], missing: ['c'], extra: ['stray'] });
    expect(describeChecksumFailure(v)).toBe('1 changed (b), 1 missing (c), 1 not in the manifest (stray)');
    expect(compareChecksums(files, new Map([['a', '1'], ['b', '2'], ['c', '3']]), ['a', 'b', 'c', 'manifest.json']).ok).toBe(true);
  });

  it('ids sort by time and never collide; manifests are checked before use; times and ages parse', () => {
    const t = new Date('2026-12-02T17:05:12.042Z');
    expect(backupId(t, new Set())).toBe('BK-20261202-170512-042');
    expect(backupId(t, new Set(['BK-20261202-170512-042']))).toBe('BK-20261202-170512-043');
    expect(parseManifest(JSON.stringify(A))).toEqual(A);
    expect(parseManifest('{')).toBe('manifest.json is not JSON');
    expect(parseManifest(JSON.stringify({ ...A, files: [{ path: 'x' }] }))).toBe('manifest.json lists no files with checksums');
    expect(parseManifest(JSON.stringify({ ...A, version: 2 }))).toMatch(/version 2/);
    const now = new Date('2026-12-02T12:00:00Z');
    expect(parseAt('2h', now)?.toISOString()).toBe('2026-12-02T10:00:00.000Z');
    expect(parseAt('2026-12-01T10:30Z', now)?.toISOString()).toBe('2026-12-01T10:30:00.000Z');
    expect(parseAt('yesterday', now)).toBeNull();
  });

  it('db sql audits the statement with password literals masked', () => {
    expect(auditableStatement("alter role app password 'hunter2'")).toBe("alter role app password '***'");
    expect(auditableStatement("create user x with password = 'it''s'")).toBe("create user x with password = '***'");
    expect(auditableStatement('drop table invoices')).toBe('drop table invoices');
  });
});
