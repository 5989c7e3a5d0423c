// The one finding shape shared by the migration linter, the schema lints and `agent bugs scan --json`:
//
//   { ruleId, severity, file, line, object, message, fix, fixSql? }
//
//   ruleId    stable kebab-case id, e.g. `drop-column`, `require-concurrent-index-creation`
//   severity  'error' | 'warning' | 'info'
//   file      project-relative path of the migration (linter: always; schema lints: the migration
//             that created the object when it can be found, else absent)
//   line      1-based line in that file (same rule as file)
//   object    what it is about: `public.jobs`, `public.jobs.customer_id`, `public.jobs_customer_id_idx`
//   message   what is wrong, in one sentence
//   fix       what to do instead, in words
//   fixSql    schema lints: SQL that `agent migrate` could stage as the fix (when there is a safe one)
//
// Destructive findings (rule ids in DESTRUCTIVE_RULES) make a migration need the admin's approval.

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  ruleId: string;
  severity: Severity;
  file?: string;
  line?: number;
  object: string;
  message: string;
  fix: string;
  fixSql?: string;
}

/** A linter finding: always located in a file. */
export interface LintFinding extends Finding {
  file: string;
  line: number;
}

export const DESTRUCTIVE_RULES: ReadonlySet<string> = new Set(['drop-table', 'drop-column', 'drop-schema', 'truncate', 'delete-without-where', 'delete-rows', 'on-delete-cascade', 'ban-drop-database']);

export type ApprovalVerdict = { type: 'approval-required'; reasons: Finding[] } | { type: 'no-approval-needed' };

/** Pure: the approval decision for a migration's findings. */
export function approvalVerdict(findings: readonly Finding[]): ApprovalVerdict {
  const reasons = findings.filter((f) => DESTRUCTIVE_RULES.has(f.ruleId));
  return reasons.length ? { type: 'approval-required', reasons } : { type: 'no-approval-needed' };
}

/** Pure: true when any finding is destructive (drop table/column/schema, truncate, delete without where). */
export const requiresApproval = (findings: readonly Finding[]): boolean => approvalVerdict(findings).type === 'approval-required';

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Stable order: file, line, severity, rule. */
export function sortFindings<T extends Finding>(findings: T[]): T[] {
  return [...findings].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || RANK[a.severity] - RANK[b.severity] || a.ruleId.localeCompare(b.ruleId));
}

/** `file:line: severity rule-id object: message` (squawk-like one line per finding). */
export const formatFinding = (f: Finding): string => `${f.file ?? '(database)'}${f.line ? `:${f.line}` : ''}: ${f.severity} ${f.ruleId} ${f.object}: ${f.message}`;
