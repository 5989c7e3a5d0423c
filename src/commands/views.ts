// Shapes shared by the human and JSON renderings of rows.
import type { EventRow, TicketRow } from '../store/rows.js';
import { formatLine, type Style } from '../cli/style.js';

export function ticketView(t: TicketRow) {
  return {
    id: t.id,
    kind: t.kind,
    status: t.status,
    priority: t.priority,
    title: t.title,
    description: t.description,
    externalRef: t.external_ref,
    createdBy: t.created_by,
    createdAt: new Date(t.created_at).toISOString(),
    updatedAt: new Date(t.updated_at).toISOString(),
  };
}

export function eventView(e: EventRow) {
  return {
    type: 'event' as const,
    id: e.id,
    ts: new Date(e.ts).toISOString(),
    kind: e.kind,
    level: e.level,
    agent: e.agent,
    agentId: e.agent_id,
    ticketId: e.ticket_id,
    runId: e.run_id,
    message: e.message,
    ...(e.data ? { data: JSON.parse(e.data) as unknown } : {}),
  };
}

export function clock(ts: number): string {
  return new Date(ts).toISOString().slice(11, 19);
}

export function formatEventLine(e: EventRow, style: Style): string {
  const tail = e.ticket_id ? style.dim(`  (${e.ticket_id})`) : '';
  return `${style.dim(clock(e.ts))} ${formatLine(style, e.agent ?? 'SYSTEM', e.level, e.message)}${tail}`;
}
