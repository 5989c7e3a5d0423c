// Splits a SQL file into statements with the line each starts on. Semicolons inside comments,
// string literals (including E'' escapes), quoted identifiers, dollar-quoted bodies and SQL-standard
// function bodies (BEGIN ATOMIC … END) do not split. Comments before a statement are not part of it;
// comments inside it are. Pure.
import { isIdentChar, opaqueAt } from './sql-lex.js';

export interface SqlStatement {
  /** The statement without its terminating semicolon, trimmed. */
  sql: string;
  /** 1-based line of its first character in the file. */
  line: number;
  endLine: number;
  /** Offsets into the file: [start, end) of `sql`. */
  start: number;
  end: number;
}

/** 1-based line of each offset, by binary search over line starts. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

export function splitSql(text: string): SqlStatement[] {
  const lineOf = lineIndex(text);
  const out: SqlStatement[] = [];
  let start = -1;
  let firstWord = '';
  let prevWord = '';
  let atomicDepth = 0;

  const finish = (endExclusive: number) => {
    if (start < 0) return;
    const raw = text.slice(start, endExclusive);
    const sql = raw.trimEnd();
    if (sql) out.push({ sql, line: lineOf(start), endLine: lineOf(start + sql.length - 1), start, end: start + sql.length });
    start = -1;
    firstWord = '';
    prevWord = '';
    atomicDepth = 0;
  };

  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const opaque = opaqueAt(text, i);
    if (opaque) {
      const isComment = opaque.kind === 'line-comment' || opaque.kind === 'block-comment';
      if (!isComment && start < 0) start = i;
      i = opaque.end;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === ';' && atomicDepth === 0) {
      finish(i);
      i++;
      continue;
    }
    if (start < 0) start = i;
    if (/[A-Za-z_]/.test(c) && !isIdentChar(text[i - 1])) {
      let j = i + 1;
      while (j < text.length && isIdentChar(text[j])) j++;
      const word = text.slice(i, j).toLowerCase();
      if (!firstWord) firstWord = word;
      if (atomicDepth === 0) {
        if (word === 'atomic' && prevWord === 'begin' && firstWord === 'create') atomicDepth = 1;
      } else if (word === 'case' || (word === 'begin' && prevWord !== 'atomic')) {
        atomicDepth++;
      } else if (word === 'end') {
        atomicDepth--;
      }
      prevWord = word;
      i = j;
      continue;
    }
    i++;
  }
  finish(text.length);
  return out;
}
