// After a command from the prompt the dashboard gives back the heap its busy spell grew to: once,
// a moment after the last command finished, never while one runs (bench/dashboard.mjs --fix
// measures the RSS it saves).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { releaseMemory, releaseWhenIdle } from '../../components/release-memory.js';

afterEach(() => vi.useRealTimers());

describe('releasing memory after a command', () => {
  it('runs once after the last command finished, not while another runs; a later finish arms it again', () => {
    vi.useFakeTimers();
    let busy = false;
    const release = vi.fn();
    const r = releaseWhenIdle(() => busy, release, 1500);
    r.commandFinished();
    r.commandFinished(); // two finishing together: one release
    vi.advanceTimersByTime(1499);
    expect(release).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(release).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(release).toHaveBeenCalledTimes(1);

    busy = true; // a command still runs when the time comes: nothing now, its own end arms it
    r.commandFinished();
    vi.advanceTimersByTime(1500);
    expect(release).toHaveBeenCalledTimes(1);
    busy = false;
    r.commandFinished();
    vi.advanceTimersByTime(1500);
    expect(release).toHaveBeenCalledTimes(2);

    r.commandFinished();
    r.stop();
    vi.advanceTimersByTime(5000);
    expect(release).toHaveBeenCalledTimes(2);
  });

  it('gives garbage back: the committed heap shrinks after a spell of allocations', () => {
    let junk: Array<{ i: number; s: string }> | null = [];
    for (let i = 0; i < 500_000; i++) junk.push({ i, s: `row ${i}` });
    const grown = process.memoryUsage().heapTotal;
    junk = null;
    expect(releaseMemory()).toBe(true);
    expect(process.memoryUsage().heapTotal).toBeLessThan(grown);
  });
});
