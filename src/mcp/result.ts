// How a command's outcome reads as an MCP tool result. Pure; everything here is already redacted
// by the caller's redactDeep/redact.
//
// Approval behaviour: an action that waits for the admin is not an error of the tool (the request
// was recorded and stays pending), so the result has isError false, structuredContent
// {status: 'approval_required', approvalId, ...} and a text that says plainly that nothing was
// done and that only the admin can approve. Bad input, failed work and blocked gates are isError.
import { AgentError, ApprovalRequiredError, EXIT, exitCodeOf } from '../errors.js';

export interface ToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  [key: string]: unknown;
}

/** Keeps a reply within what a model should be handed in one go. */
export const MAX_TRANSCRIPT = 40_000;

export function successResult(data: unknown, exitCode: number, transcript: string): ToolResult {
  const content: ToolResult['content'] = [{ type: 'text', text: JSON.stringify(data ?? null, null, 2) }];
  const lines = clip(transcript.trim());
  if (lines) content.push({ type: 'text', text: lines });
  const result: ToolResult = { content };
  if (isPlainObject(data)) result.structuredContent = data;
  if (exitCode !== EXIT.ok) {
    result.isError = true;
    content.unshift({ type: 'text', text: `The command finished with exit code ${exitCode} (${describeExit(exitCode)}).` });
  }
  return result;
}

export function errorResult(err: unknown, message: string, transcript: string): ToolResult {
  const exitCode = exitCodeOf(err);
  const lines = clip(transcript.trim());
  if (err instanceof ApprovalRequiredError) {
    const text =
      `Approval required: ${err.action}. Nothing was done yet; the request is pending as ${err.approvalId}. ` +
      `Only the admin can approve it (\`agent approve ${err.approvalId}\` in a terminal, or the dashboard); this tool cannot approve. ` +
      `Tell the admin the approval id; \`approvals\` lists pending requests.`;
    return {
      content: [{ type: 'text', text }, ...(lines ? [{ type: 'text' as const, text: lines }] : [])],
      structuredContent: { status: 'approval_required', approvalId: err.approvalId, action: err.action, exitCode },
      isError: false,
    };
  }
  const code = err instanceof AgentError ? err.code : 'internal';
  const detail = err instanceof AgentError && err.detail ? err.detail : {};
  return {
    content: [{ type: 'text', text: `${code === 'usage' ? 'Invalid arguments' : 'Failed'}: ${message}` }, ...(lines ? [{ type: 'text' as const, text: lines }] : [])],
    structuredContent: { status: 'error', error: { code, message, ...detail }, exitCode },
    isError: true,
  };
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
