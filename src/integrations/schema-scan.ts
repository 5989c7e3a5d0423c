// Schema lints over the database the project's migrations build, replayed into a shadow database
// started from the migrator's cached template: the migrator's full schema lints (Supabase advisors,
// missing foreign keys) with file and line, plus a finding per statement that would not replay.
import type { CommandContext } from '../commands/types.js';
import type { SchemaFinding } from '../../agents/bug-hunter/root-cause.js';
import { templateCacheDir } from './postgres/cache-dir.js';

import type { Column } from '../../agents/code-smith/generate.js';
import type { ReplayedShadow } from '../../agents/migrator/agent.js';

export type { Column };

export interface SchemaScan {
  findings: SchemaFinding[];
  tables: string[];
  /** Columns of every public table (in table order), for CodeSmith. */
  columns: Record<string, Column[]>;
  /** Every table of every user schema, `schema.table` (public's too): what the lints scanned. */
  allTables: string[];
}

/** `keep`: hand the shadow (migrations replayed) on instead of closing it; the receiver closes it. */
export async function scanProjectSchema(ctx: CommandContext, opts: { keep?: (shadow: ReplayedShadow) => void } = {}): Promise<SchemaScan> {
  const [m, { openShadowDatabase }, { extensionsIn }] = await Promise.all([
    import('../../agents/migrator/index.js'),
    import('./postgres/template.js'),
    import('./postgres/extensions.js'),
  ]);
  const { files, skipped } = m.readMigrationFiles(ctx.project.root);
  for (const s of skipped) ctx.out.line('MIGRATOR', 'warn', `Skipped supabase/migrations/${s.filename}: ${s.reason}`);
  if (!files.length) return { findings: [], tables: [], columns: {}, allTables: [] };
  const extensions = extensionsIn(files.map((f) => f.sql));
  const db = await openShadowDatabase({ cacheDir: templateCacheDir(), extensions });
  let kept = false;
  try {
    const diagnoses = await m.replayInto(db, files);
    const replay: SchemaFinding[] = diagnoses.map(m.replayFinding);
    const lints = await m.scanSchema(db, { projectRoot: ctx.project.root });
    const all = await db.query<{ t: string; s: string }>(`select table_schema as s, table_name as t from information_schema.tables where table_type = 'BASE TABLE' order by 1, 2`);
    const allTables = all.rows.filter((r) => m.isUserSchema(r.s)).map((r) => `${r.s}.${r.t}`);
    const { rows } = await db.query<{ t: string; name: string; type: string; nullable: string; def: string | null }>(
      `select c.table_name as t, c.column_name as name, c.data_type as type, c.is_nullable as nullable, c.column_default as def
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
        where c.table_schema = 'public'
        order by c.table_name, c.ordinal_position`,
    );
    const columns: SchemaScan['columns'] = {};
    for (const r of rows) (columns[r.t] ??= []).push({ name: r.name, type: r.type, nullable: r.nullable === 'YES', hasDefault: r.def !== null, defaultText: r.def });
    if (opts.keep) {
      opts.keep({ db, extensions, replayed: diagnoses });
      kept = true;
    }
    return { findings: [...replay, ...lints], tables: Object.keys(columns), columns, allTables };
  } finally {
    if (!kept) await db.close();
  }
}
