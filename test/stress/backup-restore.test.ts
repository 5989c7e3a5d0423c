// Issue 16's "Done when": deploy, take a backup, drop a table by `db sql` (approved), restore from
// the backup: schema, data, state and audit match the backup, and the pre-restore backup exists.
// Real CLI processes, real PGlite data directories, a real SQLite state database and git. ~30 s on a
// loaded 2-core machine (a deploy and eleven CLI runs), so it runs with `npm run stress`.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { agent, cleanupProjects, parseNdjson } from '../helpers.js';
import { deployProject, stageFix } from '../pipeline/deploy-fixture.js';

afterAll(cleanupProjects);

const T = 'BUG-2026-001';

async function run(dir: string, ...args: string[]) {
  const r = await agent([...args, '--json'], { cwd: dir });
  const events = parseNdjson(r.stdout);
  return { ...r, events, result: events.find((e) => e.type === 'result') as { data?: any; error?: { detail?: { approvalId?: string } } } | undefined };
}

/** A command that needs the typed approval: exit 3 naming it, then `approve <id> --confirm <ticket or id>`. */
async function approved(dir: string, confirm: string | null, ...args: string[]) {
  const asked = await run(dir, ...args);
  expect(asked.code, asked.stdout + asked.stderr).toBe(3);
  const id = asked.result?.error?.detail?.approvalId ?? /APR-\d+/.exec(asked.stdout + asked.stderr)![0];
  const done = await run(dir, 'approve', id, '--confirm', confirm ?? id);
  expect(done.code, done.stdout + done.stderr).toBe(0);
  return done;
}

async function pgRows<T>(dir: string, sql: string): Promise<T[]> {
  const { openPglite } = await import('../../src/integrations/postgres/pglite.js');
  const db = await openPglite({ dataDir: join(dir, '.agent', 'pgdata', 'production') });
  try {
    return (await db.query<T>(sql)).rows;
  } finally {
    await db.close();
  }
}

const tablesOf = (dir: string) => pgRows<{ t: string }>(dir, `select tablename as t from pg_tables where schemaname = 'public' order by 1`).then((r) => r.map((x) => x.t));

function stateRows(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

describe('system backup create / system restore from', () => {
  it('deploy, back up, drop a table by db sql (approved), restore: schema, data, state and audit are the backup\'s; the pre-restore backup holds what was replaced', async () => {
    const dir = deployProject();
    await stageFix(dir, T);
    const dep = await approved(dir, T, 'deploy', 'production', T);
    expect(dep.stdout).toMatch(/Backup BK-\d{8}-\d{6}-\d{3} of production before the deploy/);

    // A read-only statement runs without asking; a write waits for the approval.
    const count = await run(dir, 'db', 'sql', 'select count(*)::int as n from customers');
    expect(count.code, count.stderr).toBe(0);
    expect(count.result!.data).toMatchObject({ writes: false, rows: [{ n: 0 }] });
    await approved(dir, null, 'db', 'sql', "insert into customers (name) values ('Ada Lovelace')");
    expect(await pgRows(dir, 'select name from customers')).toEqual([{ name: 'Ada Lovelace' }]);

    const made = await run(dir, 'system', 'backup', 'create');
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const bk = made.result!.data.backup as { id: string; path: string; auditHead: { seq: number; hash: string } };
    const manifest = JSON.parse(readFileSync(join(bk.path, 'manifest.json'), 'utf8'));
    expect(manifest.database.kind).toBe('embedded');
    expect(manifest.files.some((f: { path: string }) => f.path === 'pgdata/PG_VERSION')).toBe(true);

    const drop = await approved(dir, null, 'db', 'sql', 'drop table invoices', '--env', 'production');
    expect(drop.stdout).toMatch(/Committed on embedded PGlite/);
    expect(await tablesOf(dir)).toEqual(['customers', 'estimates']);
    // The audit trail holds the statement.
    const drops = stateRows(join(dir, '.agent', 'state.db'), `select detail, approval from audit where action = 'db.sql'`) as Array<{ detail: string; approval: string }>;
    expect(drops.at(-1)!.detail).toContain('drop table invoices');
    expect(drops.at(-1)!.approval).toMatch(/^APR-\d+$/);

    // Point in time: the newest backup at or before now is the manual one, and the command says so.
    const at = new Date().toISOString();
    const asked = await run(dir, 'system', 'restore', 'from', at);
    expect(asked.code, asked.stdout + asked.stderr).toBe(3);
    expect(asked.stdout).toContain(`Point in time ${at}: the newest production backup at or before it is ${bk.id}`);
    const restore = await run(dir, 'approve', /APR-\d+/.exec(asked.stdout + asked.stderr)![0], '--confirm', /APR-\d+/.exec(asked.stdout + asked.stderr)![0]);
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    const out = restore.stdout;
    expect(out).toMatch(new RegExp(`${bk.id}: \\d+ files match their sha256`));
    expect(out).toMatch(/Schema matches the snapshot taken with/);
    expect(out).toMatch(/agent audit --verify: Audit chain intact/);

    // Schema and data are the backup's.
    expect(await tablesOf(dir)).toEqual(['customers', 'estimates', 'invoices']);
    expect(await pgRows(dir, 'select name from customers')).toEqual([{ name: 'Ada Lovelace' }]);
    // State: the backup's rows (deployments, approvals, tickets) and its audit chain, then the restore's entry.
    const live = join(dir, '.agent', 'state.db');
    const copy = join(bk.path, 'state.db');
    for (const q of ['select * from deployments order by id', 'select id, status from approvals order by id', 'select * from change_sets order by id']) {
      expect(stateRows(live, q)).toEqual(stateRows(copy, q));
    }
    const audit = stateRows(live, 'select seq, action, hash from audit order by seq') as Array<{ seq: number; action: string; hash: string }>;
    expect(audit.slice(0, -1)).toEqual(stateRows(copy, 'select seq, action, hash from audit order by seq'));
    expect(audit.at(-1)!.action).toBe('system.restore');
    expect(audit.at(-2)!.seq).toBe(bk.auditHead.seq);
    const verify = await agent(['audit', '--verify'], { cwd: dir });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // Where it spent its time, step by step, in order (bench/backup.mjs reads it).
    const took = restore.result!.data.resumed.took as Record<string, number>;
    expect(Object.keys(took)).toEqual(['checksums', 'preRestoreBackup', 'copiedIn', 'databaseInPlace', 'stateRestored', 'schemaCompared', 'auditVerified']);
    expect(Object.values(took)).toEqual([...Object.values(took)].sort((a, b) => a - b));

    // The pre-restore backup exists and holds the database as it was (without invoices).
    const pre = restore.result!.data.resumed.preRestoreBackup as { id: string; path: string; reason: string };
    const list = await run(dir, 'system', 'backups');
    const listed = (list.result!.data.backups as Array<{ id: string; reason: string }>).map((b) => `${b.id} ${b.reason}`);
    expect(listed).toContain(`${pre.id} pre-restore`);
    expect(listed).toContain(`${bk.id} manual`);
    const preSchema = JSON.parse(readFileSync(join(pre.path, 'schema.json'), 'utf8')) as { tables: Record<string, unknown> };
    expect(Object.keys(preSchema.tables)).not.toContain('public.invoices');
    expect(Object.keys(preSchema.tables)).toContain('public.customers');
    expect(existsSync(join(pre.path, 'pgdata', 'PG_VERSION'))).toBe(true);
    // Whole: the live directory it took (renamed in, not copied) matches the sha256 its manifest lists.
    const { verifyBackupFiles } = await import('../../src/integrations/backup-files.js');
    const sums = await verifyBackupFiles(dir, JSON.parse(readFileSync(join(pre.path, 'manifest.json'), 'utf8')));
    expect(sums).toEqual({ ok: true, changed: [], missing: [], extra: [] });
  }, 120_000);
});
