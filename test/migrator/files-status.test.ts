import { afterAll, describe, expect, it } from 'vitest';
import { classifyMigrationFiles, nextVersion, parseMigrationFilename, readMigrationFiles, versionTime, checksum } from '../../agents/migrator/files.js';
import { compareMigrations, statusTable } from '../../agents/migrator/status.js';
import { statementsOf } from '../../agents/migrator/history.js';
import { readRollback, rollbackPath, writeMigration } from '../../agents/migrator/rollback-store.js';
import { cleanupProjects, makeProject } from './helpers.js';

afterAll(cleanupProjects);

describe('migration files', () => {
  it('accepts <YYYYMMDDHHMMSS>_<name>.sql and skips the rest with a reason', () => {
    expect(parseMigrationFilename('20251101090000_create_customers.sql')).toEqual({ type: 'migration', version: '20251101090000', name: 'create_customers', time: '2025-11-01T09:00:00.000Z' });
    expect(parseMigrationFilename('001_init.sql')).toMatchObject({ type: 'skip' });
    expect(parseMigrationFilename('20251301090000_bad_month.sql')).toMatchObject({ type: 'skip', reason: expect.stringMatching(/not a valid UTC timestamp/) });
    expect(parseMigrationFilename('20251101090000_notes.txt')).toMatchObject({ type: 'skip' });
    expect(versionTime('20240229235959')).toBe('2024-02-29T23:59:59.000Z');
    expect(versionTime('20230229000000')).toBeNull();
  });

  it('reads a directory in version order with sha256 checksums, skipping duplicates and strays', () => {
    const root = makeProject({
      'supabase/migrations/20251102000000_b.sql': 'select 2;',
      'supabase/migrations/20251101000000_a.sql': 'select 1;',
      'supabase/migrations/20251101000000_dup.sql': 'select 3;',
      'supabase/migrations/README.md': '# notes',
      'supabase/migrations/.DS_Store': '',
    });
    const { files, skipped } = readMigrationFiles(root);
    expect(files.map((f) => f.filename)).toEqual(['20251101000000_a.sql', '20251102000000_b.sql']);
    expect(files[0]).toMatchObject({ path: 'supabase/migrations/20251101000000_a.sql', checksum: checksum('select 1;') });
    expect(files[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(skipped.map((s) => s.filename).sort()).toEqual(['20251101000000_dup.sql', 'README.md']);
    expect(classifyMigrationFiles([])).toEqual({ files: [], skipped: [] });
  });

  it('makes versions in UTC, always after the newest existing one', () => {
    const now = new Date(Date.UTC(2025, 11, 1, 16, 20, 0));
    expect(nextVersion(now, [])).toBe('20251201162000');
    expect(nextVersion(now, ['20251201162000'])).toBe('20251201162001');
    expect(nextVersion(now, ['20991231000000'])).toBe('20991231000001');
  });
});

describe('rollback store', () => {
  it('writes the migration and its rollback beside it and finds the rollback by version', () => {
    const root = makeProject();
    const paths = writeMigration(root, { version: '20251201162000', name: 'add_notes', up: 'alter table jobs add column notes text;', down: 'alter table jobs drop column notes;' });
    expect(paths).toEqual({ migration: 'supabase/migrations/20251201162000_add_notes.sql', rollback: 'supabase/rollbacks/20251201162000_add_notes.down.sql' });
    expect(readRollback(root, '20251201162000')).toEqual({ path: rollbackPath('20251201162000', 'add_notes'), sql: 'alter table jobs drop column notes;\n' });
    expect(readRollback(root, '20251201162001')).toBeNull();
    expect(() => writeMigration(root, { version: '20251201162000', name: 'add_notes', up: '', down: '' })).toThrow(/already exists/);
    // The rollbacks directory is not inside supabase/migrations, so migration listing never sees it.
    expect(readMigrationFiles(root).skipped).toEqual([]);
  });
});

describe('status (local vs applied)', () => {
  const local = [
    { version: '20251101000000', name: 'a', path: 'supabase/migrations/20251101000000_a.sql', sql: 'create table a (id int);\ncreate index on a (id);' },
    { version: '20251102000000', name: 'b', path: 'supabase/migrations/20251102000000_b.sql', sql: 'create table b (id int);' },
    { version: '20251103000000', name: 'c', path: 'supabase/migrations/20251103000000_c.sql', sql: 'create table c (id int);' },
    { version: '20251105000000', name: 'e', path: 'supabase/migrations/20251105000000_e.sql', sql: 'select 1;' },
  ];

  it('reports applied, pending, missing locally, edited, unverified and out-of-order versions', () => {
    const applied = [
      { version: '20251101000000', name: 'a', statements: statementsOf('-- reformatted\ncreate table a (id int);\n\ncreate  index on a (id);') },
      { version: '20251102000000', name: 'b', statements: ['create table b (id bigint)'] },
      { version: '20251104000000', name: 'd', statements: ['create table d (id int)'] },
      { version: '20251105000000', name: 'e', statements: null },
    ];
    const s = compareMigrations(local, applied);
    expect(s.rows.map((r) => [r.local, r.remote, r.state])).toEqual([
      ['20251101000000', '20251101000000', 'applied'],
      ['20251102000000', '20251102000000', 'edited'],
      ['20251103000000', null, 'pending'],
      [null, '20251104000000', 'missing-locally'],
      ['20251105000000', '20251105000000', 'unverified'],
    ]);
    expect(s.pending.map((p) => p.version)).toEqual(['20251103000000']);
    expect(s.outOfOrder).toEqual(['20251103000000']);
    expect(s.missingLocally.map((m) => m.version)).toEqual(['20251104000000']);
    expect(s.edited).toEqual([{ version: '20251102000000', name: 'b', path: 'supabase/migrations/20251102000000_b.sql' }]);
    expect(s.rows[0]?.time).toBe('2025-11-01 00:00:00');
    const table = statusTable(s);
    expect(table.split('\n')[0]).toMatch(/^ LOCAL\s+│ REMOTE\s+│ TIME \(UTC\)/);
    expect(table).toContain('missing-locally');
  });

  it('matches history that stored the whole file as one statement', () => {
    const s = compareMigrations([local[0]!], [{ version: '20251101000000', name: 'a', statements: [local[0]!.sql] }]);
    expect(s.rows[0]?.state).toBe('applied');
  });
});
