// The one small interface the migrator (and anything else doing database work) uses over the two
// real engines: PGlite (embedded, `.agent/pgdata`) and node-postgres (`DATABASE_URL`).

export type DbKind = 'pglite' | 'pg';

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned by a SELECT or changed by INSERT/UPDATE/DELETE; 0 for DDL. */
  rowCount: number;
}

/** What a connection and a transaction have in common. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs one or more statements without parameters (simple protocol). */
  exec(sql: string): Promise<void>;
}

export interface Pg extends Queryable {
  readonly kind: DbKind;
  /** Safe to show: never the connection string. E.g. `embedded PGlite (.agent/pgdata)`, `DATABASE_URL`. */
  readonly description: string;
  /** BEGIN … COMMIT around `fn`; ROLLBACK and rethrow when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The fields of a Postgres error both drivers expose (PGlite's DatabaseError and pg's). */
export interface PgErrorInfo {
  message: string;
  code?: string;
  /** 1-based character offset into the statement, when the server reported one. */
  position?: number;
  detail?: string;
  hint?: string;
}

export function pgErrorInfo(err: unknown): PgErrorInfo {
  const e = (err ?? {}) as { message?: unknown; code?: unknown; position?: unknown; detail?: unknown; hint?: unknown };
  const info: PgErrorInfo = { message: typeof e.message === 'string' ? e.message : String(err) };
  if (typeof e.code === 'string' && e.code) info.code = e.code;
  const pos = typeof e.position === 'string' ? Number(e.position) : e.position;
  if (typeof pos === 'number' && Number.isFinite(pos) && pos > 0) info.position = pos;
  if (typeof e.detail === 'string' && e.detail) info.detail = e.detail;
  if (typeof e.hint === 'string' && e.hint) info.hint = e.hint;
  return info;
}
