// Runs steps in order; when one fails, undoes the completed ones in reverse, so a failed
// deploy or rollback never leaves a half-applied change. The hook sees every step's intent before
// it runs and its result after, which is what the deploy journal records.

export interface Step<C> {
  name: string;
  /** Does the work; returns how to undo it (or nothing when there is nothing to undo). */
  run(ctx: C): Promise<(() => Promise<void>) | void>;
}

export type SagaPhase = 'intent' | 'done' | 'failed' | 'undo' | 'undone' | 'undo-failed';

export type SagaOutcome =
  | { ok: true; completed: string[] }
  | { ok: false; completed: string[]; failed: string; error: Error; undone: string[]; undoErrors: Array<{ step: string; error: string }> };

export async function runSaga<C>(steps: ReadonlyArray<Step<C>>, ctx: C, hooks: { onStep?: (name: string, phase: SagaPhase, detail?: unknown) => void } = {}): Promise<SagaOutcome> {
  const undo: Array<{ step: string; fn: () => Promise<void> }> = [];
  const completed: string[] = [];
  for (const step of steps) {
    hooks.onStep?.(step.name, 'intent');
    try {
      const u = await step.run(ctx);
      if (u) undo.push({ step: step.name, fn: u });
      completed.push(step.name);
      hooks.onStep?.(step.name, 'done');
    } catch (err) {
      hooks.onStep?.(step.name, 'failed', { error: (err as Error).message });
      const undone: string[] = [];
      const undoErrors: Array<{ step: string; error: string }> = [];
      for (const u of undo.reverse()) {
        hooks.onStep?.(u.step, 'undo');
        try {
          await u.fn();
          undone.push(u.step);
          hooks.onStep?.(u.step, 'undone');
        } catch (e) {
          undoErrors.push({ step: u.step, error: (e as Error).message });
          hooks.onStep?.(u.step, 'undo-failed', { error: (e as Error).message });
        }
      }
      return { ok: false, completed, failed: step.name, error: err as Error, undone, undoErrors };
    }
  }
  return { ok: true, completed };
}
