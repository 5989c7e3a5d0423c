// The lexical pieces of SQL that can hide a semicolon or a keyword: comments, string literals,
// quoted identifiers and dollar-quoted bodies. Shared by the splitter and the masker. Pure.

export type OpaqueKind = 'line-comment' | 'block-comment' | 'string' | 'identifier' | 'dollar';

export interface Opaque {
  kind: OpaqueKind;
  /** Index just past the token (the text's length when it is unterminated). */
  end: number;
  /** Length of the opening delimiter (`'`, `E'`, `$tag$`, `--`, `/*`) and of the closing one. */
  open: number;
  close: number;
}

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

export const isIdentChar = (c: string | undefined): boolean => c !== undefined && IDENT_CHAR.test(c);

/** The opaque token starting at `i`, or null when `text[i]` starts ordinary SQL. */
export function opaqueAt(text: string, i: number): Opaque | null {
  const c = text[i];
  const next = text[i + 1];
  if (c === '-' && next === '-') {
    const nl = text.indexOf('\n', i + 2);
    return { kind: 'line-comment', end: nl === -1 ? text.length : nl, open: 2, close: 0 };
  }
  if (c === '/' && next === '*') {
    let depth = 1;
    let j = i + 2;
    while (j < text.length && depth > 0) {
      if (text[j] === '/' && text[j + 1] === '*') {
        depth++;
        j += 2;
      } else if (text[j] === '*' && text[j + 1] === '/') {
        depth--;
        j += 2;
      } else j++;
    }
    return { kind: 'block-comment', end: j, open: 2, close: depth === 0 ? 2 : 0 };
  }
  if (c === "'" || ((c === 'e' || c === 'E') && next === "'" && !isIdentChar(text[i - 1]))) {
    const escapes = c !== "'";
    let j = i + (escapes ? 2 : 1);
    while (j < text.length) {
      const d = text[j];
      if (escapes && d === '\\') j += 2;
      else if (d === "'" && text[j + 1] === "'") j += 2;
      else if (d === "'") return { kind: 'string', end: j + 1, open: escapes ? 2 : 1, close: 1 };
      else j++;
    }
    return { kind: 'string', end: text.length, open: escapes ? 2 : 1, close: 0 };
  }
  if (c === '"') {
    let j = i + 1;
    while (j < text.length) {
      if (text[j] === '"' && text[j + 1] === '"') j += 2;
      else if (text[j] === '"') return { kind: 'identifier', end: j + 1, open: 1, close: 1 };
      else j++;
    }
    return { kind: 'identifier', end: text.length, open: 1, close: 0 };
  }
  if (c === '$' && !isIdentChar(text[i - 1])) {
    DOLLAR_TAG.lastIndex = i;
    const m = DOLLAR_TAG.exec(text);
    if (m) {
      const tag = m[0];
      const close = text.indexOf(tag, i + tag.length);
      if (close === -1) return { kind: 'dollar', end: text.length, open: tag.length, close: 0 };
      return { kind: 'dollar', end: close + tag.length, open: tag.length, close: tag.length };
    }
  }
  return null;
}
