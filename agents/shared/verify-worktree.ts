// The project's tests on HEAD plus a change, in a throw-away git worktree.
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from '../../src/integrations/git.js';
import { parseTestCounts, runShell } from '../../src/integrations/shell.js';
import { processScratch, type ScratchRegistrar } from '../../src/engine/scratch.js';
import { parseFailures, parseFileResults } from './test-failures.js';
import { changedLines, coverageRun, measureLineCoverage, type LineCoverage } from './line-coverage.js';

/**
 * Runs the project's tests on HEAD plus the change, in a throw-away worktree. It is registered
 * (src/engine/scratch.ts) before git creates it, so a kill at any point leaves nothing that the
 * next command does not remove.
 */
export async function testWithChange(root: string, patch: string, command: string, signal: AbortSignal, scratch: ScratchRegistrar = processScratch, opts: { coverage?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-verify-'));
  const wt = join(dir, 'wt');
  scratch.add({ path: dir, kind: 'verify-worktree', repo: root });
  try {
    await git(root, ['worktree', 'add', '-q', '--detach', wt, 'HEAD']);
    if (existsSync(join(root, 'node_modules')) && !existsSync(join(wt, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(wt, 'node_modules'), 'dir');
    if (patch.trim()) await git(wt, ['apply', '--whitespace=nowarn', '-'], { input: patch });
    // With `coverage`, V8's coverage of the run, measured on the lines the patch adds.
    const cov = opts.coverage ? coverageRun(join(dir, 'coverage'), wt) : null;
    const r = await runShell(command, { cwd: wt, signal, ...(cov ? { env: cov.env } : {}) });
    const coverage: LineCoverage | null = cov ? await measureLineCoverage(cov, changedLines(patch), undefined, [...parseFileResults(r.output).keys()]) : null;
    return { ...r, counts: parseTestCounts(r.output), failures: parseFailures(r.output), coverage };
  } finally {
    const removed = await git(root, ['worktree', 'remove', '--force', wt]).then(() => true, () => false);
    rmSync(dir, { recursive: true, force: true });
    if (!removed) await git(root, ['worktree', 'prune']).catch(() => undefined); // a half-made worktree
    scratch.remove(dir);
  }
}
