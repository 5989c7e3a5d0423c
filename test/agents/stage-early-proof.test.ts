// The fix pipeline starts StageAgent's test run before StageAgent starts (startProof), as soon as
// CodeSmith's and the Migrator's plans are final. StageAgent takes that run only for exactly the
// files it is given: for other files it ends it and runs its own. Real vitest in real git repos,
// the real phase handlers; a log file outside the repo counts the test runs that started.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changeKey, stageAgent, startProof, type ChangeProof } from '../../agents/stage-agent/index.js';
import { evaluateGate, PHASES } from '../../src/engine/gates.js';
import { defaultConfig } from '../../src/config/config.js';
import type { PhaseContext } from '../../src/engine/phases.js';
import type { ChangeFile } from '../../agents/shared/change-set.js';
import { ROOT } from '../helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const config = defaultConfig('demo');

const testFile = (ok: boolean) => `import { it, expect } from 'vitest';\nimport { total } from './sum';\nit('adds', () => expect(total([1, 2])).toBe(${ok ? 3 : 4}));\n`;

function repo(): { root: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-early-'));
  dirs.push(dir);
  const root = join(dir, 'p');
  const log = join(dir, 'runs.log');
  mkdirSync(join(root, 'lib'), { recursive: true });
  // Each run of the test script leaves a line in the log: how many runs started.
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module', scripts: { test: `echo run >> ${JSON.stringify(log)} && vitest run` } }));
  writeFileSync(join(root, 'vitest.config.mjs'), "export default { test: { include: ['lib/**/*.test.ts'] } };\n");
  writeFileSync(join(root, 'lib/sum.ts'), 'export const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);\n');
  writeFileSync(join(root, 'lib/sum.test.ts'), testFile(true));
  writeFileSync(join(root, '.gitignore'), 'node_modules\n');
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: root });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'base');
  return { root, log };
}

const change = (ok: boolean): ChangeFile[] => [
  { path: 'lib/avg.ts', content: "import { total } from './sum';\nexport const avg = (xs: number[]) => total(xs) / xs.length;\n", reason: 'adds avg', agent: 'CODESMITH' },
  { path: 'lib/avg.test.ts', content: `import { it, expect } from 'vitest';\nimport { avg } from './avg';\nit('averages', () => expect(avg([2, 4])).toBe(${ok ? 3 : 5}));\n`, reason: 'tests avg', agent: 'CODESMITH' },
];

async function stage(root: string, files: ChangeFile[], early: ChangeProof | null) {
  const logs: string[] = [];
  let staged: string | null = null;
  const task = stageAgent({ root, change: { ticket: { id: 'BUG-1', title: 'no average', kind: 'BUG' }, title: 'fix', summary: 's', files, migrations: [] }, gates: () => [], testCommand: 'npm test --silent', early }, (m) => (staged = m.dir));
  for (const phase of PHASES) {
    const ctx = { phase, agentId: 'stageagent-1', runId: 'r', ticketId: 'BUG-1', signal: new AbortController().signal, config, outputs: {}, log: (level: string, m: string) => logs.push(`${level} ${m}`) } as unknown as PhaseContext;
    const outcome = await task.phases[phase](ctx);
    const verdict = evaluateGate(phase, outcome.metrics, config.gates, outcome.items, 'BUG-1');
    if (verdict.type === 'block') return { staged, logs, blocked: `${phase}: ${verdict.reason}` };
  }
  return { staged: staged as string | null, logs, blocked: null };
}

const runs = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);
/** The repository's worktrees besides its own (a proof's run makes one and removes it). */
const worktrees = (root: string) => spawnSync('git', ['worktree', 'list', '--porcelain'], { cwd: root, encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith('worktree ')).length - 1;

describe('a test run started before StageAgent', () => {
  it('is keyed by every path and content', () => {
    const a = change(true);
    expect(changeKey(a)).toBe(changeKey([...a].reverse()));
    expect(changeKey(a)).not.toBe(changeKey(change(false)));
    expect(changeKey(a)).not.toBe(changeKey([{ ...a[0]!, content: null }, a[1]!]));
  });

  it('is taken for the same files: one run, its files written into the worktree, the change staged', async () => {
    const { root, log } = repo();
    const files = change(true);
    const early = startProof({ root, testCommand: 'npm test --silent', baseline: null }, files, new AbortController().signal);
    const r = await stage(root, files, early);
    expect(r.blocked).toBeNull();
    expect(r.staged).toMatch(/^staged\//);
    expect(runs(log)).toBe(1);
    // The new test ran with the written file (2 tests: sum and avg), and its lines were covered.
    expect(r.logs.some((l) => /^ok All tests passing \(2\)/.test(l))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(root, r.staged!, 'manifest.json'), 'utf8'));
    expect(manifest.tests.passed).toBe(2);
    expect(r.logs.some((l) => /Tested in \d+ ms more \(the run started before StageAgent did\)/.test(l))).toBe(true);
    expect(worktrees(root)).toBe(0);
  });

  it('is ended for other files, and StageAgent proves the files it was given', async () => {
    const { root, log } = repo();
    // The early run is for a change whose new test fails; StageAgent gets the one that passes.
    const early = startProof({ root, testCommand: 'npm test --silent', baseline: null }, change(false), new AbortController().signal);
    await early.plan;
    const r = await stage(root, change(true), early);
    expect(r.blocked).toBeNull();
    expect(r.logs.some((l) => /Tested in \d+ ms: /.test(l))).toBe(true);
    // Its run was ended (or never started), and it removed its worktree.
    const settled = await early.run.then(() => 'resolved', (e: Error) => e.message);
    expect(settled === 'resolved' || /cancelled/.test(settled)).toBe(true);
    expect(runs(log)).toBeGreaterThanOrEqual(1);
    expect(worktrees(root)).toBe(0);
  });

  it('is ended by cancel() mid-run (the pipeline does so when an agent blocks): its process tree is killed and its worktree removed', async () => {
    const { root, log } = repo();
    // A test that would take a minute: the run is ended long before.
    const files: ChangeFile[] = [{ path: 'lib/slow.test.ts', content: "import { it } from 'vitest';\nit('waits', () => new Promise((r) => setTimeout(r, 60_000)), 70_000);\n", reason: 'slow', agent: 'CODESMITH' }];
    const early = startProof({ root, testCommand: 'npm test --silent', baseline: null }, files, new AbortController().signal);
    for (let i = 0; i < 200 && runs(log) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(runs(log)).toBe(1);
    const t0 = Date.now();
    early.cancel();
    await expect(early.run).rejects.toThrow(/cancelled/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(worktrees(root)).toBe(0);
  });

  it('blocks StageAgent when the change fails its test, taken early or not', async () => {
    const { root } = repo();
    const files = change(false);
    const early = startProof({ root, testCommand: 'npm test --silent', baseline: null }, files, new AbortController().signal);
    const r = await stage(root, files, early);
    expect(r.blocked).toMatch(/^execute: .*the project's tests pass with the change \(1 passed, 1 failed\)/);
    expect(r.staged).toBeNull();
    expect(r.logs.some((l) => /Test still failing: averages/.test(l))).toBe(true);
  });
});
