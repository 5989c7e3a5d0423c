// Renderers for a command's progress: human lines (with an optional spinner) or NDJSON events.
// Every byte goes through redact() here, the chokepoint before the terminal.
import { redact, redactDeep } from '../config/redact.js';
import type { Level, LineData, Reporter } from '../commands/types.js';
import type { EventInput, StateDb } from '../store/state-db.js';
import { formatLine, type Style } from './style.js';

export interface Sink {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

export const processSink: Sink = {
  out: (t) => void process.stdout.write(redact(t)),
  err: (t) => void process.stderr.write(redact(t)),
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
  state: () => StateDb | null;
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

export function createReporter(opts: ReporterOptions): Reporter & { events: number } {
  const { sink, style } = opts;
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
      const stored = opts.state()?.appendEvent(lineEvent(agent, level, message, data));
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
      if (opts.json) return;
      clearSpinner();
      sink.out(text.endsWith('\n') ? text : text + '\n');
      drawSpinner();
    },
    async spin<T>(label: string, work: Promise<T>): Promise<T> {
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
