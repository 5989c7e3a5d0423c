// A thin, honest wrapper over the git CLI (no library: git itself is the real thing).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkFailedError } from '../errors.js';
import { processScratch, type ScratchRegistrar } from '../engine/scratch.js';

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
export function diffAgainstHead(cwd: string, files: ReadonlyArray<{ path: string; content: string | null }>, scratch: ScratchRegistrar = processScratch): Promise<string> {
  return diffAgainst(cwd, 'HEAD', files, scratch);
}

/** A throw-away index in a registered temp dir, removed when `fn` ends. */
async function withTempIndex<T>(scratch: ScratchRegistrar, fn: (dir: string, env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-index-'));
  scratch.add({ path: dir, kind: 'git-index', repo: null });
  try {
    return await fn(dir, { GIT_INDEX_FILE: join(dir, 'index') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    scratch.remove(dir);
  }
}

/** The same diff against any revision (`rev` null or missing: against the empty tree). */
export async function diffAgainst(cwd: string, rev: string | null, files: ReadonlyArray<{ path: string; content: string | null }>, scratch: ScratchRegistrar = processScratch): Promise<string> {
  return withTempIndex(scratch, async (dir, env) => {
    const base = rev ? await resolveRev(cwd, rev) : null;
    if (base) await git(cwd, ['read-tree', base], { env });
    // Five git processes whatever the number of files: the contents go in as blobs in one
    // hash-object, the index entries in one update-index.
    const written = files.filter((f) => f.content !== null);
    written.forEach((f, i) => writeFileSync(join(dir, `blob-${i}`), f.content!));
    const blobs = written.length ? (await git(cwd, ['hash-object', '-w', '--stdin-paths'], { input: written.map((_, i) => join(dir, `blob-${i}`)).join('\n') + '\n' })).stdout.trim().split('\n') : [];
    // --index-info: "<mode> <sha>\t<path>"; mode 0 removes the path.
    const entries = files.map((f) => (f.content === null ? `0 ${'0'.repeat(40)}\t${f.path}` : `100644 ${blobs[written.indexOf(f)]}\t${f.path}`));
    if (entries.length) await git(cwd, ['update-index', '--index-info'], { env, input: entries.join('\n') + '\n' });
    const tree = base ?? (await git(cwd, ['hash-object', '-t', 'tree', '/dev/null'])).stdout.trim();
    return (await git(cwd, ['diff', '--cached', '--no-color', '--no-ext-diff', tree], { env })).stdout;
  });
}

async function resolveRev(cwd: string, rev: string): Promise<string | null> {
  try {
    return (await git(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).stdout.trim() || null;
  } catch {
    return null;
  }
}

/**
 * Whether `patch` applies to revision `rev` (null: the empty tree), checked in a throw-away
 * index: the working tree and the real index are not touched. `why` is git's reason when not.
 */
export async function patchAppliesTo(cwd: string, rev: string | null, patch: string, scratch: ScratchRegistrar = processScratch): Promise<{ ok: true } | { ok: false; why: string }> {
  if (!patch.trim()) return { ok: true };
  return withTempIndex(scratch, async (_dir, env) => {
    if (rev) {
      const base = await resolveRev(cwd, rev);
      if (!base) return { ok: false, why: `${rev.slice(0, 12)} is not a commit of this repository` };
      await git(cwd, ['read-tree', base], { env });
    }
    try {
      await git(cwd, ['apply', '--cached', '--check', '--whitespace=nowarn', '-'], { env, input: patch });
      return { ok: true };
    } catch (err) {
      return { ok: false, why: (err as Error).message };
    }
  });
}
