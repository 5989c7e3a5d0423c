// The audit trail (seed 7.3): every action, hash-chained so any edit is detectable, and anchored
// outside the state database so that cutting rows off the end or recomputing every hash is too.
//
// The anchor is the chain's head (last sequence number and hash):
// - `.agent/audit.head`, rewritten (temp file + rename) after every append, in a second write
//   transaction so that concurrent writers record heads in commit order and never move it back;
// - in a git repository also `refs/crm-agent/audit-head` (a blob holding the same record), written
//   once when the process ends (and every few seconds in long-lived ones): a checkpoint that may lag.
// A head only ever advances over a chain that still holds it, so a cut or rewritten chain stays
// detectable after later appends. The one gap: a process killed between its commit and its head
// write leaves the head exactly one entry behind, which verify accepts and says (see verifyAudit).
//
// With AGENT_AUDIT_KEY (environment or .env) new entries are HMAC-SHA256 signed instead of hashed:
// without the key nobody can forge or re-chain them.
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { redact, redactDeep, registerSecret } from '../config/redact.js';
import { parseDotEnv } from '../config/secrets.js';
import type { AuditRow, StateDb } from '../store/state-db.js';
import { AUDIT_HEAD_FILE } from '../store/state-file.js';

export const GENESIS = '0'.repeat(64);
export const GIT_HEAD_REF = 'refs/crm-agent/audit-head';
const HMAC_PREFIX = 'hmac:';
/** How long a long-lived process (dashboard, MCP server) lets the git checkpoint lag. */
const GIT_CHECKPOINT_MS = 5000;

export interface AuditEntry {
  initiator: string;
  agent: string;
  action: string;
  target?: string | null;
  files?: string[];
  /** The approval (or approvals, comma-separated) this action was carried out under. */
  approval?: string | null;
  result: string;
  detail?: unknown;
}

type Hashed = Omit<AuditRow, 'hash'>;

export interface AuditHead {
  seq: number;
  hash: string;
  ts?: number;
}

/** A head as read from outside the database: absent, unreadable, or a record. */
export type HeadRead = { state: 'missing' } | { state: 'bad'; why: string } | { state: 'ok'; head: AuditHead };

const crypto = () => process.getBuiltinModule('node:crypto') as typeof import('node:crypto');

/** A short, stable name for a key (not the key): says which key signed an entry. */
export function keyId(key: string): string {
  return crypto().createHmac('sha256', key).update('crm-agent audit key id').digest('hex').slice(0, 8);
}

/** SHA-256 of the row's canonical form; with a key, `hmac:<key id>:<HMAC-SHA256>`. */
export function hashRow(row: Hashed, key?: string | null): string {
  const canonical = JSON.stringify([
    row.seq, row.ts, row.initiator, row.agent, row.action, row.target, row.files, row.approval, row.result, row.detail, row.prev_hash,
  ]);
  // node:crypto costs ~4 ms to load; only commands that write or verify the chain pay for it.
  if (!key) return crypto().createHash('sha256').update(canonical).digest('hex');
  return `${HMAC_PREFIX}${keyId(key)}:${crypto().createHmac('sha256', key).update(canonical).digest('hex')}`;
}

function signedBy(hash: string): string | null {
  return hash.startsWith(HMAC_PREFIX) ? hash.slice(HMAC_PREFIX.length).split(':')[0]! : null;
}

/** AGENT_AUDIT_KEY from the environment, else the project's .env; null when neither sets it. */
export function auditKey(root: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  let key = env.AGENT_AUDIT_KEY || null;
  if (!key && root) {
    const file = join(root, '.env');
    if (existsSync(file)) key = parseDotEnv(readFileSync(file, 'utf8')).AGENT_AUDIT_KEY || null;
  }
  if (key) registerSecret('AGENT_AUDIT_KEY', key);
  return key;
}

/** `<project>/.agent/audit.head` for a state database at `<project>/.agent/state.db`; null in memory. */
export function headFileOf(db: Pick<StateDb, 'path'>): string | null {
  return db.path === ':memory:' || db.path === '' ? null : join(dirname(db.path), AUDIT_HEAD_FILE);
}

function rootOf(db: Pick<StateDb, 'path'>): string | null {
  return headFileOf(db) ? dirname(dirname(db.path)) : null;
}

export function parseHead(text: string): HeadRead {
  try {
    const v = JSON.parse(text) as Partial<AuditHead>;
    if (typeof v.seq === 'number' && Number.isInteger(v.seq) && v.seq >= 0 && typeof v.hash === 'string') return { state: 'ok', head: { seq: v.seq, hash: v.hash, ts: v.ts } };
    return { state: 'bad', why: 'it holds no sequence number and hash' };
  } catch {
    return { state: 'bad', why: 'it is not the JSON record crm-agent writes' };
  }
}

export function readHeadFile(path: string): HeadRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'bad', why: (err as Error).message };
  }
  return parseHead(text);
}

function writeHeadFile(path: string, head: AuditHead): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(head) + '\n');
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    throw err;
  }
}

// ---- the git checkpoint ----

function git(root: string, args: string[], input?: string): { ok: boolean; stdout: string } {
  const { spawnSync } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
  const r = spawnSync('git', ['-C', root, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'], timeout: 10_000 });
  return { ok: r.status === 0, stdout: r.stdout ?? '' };
}

/** The head recorded in git; null when the project is not a git repository or has none. */
export function readGitHead(root: string): HeadRead | null {
  if (!existsSync(join(root, '.git'))) return null;
  const r = git(root, ['cat-file', 'blob', GIT_HEAD_REF]);
  if (!r.ok) return null;
  return parseHead(r.stdout);
}

function writeGitHead(root: string, head: AuditHead): boolean {
  const blob = git(root, ['hash-object', '-w', '--stdin'], JSON.stringify(head) + '\n');
  if (!blob.ok) return false;
  return git(root, ['update-ref', '-m', `crm-agent audit head #${head.seq}`, GIT_HEAD_REF, blob.stdout.trim()]).ok;
}

/** Head files whose value this process has recorded but git has not yet (root -> head file). */
const gitPending = new Map<string, string>();
let gitTimer: NodeJS.Timeout | null = null;
let exitHooked = false;

/** Copies each pending head file into git. Runs at exit and on a timer; failures leave the checkpoint behind. */
export function flushGitCheckpoints(): void {
  if (gitTimer) clearTimeout(gitTimer);
  gitTimer = null;
  for (const [root, file] of [...gitPending]) {
    gitPending.delete(root);
    const cur = readHeadFile(file);
    if (cur.state === 'ok') writeGitHead(root, cur.head);
  }
}

function scheduleGitCheckpoint(root: string, file: string): void {
  if (!existsSync(join(root, '.git'))) return;
  gitPending.set(root, file);
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', flushGitCheckpoints);
  }
  gitTimer ??= setTimeout(flushGitCheckpoints, GIT_CHECKPOINT_MS).unref();
}

// ---- appending ----

/**
 * Appends one entry and records the new head outside the database. Runs its own transactions, so
 * it must not be called inside `db.tx()` (its head would be written before the commit).
 */
export function appendAudit(db: StateDb, entry: AuditEntry): AuditRow {
  if (db.db.inTransaction) throw new Error('appendAudit must run outside a transaction: the head is written after the commit');
  const key = auditKey(rootOf(db));
  const row = db.tx(() => {
    const last = db.lastAudit();
    const base: Hashed = {
      seq: (last?.seq ?? 0) + 1,
      ts: Date.now(),
      initiator: redact(entry.initiator),
      agent: redact(entry.agent),
      action: redact(entry.action),
      target: entry.target ? redact(entry.target) : null,
      files: JSON.stringify(redactDeep(entry.files ?? [])),
      approval: entry.approval ? redact(entry.approval) : null,
      result: redact(entry.result),
      detail: entry.detail === undefined ? null : JSON.stringify(redactDeep(entry.detail)),
      prev_hash: last?.hash ?? GENESIS,
    };
    const row: AuditRow = { ...base, hash: hashRow(base, key) };
    db.insertAudit(row);
    return row;
  });
  try {
    recordHead(db);
  } catch (err) {
    // The action happened and its entry is committed: a head that could not be written shows up
    // in `audit --verify` (entries past the head), and here as a warning.
    db.appendEvent({ kind: 'audit.head', level: 'warn', agent: 'ORCHESTRATOR', message: `could not record the audit head outside the state database: ${(err as Error).message}` });
  }
  return row;
}

/**
 * Writes the chain's current head to `.agent/audit.head` under the write lock (so heads are
 * written in commit order), but only over a head the chain still holds: a head the chain no longer
 * reaches is evidence and stays. A missing head file is taken up afresh unless git holds one.
 */
function recordHead(db: StateDb): void {
  const file = headFileOf(db);
  const root = rootOf(db);
  if (!file || !root) return;
  const wrote = db.tx(() => {
    const last = db.lastAudit();
    if (!last) return false;
    const cur = readHeadFile(file);
    if (cur.state === 'bad') return false;
    if (cur.state === 'ok') {
      if (cur.head.seq === last.seq && cur.head.hash === last.hash) return false;
      if (db.auditEntry(cur.head.seq)?.hash !== cur.head.hash) return false;
    } else if (readGitHead(root)?.state === 'ok') {
      return false;
    }
    writeHeadFile(file, { seq: last.seq, hash: last.hash, ts: Date.now() });
    return true;
  });
  if (wrote) scheduleGitCheckpoint(root, file);
}

// ---- verifying ----

export type AuditVerdict =
  | { ok: true; count: number }
  | { ok: false; count: number; seq: number; reason: string };

/** Pure: walks the chain in order and names the first entry that does not match (entries signed with another key are skipped). */
export function verifyChain(rows: readonly AuditRow[], key?: string | null): AuditVerdict {
  const walk = walkChain(rows, key ?? null);
  return walk.broken ? { ok: false, count: rows.length, ...walk.broken } : { ok: true, count: rows.length };
}

interface Walk {
  broken?: { seq: number; reason: string };
  /** Signed entries: first and last sequence number, the key ids that signed them. */
  signed?: { first: number; last: number; kids: Set<string> };
  /** Signed entries whose key verify lacks (none set, or another one). */
  unverifiable?: { first: number; last: number; kids: Set<string> };
  /** With the key set: the first unsigned entry after a signed one. */
  unsignedAfterSigned?: number;
}

function walkChain(rows: readonly AuditRow[], key: string | null): Walk {
  const w: Walk = {};
  const mine = key ? keyId(key) : null;
  let prev = GENESIS;
  let expected = 1;
  for (const row of rows) {
    if (row.seq !== expected) return { ...w, broken: { seq: expected, reason: `entry #${expected} is missing (next is #${row.seq})` } };
    if (row.prev_hash !== prev) return { ...w, broken: { seq: row.seq, reason: `entry #${row.seq} does not link to entry #${row.seq - 1} (an entry was edited, inserted or removed)` } };
    const { hash, ...rest } = row;
    const kid = signedBy(hash);
    if (kid) {
      w.signed ??= { first: row.seq, last: row.seq, kids: new Set() };
      w.signed.last = row.seq;
      w.signed.kids.add(kid);
      if (kid !== mine) {
        w.unverifiable ??= { first: row.seq, last: row.seq, kids: new Set() };
        w.unverifiable.last = row.seq;
        w.unverifiable.kids.add(kid);
      } else if (hashRow(rest, key) !== hash) {
        return { ...w, broken: { seq: row.seq, reason: `entry #${row.seq} was modified after it was written (HMAC mismatch)` } };
      }
    } else {
      if (hashRow(rest) !== hash) return { ...w, broken: { seq: row.seq, reason: `entry #${row.seq} was modified after it was written (hash mismatch)` } };
      if (key && w.signed && w.unsignedAfterSigned === undefined) w.unsignedAfterSigned = row.seq;
    }
    prev = hash;
    expected++;
  }
  return w;
}

export type AuditProblem = 'broken' | 'truncated' | 'rewritten' | 'beyond-head' | 'unanchored' | 'head-unreadable' | 'unsigned' | 'key-missing' | 'key-mismatch';

export interface AuditReport {
  /** 0 intact; 1 tampered or not anchored; 2 cannot be verified here (the signing key is not set). */
  exitCode: 0 | 1 | 2;
  count: number;
  /** Which kind of chain it is, in words: SHA-256, HMAC-SHA256 with AGENT_AUDIT_KEY, or both in turn. */
  mode: string;
  problem?: AuditProblem;
  /** The entry the problem is at, when one is. */
  seq?: number;
  /** One line: what is wrong, or what was verified. */
  message: string;
  /** Facts worth saying on success (the head one entry behind). */
  notes: string[];
}

export interface Anchors {
  file: HeadRead;
  /** How the file is named in messages, e.g. `.agent/audit.head`. */
  fileName: string;
  /** The git checkpoint; null when the project is not a git repository or git holds none. */
  git: HeadRead | null;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function modeOf(w: Walk, count: number, key: string | null): string {
  const keyNote = key ? `AGENT_AUDIT_KEY set, key id ${keyId(key)}` : 'no AGENT_AUDIT_KEY';
  if (!w.signed) return count ? `SHA-256, ${keyNote}` : `empty, ${keyNote}`;
  const kids = [...w.signed.kids].join(', ');
  if (w.signed.first === 1 && w.signed.last === count) return `HMAC-SHA256 with AGENT_AUDIT_KEY (key id ${kids})${key ? '' : ', which is not set here'}`;
  return `SHA-256 and HMAC-SHA256 (#${w.signed.first}–#${w.signed.last} signed with key id ${kids}), ${keyNote}`;
}

/**
 * Pure: the chain checked in itself and against the heads recorded outside the database. The file
 * head must be the chain's last entry, or the one before it (a process that ended between its
 * commit and its head write; the head is then one behind, never ahead); the git checkpoint must be
 * an entry the chain still holds.
 */
export function verifyAudit(rows: readonly AuditRow[], anchors: Anchors, key: string | null): AuditReport {
  const w = walkChain(rows, key);
  const count = rows.length;
  const mode = modeOf(w, count, key);
  const lastSeq = rows.at(-1)?.seq ?? 0;
  const fail = (problem: AuditProblem, message: string, seq?: number): AuditReport => ({ exitCode: 1, count, mode, problem, seq, message, notes: [] });
  if (w.broken) return fail('broken', `Audit chain broken at entry #${w.broken.seq}: ${w.broken.reason}`, w.broken.seq);

  const bySeq = (seq: number) => (seq >= 1 && seq <= count ? rows[seq - 1] : undefined);
  const checkAgainst = (head: AuditHead, where: string): AuditReport | null => {
    if (lastSeq < head.seq) {
      const missing = head.seq - lastSeq;
      const ends = count ? `the chain ends at seq ${lastSeq}` : 'the chain is empty';
      return fail('truncated', `Audit chain cut short: ${ends}; the head recorded outside (${where}) says seq ${head.seq}: ${plural(missing, 'entry', 'entries')} missing`, lastSeq + 1);
    }
    if (bySeq(head.seq)!.hash !== head.hash) {
      return fail('rewritten', `Audit chain rewritten: entry #${head.seq} no longer has the hash recorded outside (${where}): entries up to #${head.seq} were edited and every later hash recomputed`, head.seq);
    }
    return null;
  };

  const notes: string[] = [];
  const { file, git } = anchors;
  if (file.state === 'bad') return fail('head-unreadable', `The head recorded outside (${anchors.fileName}) cannot be read: ${file.why}; the chain's ${plural(count, 'entry', 'entries')} cannot be checked for truncation`);
  if (git?.state === 'bad') return fail('head-unreadable', `The head recorded in git (${GIT_HEAD_REF}) cannot be read: ${git.why}`);
  if (file.state === 'ok') {
    const bad = checkAgainst(file.head, anchors.fileName);
    if (bad) return bad;
  }
  // The git checkpoint may lag the file, but the chain must still hold it.
  if (git?.state === 'ok') {
    const bad = checkAgainst(git.head, GIT_HEAD_REF);
    if (bad) return bad;
  }
  if (file.state === 'missing') {
    if (git?.state === 'ok') {
      return fail('unanchored', `The head file ${anchors.fileName} is missing (git's ${GIT_HEAD_REF} records seq ${git.head.seq}): restore it from a backup; if this is a new history on purpose, delete the old anchor with \`git update-ref -d ${GIT_HEAD_REF}\``);
    }
    if (count) return fail('unanchored', `No head recorded outside the state database (${anchors.fileName} is missing): the chain's ${plural(count, 'entry', 'entries')} cannot be checked for truncation or re-chaining; the next audited action records it`);
  } else {
    const head = file.head;
    if (git?.state === 'ok' && head.seq < git.head.seq) {
      return fail('rewritten', `The head file ${anchors.fileName} says seq ${head.seq} but git's ${GIT_HEAD_REF} already recorded seq ${git.head.seq}: the head file was replaced by an older one`, head.seq);
    }
    if (lastSeq === head.seq + 1) {
      notes.push(`entry #${lastSeq} was committed by a process that ended before recording the head (${anchors.fileName} says #${head.seq}); the next audited action records it`);
    } else if (lastSeq > head.seq + 1) {
      return fail('beyond-head', `Audit chain runs past its head: the head recorded outside (${anchors.fileName}) says seq ${head.seq}, but the chain goes on to seq ${lastSeq}: entries #${head.seq + 1}–#${lastSeq} were added without it`, head.seq + 1);
    }
  }
  if (w.unsignedAfterSigned !== undefined) {
    return fail('unsigned', `Audit chain not signed from entry #${w.unsignedAfterSigned} on, though entries before it are: written without AGENT_AUDIT_KEY, or forged by someone without it`, w.unsignedAfterSigned);
  }
  if (w.unverifiable) {
    const { first, last, kids } = w.unverifiable;
    const range = first === last ? `entry #${first} is` : `entries #${first}–#${last} are`;
    const which = [...kids].join(', ');
    const base = { exitCode: 2 as const, count, mode, seq: first, notes };
    if (!key) return { ...base, problem: 'key-missing', message: `${range} signed with AGENT_AUDIT_KEY (key id ${which}), which is not set here: their links and the head outside match, their contents need the key; set AGENT_AUDIT_KEY (environment or .env) and verify again` };
    return { ...base, problem: 'key-mismatch', message: `${range} signed with a different AGENT_AUDIT_KEY (key id ${which}; the key set here has id ${keyId(key)}): set the key they were written with and verify again` };
  }
  const anchored = file.state === 'ok' ? `, ending at the head recorded outside (#${file.head.seq}${git?.state === 'ok' ? `; git checkpoint #${git.head.seq}` : ''})` : '';
  return { exitCode: 0, count, mode, message: `Audit chain intact: ${plural(count, 'entry', 'entries')} verified${anchored}`, notes };
}

/** Everything verify needs from outside the database, read for a state database at `db.path`. */
export function readAnchors(db: Pick<StateDb, 'path'>, fileName: string): Anchors {
  const file = headFileOf(db);
  const root = rootOf(db);
  return { file: file ? readHeadFile(file) : { state: 'missing' }, fileName, git: root ? readGitHead(root) : null };
}
