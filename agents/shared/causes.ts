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

export type FixKind = 'mcp-tool' | 'foreign-key' | 'api-route' | 'env-var' | 'type-error' | 'schema';

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
