// runShell: a command that runs past its time is ended with everything it started.
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { waitFor } from '../helpers.js';
import { runShell } from '../../src/integrations/shell.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('runShell', () => {
  it('ends the whole process tree when the command times out, and says it timed out', async () => {
    let grandchild = 0;
    // `sh` starts a sleep that outlives it unless its whole group is ended; the sleep holds the
    // output pipe, so this call itself would hang for five minutes (past the test's time limit) if only `sh` were killed.
    const run = runShell('sleep 300 & echo "pid:$!"; wait', { cwd: tmpdir(), timeoutMs: 500, onLine: (l) => (grandchild = Number(/^pid:(\d+)$/.exec(l)?.[1] ?? grandchild)) });
    await expect(run).rejects.toThrow(/timed out after 1 s/);
    expect(grandchild).toBeGreaterThan(0);
    await waitFor(() => !alive(grandchild), 10_000, 'the sleep to be ended');
  });
});
