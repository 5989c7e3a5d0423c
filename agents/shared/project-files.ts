// Reads the project's source files (tracked and untracked, respecting .gitignore).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { git, headSha, matchesHead } from '../../src/integrations/git.js';

export interface SourceFile {
  path: string;
  content: string;
}

const SOURCE = /(\.(ts|tsx|js|jsx|mjs|cjs|sql|json|md)$)|((^|\/)\.env(\.[A-Za-z0-9_-]+)*$)|(\.env\.(template|example|sample|dist)$)/;
const SKIP = /(^|\/)(node_modules|dist|build|\.next|\.agent|staged|coverage)\//;

export async function readProjectFiles(root: string, maxBytes = 400_000): Promise<SourceFile[]> {
  const out = (await git(root, ['ls-files', '--cached', '--others', '--exclude-standard', '-z'])).stdout;
  const files: SourceFile[] = [];
  for (const path of out.split('\0').filter(Boolean)) {
    if (!SOURCE.test(path) || SKIP.test(path) || path.endsWith('package-lock.json')) continue;
    const full = join(root, path);
    try {
      if (statSync(full).size > maxBytes) continue;
      files.push({ path, content: readFileSync(full, 'utf8') });
    } catch {
      // deleted but still in the index: nothing to read
    }
  }
  return files;
}

/** The project at HEAD as a change's proof reads it, before the change is known: startable early. */
export interface ProjectRead {
  sha: Promise<string | null>;
  /** Whether the working tree matches HEAD. */
  clean: Promise<boolean>;
  files: Promise<SourceFile[]>;
}

/** Starts reading the project: its commit, whether the tree matches it, its files. */
export function readProject(root: string): ProjectRead {
  const read = { sha: headSha(root), clean: matchesHead(root), files: readProjectFiles(root) };
  for (const x of Object.values(read)) (x as Promise<unknown>).catch(() => undefined); // awaited by whoever needs it, or not needed
  return read;
}
