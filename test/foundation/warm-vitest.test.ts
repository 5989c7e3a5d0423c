// The project's vitest started ahead of its test files (src/integrations/warm-vitest.ts): what it
// reports is what `vitest run <files>` reports, files written after it started included; anything it
// cannot run the way the command would goes back to the caller; it never outlives its use.
import { afterAll, describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, waitFor } from '../helpers.js';
import { focusedCommand, parseTestCounts, runShell } from '../../src/integrations/shell.js';
import { startWarmVitest, vitestArgs } from '../../src/integrations/warm-vitest.js';
import { parseFailures, parseFileResults } from '../../agents/shared/test-failures.js';
import { InterruptedError } from '../../src/errors.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const alive = (pid: number | undefined) => {
  try {
    return pid !== undefined && (process.kill(pid, 0), true);
  } catch {
    return false;
  }
};

/** A package whose test script is `script`, with vitest installed, a passing and a failing test file. */
function project(script = 'vitest run'): string {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-warm-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'warm', type: 'module', scripts: { test: script } }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'sum.ts'), 'export const sum = (a: number, b: number) => a + b;\n');
  writeFileSync(join(dir, 'sum.test.ts'), "import { expect, it } from 'vitest';\nimport { sum } from './sum';\nit('adds', () => expect(sum(1, 2)).toBe(3));\nit('adds zero', () => expect(sum(1, 0)).toBe(1));\n");
  writeFileSync(join(dir, 'broken.test.ts'), "import { expect, it } from 'vitest';\nimport { sum } from './sum';\nit('adds negatives', () => expect(sum(-1, -2)).toBe(-4));\n");
  return dir;
}

/** What a run says, without its timings: exit code, counts, per-file results, failures. */
const verdict = (r: { exitCode: number; output: string }) => ({ exitCode: r.exitCode, counts: parseTestCounts(r.output), files: Object.fromEntries(parseFileResults(r.output)), failures: parseFailures(r.output).map((f) => `${f.file} > ${f.name}`) });

describe('vitestArgs', () => {
  it('takes a test script that is a run of vitest and nothing else', () => {
    expect(vitestArgs('vitest run')).toEqual(['run']);
    expect(vitestArgs('vitest')).toEqual([]);
    expect(vitestArgs('vitest --run --reporter=dot --pool=forks')).toEqual(['--run', '--reporter=dot', '--pool=forks']);
    expect(vitestArgs('./node_modules/.bin/vitest run')).toEqual(['run']);
  });
  it('leaves anything else to the shell', () => {
    for (const script of ['vitest run && echo done', 'NODE_ENV=test vitest run', 'cross-env CI=1 vitest run', 'vitest run "a b.test.ts"', 'vitest watch', 'vitest bench', 'jest', 'vitest run $FILES', 'node --test']) expect(vitestArgs(script), script).toBeNull();
  });
});

describe('startWarmVitest', () => {
  it('reports what `vitest run <files>` reports, for a file written after it started too', async () => {
    const dir = project();
    const warm = startWarmVitest(dir, 'npm test --silent')!;
    expect(warm).not.toBeNull();
    await new Promise((r) => setTimeout(r, 300)); // under way while the change is written
    writeFileSync(join(dir, 'later.test.ts'), "import { expect, it } from 'vitest';\nit('was written after vitest started', () => expect(1).toBe(1));\n");
    const files = ['sum.test.ts', 'later.test.ts'];
    const ahead = await warm.run(files, {});
    const command = await runShell(focusedCommand('npm test --silent', files), { cwd: dir });
    expect(ahead).not.toBeNull();
    expect(verdict(ahead!)).toEqual(verdict(command));
    expect(verdict(ahead!)).toMatchObject({ exitCode: 0, counts: { passed: 3, failed: 0 } });
    await waitFor(() => !alive(warm.pid), 10_000, 'the server to exit after its run');
  });

  it('fails the way the command fails, and runs the whole suite when given no file', async () => {
    const dir = project();
    const ahead = await startWarmVitest(dir, 'npm test --silent')!.run([], {});
    const command = await runShell('npm test --silent', { cwd: dir });
    expect(verdict(ahead!)).toEqual(verdict(command));
    expect(verdict(ahead!)).toMatchObject({ exitCode: 1, counts: { passed: 2, failed: 1 }, failures: ['broken.test.ts > adds negatives'] });
  });

  it('exits as `vitest run` does when no test file matches', async () => {
    const dir = project();
    const ahead = await startWarmVitest(dir, 'npm test --silent')!.run(['nothing-matches-this'], {});
    const command = await runShell(focusedCommand('npm test --silent', ['nothing-matches-this']), { cwd: dir });
    expect(ahead!.exitCode).toBe(command.exitCode);
    expect(ahead!.exitCode).toBe(1);
    expect(ahead!.output).toContain('No test files found');
    expect(command.output).toContain('No test files found');
  });

  it('is not started for a script that is more than vitest, and hands back a script it cannot run ahead', async () => {
    expect(startWarmVitest(project('vitest run && echo done'), 'npm test --silent')).toBeNull();
    // The script names its own files: vitest would run those alongside the change's, so the server says no and exits.
    const warm = startWarmVitest(project('vitest run sum.test.ts'), 'npm test --silent')!;
    expect(await warm.run(['broken.test.ts'], {})).toBeNull();
    await waitFor(() => !alive(warm.pid), 10_000, 'the server to exit');
  });

  it('ends with dispose() before a run, and with the signal during one', async () => {
    const idle = startWarmVitest(project(), 'npm test --silent')!;
    await new Promise((r) => setTimeout(r, 200));
    await idle.dispose();
    expect(alive(idle.pid)).toBe(false);

    const dir = project();
    writeFileSync(join(dir, 'slow.test.ts'), "import { it } from 'vitest';\nit('waits', () => new Promise((r) => setTimeout(r, 60_000)), 120_000);\n");
    const busy = startWarmVitest(dir, 'npm test --silent')!;
    const stop = new AbortController();
    const run = busy.run(['slow.test.ts'], { signal: stop.signal });
    setTimeout(() => stop.abort(), 1500);
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    await waitFor(() => !alive(busy.pid), 10_000, 'the server and its forks to be ended');
  });

  it('exits by itself when the process that started it goes away before giving it files', async () => {
    const dir = project();
    const server = fork(fileURLToPath(new URL('../../src/integrations/vitest-server.mjs', import.meta.url)), [JSON.stringify(['run'])], { cwd: dir, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    await new Promise<void>((resolve) => server.on('message', (m: { ready?: boolean }) => m.ready && resolve()));
    server.disconnect(); // what a killed parent's closed channel looks like from the server
    const code = await new Promise<number | null>((resolve) => server.on('exit', resolve));
    expect(code).toBe(0);
  });
});
