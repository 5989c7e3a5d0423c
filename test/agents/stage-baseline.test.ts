// StageAgent tells a change's test failures from those HEAD already has by running, on HEAD, only
// the failing tests' files that exist there: real vitest in a real git repo.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers.js';
import { failingAtHead } from '../../agents/stage-agent/index.js';
import { testWithChange } from '../../agents/shared/verify-worktree.js';
import { diffAgainstHead } from '../../src/integrations/git.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const testFile = (cases: Record<string, boolean>) =>
  ["import { it, expect } from 'vitest';", ...Object.entries(cases).map(([name, ok]) => `it('${name}', () => expect(${ok}).toBe(true));`)].join('\n') + '\n';

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-baseline-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', scripts: { test: 'vitest run' } }));
  writeFileSync(join(dir, 'vitest.config.mjs'), "export default { test: { include: ['lib/**/*.test.ts'] } };\n");
  writeFileSync(join(dir, 'lib/old.test.ts'), testFile({ 'already broken': false, 'still fine': true }));
  writeFileSync(join(dir, 'lib/steady.test.ts'), testFile({ steady: true }));
  writeFileSync(join(dir, 'lib/untouched.test.ts'), testFile({ 'broken but not run again': false }));
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'base');
  return dir;
}

describe('failures HEAD already has', () => {
  it('re-runs only the failing files HEAD has, and counts the rest as the change\'s', async () => {
    const dir = repo();
    // The change breaks a steady test and adds a failing file; lib/old.test.ts fails before and after.
    const files = [
      { path: 'lib/steady.test.ts', content: testFile({ steady: false }) },
      { path: 'lib/added.test.ts', content: testFile({ 'new and broken': false }) },
    ];
    const patch = await diffAgainstHead(dir, files);
    const signal = new AbortController().signal;
    const withChange = await testWithChange(dir, patch, 'npm test --silent', signal);
    const keys = withChange.failures.map((f) => `${f.file} > ${f.name}`).sort();
    expect(keys).toEqual(['lib/added.test.ts > new and broken', 'lib/old.test.ts > already broken', 'lib/steady.test.ts > steady', 'lib/untouched.test.ts > broken but not run again']);
    // Only the two files that exist at HEAD and failed with the change ran again; on HEAD, steady passes.
    const failing = withChange.failures.filter((f) => f.file !== 'lib/untouched.test.ts');
    const known = await failingAtHead(dir, 'npm test --silent', failing, signal);
    expect([...known]).toEqual(['lib/old.test.ts > already broken']);
    // Nothing to re-run when every failing file is new.
    expect(await failingAtHead(dir, 'npm test --silent', withChange.failures.filter((f) => f.file === 'lib/added.test.ts'), signal)).toEqual(new Set());
  });
});
