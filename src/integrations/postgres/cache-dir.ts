// Where the PGlite template and the type-check worker's code cache of typescript.js live: one per
// machine (initdb once, not once per project), in the XDG cache like other CLIs. Kept apart so the
// CLI's start-up path can name it cheaply.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function templateCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'crm-agent');
}
