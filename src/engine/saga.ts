// Runs steps in order; when one fails, undoes the completed ones in reverse, so a failed
// deploy or rollback never leaves a half-applied change.

export interface Step<C> {
  name: string;
  /** Does the work; returns how to undo it (or nothing when there is nothing to undo). */
  run(ctx: C): Promise<(() => Promise<void>) | void>;
}

export type SagaOutcome =
  | { ok: true; completed: string[] }
  | { ok: false; completed: string[]; failed: string; error: Error; undone: string[]; undoErrors: Array<{ step: string; error: string }> };

export async function runSaga<C>(steps: ReadonlyArray<Step<C>>, ctx: C, hooks: { onStep?: (name: string, phase: 'start' | 'done' | 'undo') => void } = {}): Promise<SagaOutcome> {
  const undo: Array<{ step: string; fn: () => Promise<void> }> = [];
  const completed: string[] = [];
  for (const step of steps) {
    hooks.onStep?.(step.name, 'start');
    try {
      const u = await step.run(ctx);
      if (u) undo.push({ step: step.name, fn: u });
      completed.push(step.name);
      hooks.onStep?.(step.name, 'done');
    } catch (err) {
      const undone: string[] = [];
      const undoErrors: Array<{ step: string; error: string }> = [];
      for (const u of undo.reverse()) {
        hooks.onStep?.(u.step, 'undo');
        try {
          await u.fn();
          undone.push(u.step);
        } catch (e) {
          undoErrors.push({ step: u.step, error: (e as Error).message });
        }
      }
      return { ok: false, completed, failed: step.name, error: err as Error, undone, undoErrors };
    }
  }
  return { ok: true, completed };
}
