// The prompt's line editing as pure functions of (value, cursor): readline's keys (Ctrl-A/E/U/W/K,
// Home/End, Alt-B/F, Backspace, Delete, ←/→). A control character is never part of a line.

export interface LineState {
  value: string;
  cursor: number;
}

export type LineEdit =
  | 'left'
  | 'right'
  | 'home'
  | 'end'
  | 'wordLeft'
  | 'wordRight'
  | 'backspace'
  | 'delete'
  | 'killWordBack'
  | 'killToStart'
  | 'killToEnd';

/** Text as it may enter the line: control characters dropped, line breaks as spaces. */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n?|\n/g, ' ').replace(/[\x00-\x1f\x7f]|\x1b/g, '');
}

export function insertText(s: LineState, text: string): LineState {
  const t = cleanText(text);
  if (!t) return s;
  const c = clampCursor(s);
  return { value: s.value.slice(0, c) + t + s.value.slice(c), cursor: c + t.length };
}

function clampCursor(s: LineState): number {
  return Math.max(0, Math.min(s.value.length, s.cursor));
}

function wordStartBefore(v: string, c: number): number {
  let i = c;
  while (i > 0 && /\s/.test(v[i - 1]!)) i--;
  while (i > 0 && !/\s/.test(v[i - 1]!)) i--;
  return i;
}

function wordEndAfter(v: string, c: number): number {
  let i = c;
  while (i < v.length && /\s/.test(v[i]!)) i++;
  while (i < v.length && !/\s/.test(v[i]!)) i++;
  return i;
}

export function editLine(s: LineState, edit: LineEdit): LineState {
  const v = s.value;
  const c = clampCursor(s);
  switch (edit) {
    case 'left':
      return { value: v, cursor: Math.max(0, c - 1) };
    case 'right':
      return { value: v, cursor: Math.min(v.length, c + 1) };
    case 'home':
      return { value: v, cursor: 0 };
    case 'end':
      return { value: v, cursor: v.length };
    case 'wordLeft':
      return { value: v, cursor: wordStartBefore(v, c) };
    case 'wordRight':
      return { value: v, cursor: wordEndAfter(v, c) };
    case 'backspace':
      return c === 0 ? { value: v, cursor: 0 } : { value: v.slice(0, c - 1) + v.slice(c), cursor: c - 1 };
    case 'delete':
      return { value: v.slice(0, c) + v.slice(c + 1), cursor: c };
    case 'killWordBack': {
      const from = wordStartBefore(v, c);
      return { value: v.slice(0, from) + v.slice(c), cursor: from };
    }
    case 'killToStart':
      return { value: v.slice(c), cursor: 0 };
    case 'killToEnd':
      return { value: v.slice(0, c), cursor: c };
  }
}

/** The slice of a line that fits `width` cells with the cursor in view: [shown, cursor within it]. */
export function visibleWindow(s: LineState, width: number): { text: string; cursor: number } {
  const w = Math.max(1, width - 1); // one cell for the cursor past the end
  const c = clampCursor(s);
  const from = c >= w ? c - w + 1 : 0;
  return { text: s.value.slice(from, from + w), cursor: c - from };
}
