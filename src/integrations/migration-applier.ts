// Applies and reverts migrations on the target database for the deploy engine: DATABASE_URL through
// pg, otherwise the embedded PGlite database in .agent/pgdata (the postgres layer's openDatabase),
// with the migrator's migrationApplier: committed migrations first, history in the Supabase CLI's
// table, each migration one transaction, reverts newest first.
import type { CommandContext } from '../commands/types.js';
import type { MigrationApplier } from '../engine/deploy.js';
import { templateCacheDir } from './postgres/cache-dir.js';

export async function openMigrationApplier(ctx: CommandContext): Promise<MigrationApplier> {
  const [{ openDatabase }, { migrationApplier }] = await Promise.all([import('./postgres/open.js'), import('../../agents/migrator/apply.js')]);
  const db = await openDatabase({ projectRoot: ctx.project.root, databaseUrl: ctx.secrets.get('DATABASE_URL'), cacheDir: templateCacheDir() });
  return migrationApplier(ctx.project.root, db);
}
