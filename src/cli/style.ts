// Terminal styling: colour only on a TTY and never under NO_COLOR (or --no-color).
export interface Style {
  readonly color: boolean;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function makeStyle(color: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    color,
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    red: wrap(31, 39),
    cyan: wrap(36, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export const SYMBOL: Record<string, string> = { ok: '✓', warn: '⚠', error: '✗', info: '', debug: '·' };

/** `[MIGRATOR] ✓ Created migration …` */
export function formatLine(style: Style, agent: string, level: string, message: string): string {
  const sym = SYMBOL[level] ?? '';
  const tint = level === 'ok' ? style.green : level === 'warn' ? style.yellow : level === 'error' ? style.red : (s: string) => s;
  return `${style.cyan(`[${agent}]`)} ${sym ? tint(sym) + ' ' : ''}${level === 'debug' ? style.dim(message) : message}`;
}

/** A plain table with column widths from the content; no box drawing on non-TTY output. */
export function table(headers: string[], rows: string[][], style: Style): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (s: string, i: number) => s + ' '.repeat(Math.max(0, widths[i]! - visibleLength(s)));
  const head = headers.map((h, i) => style.bold(pad(h, i))).join('  ').trimEnd();
  return [head, ...rows.map((r) => r.map((c, i) => pad(c, i)).join('  ').trimEnd())].join('\n');
}

export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}
