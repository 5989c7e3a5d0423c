// audit [--verify], audit verify
import { verifyChain } from '../engine/audit.js';
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
  const rows = ctx.state().audit();
  const verdict = verifyChain(rows);
  if (verdict.ok) ctx.out.line('AUDIT', 'ok', `Audit chain intact: ${verdict.count} entries verified`);
  else ctx.out.line('AUDIT', 'error', `Audit chain broken at entry #${verdict.seq}: ${verdict.reason}`);
  return { data: { verify: verdict }, exitCode: verdict.ok ? (0 as const) : (1 as const) };
}

export const audit = defineCommand({
  name: 'audit',
  summary: 'The audit trail (who, which agent, what, files, approval, result); --verify checks the hash chain',
  group: 'observe',
  flags: [
    { name: 'verify', type: 'boolean', description: 'recompute the SHA-256 chain and name the first tampered entry (exit 1)' },
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
  async run(ctx) {
    return verify(ctx);
  },
});
