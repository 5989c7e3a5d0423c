// Runs the tests CodeSmith generated, and only those, on HEAD plus its files in a scratch
// worktree (the project's working tree is not touched), and says what ran.
import { diffAgainstHead } from '../../src/integrations/git.js';
import { focusedCommand } from '../../src/integrations/shell.js';
import { testWithChange } from '../shared/verify-worktree.js';
import type { ChangeFile } from '../shared/change-set.js';
import type { LineCoverage } from '../shared/line-coverage.js';

export async function runGeneratedTests(root: string, files: readonly ChangeFile[], tests: readonly string[], command: string, signal: AbortSignal): Promise<{ ok: boolean; evidence: string; failures: string[]; command: string; passed: number | null; coverage: LineCoverage | null }> {
  const patch = await diffAgainstHead(root, files);
  const full = focusedCommand(command, tests);
  const r = await testWithChange(root, patch, full, signal, undefined, { coverage: true });
  // eslint-disable-next-line no-control-regex
  const text = r.output.replace(/\x1b\[[0-9;]*m/g, '');
  const ran = tests.filter((t) => text.includes(t));
  const failures = r.failures.map((f) => `${f.name} (${f.location ?? f.file}): ${f.message}`);
  const counts = r.counts;
  const ok = r.exitCode === 0 && ran.length === tests.length && Boolean(counts && counts.passed > 0 && counts.failed === 0);
  const tail = text.trim().split('\n').filter((l) => l.trim()).slice(-3).join(' | ');
  const evidence = counts
    ? `${counts.passed} passed, ${counts.failed} failed in ${ran.join(', ') || 'no generated test file'} (\`${full}\`, HEAD plus the change, in a scratch worktree)${ran.length < tests.length ? `; did not run: ${tests.filter((t) => !ran.includes(t)).join(', ')}` : ''}`
    : `\`${full}\` exited ${r.exitCode} without a test count: ${tail.slice(0, 300)}`;
  return { ok, evidence, failures, command: full, passed: counts?.passed ?? null, coverage: r.coverage };
}
