// What a deployment's status says about it, in one place: which ones may still have changes in
// place, which ones a person must settle, and the command that settles each. Pure.

/** Deployments whose changes may still be in place: a rollback may undo them. */
export const LIVE_STATUSES = ['succeeded', 'interrupted', 'stuck', 'rollback_interrupted', 'rollback_incomplete'] as const;
/** Deployments (or their rollbacks) left half done: `status` lists them until one command settles each. */
export const UNFINISHED_STATUSES = ['interrupted', 'stuck', 'rollback_interrupted', 'rollback_incomplete'] as const;

export const isLive = (status: string): boolean => (LIVE_STATUSES as readonly string[]).includes(status);

/** The command (or two) that settles an unfinished deployment. */
export function settleHint(d: { id: string; status: string }): string {
  if (d.status === 'interrupted') return `\`agent deploy resume ${d.id}\` finishes it, \`agent rollback ${d.id}\` undoes it`;
  if (d.status === 'stuck') return `\`agent rollback ${d.id}\` undoes what its failed undo left`;
  return `\`agent rollback ${d.id}\` finishes the rollback`;
}
