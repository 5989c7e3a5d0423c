// approvals, approve, reject
import { decide, requesterCarriesOn, resolveApproval, resumeOf } from '../engine/approvals.js';
import { noTerminal } from './emergency-access.js';
import { confirmationText } from '../engine/approval-policy.js';
import { makeStyle, table } from '../cli/style.js';
import type { ApprovalRow } from '../store/rows.js';
import { appendAudit } from '../engine/audit.js';
import { UsageError } from '../errors.js';
import { printable } from '../cli/printable.js';
import { defineCommand, type CommandContext } from './types.js';

export function approvalView(a: ApprovalRow) {
  return {
    id: a.id,
    status: a.status,
    category: a.category,
    action: a.action,
    summary: a.summary,
    risk: a.risk,
    ticketId: a.ticket_id,
    runId: a.run_id,
    touches: JSON.parse(a.touches) as string[],
    gates: JSON.parse(a.gates) as unknown[],
    confirm: a.confirm === 'typed' ? confirmationText(a) : 'y/n',
    resumable: a.resume !== null,
    requestedBy: a.requested_by,
    requestedAt: new Date(a.requested_at).toISOString(),
    decidedBy: a.decided_by,
    decidedAt: a.decided_at ? new Date(a.decided_at).toISOString() : null,
    reason: a.reason,
  };
}

export const approvals = defineCommand({
  name: 'approvals',
  summary: 'List approval requests (pending by default)',
  group: 'review',
  risk: 'read',
  flags: [{ name: 'all', type: 'boolean', description: 'include decided and expired requests' }],
  schema: (z) => z.object({ all: z.optional(z.boolean()) }),
  keywords: ['approvals', 'pending', 'waiting'],
  examples: ['agent approvals', 'agent approvals --all --json'],
  async run(ctx, args) {
    const rows = ctx.state().approvals(args.all ? {} : { status: 'pending' });
    if (!rows.length) ctx.out.print(args.all ? 'No approval requests yet.' : 'No pending approvals.');
    else
      ctx.out.print(
        table(
          ['ID', 'STATUS', 'RISK', 'TICKET', 'ACTION'],
          rows.map((a) => [a.id, a.status, a.risk, a.ticket_id ?? '-', a.action]),
          makeStyle(ctx.out.color),
        ),
      );
    return { data: { approvals: rows.map(approvalView) } };
  },
});

export const approve = defineCommand({
  name: 'approve',
  summary: 'Approve a pending request (by approval id, or a ticket with one pending request) and carry it out',
  group: 'review',
  risk: 'emergency',
  args: [
    { name: 'id', description: 'an approval id (APR-3) or a ticket id', required: true, complete: 'approval' },
    { name: 'action', description: '"deploy to staging" or "deploy to production": deploy the approved change set (also picks among several pending requests of a ticket)', variadic: true },
  ],
  flags: [
    { name: 'confirm', type: 'string', placeholder: 'TICKET-ID', description: 'the typed confirmation that production, destructive and emergency actions need' },
    { name: 'reason', type: 'string', placeholder: 'TEXT', description: 'why, for the audit trail' },
  ],
  schema: (z) => z.object({ id: z.string(), action: z.optional(z.string()), confirm: z.optional(z.string()), reason: z.optional(z.string()) }),
  keywords: ['approve', 'accept', 'go ahead', 'ship it'],
  examples: ['agent approve APR-3', 'agent approve BUG-2026-001', 'agent approve BUG-2026-001 deploy to staging', 'agent approve APR-4 --confirm BUG-2026-001'],
  async run(ctx, args) {
    checkActionWords(ctx, args.id, args.action);
    const state = ctx.state();
    const staged = stagedApproval(ctx, args.id, args.action);
    if (staged) return staged;
    const row = resolveApproval(state, args.id, args.action);
    // A sign-in link is shown only on a terminal: refused before the approval is spent.
    const noTty = resumeOf(row)?.command === 'emergency access' ? noTerminal(ctx) : null;
    if (noTty) throw new UsageError(`${row.id} stays pending: \`agent emergency access\` shows its link only on a terminal and ${noTty}; approve it there`);
    // The typed confirmation is --confirm alone: the id that names the request is not also its confirmation.
    const decided = decide(state, row.id, 'approved', { by: ctx.initiator, reason: args.reason ?? null, typed: args.confirm });
    ctx.out.line('ORCHESTRATOR', 'ok', `Approved ${decided.id}: ${decided.action}`, { ticketId: decided.ticket_id ?? undefined });
    const resumed = await resume(ctx, decided);
    return { data: { approval: approvalView(decided), resumed } };
  },
});

const ACTION = /^deploy\s+to\s+(staging|production)$/i;

/** Only the documented forms: `deploy to moon` must not approve anything (nor deploy to staging). */
function checkActionWords(ctx: CommandContext, id: string, words: string | undefined): void {
  if (words === undefined || ACTION.test(words.trim())) return;
  if (/^(?:not|no|never|don'?t)$/i.test(id)) throw new UsageError(`nothing was done: "approve ${printable(`${id} ${words}`)}" says not to approve`);
  // "approve deployment for AI-EST-142" (the seed's wording): the id comes last; say the one command that does it.
  const ref = /\d/.test(id) ? undefined : /\b[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-\d+\b/.exec(words)?.[0];
  if (ref) throw new UsageError(`"${printable(id)}" is not an approval or ticket id; type \`agent approve ${approveLine(ctx, ref)}\``);
  throw new UsageError(
    `\`agent approve ${id}\` does not take "${words}"; use \`agent approve ${id}\`, \`agent approve ${id} deploy to staging\` or \`agent approve ${id} deploy to production\``,
  );
}

/** The arguments that approve what `ref` names: its one pending request, or its staged set and the staging deploy. */
function approveLine(ctx: CommandContext, ref: string): string {
  const state = ctx.state();
  const ticket = state.ticket(ref);
  const pending = state.approval(ref) ? [state.approval(ref)!].filter((a) => a.status === 'pending') : ticket ? state.approvals({ status: 'pending', ticketId: ticket.id }) : [];
  const one = pending.length === 1 ? pending[0]! : null;
  if (one) return `${one.id}${one.confirm === 'typed' ? ` --confirm ${confirmationText(one)}` : ''}`;
  const cs = ticket && !pending.length ? state.changeSet(ticket.id) : undefined;
  if (cs && (cs.status === 'staged' || cs.status === 'approved')) return `${ticket!.id} deploy to staging`;
  return ticket?.id ?? ref;
}

/** Carries out the approved action: the command that asked, run again with the approval. */
async function resume(ctx: CommandContext, approval: ApprovalRow): Promise<unknown> {
  const resumed = resumeOf(approval);
  if (!resumed) return null;
  // The process that asked is still waiting for this decision: it carries the action out itself.
  if (requesterCarriesOn(approval)) {
    const who = approval.run_id ? `${approval.run_id} (process ${approval.requester_pid})` : `process ${approval.requester_pid}`;
    ctx.out.line('ORCHESTRATOR', 'info', `${who} was waiting for ${approval.id} and continues now`, { ticketId: approval.ticket_id ?? undefined });
    return null;
  }
  const { command, args } = resumed;
  ctx.out.line('ORCHESTRATOR', 'info', `Carrying out: agent ${command}`, { ticketId: approval.ticket_id ?? undefined });
  return (await ctx.dispatch(command, args, approval)).data ?? null;
}

export const reject = defineCommand({
  name: 'reject',
  summary: 'Reject a pending request; the waiting command stops',
  group: 'review',
  risk: 'write',
  args: [{ name: 'id', description: 'an approval id (APR-3) or a ticket id', required: true, complete: 'approval' }],
  flags: [{ name: 'reason', type: 'string', placeholder: 'TEXT', description: 'why, for the audit trail and the requester' }],
  schema: (z) => z.object({ id: z.string(), reason: z.optional(z.string()) }),
  keywords: ['reject', 'deny', 'decline'],
  examples: ['agent reject APR-3 --reason "not during business hours"'],
  async run(ctx, args) {
    const state = ctx.state();
    const row = resolveApproval(state, args.id);
    const decided = decide(state, row.id, 'rejected', { by: ctx.initiator, reason: args.reason ?? null });
    ctx.out.line('ORCHESTRATOR', 'warn', `Rejected ${decided.id}: ${decided.action}${args.reason ? ` (${args.reason})` : ''}`, { ticketId: decided.ticket_id ?? undefined });
    return { data: { approval: approvalView(decided) } };
  },
});

/**
 * "approve BUG-2026-001 [deploy to staging]": a ticket with no pending request but a staged
 * change set. Approving it marks the set approved and, when asked, deploys it.
 */
function stagedApproval(ctx: CommandContext, ref: string, words: string | undefined) {
  const state = ctx.state();
  const ticket = state.ticket(ref);
  if (!ticket || state.approvals({ status: 'pending', ticketId: ticket.id }).length) return null;
  const cs = state.changeSet(ticket.id);
  if (!cs || (cs.status !== 'staged' && cs.status !== 'approved')) return null;
  const target = (ACTION.exec(words?.trim() ?? '')?.[1]?.toLowerCase() ?? null) as 'staging' | 'production' | null;
  return (async () => {
    state.setChangeSetStatus(cs.id, 'approved');
    state.setTicketStatus(ticket.id, 'approved');
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'change-set.approve', target: cs.dir, approval: null, result: 'approved' });
    ctx.out.line('ORCHESTRATOR', 'ok', `Approved ${cs.dir} for ${ticket.id}`, { ticketId: ticket.id });
    if (!target) return { data: { changeSet: { id: cs.id, status: 'approved' } } };
    const result = await ctx.dispatch('deploy', { target, id: ticket.id });
    return { data: { changeSet: { id: cs.id, status: 'approved' }, deployment: (result.data as { deployment?: unknown } | undefined)?.deployment ?? null } };
  })();
}
