// Row shapes of the state database, as stored (JSON columns are strings).

export interface EventRow {
  id: number;
  ts: number;
  kind: string;
  level: string;
  agent: string | null;
  agent_id: string | null;
  ticket_id: string | null;
  run_id: string | null;
  message: string;
  data: string | null;
  pid: number;
}

export interface EventInput {
  ts?: number;
  kind: string;
  level: string;
  agent?: string | null;
  agentId?: string | null;
  ticketId?: string | null;
  runId?: string | null;
  message: string;
  data?: unknown;
}

export type TicketKind = 'BUG' | 'FEAT' | 'MIG' | 'OPS';
export type TicketStatus = 'open' | 'analyzing' | 'in_progress' | 'staged' | 'approved' | 'deployed' | 'rolled_back' | 'closed' | 'failed';

export interface TicketRow {
  id: string;
  kind: TicketKind;
  year: number;
  seq: number;
  title: string;
  description: string;
  status: TicketStatus;
  priority: string;
  external_ref: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'needs_approval' | 'succeeded' | 'failed' | 'blocked' | 'cancelled' | 'interrupted';

/** A run in one of these is still going; any other status is final. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting'];

export interface RunRow {
  id: string;
  ticket_id: string | null;
  command: string;
  status: RunStatus;
  priority: number;
  pid: number | null;
  heartbeat_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  resources: string;
  completed: string;
  error: string | null;
}

export type AgentState = 'starting' | 'running' | 'waiting' | 'done' | 'failed' | 'blocked' | 'cancelled' | 'interrupted';

/** An agent in one of these has not finished; the others are final and stay so. */
export const UNFINISHED_AGENT_STATES: readonly AgentState[] = ['starting', 'running', 'waiting'];

export interface AgentRow {
  id: string;
  run_id: string;
  ticket_id: string | null;
  type: string;
  state: AgentState;
  phase: string | null;
  started_at: number;
  finished_at: number | null;
}

export interface ChecklistRow {
  id: number;
  run_id: string;
  agent_id: string;
  phase: string;
  item: string;
  ok: number | boolean;
  evidence: string;
  ts: number;
}

export interface ApprovalRow {
  id: string;
  ticket_id: string | null;
  run_id: string | null;
  category: string;
  action: string;
  summary: string;
  risk: string;
  touches: string;
  gates: string;
  resume: string | null;
  confirm: string | null;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  requested_by: string;
  requested_at: number;
  decided_by: string | null;
  decided_at: number | null;
  reason: string | null;
  /** The process that asked; with `waiting` = 1 it carries the action out itself once approved. */
  requester_pid?: number | null;
  waiting?: number;
}

export interface DeploymentRow {
  id: string;
  ticket_id: string | null;
  target: string;
  status: string;
  started_at: number;
  finished_at: number | null;
  data: string;
  /** The process running it; a running deployment whose process is gone was interrupted. */
  pid?: number | null;
  /** The environment it deployed to (the target's database); older rows: null, read as target. */
  env?: string | null;
  /** The step under way (running) or where it stopped (interrupted, failed). */
  step?: string | null;
}

export interface AuditRow {
  seq: number;
  ts: number;
  initiator: string;
  agent: string;
  action: string;
  target: string | null;
  files: string;
  approval: string | null;
  result: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export interface HealthRow {
  name: string;
  status: 'ok' | 'not_configured' | 'failing';
  detail: string;
  checked_at: number;
}

export type ChangeSetStatus = 'staged' | 'approved' | 'deployed' | 'rejected' | 'rolled_back' | 'superseded';

export interface ChangeSetRow {
  id: string;
  ticket_id: string | null;
  dir: string;
  status: ChangeSetStatus;
  requires_approval: number;
  created_at: number;
  manifest: string;
}
