// A thin, honest wrapper over the git CLI (no library: git itself is the real thing).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkFailedError } from '../errors.js';

export interface GitResult {
  stdout: string;
  stderr: string;
}

export function git(cwd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; signal?: AbortSignal } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...opts.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 64 * 1024 * 1024, signal: opts.signal },
      (err, stdout, stderr) => {
        if (err) {
          const msg = (stderr || err.message).trim().split('\n').slice(0, 3).join(' ');
          reject(new WorkFailedError(`git ${args[0]} failed: ${msg}`));
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export async function headSha(cwd: string): Promise<string | null> {
  try {
    return (await git(cwd, ['rev-parse', 'HEAD'])).stdout.trim();
  } catch {
    return null;
  }
}

export async function currentBranch(cwd: string): Promise<string> {
  return (await git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim();
}

export async function isClean(cwd: string): Promise<boolean> {
  return (await git(cwd, ['status', '--porcelain', '--untracked-files=no'])).stdout.trim() === '';
}

/** No change to tracked files and no untracked file that .gitignore lets through: the tree is HEAD. */
export async function matchesHead(cwd: string): Promise<boolean> {
  return (await git(cwd, ['status', '--porcelain'])).stdout.trim() === '';
}

/** Worktrees (their paths) that have `branch` checked out, from `git worktree list --porcelain`. */
export async function worktreesOn(cwd: string, branch: string): Promise<string[]> {
  const out = (await git(cwd, ['worktree', 'list', '--porcelain'])).stdout;
  return out
    .split('\n\n')
    .map((block) => block.split('\n'))
    .filter((lines) => lines.includes(`branch refs/heads/${branch}`))
    .map((lines) => lines.find((l) => l.startsWith('worktree '))!.slice('worktree '.length));
}

export async function branchExists(cwd: string, branch: string): Promise<boolean> {
  try {
    await git(cwd, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
}

/** The content of a file at a revision, or null when it does not exist there. */
export async function showFile(cwd: string, rev: string, path: string): Promise<string | null> {
  try {
    return (await git(cwd, ['show', `${rev}:${path}`])).stdout;
  } catch {
    return null;
  }
}

/**
 * A unified diff of `files` (path -> new content, null to delete) against HEAD, computed in a
 * throw-away index so neither the working tree nor the real index is touched.
 */
export async function diffAgainstHead(cwd: string, files: ReadonlyArray<{ path: string; content: string | null }>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-index-'));
  const env = { GIT_INDEX_FILE: join(dir, 'index') };
  try {
    const head = await headSha(cwd);
    if (head) await git(cwd, ['read-tree', 'HEAD'], { env });
    // Five git processes whatever the number of files: the contents go in as blobs in one
    // hash-object, the index entries in one update-index.
    const written = files.filter((f) => f.content !== null);
    written.forEach((f, i) => writeFileSync(join(dir, `blob-${i}`), f.content!));
    const blobs = written.length ? (await git(cwd, ['hash-object', '-w', '--stdin-paths'], { input: written.map((_, i) => join(dir, `blob-${i}`)).join('\n') + '\n' })).stdout.trim().split('\n') : [];
    // --index-info: "<mode> <sha>\t<path>"; mode 0 removes the path.
    const entries = files.map((f) => (f.content === null ? `0 ${'0'.repeat(40)}\t${f.path}` : `100644 ${blobs[written.indexOf(f)]}\t${f.path}`));
    if (entries.length) await git(cwd, ['update-index', '--index-info'], { env, input: entries.join('\n') + '\n' });
    const base = head ?? (await git(cwd, ['hash-object', '-t', 'tree', '/dev/null'])).stdout.trim();
    return (await git(cwd, ['diff', '--cached', '--no-color', '--no-ext-diff', base], { env })).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
