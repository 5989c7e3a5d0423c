// `agent system restore from <id>` refuses or reports each thing its checks exist for: the typed
// confirmation (nothing happens without it, or with the wrong text), the sha256 check (a changed
// file: nothing restored, no pre-restore backup), the schema compare and `audit --verify` (each
// fails the restore, exit 1, naming what differs), and the pre-restore backup (whole, restorable).
// Real CLI processes, a real PGlite data directory and SQLite state database; ~30 s on a loaded
// 2-core machine (seventeen CLI runs), so it runs with `npm run stress`.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { gitIn } from '../pipeline/deploy-fixture.js';

afterAll(cleanupProjects);

const SCHEMA = `create table public.customers (id bigint primary key, name text not null);
create table public.jobs (id bigint primary key, customer_id bigint not null references public.customers (id), title text not null);
`;

async function json(dir: string, ...args: string[]) {
  const r = await agent([...args, '--json'], { cwd: dir });
  const result = parseNdjson(r.stdout).find((e) => e.type === 'result') as { data?: any; error?: { message?: string; detail?: { approvalId?: string } } } | undefined;
  return { ...r, result, all: r.stdout + r.stderr };
}

async function tables(dir: string): Promise<string[]> {
  const { openPglite } = await import('../../src/integrations/postgres/pglite.js');
  const db = await openPglite({ dataDir: join(dir, '.agent', 'pgdata', 'staging') });
  try {
    return (await db.query<{ t: string }>(`select tablename as t from pg_tables where schemaname = 'public' order by 1`)).rows.map((r) => r.t);
  } finally {
    await db.close();
  }
}

const backupsIn = (dir: string) => (existsSync(join(dir, '.agent', 'backups')) ? readdirSync(join(dir, '.agent', 'backups')).sort() : []);
const restoresAudited = (dir: string) => {
  const db = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
  try {
    return (db.prepare(`select count(*) as n from audit where action = 'system.restore'`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** Rewrites one file's sha256 and size in a backup's manifest, as if it had been written so. */
function reseal(backupDir: string, path: string): void {
  const file = join(backupDir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8')) as { files: Array<{ path: string; sha256: string; bytes: number }> };
  const body = readFileSync(join(backupDir, path));
  const entry = m.files.find((f) => f.path === path)!;
  entry.sha256 = createHash('sha256').update(body).digest('hex');
  entry.bytes = body.length;
  writeFileSync(file, JSON.stringify(m, null, 2));
}

function approvalsOff(dir: string): void {
  writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ approvals: { databaseDestructive: false } }, null, 2));
}

describe('system restore from: every check fails when it should', () => {
  it('typed confirmation, sha256, schema compare, audit --verify, and the pre-restore backup', async () => {
    const dir = makeProject();
    mkdirSync(join(dir, 'supabase', 'migrations'), { recursive: true });
    writeFileSync(join(dir, 'supabase', 'migrations', '20250101000000_init.sql'), SCHEMA);
    writeFileSync(join(dir, '.gitignore'), '.agent/\nstaged/*\nagent.config.json\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
    const made = await json(dir, 'migrate', 'execute', '--env', 'staging');
    expect(made.code, made.all).toBe(0);
    const bk = await json(dir, 'system', 'backup', 'create', '--env', 'staging');
    expect(bk.code, bk.all).toBe(0);
    const good = bk.result!.data.backup as { id: string; path: string };

    // The live database moves on past the backup: a restore shows by the table coming back or not.
    approvalsOff(dir);
    const drop = await json(dir, 'db', 'sql', 'drop table jobs', '--env', 'staging');
    expect(drop.code, drop.all).toBe(0);
    expect(await tables(dir)).toEqual(['customers']);
    writeFileSync(join(dir, 'agent.config.json'), '{}');

    // 1. The typed confirmation: asked for (exit 3), refused with the wrong text; nothing happened.
    const asked = await json(dir, 'system', 'restore', 'from', good.id, '--env', 'staging');
    expect(asked.code, asked.all).toBe(3);
    const apr = asked.result?.error?.detail?.approvalId ?? /APR-\d+/.exec(asked.all)![0];
    const wrong = await json(dir, 'approve', apr, '--confirm', 'yes');
    expect(wrong.code, wrong.all).not.toBe(0);
    expect(backupsIn(dir)).toEqual([good.id]);
    expect(restoresAudited(dir)).toBe(0);
    expect(await tables(dir)).toEqual(['customers']);

    approvalsOff(dir);
    // 2. sha256: one byte more in one file of the data directory copy; nothing restored.
    const spoilt = await json(dir, 'system', 'backup', 'create', '--env', 'staging');
    const bad = spoilt.result!.data.backup as { id: string; path: string };
    appendFileSync(join(bad.path, 'pgdata', 'PG_VERSION'), '\n');
    const refused = await json(dir, 'system', 'restore', 'from', bad.id);
    expect(refused.code, refused.all).toBe(1);
    expect(refused.all).toContain(`${bad.id} does not match its manifest: 1 changed (pgdata/PG_VERSION); nothing was restored`);
    expect(backupsIn(dir)).toEqual([good.id, bad.id].sort());
    expect(restoresAudited(dir)).toBe(0);

    // 3. The schema compare: the backup's snapshot says a table the data directory does not hold
    // (resealed, so the sha256 check passes): the restore runs, then fails the compare, exit 1.
    const snapFile = join(good.path, 'schema.json');
    const snapshot = readFileSync(snapFile, 'utf8');
    const skewed = JSON.parse(snapshot) as { tables: Record<string, { name: string }> };
    skewed.tables['public.ghosts'] = { ...skewed.tables['public.customers']!, name: 'ghosts' };
    writeFileSync(snapFile, JSON.stringify(skewed));
    reseal(good.path, 'schema.json');
    const skew = await json(dir, 'system', 'restore', 'from', good.id);
    expect(skew.code, skew.all).toBe(1);
    expect(skew.all).toMatch(new RegExp(`Schema differs from the snapshot taken with ${good.id}: .*ghosts`));
    expect(skew.all).toMatch(/Restore finished with problems/);
    expect(skew.all).toMatch(/agent audit --verify: Audit chain intact/);
    expect(await tables(dir)).toEqual(['customers', 'jobs']);
    writeFileSync(snapFile, snapshot);
    reseal(good.path, 'schema.json');

    // 4. The live database moves on again; a clean restore; the pre-restore backup it took is whole
    // (its files match their sha256) and restoring it puts back what it replaced, its own schema
    // compare passing.
    const again = await json(dir, 'db', 'sql', 'drop table jobs', '--env', 'staging');
    expect(again.code, again.all).toBe(0);
    const ok = await json(dir, 'system', 'restore', 'from', good.id);
    expect(ok.code, ok.all).toBe(0);
    expect(ok.all).toMatch(new RegExp(`Schema matches the snapshot taken with ${good.id}`));
    expect(await tables(dir)).toEqual(['customers', 'jobs']);
    const pre = ok.result!.data.preRestoreBackup as { id: string; path: string; reason: string };
    expect(pre.reason).toBe('pre-restore');
    const { verifyBackupFiles } = await import('../../src/integrations/backup-files.js');
    const preManifest = JSON.parse(readFileSync(join(pre.path, 'manifest.json'), 'utf8'));
    expect(await verifyBackupFiles(dir, preManifest)).toEqual({ ok: true, changed: [], missing: [], extra: [] });
    const undo = await json(dir, 'system', 'restore', 'from', pre.id);
    expect(undo.code, undo.all).toBe(0);
    expect(undo.all).toMatch(new RegExp(`Schema matches the snapshot taken with ${pre.id}`));
    expect(await tables(dir)).toEqual(['customers']);

    // 5. audit --verify: an audit entry edited in the backup's state database (resealed): the
    // restore puts the broken chain back and says so, exit 1; the schema itself matches.
    const forged = await json(dir, 'system', 'backup', 'create', '--env', 'staging');
    const fk = forged.result!.data.backup as { id: string; path: string };
    {
      const db = new Database(join(fk.path, 'state.db'));
      try {
        // Past the append-only trigger, as someone editing the file would.
        db.exec('drop trigger audit_append_only_update');
        expect(db.prepare(`update audit set result = 'nothing happened' where seq = (select min(seq) from audit)`).run().changes).toBe(1);
      } finally {
        db.close();
      }
    }
    reseal(fk.path, 'state.db');
    const broken = await json(dir, 'system', 'restore', 'from', fk.id);
    expect(broken.code, broken.all).toBe(1);
    expect(broken.all).toMatch(new RegExp(`Schema matches the snapshot taken with ${fk.id}`));
    expect(broken.all).toMatch(/agent audit --verify fails after the restore: /);
  }, 180_000);
});
