// After a busy spell (a command run from the prompt: its records, syncs and spinner frames) V8
// keeps the heap it grew to: the dashboard's RSS stayed up to ~25% above idle with only ~2 MB more
// live data (bench/dashboard.mjs --fix: "V8 heap committed" is what rose). A moment after the last
// command finished, one full collection gives those pages back (10-50 ms on this heap, once per
// command; V8 alone does that only under memory pressure).
// No ink or react here.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Called without options: a full, precise collection (Node 20's V8 takes `{type: 'major'}` as a young one).
type Gc = () => void;
let gc: Gc | null | undefined;

/** V8's gc(), exposed to this process only (no command-line flag needed); null where V8 refuses. */
function collector(): Gc | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  } catch {
    gc = null;
  }
  return gc;
}

/** One full collection; false when this V8 gives no gc(). */
export function releaseMemory(): boolean {
  const run = collector();
  if (!run) return false;
  run();
  return true;
}

/**
 * Calls `release` once `quietMs` have passed since the last command finished, if none runs then
 * (`busy`); a command that finishes later arms it again.
 */
export function releaseWhenIdle(busy: () => boolean, release: () => void, quietMs = 1500): { commandFinished(): void; stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  return {
    commandFinished() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        if (!busy()) release();
      }, quietMs);
      timer.unref();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
