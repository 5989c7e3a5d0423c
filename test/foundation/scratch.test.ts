// Nothing left behind: a verify worktree is registered in the state database while it exists; a
// killed owner's is removed by the next command, and an owner stopped by SIGTERM removes its own.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, FIXTURE, makeProject, startAgent, waitFor } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';

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
  await waitFor(() => spawnSync('pgrep', ['-f', `process.kill\\(${child.pid},`]).status === 0, 10_000, 'the command in the worktree');
  expect(row.owner_pid).toBe(child.pid);
  expect(row.repo).toBe(dir);
  expect(row.path).toMatch(/crm-agent-verify-/);
  return { child, row };
}

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
