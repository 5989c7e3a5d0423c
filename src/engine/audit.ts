// The audit trail (seed 7.3): every action, SHA-256 hash-chained so any edit is detectable.
import { redact, redactDeep } from '../config/redact.js';
import type { AuditRow, StateDb } from '../store/state-db.js';

export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  initiator: string;
  agent: string;
  action: string;
  target?: string | null;
  files?: string[];
  approval?: string | null;
  result: string;
  detail?: unknown;
}

type Hashed = Omit<AuditRow, 'hash'>;

export function hashRow(row: Hashed): string {
  const canonical = JSON.stringify([
    row.seq, row.ts, row.initiator, row.agent, row.action, row.target, row.files, row.approval, row.result, row.detail, row.prev_hash,
  ]);
  // node:crypto costs ~4 ms to load; only commands that write or verify the chain pay for it.
  const { createHash } = process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(canonical).digest('hex');
}

export function appendAudit(db: StateDb, entry: AuditEntry): AuditRow {
  return db.tx(() => {
    const last = db.lastAudit();
    const base: Hashed = {
      seq: (last?.seq ?? 0) + 1,
      ts: Date.now(),
      initiator: redact(entry.initiator),
      agent: redact(entry.agent),
      action: redact(entry.action),
      target: entry.target ? redact(entry.target) : null,
      files: JSON.stringify(redactDeep(entry.files ?? [])),
      approval: entry.approval ?? null,
      result: redact(entry.result),
      detail: entry.detail === undefined ? null : JSON.stringify(redactDeep(entry.detail)),
      prev_hash: last?.hash ?? GENESIS,
    };
    const row: AuditRow = { ...base, hash: hashRow(base) };
    db.insertAudit(row);
    return row;
  });
}

export type AuditVerdict =
  | { ok: true; count: number }
  | { ok: false; count: number; seq: number; reason: string };

/** Pure: walks the chain in order and names the first entry that does not match. */
export function verifyChain(rows: readonly AuditRow[]): AuditVerdict {
  let prev = GENESIS;
  let expectedSeq = 1;
  for (const row of rows) {
    if (row.seq !== expectedSeq) {
      return { ok: false, count: rows.length, seq: expectedSeq, reason: `entry #${expectedSeq} is missing (next is #${row.seq})` };
    }
    if (row.prev_hash !== prev) {
      return { ok: false, count: rows.length, seq: row.seq, reason: `entry #${row.seq} does not link to entry #${row.seq - 1} (an entry was edited, inserted or removed)` };
    }
    const { hash, ...rest } = row;
    if (hashRow(rest) !== hash) {
      return { ok: false, count: rows.length, seq: row.seq, reason: `entry #${row.seq} was modified after it was written (hash mismatch)` };
    }
    prev = hash;
    expectedSeq++;
  }
  return { ok: true, count: rows.length };
}
