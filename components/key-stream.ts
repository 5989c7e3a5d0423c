// Splits what the terminal sent into single keys before anything routes them. A terminal (or tmux,
// or a fast typist) can deliver several keys in one read: Esc and q, three Backspaces, a word and
// its Enter. Read as one "key", Esc+q was taken for Alt-q and three DELs were inserted as text.
// Here every read becomes a list of keys; bracketed paste (ESC[200~ … ESC[201~) is one text key
// that never submits. Pure and stateful only across reads (a paste can span several). No ink here.
import { NO_KEY, type KeyInfo } from './keys.js';

export interface StreamKey {
  input: string;
  key: KeyInfo;
  /** Text from a bracketed paste: never a command key, never Enter. */
  paste?: boolean;
  /** ESC followed by a character in the same read: Alt-<char>, or Esc then <char> (the router decides). */
  escPrefixed?: boolean;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

const k = (input: string, over: Partial<KeyInfo> = {}): StreamKey => ({ input, key: { ...NO_KEY, ...over } });

/** CSI / SS3 final sequences the dashboard knows. */
function namedSequence(seq: string): StreamKey | null {
  const body = seq.replace(/^\x1b(\[|O)/, '');
  const mods = /^(?:1;(\d))?([A-DHF])$/.exec(body);
  if (mods) {
    const m = Number(mods[1] ?? 1) - 1;
    const over: Partial<KeyInfo> = { shift: !!(m & 1), meta: !!(m & 2), ctrl: !!(m & 4) };
    switch (mods[2]) {
      case 'A':
        return k('', { ...over, upArrow: true });
      case 'B':
        return k('', { ...over, downArrow: true });
      case 'C':
        return k('', { ...over, rightArrow: true });
      case 'D':
        return k('', { ...over, leftArrow: true });
      case 'H':
        return k('', { ...over, home: true });
      case 'F':
        return k('', { ...over, end: true });
    }
  }
  switch (body) {
    case '1~':
    case '7~':
      return k('', { home: true });
    case '4~':
    case '8~':
      return k('', { end: true });
    case '3~':
      return k('', { delete: true });
    case '5~':
      return k('', { pageUp: true });
    case '6~':
      return k('', { pageDown: true });
    case 'Z':
      return k('', { tab: true, shift: true });
  }
  return null;
}

/** One control character as a key. */
function controlKey(ch: string): StreamKey {
  const code = ch.charCodeAt(0);
  if (ch === '\r' || ch === '\n') return k('', { return: true });
  if (ch === '\t') return k('', { tab: true });
  if (ch === '\x7f' || ch === '\b') return k('', { backspace: true });
  if (code >= 1 && code <= 26) return k(String.fromCharCode(code + 96), { ctrl: true });
  return k('', {}); // NUL and the rest: nothing
}

export class KeyStream {
  private paste: string | null = null;
  private carry = '';

  /** The keys in one read, in order. */
  push(chunk: string): StreamKey[] {
    const out: StreamKey[] = [];
    let s = this.carry + chunk;
    this.carry = '';
    let i = 0;
    while (i < s.length) {
      if (this.paste !== null) {
        const end = s.indexOf(PASTE_END, i);
        if (end === -1) {
          // Keep a possible partial end marker for the next read.
          const keep = partialSuffix(s.slice(i), PASTE_END);
          this.paste += s.slice(i, s.length - keep);
          this.carry = s.slice(s.length - keep);
          return out;
        }
        this.paste += s.slice(i, end);
        out.push({ ...k(this.paste.replace(/\r\n?|\n/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')), paste: true });
        this.paste = null;
        i = end + PASTE_END.length;
        continue;
      }
      if (s.startsWith(PASTE_START, i)) {
        this.paste = '';
        i += PASTE_START.length;
        continue;
      }
      const ch = s[i]!;
      if (ch === '\x1b') {
        const next = s[i + 1];
        if (next === undefined) {
          out.push(k('', { escape: true }));
          i++;
          continue;
        }
        if (next === '[' || next === 'O') {
          const m = (next === '[' ? /^\x1b\[[0-9;]*[\x20-\x2f]*[\x40-\x7e]/ : /^\x1bO[\x40-\x7e]/).exec(s.slice(i));
          if (m) {
            out.push(namedSequence(m[0]) ?? k('', {}));
            i += m[0].length;
            continue;
          }
          if (/^\x1b(\[[0-9;]*|O)?$/.test(s.slice(i))) {
            // A sequence cut between reads.
            this.carry = s.slice(i);
            return out;
          }
        }
        if (next === '\x1b') {
          out.push(k('', { escape: true }));
          i++;
          continue;
        }
        // ESC + one key in the same read.
        const cp = s.codePointAt(i + 1)!;
        const len = cp > 0xffff ? 2 : 1;
        const rest = s.slice(i + 1, i + 1 + len);
        const inner = /[\x00-\x1f\x7f]/.test(rest) ? controlKey(rest) : k(rest);
        out.push({ input: inner.input, key: { ...inner.key, meta: true }, escPrefixed: true });
        i += 1 + len;
        continue;
      }
      if (/[\x00-\x1f\x7f]/.test(ch)) {
        out.push(controlKey(ch));
        i++;
        continue;
      }
      const cp = s.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      out.push(k(s.slice(i, i + len)));
      i += len;
    }
    return out;
  }
}

function partialSuffix(s: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, s.length); n > 0; n--) if (marker.startsWith(s.slice(-n))) return n;
  return 0;
}

/** Esc and a key in one read, as the two keys they were (the controller keeps Alt-B/F/Backspace whole at the prompt). */
export function splitEscPrefixed(k0: StreamKey): StreamKey[] {
  return [
    { input: '', key: { ...NO_KEY, escape: true } },
    { input: k0.input, key: { ...k0.key, meta: false } },
  ];
}
