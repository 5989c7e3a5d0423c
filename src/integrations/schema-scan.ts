// Schema lints over the database the project's migrations build, in a shadow PGlite database.
import { join } from 'node:path';
import type { CommandContext } from '../commands/types.js';
import type { SchemaFinding } from '../../agents/bug-hunter/root-cause.js';
import { openShadow } from './pg/embedded.js';
import { missingForeignKeys, publicTables, readMigrations, replay } from './pg/migrations.js';

export async function scanProjectSchema(ctx: CommandContext): Promise<{ findings: SchemaFinding[]; tables: string[] }> {
  const { files, skipped } = readMigrations(ctx.project.root);
  for (const s of skipped) ctx.out.line('MIGRATOR', 'warn', `Skipped ${s}: not named <YYYYMMDDHHMMSS>_<name>.sql`);
  if (!files.length) return { findings: [], tables: [] };
  const db = await openShadow(join(ctx.project.agentDir, 'cache'));
  try {
    const errors = await replay(db, files);
    const findings: SchemaFinding[] = errors.map((e) => ({ ruleId: 'replay-error', severity: 'error', object: e.file, file: e.file, message: `could not replay: ${e.message}` }));
    return { findings: [...findings, ...(await missingForeignKeys(db, files))], tables: await publicTables(db) };
  } finally {
    await db.close();
  }
}
