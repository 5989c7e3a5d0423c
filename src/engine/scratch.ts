// Temp directories and git worktrees the tool makes (StageAgent's verify worktrees, shadow
// database copies and the template they come from while initdb builds it, throw-away git indexes,
// a change set being assembled under staged/) are registered in the state database's `scratch`
// table for as long as they exist. Their owner removes them when done, and its 'exit' hook
// removes whatever it still holds (a second Ctrl-C, SIGTERM of `agent mcp`, process.exit
// mid-command); the next command sweeps those whose owner died without a chance to (SIGKILL, a
// crash).
//
// The helpers that make them take a ScratchRegistrar and default to this process's own, which
// keeps them in memory and records them in whatever state database the process has opened
// (adoptScratch): pure modules never open the database themselves.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { isAlive, StateDb } from '../store/state-db.js';

export type ScratchKind = 'verify-worktree' | 'shadow-copy' | 'git-index' | 'staging-dir' | 'template-build';

export interface ScratchEntry {
  /** The directory to remove (absolute). */
  path: string;
  kind: ScratchKind;
  /** The repository a worktree under `path` is registered in (pruned after removal), else null. */
  repo: string | null;
}

export interface ScratchRegistrar {
  /** Call before creating it: a kill right after creation must find it registered. */
  add(entry: ScratchEntry): void;
  /** Call once it is removed (or its removal is under way and no longer needs this process). */
  remove(path: string): void;
}

interface ScratchRow {
  path: string;
  kind: string;
  repo: string | null;
  owner_pid: number;
  created_at: number;
}

const held = new Map<string, ScratchEntry>();
let bound: StateDb | null = null;
const adopted = new WeakSet<StateDb>();
let hooked = false;

/** Runs `fn` on the adopted state database, reopening it by path when its command closed it. Best effort. */
function withDb(fn: (state: StateDb) => void): void {
  if (!bound) return;
  try {
    if (bound.db.open) return fn(bound);
    if (!existsSync(bound.path)) return; // its project is gone: never re-create it
    const again = new StateDb(bound.path);
    try {
      fn(again);
    } finally {
      again.close();
    }
  } catch {
    // The row is an aid for the next command; the owner still removes what it holds.
  }
}

function record(state: StateDb, e: ScratchEntry): void {
  state.db.prepare('INSERT OR REPLACE INTO scratch (path, kind, repo, owner_pid, created_at) VALUES (?, ?, ?, ?, ?)').run(e.path, e.kind, e.repo, process.pid, Date.now());
}

/** Removes a scratch directory now, synchronously, and prunes the worktree registered in `repo`. */
export function removeScratchNow(e: Pick<ScratchEntry, 'path' | 'repo'>): void {
  try {
    // rm(1) takes ~20 ms for a 39 MB shadow copy where rmSync takes 0.3–0.5 s here.
    execFileSync('rm', ['-rf', '--', e.path], { stdio: 'ignore' });
  } catch {
    rmSync(e.path, { recursive: true, force: true });
  }
  if (e.repo) {
    try {
      execFileSync('git', ['-C', e.repo, 'worktree', 'prune'], { stdio: 'ignore' });
    } catch {
      // The repository is gone: nothing registered in it to prune.
    }
  }
}

function onExit(): void {
  const all = [...held.values()];
  held.clear();
  for (const e of all) removeScratchNow(e);
  // A git child still writing into one (a `worktree add` under way) can outlive this process:
  // what is still there keeps its row for the next command's sweep.
  const left = all.filter((e) => !existsSync(e.path));
  if (left.length) withDb((state) => state.db.prepare(`DELETE FROM scratch WHERE path IN (${left.map(() => '?').join(',')})`).run(...left.map((e) => e.path)));
}

/** This process's registrar: what it holds is removed on exit, and recorded for the next command if it dies. */
export const processScratch: ScratchRegistrar = {
  add(e) {
    held.set(e.path, e);
    if (!hooked) {
      hooked = true;
      process.on('exit', onExit);
    }
    withDb((state) => record(state, e));
  },
  remove(path) {
    if (!held.delete(path)) return;
    withDb((state) => state.db.prepare('DELETE FROM scratch WHERE path = ?').run(path));
  },
};

/**
 * Makes `state` where this process records its scratch directories, and (once per database
 * handle) sweeps those of dead owners. Cheap enough for every `ctx.state()`: one WeakSet lookup.
 */
export function adoptScratch(state: StateDb): StateDb {
  if (adopted.has(state)) return state;
  adopted.add(state);
  bound = state;
  try {
    sweepScratch(state);
    for (const e of held.values()) record(state, e); // made before the database was at hand
  } catch {
    // A state database from before schema step 5 (no scratch table) or a busy one: next time.
  }
  return state;
}

export interface SweptScratch {
  path: string;
  kind: string;
  ownerPid: number;
}

/** Removes the scratch directories (and worktree registrations) of owners that are no longer alive. */
export function sweepScratch(state: StateDb, alive: (pid: number) => boolean = isAlive): SweptScratch[] {
  const rows = state.db.prepare('SELECT path, kind, repo, owner_pid, created_at FROM scratch').all() as ScratchRow[];
  const swept: SweptScratch[] = [];
  const startedAt = Date.now() - process.uptime() * 1000;
  for (const r of rows) {
    // This process's pid on a row older than the process: an earlier process had the same pid
    // (containers often start every command as the same pid).
    const gone = r.owner_pid === process.pid ? !held.has(r.path) && r.created_at < startedAt : !alive(r.owner_pid);
    if (!gone) continue;
    removeScratchNow(r);
    state.tx(() => {
      state.db.prepare('DELETE FROM scratch WHERE path = ? AND owner_pid = ?').run(r.path, r.owner_pid);
      state.appendEvent({ kind: 'scratch.swept', level: 'info', agent: 'ORCHESTRATOR', message: `Removed the ${r.kind} ${r.path} left behind by process ${r.owner_pid}, which is gone`, data: { path: r.path, kind: r.kind, repo: r.repo, ownerPid: r.owner_pid } });
    });
    swept.push({ path: r.path, kind: r.kind, ownerPid: r.owner_pid });
  }
  return swept;
}
