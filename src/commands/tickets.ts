// create ticket, tickets, ticket <id>
import { UsageError } from '../errors.js';
import { appendAudit } from '../engine/audit.js';
import { externalRef, inferKind, titleOf } from '../engine/ticket-kind.js';
import type { TicketKind, TicketRow } from '../store/rows.js';
import { defineCommand } from './types.js';
import { formatEventLine, ticketView } from './views.js';
import { makeStyle, table } from '../cli/style.js';
import { printable } from '../cli/printable.js';
import { moreNote, pageInfo, pageOf, pagingFlags, pagingSchema } from './paging.js';

export const TICKET_KINDS = ['BUG', 'FEAT', 'MIG', 'OPS'] as const;
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
/** Rows `agent tickets` shows unless --limit says otherwise. */
export const TICKETS_PAGE = 1000;
export const TICKET_STATUSES = ['open', 'analyzing', 'in_progress', 'staged', 'approved', 'deployed', 'rolled_back', 'closed', 'failed'] as const;

export const createTicket = defineCommand({
  name: 'create ticket',
  summary: 'Create a work item from a description; its kind is inferred unless --kind is given',
  group: 'tickets',
  risk: 'write',
  args: [{ name: 'description', description: 'what is wrong or wanted, in plain words', required: true, variadic: true }],
  flags: [
    { name: 'kind', type: 'string', values: TICKET_KINDS, description: 'force the kind instead of inferring it' },
    { name: 'priority', type: 'string', values: PRIORITIES, description: 'queue priority (default normal)' },
  ],
  schema: (z) => z.object({
    description: z.string().check(z.minLength(3), z.maxLength(10_000)),
    kind: z.optional(z.enum(TICKET_KINDS)),
    priority: z.optional(z.enum(PRIORITIES)),
  }),
  keywords: ['ticket', 'new ticket', 'open a ticket', 'file a ticket', 'report', 'create a ticket'],
  examples: ['agent create ticket "AI estimates are generated but not persisting to database"', 'agent create ticket --kind MIG "add preferences table"'],
  async run(ctx, args) {
    const state = ctx.state();
    const now = Date.now();
    const kind: TicketKind = args.kind ?? inferKind(args.description);
    const ref = externalRef(args.description);
    const ticket = state.insertTicket({
      idPrefix: kind,
      kind,
      year: new Date(now).getUTCFullYear(),
      title: titleOf(args.description),
      description: args.description,
      status: 'open',
      priority: args.priority ?? 'normal',
      external_ref: ref && !/^(BUG|FEAT|MIG|OPS)-\d{4}-/.test(ref) ? ref : null,
      created_by: ctx.initiator,
      created_at: now,
      updated_at: now,
    });
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'ticket.create', target: ticket.id, result: 'created' });
    ctx.out.line('ORCHESTRATOR', 'ok', `Ticket created: ${ticket.id}${ticket.external_ref ? ` (ref ${ticket.external_ref})` : ''}`, {
      ticketId: ticket.id,
      kind,
      inferred: !args.kind,
    });
    return { data: { ticket: ticketView(ticket) } };
  },
});

export const listTickets = defineCommand({
  name: 'tickets',
  summary: 'List tickets, newest first, a page at a time (--limit, --offset)',
  group: 'tickets',
  risk: 'read',
  flags: [
    { name: 'status', type: 'string', values: TICKET_STATUSES, description: 'only tickets in this status' },
    { name: 'kind', type: 'string', values: TICKET_KINDS, description: 'only tickets of this kind' },
    ...pagingFlags(`at most N tickets (default ${TICKETS_PAGE})`, `skip the newest N (the next page: --offset ${TICKETS_PAGE})`),
  ],
  schema: (z) => z.object({ status: z.optional(z.enum(TICKET_STATUSES)), kind: z.optional(z.enum(TICKET_KINDS)), ...pagingSchema(z) }),
  keywords: ['tickets', 'list tickets', 'open tickets', 'work items'],
  examples: ['agent tickets --status open', 'agent tickets --kind BUG --json', 'agent tickets --limit 50 --offset 50'],
  async run(ctx, args) {
    const state = ctx.state();
    const filter = { status: args.status, kind: args.kind };
    const page = pageOf(args, TICKETS_PAGE);
    const rows = state.tickets({ ...filter, ...page });
    const info = pageInfo(state.countTickets(filter), page, rows.length);
    const style = makeStyle(ctx.out.color);
    if (!rows.length) {
      ctx.out.print(
        info.total === 0
          ? args.status || args.kind
            ? 'No tickets match.'
            : 'No tickets yet. Create one with `agent create ticket "<description>"`.'
          : `No tickets past --offset ${page.offset} (there are ${info.total.toLocaleString('en-US')}).`,
      );
    } else {
      ctx.out.print(
        table(
          ['ID', 'STATUS', 'PRIORITY', 'CREATED', 'TITLE'],
          rows.map((t) => [t.id, t.status, t.priority, new Date(t.created_at).toISOString().slice(0, 16).replace('T', ' '), t.title]),
          style,
        ),
      );
      const more = moreNote(info, rows.length);
      if (more) ctx.out.print(style.dim(more));
    }
    return { data: { tickets: rows.map(ticketView), ...info } };
  },
});

export const showTicket = defineCommand({
  name: 'ticket',
  summary: 'Show one ticket and its history of events',
  group: 'tickets',
  risk: 'read',
  args: [{ name: 'id', description: 'a ticket id such as BUG-2026-001 (or its external ref)', required: true, complete: 'ticket' }],
  schema: (z) => z.object({ id: z.string().check(z.minLength(1)) }),
  keywords: ['ticket', 'history', 'details'],
  examples: ['agent ticket BUG-2026-001'],
  async run(ctx, args) {
    const state = ctx.state();
    const t: TicketRow | undefined = state.ticket(args.id);
    if (!t) throw new UsageError(`${printable(args.id)}: no such ticket; see \`agent tickets\``);
    const events = state.events({ ticketId: t.id });
    const approvals = state.approvals({ ticketId: t.id });
    const runs = state.runs({ ticketId: t.id });
    const style = makeStyle(ctx.out.color);
    const lines = [
      `${style.bold(t.id)}  ${t.kind} · ${t.status} · ${t.priority} priority${t.external_ref ? ` · ref ${t.external_ref}` : ''}`,
      `Created ${new Date(t.created_at).toISOString()} by ${t.created_by}`,
      '',
      t.description,
      '',
      style.bold('History'),
      ...(events.length ? events.map((e) => '  ' + formatEventLine(e, style)) : ['  (no events)']),
    ];
    if (approvals.length) lines.push('', style.bold('Approvals'), ...approvals.map((a) => `  ${a.id}  ${a.status.padEnd(8)}  ${a.action}`));
    // Each agent's six phases (seed 6): its checklist items with their evidence, then the gate.
    const { agentPhases } = await import('../engine/run-gates.js');
    const agents = agentPhases(state, [...runs].reverse());
    if (agents.length) lines.push('', style.bold('Phases (checklist and evidence, then the gate)'));
    for (const a of agents) {
      lines.push(`  ${a.runId} ${a.command} · ${a.agentId} (${a.state})`);
      for (const p of a.phases) {
        lines.push(`    ${p.phase}${p.gate ? `: ${p.gate.ok ? style.green('gate passed') : style.red('gate BLOCKED')} ${p.gate.gate}: ${p.gate.detail}` : ': no gate decided (the agent stopped in this phase)'}`);
        for (const i of p.items) lines.push(`      ${i.ok ? style.green('✓') : style.red('✗')} ${i.item}: ${style.dim(i.evidence)}`);
      }
    }
    ctx.out.print(lines.join('\n'));
    return {
      data: {
        ticket: ticketView(t),
        history: events.map((e) => ({ id: e.id, ts: new Date(e.ts).toISOString(), kind: e.kind, level: e.level, agent: e.agent, message: e.message })),
        approvals: approvals.map((a) => ({ id: a.id, status: a.status, action: a.action, category: a.category })),
        runs: runs.map((r) => ({ id: r.id, command: r.command, status: r.status })),
        agents,
      },
    };
  },
});
