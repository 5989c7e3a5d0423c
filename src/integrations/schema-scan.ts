// Schema lints over the database the project's migrations build, in a shadow PGlite database.
import { join } from 'node:path';
import type { CommandContext } from '../commands/types.js';
import type { SchemaFinding } from '../../agents/bug-hunter/root-cause.js';
import { openShadow } from './pg/embedded.js';
import { missingForeignKeys, publicTables, readMigrations, replay, tableColumns } from './pg/migrations.js';

export interface SchemaScan {
  findings: SchemaFinding[];
  tables: string[];
  /** Columns of every public table, for CodeSmith. */
  columns: Record<string, Awaited<ReturnType<typeof tableColumns>>>;
}

export async function scanProjectSchema(ctx: CommandContext): Promise<SchemaScan> {
  const { files, skipped } = readMigrations(ctx.project.root);
  for (const s of skipped) ctx.out.line('MIGRATOR', 'warn', `Skipped ${s}: not named <YYYYMMDDHHMMSS>_<name>.sql`);
  if (!files.length) return { findings: [], tables: [], columns: {} };
  const db = await openShadow();
  try {
    const errors = await replay(db, files);
    const findings: SchemaFinding[] = errors.map((e) => ({ ruleId: 'replay-error', severity: 'error', object: e.file, file: e.file, message: `could not replay: ${e.message}` }));
    const tables = await publicTables(db);
    const columns: SchemaScan['columns'] = {};
    for (const t of tables) columns[t] = await tableColumns(db, t);
    return { findings: [...findings, ...(await missingForeignKeys(db, files))], tables, columns };
  } finally {
    await db.close();
  }
}
