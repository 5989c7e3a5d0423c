// Text a user typed, made safe to echo in a message: control characters, ANSI escapes and bidi
// overrides become visible escapes, so an argument cannot clear the screen, recolour the
// terminal, move the cursor or reorder what the error line appears to say. Pure.

// C0 controls, DEL, C1 controls (0x9b alone starts a CSI sequence), bidi embeddings/overrides/isolates.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const UNPRINTABLE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line: every control character (newline too) shown as an escape: `\x1b[2J`, `\n`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/** A message that may span lines on purpose: like printable(), but newlines stay. */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE_BUT_NEWLINE, escape);
}
