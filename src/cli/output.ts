// Renderers for a command's progress: human lines (with an optional spinner) or NDJSON events.
// Every byte goes through redact() here, the chokepoint before the terminal.
import { redact, redactDeep } from '../config/redact.js';
import type { Level, LineData, Reporter } from '../commands/types.js';
import type { EventInput, EventRow, StateDb } from '../store/state-db.js';
import { formatLine, type Style } from './style.js';

export interface Sink {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

// A reader that goes away (`agent fix ticket … | head -2`) closes the pipe: the next write fails
// with EPIPE, emitted as an 'error' event that would crash the process mid-run. Like other CLIs we
// stop writing to that stream; the work itself goes on and its run is recorded as usual.
const closed = { out: false, err: false };
let guarded = false;
function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', () => void (closed.out = true));
  process.stderr.on('error', () => void (closed.err = true));
}

/** True once stdout's reader has gone away (a closed pipe). */
export function stdoutClosed(): boolean {
  return closed.out || process.stdout.destroyed;
}

/** Writes to stdout unless its reader has gone away. */
export function writeStdout(text: string): void {
  guardStdio();
  if (!stdoutClosed()) process.stdout.write(text);
}

/**
 * Resolves once everything written to stdout and stderr has been handed to the OS. A pipe is
 * written asynchronously: process.exit() before this drops whatever its reader has not taken yet
 * (`agent tickets --json | slow-reader` got the first 64 KiB). A reader that has gone away
 * (EPIPE) ends the wait too.
 */
export function flushStdio(): Promise<void> {
  guardStdio();
  const flushed = (stream: NodeJS.WriteStream, isClosed: () => boolean) =>
    new Promise<void>((done) => {
      if (isClosed() || stream.destroyed || !stream.writable) return done();
      stream.once('error', () => done());
      // Writes complete in order: the callback of an empty write runs after every earlier one.
      stream.write('', () => done());
    });
  return Promise.all([flushed(process.stdout, () => closed.out), flushed(process.stderr, () => closed.err)]).then(() => undefined);
}

export const processSink: Sink = {
  out: (t) => writeStdout(redact(t)),
  err: (t) => {
    guardStdio();
    if (!closed.err && !process.stderr.destroyed) process.stderr.write(redact(t));
  },
  get isTTY() {
    return Boolean(process.stderr.isTTY && process.stdout.isTTY);
  },
};

export interface ReporterOptions {
  json: boolean;
  verbose: boolean;
  style: Style;
  sink: Sink;
  /** The project's state, when open: progress lines are persisted as events. */
  state?: () => StateDb | null;
  /** With json: printed text and spinner labels are records too ({type:'text'}, {type:'progress'}), for the dashboard that runs this command. */
  text?: boolean;
}

/** A progress line as the event every renderer reads back (the dashboard's reporter too). */
export function lineEvent(agent: string, level: Level, message: string, data?: LineData): EventInput {
  const { ticketId, runId, agentId, ...rest } = data ?? {};
  return {
    kind: 'line',
    level,
    agent,
    agentId: agentId ?? null,
    ticketId: ticketId ?? null,
    runId: runId ?? null,
    message,
    data: Object.keys(rest).length ? rest : undefined,
  };
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createReporter(opts: ReporterOptions): Reporter & { events: number; finish(): void } {
  const { sink, style } = opts;
  // --verbose: the debug events this process stores directly (run started, phase started, gate
  // passed) are shown as they happen, read back from the state in id order.
  const since = Date.now();
  const own = new Set<number>();
  let lastId = 0;
  const showEvent = (e: EventRow) => {
    // Phase and gate events name only the agent's id (bughunter-1); run events no agent at all.
    const speaker = e.agent ?? (e.agent_id ? e.agent_id.replace(/-\d+$/, '').toUpperCase() : 'ORCHESTRATOR');
    if (opts.json) {
      const data = e.data ? (JSON.parse(e.data) as unknown) : undefined;
      sink.out(
        JSON.stringify({
          type: 'event',
          id: e.id,
          ts: new Date(e.ts).toISOString(),
          agent: speaker,
          level: e.level,
          kind: e.kind,
          message: redact(e.message),
          ...(e.ticket_id ? { ticketId: e.ticket_id } : {}),
          ...(e.run_id ? { runId: e.run_id } : {}),
          ...(e.agent_id ? { agentId: e.agent_id } : {}),
          ...(data !== undefined && data !== null ? { data: redactDeep(data) } : {}),
        }) + '\n',
      );
      return;
    }
    clearSpinner();
    sink.out(formatLine(style, speaker, e.level, e.message) + '\n');
    drawSpinner();
  };
  const flushDebug = () => {
    const state = opts.verbose ? (opts.state?.() ?? null) : null;
    if (!state) return;
    const rows = state.events(lastId ? { afterId: lastId, levels: ['debug'] } : { sinceTs: since, levels: ['debug'] });
    for (const e of rows) {
      lastId = Math.max(lastId, e.id);
      if (e.pid === process.pid && !own.has(e.id)) showEvent(e);
    }
  };
  const timer = opts.verbose ? setInterval(flushDebug, 100) : null;
  timer?.unref();
  let spinnerLabel: string | null = null;
  let frame = 0;
  const clearSpinner = () => {
    if (spinnerLabel !== null) sink.err('\r\x1b[2K');
  };
  const drawSpinner = () => {
    if (spinnerLabel !== null) sink.err(`\r\x1b[2K${style.cyan(SPINNER[frame++ % SPINNER.length]!)} ${spinnerLabel}`);
  };
  const reporter = {
    json: opts.json,
    color: style.color,
    events: 0,
    line(agent: string, level: Level, message: string, data?: LineData) {
      const { ticketId, runId, agentId, ...rest } = data ?? {};
      flushDebug();
      const stored = opts.state?.()?.appendEvent(lineEvent(agent, level, message, data));
      if (stored && opts.verbose) own.add(stored.id);
      reporter.events++;
      if (opts.json) {
        const event = {
          type: 'event',
          id: stored?.id,
          ts: new Date(stored?.ts ?? Date.now()).toISOString(),
          agent,
          level,
          message: redact(message),
          ...(ticketId ? { ticketId } : {}),
          ...(runId ? { runId } : {}),
          ...(agentId ? { agentId } : {}),
          ...(Object.keys(rest).length ? { data: redactDeep(rest) } : {}),
        };
        sink.out(JSON.stringify(event) + '\n');
        return;
      }
      if (level === 'debug' && !opts.verbose) return;
      clearSpinner();
      sink.out(formatLine(style, agent, level, message) + '\n');
      drawSpinner();
    },
    print(text: string) {
      if (opts.json && opts.text) sink.out(JSON.stringify({ type: 'text', text: redact(text) }) + '\n');
      if (opts.json) return;
      clearSpinner();
      sink.out(text.endsWith('\n') ? text : text + '\n');
      drawSpinner();
    },
    /** The command is over: shows the last debug events (--verbose) and stops watching for more. */
    finish() {
      if (timer) clearInterval(timer);
      flushDebug();
    },
    async spin<T>(label: string, work: Promise<T>): Promise<T> {
      if (opts.json && opts.text) {
        sink.out(JSON.stringify({ type: 'progress', label: redact(label) }) + '\n');
        return work.finally(() => sink.out(JSON.stringify({ type: 'progress', label: null }) + '\n'));
      }
      if (opts.json || !sink.isTTY || spinnerLabel !== null) return work;
      spinnerLabel = label;
      drawSpinner();
      const timer = setInterval(drawSpinner, 120);
      try {
        return await work;
      } finally {
        clearInterval(timer);
        clearSpinner();
        spinnerLabel = null;
      }
    },
  };
  return reporter;
}
