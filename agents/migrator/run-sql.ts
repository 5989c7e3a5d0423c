// Runs a migration file statement by statement, timing each, and turns a failure into a diagnosis
// naming the file, the line and the reason. Shared by the shadow dry run (which keeps going past
// a failure, using a savepoint per statement) and by applyPending (which stops at the first one).
import type { Queryable } from '../../src/integrations/postgres/types.js';
import { pgErrorInfo } from '../../src/integrations/postgres/types.js';
import { splitSql, type SqlStatement } from './sql-split.js';
import { analyzeStatement } from './linter/statement.js';
import { redactClip } from '../../src/config/redact.js';
import { PGLITE_EXTENSIONS } from '../../src/integrations/postgres/extensions.js';
import { standInFor, standInDrop } from '../../src/integrations/postgres/supabase-shims.js';

/**
 * What the Supabase CLI does before each migration file: session settings a file changed
 * (`set_config('search_path', '', false)` in a `db pull` dump, `set role`, …) never reach the next.
 */
export const SESSION_RESET = 'reset all; set search_path to "$user", public, extensions';

export type DiagnosisCause = 'shadow-limitation' | 'follows-earlier-failure' | 'sql-error';

export interface Diagnosis {
  file: string;
  line: number;
  /** The statement's first line, for display. */
  statement: string;
  reason: string;
  cause: DiagnosisCause;
  code?: string;
  hint?: string;
  /** The extension the shadow lacks, when that explains the failure. */
  extension?: string;
}

export interface StatementRun {
  file: string;
  line: number;
  statement: string;
  ms: number;
  ok: boolean;
  skipped?: string;
  rowCount: number;
}

const firstLine = (sql: string) => {
  const l = sql.split('\n')[0] ?? '';
  return redactClip(l, 100); // a password in the statement is redacted whole, never cut
};

/** Pure: a migration that must run outside a transaction (its only statement is CONCURRENTLY). */
export function mustRunOutsideTransaction(sql: string): boolean {
  const sts = splitSql(sql);
  return sts.length === 1 && /\bconcurrently\b/.test(analyzeStatement((sts[0] as SqlStatement).sql).text) && /^\s*(create|drop|reindex)\b/i.test((sts[0] as SqlStatement).sql);
}

const UNDEFINED = new Set(['42P01', '3F000', '42883', '42704', '42703']);

/** Pure: the diagnosis for a failed statement. `earlier` is the first failure before it in the run, if any. */
export function diagnose(file: string, st: SqlStatement, err: unknown, earlier?: Diagnosis): Diagnosis {
  const info = pgErrorInfo(err);
  const line = info.position ? st.line + (st.sql.slice(0, info.position - 1).match(/\n/g)?.length ?? 0) : st.line;
  const d: Diagnosis = { file, line, statement: firstLine(st.sql), reason: info.message, cause: 'sql-error' };
  if (info.code) d.code = info.code;
  if (info.hint) d.hint = info.hint;
  const ext = /extension "([^"]+)" is not available|could not open extension control file ".*\/([^/"]+)\.control"/.exec(info.message);
  if (ext) {
    d.cause = 'shadow-limitation';
    d.extension = (ext[1] ?? ext[2]) as string;
    d.reason = `${info.message}: the embedded shadow database (PGlite) has no ${d.extension} extension, so this statement was skipped in the dry run; it still has to be checked on a real Supabase database`;
  } else if (earlier?.extension && info.code && UNDEFINED.has(info.code)) {
    // An object built on the missing extension (a geometry column, a call to one of its functions).
    d.cause = 'shadow-limitation';
    d.extension = earlier.extension;
    d.reason = `${info.message}: skipped, it depends on the ${earlier.extension} extension the shadow database lacks (${earlier.file}:${earlier.line}); not checked`;
  } else if (earlier && info.code && UNDEFINED.has(info.code)) {
    d.cause = 'follows-earlier-failure';
    d.reason = `${info.message} (probably because ${earlier.file}:${earlier.line} failed)`;
  }
  return d;
}

async function runOne(db: Queryable, sql: string): Promise<number> {
  try {
    return (await db.query(sql)).rowCount;
  } catch (err) {
    // A statement the extended protocol cannot prepare (several commands) runs as a simple query.
    if (/cannot insert multiple commands into a prepared statement/.test(pgErrorInfo(err).message)) {
      await db.exec(sql);
      return 0;
    }
    throw err;
  }
}

export interface FileRun {
  statements: StatementRun[];
  diagnoses: Diagnosis[];
  ms: number;
  transactional: boolean;
  /** Extensions PGlite lacks whose inert stand-in was installed in their place: not checked. */
  standIns: string[];
}

/** Pure: the extension a `create extension` / `drop extension` statement names, and its schema clause. */
export function extensionStatement(sql: string): { verb: 'create' | 'drop'; name: string; schema: string | null } | null {
  const text = analyzeStatement(sql).text.trim();
  const c = /^create\s+extension\s+(?:if\s+not\s+exists\s+)?("[^"]+"|[a-z_][a-z0-9_]*)(?:\s+(?:with\s+)?(?:schema\s+("[^"]+"|[a-z_][a-z0-9_]*))?)?/.exec(text);
  if (c) return { verb: 'create', name: (c[1] as string).replace(/"/g, ''), schema: c[2] ? c[2].replace(/"/g, '') : null };
  const d = /^drop\s+extension\s+(?:if\s+exists\s+)?("[^"]+"|[a-z_][a-z0-9_]*)\s*(?:cascade|restrict)?\s*;?\s*$/.exec(text);
  if (d) return { verb: 'drop', name: (d[1] as string).replace(/"/g, ''), schema: null };
  return null;
}

/**
 * Runs one file. keepGoing: each statement in a savepoint, failures diagnosed and skipped (shadow).
 * Otherwise the first failure throws a MigrationFailure after rolling the file back (real target).
 */
export async function runFile(
  db: Queryable & { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  file: string,
  sql: string,
  opts: {
    keepGoing: boolean;
    earlier?: Diagnosis;
    after?: (tx: Queryable) => Promise<void>;
    /** PGlite (shadow or embedded target): extensions it lacks get their inert stand-in (supabase-shims.ts). Never on a real server. */
    standIns?: boolean;
    /**
     * A replay (keepGoing): the whole file first in one round trip (session reset, BEGIN, the file,
     * COMMIT), statement by statement only when that fails, for the diagnoses. Its statements are
     * then not itemized (none timed): for replays, whose callers read only diagnoses and stand-ins.
     */
    batch?: boolean;
  },
): Promise<FileRun> {
  const statements = splitSql(sql);
  const out: FileRun = { statements: [], diagnoses: [], ms: 0, transactional: !mustRunOutsideTransaction(sql), standIns: [] };
  const t0 = performance.now();
  if (opts.batch && opts.keepGoing && out.transactional && !opts.after && batchable(statements, opts.standIns === true)) {
    try {
      await db.exec(`${SESSION_RESET};\nbegin;\n${sql}\n;\ncommit;`);
      out.ms = performance.now() - t0;
      return out;
    } catch {
      // Nothing of the file stays (its transaction is rolled back); the slow path below says why.
      await db.exec('rollback').catch(() => undefined);
    }
  }
  let earlier = opts.earlier;
  const exec = async (q: Queryable, st: SqlStatement, savepoint: boolean) => {
    const info = analyzeStatement(st.sql);
    if (info.kind === 'transaction' && out.transactional) {
      out.statements.push({ file, line: st.line, statement: firstLine(st.sql), ms: 0, ok: true, skipped: 'transaction control: the file already runs in one transaction', rowCount: 0 });
      return;
    }
    const s0 = performance.now();
    const ext = opts.standIns && (info.kind === 'create-extension' || info.kind === 'drop-other') ? extensionStatement(st.sql) : null;
    const standIn = ext && !PGLITE_EXTENSIONS.includes(ext.name) ? (ext.verb === 'create' ? standInFor(ext.name, ext.schema) : standInDrop(ext.name)) : null;
    try {
      if (savepoint) await q.exec('savepoint migrator_statement');
      if (standIn !== null && ext) {
        await q.exec(standIn);
        if (savepoint) await q.exec('release savepoint migrator_statement');
        if (ext.verb === 'create' && !out.standIns.includes(ext.name)) out.standIns.push(ext.name);
        out.statements.push({ file, line: st.line, statement: firstLine(st.sql), ms: performance.now() - s0, ok: true, skipped: `not checked: ${ext.name} (PGlite lacks it; an inert stand-in was ${ext.verb === 'create' ? 'installed' : 'removed'})`, rowCount: 0 });
        return;
      }
      const rowCount = await runOne(q, st.sql);
      if (savepoint) await q.exec('release savepoint migrator_statement');
      out.statements.push({ file, line: st.line, statement: firstLine(st.sql), ms: performance.now() - s0, ok: true, rowCount });
    } catch (err) {
      const d = diagnose(file, st, err, earlier);
      if (!opts.keepGoing) throw new MigrationFailure(d);
      if (savepoint) await q.exec('rollback to savepoint migrator_statement; release savepoint migrator_statement');
      earlier ??= d;
      out.diagnoses.push(d);
      out.statements.push({ file, line: st.line, statement: firstLine(st.sql), ms: performance.now() - s0, ok: false, rowCount: 0 });
    }
  };
  // Like the Supabase CLI: no session setting of an earlier file reaches this one.
  await db.exec(SESSION_RESET);
  if (out.transactional) {
    await db.transaction(async (tx) => {
      for (const st of statements) await exec(tx, st, opts.keepGoing);
      if (opts.after) await opts.after(tx);
    });
  } else {
    for (const st of statements) await exec(db, st, false);
    if (opts.after) await opts.after(db);
  }
  out.ms = performance.now() - t0;
  return out;
}

/** Pure: a file that can run in one round trip: no transaction control and no extension a stand-in replaces. */
function batchable(statements: readonly SqlStatement[], standIns: boolean): boolean {
  return statements.every((st) => {
    const info = analyzeStatement(st.sql);
    if (info.kind === 'transaction') return false;
    if (standIns && (info.kind === 'create-extension' || info.kind === 'drop-other')) {
      const ext = extensionStatement(st.sql);
      return !ext || PGLITE_EXTENSIONS.includes(ext.name);
    }
    return true;
  });
}

export class MigrationFailure extends Error {
  constructor(readonly diagnosis: Diagnosis) {
    super(`${diagnosis.file}:${diagnosis.line}: ${diagnosis.reason}`);
    this.name = 'MigrationFailure';
  }
}
