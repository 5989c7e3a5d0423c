// Between Ink and the terminal. Ink (in its debug mode) hands over each whole frame as plain rows;
// this writes only the rows that changed, each at its absolute position in the alternate screen,
// at most `maxFps` times a second (a token bucket with a burst of two, so a keypress right after
// a data-driven frame is not held back a whole frame interval), inside a synchronized update. Never a full clear per render,
// no relative cursor arithmetic to drift (Ink 6.8's incremental mode is off by one row with a
// trailing newline), and a resize simply repaints every row.
import { EventEmitter } from 'node:events';

const BSU = '\x1b[?2026h';
const ESU = '\x1b[?2026l';

interface Sink {
  write(data: string): unknown;
}

/** What Ink sees as its stdout: the terminal's size, and a write() that takes frames. */
export class FrameStream extends EventEmitter {
  readonly isTTY = true;
  constructor(
    private readonly owner: FrameWriter,
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write(data: string, cb?: (err?: Error | null) => void): boolean {
    this.owner.frame(String(data));
    cb?.();
    return true;
  }
}

export interface FrameStats {
  /** Frames written to the terminal. */
  writes: number;
  /** Frames Ink produced (some are coalesced by the cap). */
  frames: number;
  /** Bytes written to the terminal. */
  bytes: number;
}

export class FrameWriter {
  readonly stream: FrameStream;
  readonly stats: FrameStats = { writes: 0, frames: 0, bytes: 0 };
  /** Called after each write to the terminal (the bench times key-to-frame with it). */
  onWrite: ((rows: readonly string[]) => void) | null = null;
  private previous: string[] = [];
  private pending: string | null = null;
  private last: string | null = null;
  private tokens: number;
  private refilled = Date.now();
  private readonly burst: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly interval: number;

  constructor(
    private readonly out: Sink,
    size: { columns: number; rows: number },
    opts: { maxFps?: number; synchronized?: boolean; burst?: number } = {},
  ) {
    this.stream = new FrameStream(this, size.columns, size.rows);
    this.interval = Math.ceil(1000 / (opts.maxFps ?? 30));
    this.synchronized = opts.synchronized ?? true;
    this.burst = opts.burst ?? 2;
    this.tokens = this.burst;
  }

  private readonly synchronized: boolean;

  /** A whole frame from Ink. */
  frame(text: string): void {
    if (this.closed) return;
    this.stats.frames++;
    this.pending = text;
    this.last = text;
    if (this.timer) return;
    this.refill();
    if (this.tokens >= 1) this.flush();
    else this.timer = setTimeout(() => this.flush(), Math.ceil((1 - this.tokens) * this.interval));
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilled) / this.interval);
    this.refilled = now;
  }

  /** Writes the pending frame now (only its changed rows). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed || this.pending === null) return;
    const rows = this.pending.split('\n').slice(0, this.stream.rows);
    this.pending = null;
    let buf = '';
    const n = Math.max(rows.length, this.previous.length);
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (row === this.previous[i]) continue;
      buf += `\x1b[${i + 1};1H${row ?? ''}\x1b[0m\x1b[K`;
    }
    this.previous = rows;
    if (!buf) return;
    const data = this.synchronized ? BSU + buf + ESU : buf;
    this.out.write(data);
    this.refill();
    this.tokens = Math.max(0, this.tokens - 1);
    this.stats.writes++;
    this.stats.bytes += data.length;
    this.onWrite?.(rows);
  }

  /** The terminal changed size: clear it, forget what it showed, and tell Ink. */
  resize(columns: number, rows: number): void {
    if (this.closed) return;
    this.stream.columns = columns;
    this.stream.rows = rows;
    this.previous = [];
    this.out.write('\x1b[H\x1b[2J');
    // Repaint what was there at once; Ink re-renders for the new size right after.
    if (this.pending === null && this.last !== null) this.pending = this.last;
    this.flush();
    this.stream.emit('resize');
  }

  /** The rows the terminal shows now (as last written). */
  get screen(): readonly string[] {
    return this.previous;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closed = true;
  }
}
