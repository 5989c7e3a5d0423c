// The state database is never silently new: before SQLite opens `.agent/state.db`, a file that is
// empty, not a database or read-only while the project shows history elsewhere (change sets in
// staged/, the embedded database in .agent/pgdata, the audit head in .agent/audit.head) is refused
// with the file's name and the way back. SQLite's own errors on the file get the same treatment.
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { AgentError } from '../errors.js';

/** The state file cannot be used as it is: exit 1, one line naming the file and the way back. */
export class StateFileError extends AgentError {
  override readonly code = 'state_file';
  constructor(readonly path: string, message: string) {
    super(message);
    this.detail = { path };
  }
}

export const AUDIT_HEAD_FILE = 'audit.head';
const SQLITE_HEADER = 'SQLite format 3\0';

/** How a path is shown: relative to the working directory when inside it, else absolute. */
export function showPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** What outside the state file shows the project has a past; empty when nothing does. */
export function historyOf(agentDir: string): string[] {
  const root = dirname(agentDir);
  const found: string[] = [];
  const staged = join(root, 'staged');
  if (existsSync(staged)) {
    let sets = 0;
    try {
      for (const e of readdirSync(staged, { withFileTypes: true })) if (e.isDirectory() && existsSync(join(staged, e.name, 'manifest.json'))) sets++;
    } catch {
      // unreadable: says nothing either way
    }
    if (sets) found.push(`staged/ holds ${sets} change set${sets === 1 ? '' : 's'}`);
  }
  if (nonEmptyDir(join(agentDir, 'pgdata'))) found.push(`${basename(agentDir)}/pgdata holds embedded databases`);
  const head = join(agentDir, AUDIT_HEAD_FILE);
  if (existsSync(head)) {
    const seq = headSeq(head);
    found.push(`${basename(agentDir)}/${AUDIT_HEAD_FILE} records ${seq === null ? 'an audit trail' : `${seq} audit entr${seq === 1 ? 'y' : 'ies'}`}`);
  }
  return found;
}

function nonEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length > 0;
  } catch {
    return false;
  }
}

function headSeq(path: string): number | null {
  try {
    const seq = (JSON.parse(readFileSync(path, 'utf8')) as { seq?: unknown }).seq;
    return typeof seq === 'number' ? seq : null;
  } catch {
    return null;
  }
}

function wayBack(shown: string, agentDir: string): string {
  const dir = basename(agentDir);
  return `restore ${shown} from a backup (move it aside, copy state.db from the newest ${dir}/backups/<id>/ in its place, then \`agent system restore from <id>\` puts that backup's database and audit head back too); to start a new history on purpose, move it and ${dir}/${AUDIT_HEAD_FILE} aside`;
}

/**
 * Throws StateFileError when the file at `path` must not be opened: cheap (a stat and, for an
 * existing file, its first 16 bytes), so every open pays it.
 */
export function checkStateFile(path: string): void {
  if (path === ':memory:' || path === '') return;
  const agentDir = dirname(path);
  const shown = showPath(path);
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StateFileError(path, `${shown} cannot be read: ${plainFsError(err)}`);
    // A missing file is new unless the audit head outside says entries were written to it.
    if (existsSync(join(agentDir, AUDIT_HEAD_FILE))) {
      throw new StateFileError(path, `${shown} is missing, but ${historyOf(agentDir).join(', ')}: it is not started afresh; ${wayBack(shown, agentDir)}`);
    }
    return;
  }
  if (!st.isFile()) throw new StateFileError(path, `${shown} is not a file; move it aside so the state database can be created there`);
  if (st.size === 0) {
    // SQLite may keep a new database's first pages in the write-ahead log for a while.
    const wal = `${path}-wal`;
    if (existsSync(wal) && statSync(wal).size > 0) return;
    const history = historyOf(agentDir);
    if (history.length) throw new StateFileError(path, `${shown} is empty (0 bytes), but ${history.join(', ')}: it is not started afresh; ${wayBack(shown, agentDir)}`);
    return;
  }
  if (readOnly(path, st.mode)) {
    throw new StateFileError(path, `${shown} is read-only: make it writable again (chmod u+w ${shown}) and check that you own it`);
  }
  if (!hasSqliteHeader(path)) {
    const history = historyOf(agentDir);
    throw new StateFileError(path, `${shown} is not a SQLite database (its first bytes are not SQLite's header)${history.length ? `, and ${history.join(', ')}` : ''}: ${wayBack(shown, agentDir)}`);
  }
}

function readOnly(path: string, mode: number): boolean {
  try {
    accessSync(path, constants.W_OK);
  } catch {
    return true;
  }
  // root may write anything; a file nobody may write is still meant to be left alone.
  return process.getuid?.() === 0 && (mode & 0o222) === 0;
}

function hasSqliteHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return n === 16 && buf.toString('latin1') === SQLITE_HEADER;
  } finally {
    closeSync(fd);
  }
}

function plainFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error).message;
}

// SQLite result codes that are about the file itself, in plain words.
const SQLITE_REASONS: Array<[RegExp, (shown: string, dir: string) => string]> = [
  [/^SQLITE_(NOTADB|CORRUPT)/, (shown, dir) => `${shown} is damaged (SQLite: database disk image is malformed): ${wayBack(shown, dir)}`],
  [/^SQLITE_READONLY/, (shown) => `${shown} cannot be written (read-only file, directory or file system): make it and its directory writable again`],
  [/^SQLITE_(CANTOPEN|PERM|AUTH)/, (shown, dir) => `${shown} cannot be opened: check that ${basename(dir)}/ and the file exist and are readable and writable by you`],
  [/^SQLITE_FULL/, (shown) => `${shown} cannot grow: the disk is full; free some space and run the command again`],
  [/^SQLITE_IOERR/, (shown) => `${shown} could not be read or written (I/O error): check the disk, then run the command again`],
  [/^SQLITE_(BUSY|LOCKED)/, (shown) => `${shown} stayed locked by another process for longer than the busy timeout; run the command again when it is done`],
];

/** A SQLite error about the state file as a StateFileError (its path and a plain reason); anything else unchanged. */
export function describeStateError(path: string, err: unknown): unknown {
  if (err instanceof StateFileError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  const match = SQLITE_REASONS.find(([re]) => re.test(code));
  if (!match) return err;
  const e = new StateFileError(path, match[1](showPath(path), dirname(path)));
  e.detail = { path, sqlite: code };
  return e;
}
