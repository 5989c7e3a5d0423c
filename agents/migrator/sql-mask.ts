// Masks what a pattern over SQL must not look inside: comments become spaces, string literals and
// dollar-quoted bodies keep their delimiters with blank contents, quoted identifiers stay. The
// result has the same length and the same line breaks, so an offset in it is an offset in the
// original. Pure.
import { opaqueAt } from './sql-lex.js';

const blank = (s: string) => s.replace(/[^\n]/g, ' ');

export function maskSql(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const o = opaqueAt(sql, i);
    if (!o) {
      out += sql[i];
      i++;
      continue;
    }
    const token = sql.slice(i, o.end);
    if (o.kind === 'identifier') out += token;
    else if (o.kind === 'line-comment' || o.kind === 'block-comment') out += blank(token);
    else out += token.slice(0, o.open) + blank(token.slice(o.open, token.length - o.close)) + token.slice(token.length - o.close);
    i = o.end;
  }
  return out;
}

/** ASCII lower-casing (keeps the length, unlike toLowerCase on some non-ASCII letters). */
export const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Comments removed and whitespace collapsed, for comparing statements. Strings are kept. */
export function normalizeStatement(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const o = opaqueAt(sql, i);
    if (!o) {
      out += sql[i];
      i++;
      continue;
    }
    if (o.kind === 'line-comment' || o.kind === 'block-comment') out += ' ';
    else out += sql.slice(i, o.end);
    i = o.end;
  }
  return out.replace(/\s+/g, ' ').replace(/\s*;\s*$/, '').trim();
}
