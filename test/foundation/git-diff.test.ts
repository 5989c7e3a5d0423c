// diffAgainstHead: a patch of new, changed and deleted files against HEAD, computed without
// touching the working tree or the real index, that `git apply` turns into exactly those files.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffAgainstHead } from '../../src/integrations/git.js';
import { cleanupProjects, makeProject } from '../helpers.js';

afterAll(cleanupProjects);

const sh = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });

describe('diffAgainstHead', () => {
  it('adds, changes and deletes in one patch and leaves the repository untouched', async () => {
    const root = makeProject();
    writeFileSync(join(root, 'keep.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'gone.ts'), 'export const b = 2;\n');
    sh(root, 'add', '-A');
    sh(root, 'commit', '-qm', 'init');

    const patch = await diffAgainstHead(root, [
      { path: 'keep.ts', content: 'export const a = 10;\n' },
      { path: 'gone.ts', content: null },
      { path: 'lib/new file.ts', content: 'export const c = 3;\n' },
    ]);
    expect(sh(root, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(root, 'keep.ts'), 'utf8')).toBe('export const a = 1;\n');

    execFileSync('git', ['apply', '-'], { cwd: root, input: patch });
    expect(readFileSync(join(root, 'keep.ts'), 'utf8')).toBe('export const a = 10;\n');
    expect(existsSync(join(root, 'gone.ts'))).toBe(false);
    expect(readFileSync(join(root, 'lib/new file.ts'), 'utf8')).toBe('export const c = 3;\n');
  });
});
