// Types that pass between agents, owned by none of them: what a test run found, and the columns
// of the schema the migrations build. Agents import these from here, never from a sibling agent.

/** A failing test, as the project's test reporter printed it. */
export interface TestFailure {
  file: string;
  name: string;
  message: string;
  /** file:line of the failing assertion when the reporter printed one. */
  location: string | null;
  /** file:line of the stack frames outside the test file (the code the failure passed through), innermost first; absent when there are none. */
  frames?: string[];
}

/** One test file's line in a run's summary. */
export interface FileResult {
  tests: number | null;
  failed: number | null;
  skipped: number | null;
}

/** A test run on a clean tree at HEAD: what a later run of the same commit can carry over. */
export interface TestBaseline {
  sha: string;
  command: string;
  files: Record<string, FileResult>;
  failures: TestFailure[];
}

/** A table's column as information_schema reports it. */
export interface Column {
  name: string;
  /** Postgres type as information_schema reports it: uuid, integer, text, jsonb, … */
  type: string;
  nullable: boolean;
  hasDefault: boolean;
  defaultText: string | null;
}
