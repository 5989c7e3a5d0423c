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
