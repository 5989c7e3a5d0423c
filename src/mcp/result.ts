// How a command's outcome reads as an MCP tool result. Pure; everything here is already redacted
// by the caller's redactDeep/redact.
//
// Every result carries the same thing twice: as text (what a person would read on the CLI: the
// command's lines and blocks, its warnings, the approval explanation, the usage line of a bad
// call) and as structuredContent matching OUTPUT_SCHEMA, whose `summary` is that same text. Some
// clients (Claude Code) hand the model only the structured content; others only the text.
//
// Approval behaviour: an action that waits for the admin is not an error of the tool (the request
// was recorded and stays pending), so the result has isError false, status 'approval_required', the
// approval id and the exact command the admin runs, and a text that says plainly that nothing was
// done and that only the admin can approve. Bad input, failed work and blocked gates are isError.
import { AgentError, ApprovalRequiredError, EXIT, exitCodeOf } from '../errors.js';

export interface ToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent: ToolOutput;
  isError?: boolean;
  [key: string]: unknown;
}

export type ToolStatus = 'ok' | 'failed' | 'approval_required' | 'error';

export interface ApprovalInfo {
  id: string;
  action: string;
  /** The policy's category (productionDeployment, emergency, …) and risk, when the request is found. */
  category: string | null;
  risk: string | null;
  /** What `--confirm` must be for a typed approval; null for a y/n one. */
  confirm: string | null;
  /** The exact command the admin runs to approve, and the one to reject. */
  command: string;
  reject: string;
}

export interface ToolOutput {
  [key: string]: unknown;
  status: ToolStatus;
  exitCode: number;
  /** The text a person would read on the CLI (the same as the result's first text block). */
  summary: string;
  /** The warning and error lines among it (⚠ and ✗), so that none is missed. */
  warnings: string[];
  /** What `agent <command> --json` gives as `data`; null when the command ended without any. */
  data: Record<string, unknown> | null;
  approval?: ApprovalInfo;
  error?: { code: string; message: string; usage?: string; [key: string]: unknown };
}

/** Keeps a reply within what a model should be handed in one go. */
export const MAX_TRANSCRIPT = 40_000;

const STRING = { type: 'string' } as const;
const NULLABLE_STRING = { type: ['string', 'null'] } as const;

/** The JSON Schema of every tool's structuredContent (MCP's outputSchema). */
export const OUTPUT_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'failed', 'approval_required', 'error'], description: 'ok; failed (the command ran and exited non-zero); approval_required (nothing was done; only the admin can approve); error (bad input or the work failed)' },
    exitCode: { type: 'integer', description: 'the exit code `agent` would have ended with: 0 ok, 1 failed, 2 bad input, 3 approval required, 4 gate blocked, 130 interrupted' },
    summary: { type: 'string', description: 'what a person reads on the command line: lines, warnings, the approval explanation, the usage line' },
    warnings: { type: 'array', items: STRING, description: 'the warning and error lines of the summary' },
    data: { type: ['object', 'null'], description: 'what `agent <command> --json` returns as data' },
    approval: {
      type: 'object',
      properties: { id: STRING, action: STRING, category: NULLABLE_STRING, risk: NULLABLE_STRING, confirm: NULLABLE_STRING, command: STRING, reject: STRING },
      required: ['id', 'action', 'category', 'risk', 'confirm', 'command', 'reject'],
      additionalProperties: false,
    },
    error: { type: 'object', properties: { code: STRING, message: STRING, usage: STRING }, required: ['code', 'message'] },
  },
  required: ['status', 'exitCode', 'summary', 'warnings', 'data'],
  additionalProperties: false,
  oneOf: [
    { properties: { status: { const: 'ok' }, exitCode: { const: 0 } }, not: { anyOf: [{ required: ['approval'] }, { required: ['error'] }] } },
    { properties: { status: { const: 'failed' }, exitCode: { minimum: 1 } }, not: { anyOf: [{ required: ['approval'] }, { required: ['error'] }] } },
    { properties: { status: { const: 'approval_required' }, exitCode: { const: EXIT.approvalRequired }, data: { type: 'null' } }, required: ['approval'], not: { required: ['error'] } },
    { properties: { status: { const: 'error' }, exitCode: { minimum: 1 }, data: { type: 'null' } }, required: ['error'], not: { required: ['approval'] } },
  ],
} as const;

export interface Said {
  /** Everything the command printed, in order, as on the CLI. */
  transcript: string;
  /** Its warning and error lines. */
  warnings: string[];
}

export function successResult(data: unknown, exitCode: number, said: Said, command: string): ToolResult {
  const lines = said.transcript.trim();
  const failed = exitCode !== EXIT.ok;
  const summary = clip(
    [failed ? `The command finished with exit code ${exitCode} (${describeExit(exitCode)}).` : '', lines || (failed ? '' : `\`agent ${command}\` finished (exit 0).`)].filter(Boolean).join('\n'),
  );
  const structured: ToolOutput = { status: failed ? 'failed' : 'ok', exitCode, summary, warnings: said.warnings, data: asObject(data) };
  return withText(structured, failed);
}

/**
 * A command that threw. `approval` describes the pending request of an ApprovalRequiredError
 * (looked up by the caller); `usage` is the command's usage line, shown for bad input.
 */
export function errorResult(err: unknown, message: string, said: Said, opts: { approval?: Omit<ApprovalInfo, 'command' | 'reject'>; usage?: string } = {}): ToolResult {
  const exitCode = exitCodeOf(err);
  const lines = said.transcript.trim();
  if (err instanceof ApprovalRequiredError) {
    const confirm = opts.approval?.confirm ?? ((err.detail?.confirm as string | undefined) ?? null);
    const approval: ApprovalInfo = {
      id: err.approvalId,
      action: err.action,
      category: opts.approval?.category ?? null,
      risk: opts.approval?.risk ?? null,
      confirm,
      command: `agent approve ${err.approvalId}${confirm ? ` --confirm ${confirm}` : ''}`,
      reject: `agent reject ${err.approvalId}`,
    };
    const explanation =
      `Approval required: ${err.action}. Nothing was done; the request is pending as ${err.approvalId}` +
      `${approval.category ? ` (${approval.category}${approval.risk ? `, ${approval.risk} risk` : ''})` : ''}. ` +
      `Only the admin can approve it, in a terminal with \`${approval.command}\` or in the dashboard; this tool cannot approve, and neither can you. ` +
      `Tell the admin the approval id; \`approvals\` lists pending requests.`;
    return withText({ status: 'approval_required', exitCode, summary: clip([explanation, lines].filter(Boolean).join('\n\n')), warnings: said.warnings, data: null, approval }, false);
  }
  const code = err instanceof AgentError ? err.code : 'internal';
  const detail = err instanceof AgentError && err.detail ? err.detail : {};
  const usage = code === 'usage' && opts.usage ? opts.usage : undefined;
  const head = `${code === 'usage' ? 'Invalid arguments' : 'Failed'}: ${message}`;
  const summary = clip([head, usage ? `usage: ${usage}` : '', lines].filter(Boolean).join('\n'));
  return withText({ status: 'error', exitCode, summary, warnings: said.warnings, data: null, error: { ...detail, code, message, ...(usage ? { usage } : {}) } }, true);
}

/** The summary as the first text block; the data as JSON after it, for clients that read text only. */
function withText(structured: ToolOutput, isError: boolean): ToolResult {
  const content: ToolResult['content'] = [{ type: 'text', text: structured.summary }];
  if (structured.data !== null) content.push({ type: 'text', text: clip(JSON.stringify(structured.data, null, 2)) });
  return { content, structuredContent: structured, isError };
}

function describeExit(code: number): string {
  switch (code) {
    case EXIT.failed:
      return 'the work failed';
    case EXIT.usage:
      return 'bad input';
    case EXIT.approvalRequired:
      return 'approval required';
    case EXIT.gateBlocked:
      return 'a quality gate blocked';
    case EXIT.interrupted:
      return 'interrupted';
    default:
      return 'not ok';
  }
}

function clip(text: string): string {
  return text.length > MAX_TRANSCRIPT ? `${text.slice(0, MAX_TRANSCRIPT)}\n… (${text.length - MAX_TRANSCRIPT} more characters; run the command in a shell for the rest)` : text;
}

/** Commands return objects; anything else (none do today) is kept under `value`. */
function asObject(data: unknown): Record<string, unknown> | null {
  if (data === undefined || data === null) return null;
  return typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : { value: data };
}
