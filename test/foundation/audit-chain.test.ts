// The audit trail cannot be shortened or rewritten unnoticed: a real project, real CLI calls, and
// an attacker who has the state file (drops the triggers, deletes rows, recomputes every hash).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { hashRow, keyId, parseHead, verifyAudit, type HeadRead } from '../../src/engine/audit.js';
import type { AuditRow } from '../../src/store/rows.js';

const copies: string[] = [];
afterAll(() => {
  cleanupProjects();
  for (const d of copies) rmSync(d, { recursive: true, force: true });
});

const TITLES = ['Estimates fail to save', 'Invoices fail to send', 'Jobs page is broken', 'Customers list is slow'];
const SHA_MODE = 'SHA-256, no AGENT_AUDIT_KEY';

/**
 * A project whose audit trail holds 4 entries: an action held for approval, approved and carried
 * out, then a ticket. Made once and copied per case.
 */
let base = '';
beforeAll(async () => {
  base = makeProject();
  expect((await agent(['emergency', 'maintenance', 'on'], { cwd: base })).code).toBe(3);
  expect((await agent(['approve', 'APR-1', '--confirm', 'APR-1'], { cwd: base })).code).toBe(0);
  expect((await agent(['create', 'ticket', TITLES[0]!], { cwd: base })).code).toBe(0);
});

function copyOfBase(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'crm-agent-audit-')), 'p');
  copies.push(dirname(dir));
  cpSync(base, dir, { recursive: true });
  return dir;
}
const dirname = (p: string) => join(p, '..');

/** Opens the state file as an attacker would: the append-only triggers dropped first. */
function tamper(dir: string, fn: (db: Database.Database) => void): void {
  const db = new Database(join(dir, '.agent', 'state.db'));
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_append_only_update; DROP TRIGGER IF EXISTS audit_append_only_delete; DROP TRIGGER IF EXISTS audit_append_in_order;');
    fn(db);
  } finally {
    db.close();
  }
}

/** Edits one entry and recomputes its hash and every later one, so the chain checks out in itself. */
function rechain(db: Database.Database, seq: number, result: string): void {
  const rows = db.prepare('SELECT * FROM audit ORDER BY seq').all() as AuditRow[];
  let prev = rows[seq - 2]?.hash ?? '0'.repeat(64);
  for (const row of rows.slice(seq - 1)) {
    const { hash: _old, ...rest } = row;
    const edited = { ...rest, prev_hash: prev, result: row.seq === seq ? result : row.result };
    const hash = hashRow(edited);
    db.prepare('UPDATE audit SET result = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(edited.result, prev, hash, row.seq);
    prev = hash;
  }
}

const verify = (dir: string, env?: Record<string, string>) => agent(['audit', '--verify'], { cwd: dir, env });
const headFile = (dir: string) => join(dir, '.agent', 'audit.head');
const readRows = (dir: string): AuditRow[] => {
  const db = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM audit ORDER BY seq').all() as AuditRow[];
  } finally {
    db.close();
  }
};
const lastRow = (dir: string, seq: number) => {
  const db = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
  try {
    return db.prepare('SELECT seq, hash FROM audit WHERE seq = ?').get(seq) as { seq: number; hash: string };
  } finally {
    db.close();
  }
};

describe('audit --verify against the head recorded outside the state database', () => {
  it('passes an intact chain, saying where the head is kept and which mode the chain is in', async () => {
    const r = await verify(base);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`[AUDIT] ✓ Audit chain intact: 4 entries verified, ending at the head recorded outside (#4; git checkpoint #4) — ${SHA_MODE}`);
    const head = JSON.parse(readFileSync(headFile(base), 'utf8')) as { seq: number; hash: string };
    expect(head).toMatchObject(lastRow(base, 4));
    const ref = spawnSync('git', ['-C', base, 'cat-file', 'blob', 'refs/crm-agent/audit-head'], { encoding: 'utf8' });
    expect(JSON.parse(ref.stdout)).toMatchObject(lastRow(base, 4));
  });

  it('refuses to change, remove or splice entries while the triggers are there', () => {
    const dir = copyOfBase();
    const db = new Database(join(dir, '.agent', 'state.db'));
    try {
      expect(() => db.prepare("UPDATE audit SET result = 'x' WHERE seq = 2").run()).toThrow(/append-only: entries cannot be changed/);
      expect(() => db.prepare('DELETE FROM audit WHERE seq >= 3').run()).toThrow(/append-only: entries cannot be removed/);
      expect(() => db.prepare("INSERT INTO audit (seq, ts, initiator, agent, action, files, result, prev_hash, hash) VALUES (9, 0, 'a', 'b', 'c', '[]', 'r', 'x', 'y')").run()).toThrow(/appended in order/);
      expect(db.prepare('SELECT COUNT(*) AS n FROM audit').get()).toEqual({ n: 4 });
    } finally {
      db.close();
    }
  });

  it('catches the last entries deleted, and keeps catching it after later appends', async () => {
    const dir = copyOfBase();
    tamper(dir, (db) => db.prepare('DELETE FROM audit WHERE seq > 2').run());
    const r = await verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(`[AUDIT] ✗ Audit chain cut short: the chain ends at seq 2; the head recorded outside (.agent/audit.head) says seq 4: 2 entries missing — ${SHA_MODE}`);
    // The next actions append after the cut; the head is not moved over it.
    expect((await agent(['create', 'ticket', 'Quotes page is blank'], { cwd: dir })).code).toBe(0);
    const later = await verify(dir);
    expect(later.code).toBe(1);
    expect(later.stdout).toContain('Audit chain cut short: the chain ends at seq 3; the head recorded outside (.agent/audit.head) says seq 4: 1 entry missing');
  });

  it('catches every entry deleted', async () => {
    const dir = copyOfBase();
    tamper(dir, (db) => db.prepare('DELETE FROM audit').run());
    const r = await verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(`[AUDIT] ✗ Audit chain cut short: the chain is empty; the head recorded outside (.agent/audit.head) says seq 4: 4 entries missing — empty, no AGENT_AUDIT_KEY`);
  });

  it('catches an entry edited and every later hash recomputed, and the head file rewritten to match', async () => {
    const dir = copyOfBase();
    tamper(dir, (db) => rechain(db, 2, 'nothing happened'));
    const r = await verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(
      `[AUDIT] ✗ Audit chain rewritten: entry #4 no longer has the hash recorded outside (.agent/audit.head): entries up to #4 were edited and every later hash recomputed — ${SHA_MODE}`,
    );
    // The attacker rewrites the head file too: git's checkpoint still holds the old head.
    writeFileSync(headFile(dir), JSON.stringify(lastRow(dir, 4)));
    const again = await verify(dir);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('Audit chain rewritten: entry #4 no longer has the hash recorded outside (refs/crm-agent/audit-head)');
    // Or deletes it: named as missing, not taken up afresh by the next append.
    unlinkSync(headFile(dir));
    expect((await agent(['create', 'ticket', 'Quotes page is blank'], { cwd: dir })).code).toBe(0);
    const gone = await verify(dir);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toMatch(/Audit chain rewritten: entry #4 no longer has the hash recorded outside \(refs\/crm-agent\/audit-head\)/);
  });

  it('accepts a head exactly one entry behind (a process ended between its commit and its head write), never two', async () => {
    const dir = copyOfBase();
    // A kill -9 between the commit of #4 and its head write: neither the file nor git got #4.
    writeFileSync(headFile(dir), JSON.stringify(lastRow(dir, 3)));
    spawnSync('git', ['-C', dir, 'update-ref', '-d', 'refs/crm-agent/audit-head']);
    const one = await verify(dir);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('[AUDIT] entry #4 was committed by a process that ended before recording the head (.agent/audit.head says #3)');
    // Two behind, or a head that is not crm-agent's record, fail (the same check, in process).
    const rows = readRows(dir);
    const anchors = (file: HeadRead) => ({ file, fileName: '.agent/audit.head', git: null });
    expect(verifyAudit(rows, anchors({ state: 'ok', head: lastRow(dir, 2) }), null)).toMatchObject({
      exitCode: 1,
      problem: 'beyond-head',
      message: 'Audit chain runs past its head: the head recorded outside (.agent/audit.head) says seq 2, but the chain goes on to seq 4: entries #3–#4 were added without it',
    });
    expect(verifyAudit(rows, anchors(parseHead('garbage')), null)).toMatchObject({ exitCode: 1, problem: 'head-unreadable' });
    expect(verifyAudit(rows, anchors({ state: 'missing' }), null)).toMatchObject({ exitCode: 1, problem: 'unanchored' });
  });
});

describe('AGENT_AUDIT_KEY', () => {
  const KEY = 'audit-key-5d1f0c9a7e3b';
  const OTHER = 'another-key-77aa1b2c';

  it('signs entries with HMAC-SHA256, says so, and reports a missing or different key as such (exit 2), never the key itself', async () => {
    const dir = makeProject();
    for (const t of TITLES.slice(0, 2)) expect((await agent(['create', 'ticket', t], { cwd: dir, env: { AGENT_AUDIT_KEY: KEY } })).code).toBe(0);
    const ok = await verify(dir, { AGENT_AUDIT_KEY: KEY });
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe(`[AUDIT] ✓ Audit chain intact: 2 entries verified, ending at the head recorded outside (#2; git checkpoint #2) — HMAC-SHA256 with AGENT_AUDIT_KEY (key id ${keyId(KEY)})`);

    const without = await verify(dir);
    expect(without.code).toBe(2);
    expect(without.stdout).toBe('');
    expect(without.stderr.trim().split('\n')).toEqual([
      `error: agent audit --verify: entries #1–#2 are signed with AGENT_AUDIT_KEY (key id ${keyId(KEY)}), which is not set here: their links and the head outside match, their contents need the key; set AGENT_AUDIT_KEY (environment or .env) and verify again`,
    ]);
    const other = verifyAudit(readRows(dir), { file: parseHead(readFileSync(headFile(dir), 'utf8')), fileName: '.agent/audit.head', git: null }, OTHER);
    expect(other).toMatchObject({ exitCode: 2, problem: 'key-mismatch' });
    expect(other.message).toContain(`signed with a different AGENT_AUDIT_KEY (key id ${keyId(KEY)}; the key set here has id ${keyId(OTHER)})`);

    // The key may live in .env; an entry edited and re-hashed without it is caught.
    writeFileSync(join(dir, '.env'), `AGENT_AUDIT_KEY=${KEY}\n`);
    tamper(dir, (db) => rechain(db, 2, 'forged'));
    writeFileSync(headFile(dir), JSON.stringify(lastRow(dir, 2)));
    spawnSync('git', ['-C', dir, 'update-ref', '-d', 'refs/crm-agent/audit-head']);
    const forged = await verify(dir);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain('Audit chain not signed from entry #2 on, though entries before it are');

    const everything = [ok, without, forged].map((r) => r.stdout + r.stderr).join('\n') + other.message + readFileSync(join(dir, '.agent', 'state.db'), 'latin1') + readFileSync(headFile(dir), 'utf8');
    expect(everything.includes(KEY)).toBe(false);
    expect(everything.includes(OTHER)).toBe(false);
  });
});

describe('approved actions', () => {
  it('carry the approval id in their audit row', async () => {
    const audit = parseNdjson((await agent(['audit', '--json'], { cwd: base })).stdout).at(-1)!.data as { entries: Array<{ action: string; approval: string | null }> };
    expect(audit.entries.map((e) => [e.action, e.approval])).toEqual([
      ['approval.requested', 'APR-1'],
      ['approval.approved', 'APR-1'],
      ['emergency.maintenance-on', 'APR-1'],
      ['ticket.create', null],
    ]);
  });
});
