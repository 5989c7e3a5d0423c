// The Reporter a tool call runs with: lines are persisted as events (like the CLI's, so the
// dashboard sees MCP-started work), collected for the tool result, and forwarded to the client
// as notifications. Nothing is written to stdout: that belongs to the protocol.
import { createReporter } from '../cli/output.js';
import { formatLine, makeStyle } from '../cli/style.js';
import type { Level, LineData, Reporter } from '../commands/types.js';
import type { StateDb } from '../store/state-db.js';

export interface McpReporter extends Reporter {
  /** Everything the command said, in order (not yet redacted). */
  transcript(): string;
  /** Its warning and error lines, formatted as on the CLI (not yet redacted). */
  warnings(): string[];
}

export function createMcpReporter(opts: { state: () => StateDb | null; onLine: (level: Level, agent: string, text: string) => void }): McpReporter {
  const chunks: string[] = [];
  const warnings: string[] = [];
  const style = makeStyle(false);
  const inner = createReporter({
    json: false,
    verbose: false,
    style,
    sink: { out: (t) => void chunks.push(t), err: (t) => void chunks.push(t), isTTY: false },
    state: opts.state,
  });
  return {
    json: false,
    color: false,
    line(agent: string, level: Level, message: string, data?: LineData) {
      inner.line(agent, level, message, data);
      const text = formatLine(style, agent, level, message);
      if (level === 'warn' || level === 'error') warnings.push(text);
      opts.onLine(level, agent, text);
    },
    print: (text) => inner.print(text),
    spin: (label, work) => inner.spin(label, work),
    transcript: () => chunks.join(''),
    warnings: () => [...warnings],
  };
}
