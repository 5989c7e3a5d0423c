// agent.config.json is validated with zod once per content: a text that passed under this build's
// schema is not checked again, and zod is not loaded (its load is ~15% of a one-shot command's cold
// start). Only a digest of the text and of the build is kept, in .agent/config-valid, never the text.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE = 'config-valid';

/**
 * The digest of a config text under the schema of the module at `schemaModule` (its path, size and
 * mtime stand for the schema: a rebuild or an edit changes them), or null when that cannot be read.
 */
export function configDigest(text: string, schemaModule: string): string | null {
  try {
    const path = fileURLToPath(schemaModule);
    const s = statSync(path);
    return createHash('sha256').update(`${path}\0${s.size}\0${s.mtimeMs}\0${text}`).digest('hex');
  } catch {
    return null;
  }
}

export function knownValid(agentDir: string, digest: string | null): boolean {
  if (!digest) return false;
  try {
    return readFileSync(join(agentDir, FILE), 'utf8').trim() === digest;
  } catch {
    return false;
  }
}

/** Best effort: a project without .agent/ yet, or a read-only one, validates again next time. */
export function rememberValid(agentDir: string, digest: string | null): void {
  if (!digest || !existsSync(agentDir)) return;
  const tmp = join(agentDir, `${FILE}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${digest}\n`);
    renameSync(tmp, join(agentDir, FILE));
  } catch {
    /* the next command validates again */
  }
}
