// audit [--verify], audit verify
import { relative } from 'node:path';
import { auditKey, headFileOf, readAnchors, verifyAudit } from '../engine/audit.js';
import { UsageError } from '../errors.js';
import { makeStyle, table } from '../cli/style.js';
import { defineCommand, type CommandContext } from './types.js';
import type { AuditRow } from '../store/rows.js';

function auditView(r: AuditRow) {
  return {
    seq: r.seq,
    ts: new Date(r.ts).toISOString(),
    initiator: r.initiator,
    agent: r.agent,
    action: r.action,
    target: r.target,
    files: JSON.parse(r.files) as string[],
    approval: r.approval,
    result: r.result,
    hash: r.hash,
  };
}

async function verify(ctx: CommandContext) {
  const state = ctx.state();
  const rows = state.audit();
  const key = auditKey(ctx.project.root);
  const report = verifyAudit(rows, readAnchors(state, relative(ctx.project.root, headFileOf(state) ?? '') || 'the head file'), key);
  const data = { verify: { ok: report.exitCode === 0, count: report.count, mode: report.mode, problem: report.problem ?? null, seq: report.seq ?? null, message: report.message, notes: report.notes } };
  // Signed entries whose key is not set here: not tampered, not verifiable either (exit 2, one line).
  if (report.exitCode === 2) {
    const err = new UsageError(`agent audit --verify: ${report.message}`);
    err.detail = data;
    throw err;
  }
  ctx.out.line('AUDIT', report.exitCode === 0 ? 'ok' : 'error', `${report.message} — ${report.mode}`);
  for (const note of report.notes) ctx.out.line('AUDIT', 'info', note);
  return { data, exitCode: report.exitCode };
}

export const audit = defineCommand({
  name: 'audit',
  summary: 'The audit trail (who, which agent, what, files, approval, result); --verify checks the hash chain',
  group: 'observe',
  risk: 'read',
  flags: [
    { name: 'verify', type: 'boolean', description: 'recompute the hash chain, check it against the head recorded outside the state database, name what was edited or cut (exit 1)' },
    { name: 'limit', type: 'string', placeholder: 'N', description: 'only the last N entries (default 50)' },
  ],
  schema: (z) => z.object({ verify: z.optional(z.boolean()), limit: z.optional(z.string().check(z.regex(/^[1-9]\d*$/, 'a positive whole number'))) }),
  keywords: ['audit', 'trail', 'who did'],
  examples: ['agent audit', 'agent audit --verify'],
  async run(ctx, args) {
    if (args.verify) return verify(ctx);
    const rows = ctx.state().audit();
    const last = rows.slice(-Number(args.limit ?? 50));
    if (!last.length) ctx.out.print('The audit trail is empty.');
    else
      ctx.out.print(
        table(
          ['#', 'TIME', 'BY', 'AGENT', 'ACTION', 'TARGET', 'APPROVAL', 'RESULT'],
          last.map((r) => [String(r.seq), new Date(r.ts).toISOString().slice(0, 19).replace('T', ' '), r.initiator, r.agent, r.action, r.target ?? '-', r.approval ?? '-', r.result]),
          makeStyle(ctx.out.color),
        ),
      );
    return { data: { entries: last.map(auditView), total: rows.length } };
  },
});

export const auditVerify = defineCommand({
  name: 'audit verify',
  summary: 'Same as `agent audit --verify`',
  group: 'observe',
  risk: 'read',
  async run(ctx) {
    return verify(ctx);
  },
});
