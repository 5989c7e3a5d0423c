// The target project: the git repository the admin runs `agent` in (or --project DIR).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve, relative, isAbsolute, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { configKnownValid, loadConfig, readConfigText, type AgentConfig } from './config.js';
import { loadZodMini } from './zod-mini.js';

export interface ProjectContext {
  readonly root: string;
  /** `<root>/.agent`: state.db, outbox, caches. */
  readonly agentDir: string;
  /** `<root>/staged`: change sets awaiting review. */
  readonly stagedDir: string;
  /** agent.config.json merged over the embedded defaults; validated on first use. */
  config(): AgentConfig;
  /** Resolves a path inside the project; refuses anything that escapes the root. */
  resolveInside(path: string): string;
}

export function findGitRoot(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export async function openProject(opts: { cwd: string; project?: string; requireGit?: boolean }): Promise<ProjectContext> {
  let root: string;
  if (opts.project) {
    root = resolve(opts.cwd, opts.project);
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      throw new UsageError(`--project ${opts.project}: no such directory; pass the path of your project's git repository`);
    }
    if (!existsSync(join(root, '.git'))) {
      throw new UsageError(`--project ${opts.project}: not a git repository; run \`git init\` there first or point --project at your repository`);
    }
  } else {
    const found = findGitRoot(opts.cwd) ?? (opts.requireGit === false ? resolve(opts.cwd) : null);
    if (!found) {
      throw new UsageError('not inside a git repository: run agent inside your project, or pass --project DIR');
    }
    root = found;
  }
  // config() stays synchronous for its many callers; the validator it needs is loaded here.
  // Read once: config() sees the text whose validity decided whether zod was loaded.
  const text = readConfigText(root);
  if (text !== null && !configKnownValid(root, text)) await loadZodMini();
  let config: AgentConfig | undefined;
  return {
    root,
    agentDir: join(root, '.agent'),
    stagedDir: join(root, 'staged'),
    config: () => (config ??= loadConfig(root, text)),
    resolveInside: (path) => resolveInside(root, path),
  };
}

export function resolveInside(root: string, path: string): string {
  const full = resolve(root, path);
  const rel = relative(root, full);
  if (rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))) return full;
  throw new UsageError(`${path}: outside the project root; only paths inside ${root} may be written`);
}
