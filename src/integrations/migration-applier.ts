// The deploy engine's view of an environment's database: the environment's own embedded PGlite
// or its server (integrations/env-database), with the migrator's migrationApplier: committed
// migrations first, history in the Supabase CLI's table with the deploying deployment beside it,
// each migration one transaction, reverts newest first. Opened only under the environment's lock.
import type { CommandContext } from '../commands/types.js';
import type { MigrationApplier } from '../engine/deploy.js';
import type { DatabaseTarget } from '../engine/environments.js';
import { WorkFailedError } from '../errors.js';

export async function openMigrationApplier(ctx: CommandContext, target: DatabaseTarget, by: string): Promise<MigrationApplier> {
  const [{ openEnvironmentDatabase }, { migrationApplier }] = await Promise.all([import('./env-database.js'), import('../../agents/migrator/apply.js')]);
  const db = await openEnvironmentDatabase(ctx.project.root, ctx.state(), target, { create: true, by, log: (m) => ctx.out.line('MIGRATOR', 'info', m) });
  if (!db) throw new WorkFailedError(`${target.env}: no database to open (${target.description})`);
  return migrationApplier(ctx.project.root, db);
}
