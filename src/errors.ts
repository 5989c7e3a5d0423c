// Every failure a command can end with maps to one exit code (DESIGN.md, "Exit codes").
// Handlers throw these; the CLI, the dashboard prompt and the MCP server translate them.

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  approvalRequired: 3,
  gateBlocked: 4,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class AgentError extends Error {
  readonly exitCode: ExitCode = EXIT.failed;
  readonly code: string = 'failed';
  /** Extra structured detail for --json consumers. */
  detail?: Record<string, unknown>;
}

/** Bad usage or input: exit 2, one line naming what was wrong and what would be right. */
export class UsageError extends AgentError {
  override readonly exitCode = EXIT.usage;
  override readonly code = 'usage';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** The work itself failed: exit 1. */
export class WorkFailedError extends AgentError {
  override readonly code = 'failed';
}

/** An action waits for the admin: exit 3 and name the approval id. */
export class ApprovalRequiredError extends AgentError {
  override readonly exitCode = EXIT.approvalRequired;
  override readonly code = 'approval_required';
  /** `typed`: the text the admin must pass with --confirm (typed confirmations). */
  constructor(readonly approvalId: string, readonly action: string, typed?: string) {
    super(`Approval required for ${action}: run \`agent approve ${approvalId}${typed ? ` --confirm ${typed}` : ''}\` (or \`agent reject ${approvalId}\`)`);
    this.detail = { approvalId, action, ...(typed ? { confirm: typed } : {}) };
  }
}

/** A quality gate of the six-phase protocol blocked the run: exit 4. */
export class GateBlockedError extends AgentError {
  override readonly exitCode = EXIT.gateBlocked;
  override readonly code = 'gate_blocked';
  constructor(readonly phase: string, readonly gate: string, readonly reason: string) {
    super(`Quality gate "${gate}" blocked the ${phase} phase: ${reason}`);
    this.detail = { phase, gate, reason };
  }
}

export class InterruptedError extends AgentError {
  override readonly exitCode = EXIT.interrupted;
  override readonly code = 'interrupted';
  constructor(message = 'Interrupted') {
    super(message);
  }
}

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof AgentError) return err.exitCode;
  if (err instanceof Error && err.name === 'AbortError') return EXIT.interrupted;
  return EXIT.failed;
}
