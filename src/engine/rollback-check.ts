// Did a rollback restore the schema? Pure: the snapshots before the ticket's first deployment to an
// environment, after its last, and now. Every object the deployments changed must be back as it was
// before; objects changed by other work since are reported apart, not blamed on the rollback.
import { describeDifference, diffSchemas, type SchemaDifference } from '../../agents/migrator/schema-diff.js';
import type { SchemaSnapshot } from '../../agents/migrator/schema-snapshot.js';

export interface SchemaRestoreVerdict {
  ok: boolean;
  /** What the deployments changed that is still not as before. */
  remaining: string[];
  /** Differences from before that the deployments did not make (other work since). */
  unrelated: string[];
  /** How many objects the deployments changed. */
  changed: number;
}

const keyOf = (d: SchemaDifference) => `${d.objectType} ${d.object}`;

export function schemaRestored(before: SchemaSnapshot, afterDeploy: SchemaSnapshot, now: SchemaSnapshot): SchemaRestoreVerdict {
  const changedByDeploy = new Set(diffSchemas(before, afterDeploy).map(keyOf));
  const left = diffSchemas(before, now);
  const remaining = left.filter((d) => changedByDeploy.has(keyOf(d))).map(describeDifference);
  const unrelated = left.filter((d) => !changedByDeploy.has(keyOf(d))).map(describeDifference);
  return { ok: remaining.length === 0, remaining, unrelated, changed: changedByDeploy.size };
}
