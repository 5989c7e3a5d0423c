// What BugHunter hands the fixing agents: a root cause and the schema finding behind it.

/** A schema finding in the migrator's shared finding shape. */
export interface SchemaFinding {
  ruleId: string;
  severity: string;
  object: string;
  message: string;
  fix?: string;
  fixSql?: string;
  file?: string;
  line?: number;
}

export type FixKind = 'mcp-tool' | 'foreign-key' | 'api-route' | 'env-var' | 'type-error' | 'schema' | 'logic';

/**
 * A logic cause (fix 'logic') is fixed only by CodeSmith's model loop; offline it is reported and
 * nothing is staged. Two kinds:
 * - located by the ticket's failing tests: its subject is the source file they point at, and its
 *   evidence carries each test as `<file>:<line>: failing test "<name>" …` (the form explain.ts
 *   writes). The fix must turn those tests green, and may not edit them.
 * - no failing test shows it: the symptom was reproduced elsewhere (`mcp-no-row:<tool>`, the MCP
 *   call that answered success without its row; summary names `public.<table>`, subject the file
 *   that registers the handler). The model first writes a test that reproduces the symptom, which
 *   must fail on HEAD (then it is frozen), and the fix must make that same test pass.
 */
export const FAILING_TEST_EVIDENCE = /^(\S+?\.(?:test|spec)\.[cm]?[jt]sx?)(?::\d+)*: failing test "(.+?)"/;

export interface RootCause {
  id: string;
  summary: string;
  fix: FixKind;
  /** The thing the fix is about: a tool name, `estimates.job_id -> jobs.id`, a route. */
  subject: string;
  evidence: string[];
  /** 0..100: how many independent signals point here, and whether they touch the ticket's terms. */
  confidence: number;
  fixSql?: string;
}
