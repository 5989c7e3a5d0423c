// Coverage = the share of the changed lines the change's tests execute (issue 15), from V8's own
// coverage of a real vitest run in the verify worktree, mapped back through vitest's source maps.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { changedLines, coverageRun, decodeMappings, describeMissed, measuredFiles, measureLineCoverage } from '../../agents/shared/line-coverage.js';
import { coverageOutcome } from '../../agents/shared/coverage-verdict.js';
import { testWithChange } from '../../agents/shared/verify-worktree.js';
import { diffAgainstHead } from '../../src/integrations/git.js';
import { ROOT } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('changed lines', () => {
  it('are the added lines of each file, numbered in the new file', () => {
    const patch = [
      'diff --git a/lib/a.ts b/lib/a.ts',
      '--- a/lib/a.ts',
      '+++ b/lib/a.ts',
      '@@ -1,3 +1,4 @@',
      ' export const a = 1;',
      '-export const b = 2;',
      '+export const b = 3;',
      '+export const c = 4;',
      ' export const d = 5;',
      '@@ -10,2 +11,3 @@',
      ' x',
      '+y',
      ' z',
      'diff --git a/lib/a.test.ts b/lib/a.test.ts',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/lib/a.test.ts',
      '@@ -0,0 +1,2 @@',
      "+import './a';",
      '+test();',
      'diff --git a/old.ts b/old.ts',
      '--- a/old.ts',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-gone',
    ].join('\n');
    const c = changedLines(patch);
    expect([...c.get('lib/a.ts')!]).toEqual([2, 3, 12]);
    expect([...c.get('lib/a.test.ts')!]).toEqual([1, 2]);
    expect(c.has('old.ts')).toBe(false);
    // The tests are the measure, not the measured.
    expect(measuredFiles(c)).toEqual(['lib/a.ts']);
  });

  it('source-map segments decode to generated and original lines', () => {
    // "AAAA;AACA,IAAE": line 0 col 0 -> src 0 line 0; line 1 col 0 -> line 1; line 1 col 4 -> line 1.
    expect(decodeMappings('AAAA;AACA,IAAE')).toEqual([
      [0, 0, 0, 0],
      [1, 0, 0, 1],
      [1, 4, 0, 1],
    ]);
    expect(describeMissed([{ path: 'lib/a.ts', lines: 5, executed: 1, missed: [3, 4, 5, 9], loaded: true }, { path: 'lib/b.ts', lines: 2, executed: 0, missed: [1, 2], loaded: false }])).toBe('lib/a.ts:3-5,9; lib/b.ts:1-2 (not loaded by any test)');
  });
});

describe('V8 coverage of a vitest run in the verify worktree', () => {
  it('counts the changed lines the tests execute: a called function yes, an uncalled one and an unloaded file no', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-line-coverage-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'cov', private: true, type: 'module', scripts: { test: 'vitest run' } }));
    writeFileSync(join(dir, 'lib', 'tax.ts'), 'export function net(amount: number): number {\n  return amount;\n}\n');
    writeFileSync(join(dir, 'lib', 'tax.test.ts'), "import { test, expect } from 'vitest';\nimport { net } from './tax';\ntest('net', () => expect(net(2)).toBe(2));\n");
    writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    // The change: net() gains a tax term the test reaches; gross() is new and no test calls it;
    // lib/unused.ts is new and no test loads it. Types and comments are not lines of code.
    const files = [
      {
        path: 'lib/tax.ts',
        content: [
          'export interface Rate {',
          '  percent: number;',
          '}',
          '// tax on top',
          'export function net(amount: number, rate: Rate = { percent: 0 }): number {',
          '  const tax = (amount * rate.percent) / 100;',
          '  return amount + tax;',
          '}',
          'export function gross(amount: number): number {',
          '  const doubled = amount * 2;',
          '  return doubled;',
          '}',
          '',
        ].join('\n'),
      },
      { path: 'lib/unused.ts', content: 'export function unused(): number {\n  return 1;\n}\n' },
    ];
    const patch = await diffAgainstHead(dir, files);
    const r = await testWithChange(dir, patch, 'npm test --silent', new AbortController().signal, undefined, { coverage: true });
    expect(r.exitCode, r.output).toBe(0);
    const cov = r.coverage!;
    const tax = cov.files.find((f) => f.path === 'lib/tax.ts')!;
    expect(tax.loaded).toBe(true);
    // Executed: net()'s lines 5-8; missed: gross()'s 9-11 (its closing brace is the old one, unchanged).
    // The interface (1-3) and the comment (4) are not lines of code.
    expect(tax).toMatchObject({ executed: 4, missed: [9, 10, 11] });
    const unused = cov.files.find((f) => f.path === 'lib/unused.ts')!;
    expect(unused).toMatchObject({ loaded: false, executed: 0 });
    expect(unused.missed).toEqual([1, 2, 3]);
    expect(cov).toMatchObject({ lines: 10, executed: 4, percent: 40 });
  }, 60_000);
});

describe('a run whose coverage is partly lost', () => {
  it('claims nothing when a test file that ran is in no coverage report, and the gate says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-line-coverage-lost-'));
    dirs.push(dir);
    const project = join(dir, 'p');
    mkdirSync(join(project, 'lib'), { recursive: true });
    writeFileSync(join(project, 'lib', 'a.ts'), 'export const a = () => 1;\n');
    const run = coverageRun(join(dir, 'cov'), project);
    // The main process's report only: the worker that ran lib/a.test.ts wrote none.
    writeFileSync(join(run.v8Dir, 'coverage-1-1-0.json'), JSON.stringify({ result: [{ url: `file://${run.root}/vitest.config.mjs`, functions: [{ ranges: [{ startOffset: 0, endOffset: 10, count: 1 }] }] }] }));
    const cov = await measureLineCoverage(run, new Map([['lib/a.ts', new Set([1])]]), undefined, ['lib/a.test.ts']);
    expect(cov).toMatchObject({ percent: null, reason: 'the V8 coverage of lib/a.test.ts was not written (the worker that ran it ended first), so which changed lines ran is not known' });
    const outcome = coverageOutcome({ coverage: cov, testCommand: 'npm test', ran: 'npm test', passed: 1, changed: ['lib/a.ts'], migrations: 0, dryRun: null }, 80);
    expect(outcome).toMatchObject({ ok: false, metrics: { coverage: null, coverageBasis: cov.reason } });
    // A file the tests loaded through a transform with no source map: not counted as not run either.
    writeFileSync(join(run.v8Dir, 'coverage-2-1-0.json'), JSON.stringify({ result: [{ url: `file://${run.root}/lib/a.test.ts`, functions: [{ ranges: [{ startOffset: 0, endOffset: 5, count: 1 }] }] }, { url: `file://${run.root}/lib/a.ts`, functions: [{ ranges: [{ startOffset: 0, endOffset: 40, count: 1 }] }] }] }));
    writeFileSync(join(run.sourcesDir, '2-0.json'), JSON.stringify({ file: join(run.root, 'lib', 'a.ts'), code: 'var a = function () { return 1; }; /**/', lineOffset: 0, columnOffset: 0 }));
    const blind = await measureLineCoverage(run, new Map([['lib/a.ts', new Set([1])]]), undefined, ['lib/a.test.ts']);
    expect(blind).toMatchObject({ percent: null, reason: 'tests loaded lib/a.ts, but the code their runner compiled carries no source map back to the source lines, so which changed lines ran is not known' });
  });
});
