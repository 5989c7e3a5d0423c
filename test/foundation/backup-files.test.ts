// `agent db create backup` (the seed's name for `system backup create`), `system backups` and
// retention, checked on disk and in the state database. An environment with no database yet, so no
// PGlite starts: the backup holds the state database and says it holds no database; the data
// directory case runs in test/stress/backup-restore.test.ts and restore-checks.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { verifyBackupFiles } from '../../src/integrations/backup-files.js';

afterAll(cleanupProjects);

async function json(dir: string, ...args: string[]) {
  const r = await agent([...args, '--json'], { cwd: dir });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return (parseNdjson(r.stdout).find((e) => e.type === 'result') as { data: any }).data;
}

function rows<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('db create backup / system backups / retention', () => {
  it('writes the state database, its audit head and sha256 manifest under .agent/backups, audits it, lists it, and keeps backups.keep', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ backups: { keep: 2 } }));
    await json(dir, 'create', 'ticket', 'Invoices total is wrong');

    const first = (await json(dir, 'db', 'create', 'backup', '--env', 'staging')).backup as { id: string; path: string; env: string };
    expect(first.env).toBe('staging');
    const files = readdirSync(first.path).sort();
    expect(files).toEqual(['manifest.json', 'state.db']);
    const manifest = JSON.parse(readFileSync(join(first.path, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ id: first.id, env: 'staging', reason: 'manual', database: { kind: 'absent' }, schemaVersion: null });
    // The copy is a real state database holding the ticket, and the manifest's audit head is its last entry.
    expect(rows<{ title: string }>(join(first.path, 'state.db'), 'select title from tickets')).toEqual([{ title: 'Invoices total is wrong' }]);
    const copyHead = rows<{ seq: number; hash: string }>(join(first.path, 'state.db'), 'select seq, hash from audit order by seq desc limit 1')[0] ?? null;
    expect(manifest.audit).toEqual(copyHead);
    expect(await verifyBackupFiles(dir, manifest)).toEqual({ ok: true, changed: [], missing: [], extra: [] });
    // Audited in the live state database, naming the backup's directory.
    const audited = rows<{ action: string; files: string; result: string }>(join(dir, '.agent', 'state.db'), `select action, files, result from audit where action = 'system.backup'`);
    expect(audited).toHaveLength(1);
    expect(audited[0]!.files).toContain(`.agent/backups/${first.id}`);
    expect(audited[0]!.result).toBe(`${first.id}: ${manifest.files.length} files, ${manifest.bytes} bytes`);
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(['state.db']);

    // Two more: retention (keep 2) removes the oldest from disk, and the list is what is on disk.
    const second = (await json(dir, 'system', 'backup', 'create', '--env', 'staging')).backup as { id: string };
    const third = await json(dir, 'db', 'create', 'backup', '--env', 'staging');
    expect(third.removed).toEqual([first.id]);
    expect(existsSync(first.path)).toBe(false);
    const onDisk = readdirSync(join(dir, '.agent', 'backups')).sort();
    expect(onDisk).toEqual([second.id, third.backup.id].sort());
    const listed = (await json(dir, 'system', 'backups')).backups as Array<{ id: string; env: string; reason: string }>;
    expect(listed.map((b) => b.id)).toEqual([third.backup.id, second.id]);
    expect(listed.every((b) => b.env === 'staging' && b.reason === 'manual')).toBe(true);
    expect((await json(dir, 'system', 'backups', '--env', 'production')).backups).toEqual([]);
  });
});
