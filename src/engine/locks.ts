// Cross-process locks on named resources, held in the state database's `locks` table by a holder id
// (a run, a deployment, a migrate command) and the holder's process. A holder whose process died
// loses its locks to the next taker. Waiting polls, and says once who it waits for.
import { InterruptedError } from '../errors.js';
import type { StateDb } from '../store/state-db.js';
import { sleep } from './sleep.js';

const POLL_MS = 150;

/** The lock that serializes every writer of one database (an environment's, wherever it lives). */
export const databaseLock = (identity: string): string => `db:${identity}`;
/** The lock that keeps a ticket's deploys and rollbacks (and its fix runs) one at a time. */
export const ticketLock = (ticketId: string): string => `ticket:${ticketId}`;

export interface HoldOptions {
  signal?: AbortSignal;
  /** Called once, when the first attempt finds the resources taken. */
  announce?: (heldBy: string[]) => void;
}

/** Takes every resource or none, waiting for as long as it takes; returns the release. */
export async function holdLocks(state: StateDb, holder: string, resources: string[], opts: HoldOptions = {}): Promise<() => void> {
  let announced = false;
  for (;;) {
    if (opts.signal?.aborted) throw new InterruptedError(`cancelled while waiting for ${resources.join(', ')}`);
    const res = state.tryLock(holder, resources);
    if (res.ok) break;
    if (!announced) {
      opts.announce?.(res.heldBy);
      announced = true;
    }
    await sleep(POLL_MS, opts.signal);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    state.unlockResources(holder, resources);
  };
}

/** True when this process holds the resource (checked before an embedded database is opened). */
export function holdsLock(state: StateDb, resource: string): boolean {
  return state.lockOwner(resource)?.pid === process.pid;
}
