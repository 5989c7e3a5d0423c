// Where rollbacks live: `supabase/rollbacks/<version>_<name>.down.sql`, committed beside
// `supabase/migrations/`, so a rollback can be found from any clone of the repository.
//
// Not inside supabase/migrations/: the Supabase CLI reads every entry of that directory and warns
// "Skipping migration rollback..." for anything not named <timestamp>_name.sql, on every command.
// A sibling directory keeps `supabase db push` quiet and the pair easy to find by version.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from './files.js';

export const ROLLBACK_DIR = 'supabase/rollbacks';

/** Relative path of the rollback for a migration. */
export const rollbackPath = (version: string, name: string): string => `${ROLLBACK_DIR}/${version}_${name}.down.sql`;
export const migrationPath = (version: string, name: string): string => `${MIGRATIONS_DIR}/${version}_${name}.sql`;

export interface StoredRollback {
  path: string;
  sql: string;
}

/** The stored rollback for a version, or null when the migration has none. */
export function readRollback(projectRoot: string, version: string): StoredRollback | null {
  const dir = join(projectRoot, ROLLBACK_DIR);
  if (!existsSync(dir)) return null;
  const file = readdirSync(dir)
    .filter((f) => f.startsWith(`${version}_`) && f.endsWith('.down.sql'))
    .sort()[0];
  if (!file) return null;
  return { path: `${ROLLBACK_DIR}/${file}`, sql: readFileSync(join(dir, file), 'utf8') };
}

export interface NewMigration {
  version: string;
  name: string;
  up: string;
  down: string;
}

/** Writes the migration and its rollback; refuses to overwrite either. Returns both relative paths. */
export function writeMigration(projectRoot: string, m: NewMigration): { migration: string; rollback: string } {
  if (!/^\d{14}$/.test(m.version)) throw new Error(`version must be YYYYMMDDHHMMSS, got ${m.version}`);
  if (!/^[a-z0-9_]+$/.test(m.name)) throw new Error(`name must be a lowercase slug, got ${m.name}`);
  const migration = migrationPath(m.version, m.name);
  const rollback = rollbackPath(m.version, m.name);
  for (const rel of [migration, rollback]) if (existsSync(join(projectRoot, rel))) throw new Error(`${rel} already exists`);
  mkdirSync(join(projectRoot, MIGRATIONS_DIR), { recursive: true });
  mkdirSync(join(projectRoot, ROLLBACK_DIR), { recursive: true });
  const withNewline = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  writeFileSync(join(projectRoot, rollback), withNewline(m.down));
  writeFileSync(join(projectRoot, migration), withNewline(m.up));
  return { migration, rollback };
}
