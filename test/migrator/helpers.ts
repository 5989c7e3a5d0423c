// Shared by the migrator tests: one PGlite template per machine (a file cache in the temp dir,
// keyed by the shims and PGlite version, so every test file and every run reuses it), and real
// project directories in temp dirs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TEMPLATE_CACHE = join(tmpdir(), 'crm-agent-migrator-test-cache');

const made: string[] = [];

/** A temp project with the given files (paths relative to the project root). */
export function makeProject(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'crm-agent-migrator-'));
  made.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

export function cleanupProjects(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const mig = (version: string, name: string) => `supabase/migrations/${version}_${name}.sql`;
export const down = (version: string, name: string) => `supabase/rollbacks/${version}_${name}.down.sql`;
