// StageAgent's test run, started before StageAgent is: for a change drafted from BugHunter's
// analysis, then for the change the agents hand on. One slot: the same files keep the run under
// way; other files end it and start their own. StageAgent takes a run only for exactly its files.
import type { ChangeFile } from '../../agents/shared/change-set.js';
import type { ChangeProof } from '../../agents/stage-agent/index.js';

export interface ProofSlot {
  /** The run for these files: the one under way when it is for the same files, else a new one (the other is ended). */
  propose(files: readonly ChangeFile[]): ChangeProof;
  /** The run last proposed, if any. */
  readonly current: ChangeProof | null;
  /** Ends every run it started (one StageAgent took has finished by then) and waits for them to stop. */
  endAll(): Promise<void>;
}

export function proofSlot(keyOf: (files: readonly ChangeFile[]) => string, start: (files: readonly ChangeFile[]) => ChangeProof): ProofSlot {
  const started: ChangeProof[] = [];
  let current: ChangeProof | null = null;
  return {
    propose(files) {
      if (current && current.key === keyOf(files)) return current;
      current?.cancel();
      current = start(files);
      started.push(current);
      return current;
    },
    get current() {
      return current;
    },
    async endAll() {
      for (const p of started) p.cancel();
      await Promise.all(started.map((p) => p.run.catch(() => null)));
    },
  };
}
