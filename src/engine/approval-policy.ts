// Seed section 7.2 as a pure decision: what needs the admin, and what must be typed to approve.

export const APPROVAL_CATEGORIES = [
  'databaseDestructive',
  'productionDeployment',
  'credentialChange',
  'agentConfigChange',
  'stagingDeployment',
  'codeGeneration',
  'emergency',
] as const;
export type ApprovalCategory = (typeof APPROVAL_CATEGORIES)[number];

export type Risk = 'low' | 'medium' | 'high' | 'critical';

export interface ApprovalRequest {
  category: ApprovalCategory;
  /** What will happen, in a few words: "deploy BUG-2026-001 to production". */
  action: string;
  ticketId?: string;
  runId?: string;
  summary?: string;
  /** Files, tables, targets the action touches. */
  touches?: string[];
  /** Results of the quality gates, shown in the dialog. */
  gates?: Array<{ gate: string; ok: boolean; detail: string }>;
  /** The command that carries the action out once approved (run by `agent approve`). */
  resume?: { command: string; args: Record<string, unknown> };
  /** Who asks: an agent or the admin's command. A model may ask; it may never decide. */
  requestedBy: string;
}

export interface ApprovalRecord {
  id: string;
  status: 'approved' | 'rejected' | 'pending' | 'expired';
  decidedBy: string | null;
  reason: string | null;
}

export type PolicyMap = Record<Exclude<ApprovalCategory, 'emergency'>, boolean>;

export type PolicyVerdict =
  | { type: 'auto-approve'; reason: string }
  | { type: 'ask-user'; risk: Risk; confirm: 'y/n' | 'typed'; reason: string };

const RISK: Record<ApprovalCategory, Risk> = {
  databaseDestructive: 'critical',
  productionDeployment: 'high',
  credentialChange: 'high',
  emergency: 'critical',
  agentConfigChange: 'medium',
  stagingDeployment: 'low',
  codeGeneration: 'low',
};

/** Actions whose approval must be confirmed by typing the ticket (or approval) id. */
const TYPED: ReadonlySet<ApprovalCategory> = new Set(['productionDeployment', 'databaseDestructive', 'emergency']);

export function decideApproval(category: ApprovalCategory, policy: PolicyMap): PolicyVerdict {
  // Emergency actions are never configurable: they always ask, with a typed confirmation.
  const required = category === 'emergency' ? true : policy[category];
  if (!required) return { type: 'auto-approve', reason: `policy: ${category} does not require approval` };
  return {
    type: 'ask-user',
    risk: RISK[category],
    confirm: TYPED.has(category) ? 'typed' : 'y/n',
    reason: `policy: ${category} requires approval`,
  };
}

/** Who may decide an approval. Models and agents never approve anything. */
export type Decider = { kind: 'admin' | 'dashboard' } | { kind: 'agent' | 'model' | 'mcp' };

export function mayDecide(decider: Decider): boolean {
  return decider.kind === 'admin' || decider.kind === 'dashboard';
}

/** The text that confirms a typed approval: the ticket id when there is one, else the approval id. */
export function confirmationText(approval: { id: string; ticket_id: string | null }): string {
  return approval.ticket_id ?? approval.id;
}

export function riskOf(category: ApprovalCategory): Risk {
  return RISK[category];
}

// ── The approvals of actions whose command decides them from its input ──────────────────────────
// Built here, once, so that every front door (CLI, dashboard prompt, MCP) asks the same thing:
// the commands call ctx.requireApproval with these, and the policy map above decides.

/** Changing what runs in an environment is a deployment to it, whichever command does it. */
export function deploymentCategory(target: string): ApprovalCategory {
  return target === 'production' ? 'productionDeployment' : 'stagingDeployment';
}

/**
 * `rollback` changes what runs in production as much as a deploy does (code and schema go back), so
 * it is a production deployment for the policy; `emergency rollback` asks as an emergency instead.
 * Null for a deployment already rolled back: there is nothing to approve (the command refuses it).
 */
export function rollbackRequest(dep: { id: string; target: string; status: string; ticket_id: string | null }, reason?: string): ApprovalRequest | null {
  if (dep.status === 'rolled_back') return null;
  return {
    category: deploymentCategory(dep.target),
    action: `roll back ${dep.id} (${dep.target}${dep.ticket_id ? `, ${dep.ticket_id}` : ''})`,
    ticketId: dep.ticket_id ?? undefined,
    touches: [dep.id],
    requestedBy: 'ORCHESTRATOR',
    resume: { command: 'rollback', args: { id: dep.id, ...(reason !== undefined ? { reason } : {}) } },
  };
}

/** Deleting recorded history is destructive: it waits for a typed approval like a destructive migration. */
export function purgeLogsRequest(olderThan: string, before: number): ApprovalRequest {
  return {
    category: 'databaseDestructive',
    action: `delete the events older than ${olderThan} (before ${new Date(before).toISOString()})`,
    touches: ['events'],
    requestedBy: 'ORCHESTRATOR',
    resume: { command: 'agents purge logs', args: { olderThan } },
  };
}

/**
 * A ticket's staged migrations belong to its deploy: `migrate execute` applying them to an
 * environment's database (production unless --env says otherwise) deploys that part of the ticket
 * there, so it asks what the deploy would ask. A set without a ticket (`agent migrate "<change>"`)
 * has no other way in: null, and only its destructive statements need approval.
 */
export function stagedMigrationRequest(
  set: { id: string; ticket_id: string | null },
  target: string,
  paths: readonly string[],
  resumeArgs: Record<string, unknown>,
  env = 'production',
): ApprovalRequest | null {
  if (!set.ticket_id) return null;
  return {
    category: deploymentCategory(env),
    action: `apply ${set.ticket_id}'s staged migration(s) ${paths.map((p) => p.replace(/^.*\//, '')).join(', ')} to ${target} outside its deploy`,
    ticketId: set.ticket_id,
    touches: [...paths],
    requestedBy: 'MIGRATOR',
    resume: { command: 'migrate execute', args: resumeArgs },
  };
}

/**
 * Does the approval a command is resumed with (by `agent approve`) cover this request of it? Its
 * own category, always. A deploy that needs two approvals (the deployment, then its destructive
 * migrations) asks for them one after the other, each approval resuming the same command; resumed
 * under the second, it must not ask for the first again (it asked, and was approved, to get there),
 * or the two requests would follow each other for ever. So a destructive-change approval covers
 * the rest of the very same resumed action (same command and arguments, same ticket), nothing else.
 */
export function preApprovalCovers(approved: { category: string; resume: string | null; ticket_id: string | null }, req: ApprovalRequest): boolean {
  if (approved.category === req.category) return true;
  if (approved.category !== 'databaseDestructive' || approved.resume === null || !req.resume) return false;
  return approved.resume === JSON.stringify(req.resume) && approved.ticket_id === (req.ticketId ?? null);
}

/**
 * issue 18: a tool of the admin's own MCP server that is not read-only changes that environment's
 * CRM data: in production it waits like a production deployment (typed confirmation), in staging the
 * staging policy decides; a tool the server marks destructive waits like a destructive change.
 * Read tools (readOnlyHint, or list_/get_/search_) need nothing: null.
 */
export function mcpToolRequest(tool: string, access: 'read' | 'write' | 'destructive', env: string, server: string, json: string): ApprovalRequest | null {
  if (access === 'read') return null;
  return {
    category: access === 'destructive' ? 'databaseDestructive' : deploymentCategory(env),
    action: `call the ${access} tool ${tool} of ${server} (${env})`,
    touches: [tool],
    summary: `arguments: ${json.slice(0, 500)}`,
    requestedBy: 'ORCHESTRATOR',
    resume: { command: 'mcp call', args: { tool, json, env } },
  };
}
