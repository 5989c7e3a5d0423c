// Reads a test run's failures and per-file results from its output (vitest's and jest's default
// reporters). Pure.

import type { FileResult, TestFailure } from './project-model.js';

export type { FileResult, TestFailure };

// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

// vitest's `❯ fn path:line:col` / `❯ path:line:col`, node's and jest's `at fn (path:line:col)`.
const FRAME = /❯\s+(?:[^\s()]+\s+)?([^\s()]+\.[cm]?[jt]sx?):(\d+)(?::\d+)?|\bat\s+(?:[^\n(]*?\()?([^\s()]+\.[cm]?[jt]sx?):(\d+):\d+\)?/g;

/** The frames of a failure's block outside its test file and outside installed packages, each once. */
function sourceFrames(block: string, testFile: string): string[] {
  const out: string[] = [];
  for (const m of block.matchAll(FRAME)) {
    const path = (m[1] ?? m[3])!.replace(/^file:\/\//, '');
    if (path.endsWith(testFile) || /(^|\/)node_modules\/|^node:/.test(path)) continue;
    const at = `${path}:${m[2] ?? m[4]}`;
    if (!out.includes(at)) out.push(at);
  }
  return out;
}

export function parseFailures(output: string): TestFailure[] {
  const text = strip(output);
  const failures: TestFailure[] = [];
  const blocks = text.split(/\n(?=\s*FAIL\s)/);
  for (const block of blocks) {
    const head = /^\s*FAIL\s+(\S+\.(?:test|spec)\.[cm]?[jt]sx?)\s+>\s+(.+)$/m.exec(block);
    if (!head) continue;
    const message = /^\s*((?:AssertionError|Error|TypeError|ReferenceError)[^\n]*)$/m.exec(block)?.[1]?.trim() ?? block.split('\n').slice(1).find((l) => l.trim())?.trim() ?? '';
    const loc = /❯\s+(\S+\.[cm]?[jt]sx?):(\d+)(?::\d+)?/.exec(block) ?? /at .*?\(?([^\s()]+\.[cm]?[jt]sx?):(\d+):\d+\)?/.exec(block);
    const name = head[2]!.trim();
    if (failures.some((f) => f.file === head[1] && f.name === name)) continue;
    const frames = sourceFrames(block, head[1]!);
    failures.push({ file: head[1]!, name, message, location: loc ? `${loc[1]}:${loc[2]}` : null, ...(frames.length ? { frames } : {}) });
  }
  return failures;
}


/**
 * Each test file's line in the run's summary: vitest's `✓ path (3 tests)` / `❯ path (2 tests | 1
 * failed)`, jest's `PASS path` / `FAIL path`. Empty when the reporter printed no such lines.
 */
export function parseFileResults(output: string): Map<string, FileResult> {
  const results = new Map<string, FileResult>();
  for (const line of strip(output).split('\n')) {
    const vitest = /^\s*[✓❯×↓]\s+(\S+\.(?:test|spec)\.[cm]?[jt]sx?)\s+\((\d+) tests?((?:\s*\|\s*\d+ \w+)*)\)/.exec(line);
    if (vitest) {
      const count = (what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(vitest[3] ?? '')?.[1] ?? 0);
      results.set(vitest[1]!, { tests: Number(vitest[2]), failed: count('failed'), skipped: count('skipped') + count('todo') });
      continue;
    }
    const jest = /^\s*(PASS|FAIL)\s+(\S+\.(?:test|spec)\.[cm]?[jt]sx?)\b/.exec(line);
    if (jest && !results.has(jest[2]!)) results.set(jest[2]!, { tests: null, failed: jest[1] === 'PASS' ? 0 : null, skipped: null });
  }
  return results;
}
