// Nothing left behind: a verify worktree is registered in the state database while it exists; a
// killed owner's is removed by the next command, and an owner stopped by SIGTERM removes its own.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, cleanupProjects, FIXTURE, makeProject, startAgent, waitFor } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';
import { sweepScratch } from '../../src/engine/scratch.js';

afterAll(cleanupProjects);

interface Row {
  path: string;
  kind: string;
  repo: string | null;
  owner_pid: number;
}

function project(): string {
  const dir = makeProject();
  writeFileSync(join(dir, 'README.md'), '# crm\n');
  spawnSync('git', ['add', '-A'], { cwd: dir });
  spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init'], { cwd: dir });
  return dir;
}

function scratchRows(dir: string): Row[] {
  const path = join(dir, '.agent', 'state.db');
  if (!existsSync(path)) return [];
  const state = new StateDb(path);
  try {
    return state.db.prepare('SELECT path, kind, repo, owner_pid FROM scratch').all() as Row[];
  } finally {
    state.close();
  }
}

const worktrees = (dir: string) => spawnSync('git', ['worktree', 'list', '--porcelain'], { cwd: dir, encoding: 'utf8' }).stdout;

/** Starts the fixture and waits until its verify worktree exists and is registered. */
async function holding(dir: string, args: string[] = []) {
  const child = startAgent(['fixture', 'scratch', ...args], { cwd: dir, script: FIXTURE });
  const row = await waitFor(() => {
    const r = scratchRows(dir).find((x) => x.kind === 'verify-worktree');
    return r && worktrees(dir).includes(join(r.path, 'wt')) ? r : null;
  }, 10_000, 'the verify worktree to be registered and created');
  // …and its "tests" are running in it (git is done with it).
  await waitFor(() => existsSync(join(row.path, 'wt', 'tests-running')), 10_000, 'the command in the worktree');
  expect(row.owner_pid).toBe(child.pid);
  expect(row.repo).toBe(dir);
  expect(row.path).toMatch(/crm-agent-verify-/);
  return { child, row };
}

describe('sweepScratch', () => {
  it("removes a dead owner's directory and row, and leaves a live owner's", () => {
    const dir = project();
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      const dead = mkdtempSync(join(tmpdir(), 'crm-agent-shadow-'));
      const live = mkdtempSync(join(tmpdir(), 'crm-agent-shadow-'));
      writeFileSync(join(dead, 'PG_VERSION'), '17\n');
      const insert = state.db.prepare('INSERT INTO scratch (path, kind, repo, owner_pid, created_at) VALUES (?, ?, NULL, ?, ?)');
      insert.run(dead, 'shadow-copy', 999_001, Date.now());
      insert.run(live, 'shadow-copy', 999_002, Date.now());
      insert.run(join(tmpdir(), 'crm-agent-none'), 'git-index', process.pid, Date.now()); // this process's own: kept
      const reused = mkdtempSync(join(tmpdir(), 'crm-agent-index-'));
      insert.run(reused, 'git-index', process.pid, 0); // an earlier process with the same pid: gone
      expect(sweepScratch(state, (pid) => pid === 999_002)).toEqual([
        { path: dead, kind: 'shadow-copy', ownerPid: 999_001 },
        { path: reused, kind: 'git-index', ownerPid: process.pid },
      ]);
      expect(existsSync(reused)).toBe(false);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(scratchRows(dir).map((r) => r.path)).toEqual([live, join(tmpdir(), 'crm-agent-none')]);
      expect(state.db.prepare(`SELECT message FROM events WHERE kind = 'scratch.swept'`).all()[0]).toEqual({ message: `Removed the shadow-copy ${dead} left behind by process 999001, which is gone` });
      rmSync(live, { recursive: true });
    } finally {
      state.close();
    }
  });
});

describe('scratch worktrees', () => {
  it('a SIGKILLed owner leaves a row, and the next command removes its worktree and directory', async () => {
    const dir = project();
    const { child, row } = await holding(dir);
    child.kill('SIGKILL');
    await child.closed;
    expect(scratchRows(dir).map((r) => r.path)).toEqual([row.path]);
    expect(existsSync(join(row.path, 'wt'))).toBe(true);

    const status = await agent(['status'], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    expect(worktrees(dir)).not.toContain(row.path);
    expect(existsSync(row.path)).toBe(false);
    expect(scratchRows(dir)).toEqual([]);
  }, 20_000);

  it('SIGTERM: the owner removes its worktree itself, through its cleanup or, when it exits at once, its exit hook', async () => {
    const dir = project();
    for (const args of [[], ['--exit-on-abort']]) {
      const { child, row } = await holding(dir, args);
      child.kill('SIGTERM');
      expect(await child.closed).toBe(130);
      expect(worktrees(dir)).not.toContain(row.path);
      expect(existsSync(row.path)).toBe(false);
      expect(scratchRows(dir)).toEqual([]);
    }
  }, 20_000);
});
