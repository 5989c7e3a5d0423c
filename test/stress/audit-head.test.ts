// The audit head under concurrency and kills (~30 s, so not in `npm test`): several processes
// appending at once leave the head at the chain's last entry, and a process SIGKILLed at any moment
// of an append leaves the head at most one entry behind, which `agent audit --verify` accepts and
// says; never a verdict of tampering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, ROOT, waitFor } from '../helpers.js';

// Bundled from the sources next to node_modules, so the bundle finds better-sqlite3 as the CLI does.
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'crm-agent-stress');
const APPENDER = join(OUT_DIR, `audit-appender-${process.pid}.mjs`);

beforeAll(() => {
  mkdirSync(OUT_DIR, { recursive: true });
  const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild');
  const r = spawnSync(esbuild, [join(ROOT, 'test', 'stress', 'audit-appender.ts'), '--bundle', '--platform=node', '--format=esm', `--outfile=${APPENDER}`, '--external:better-sqlite3', '--log-level=error'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => {
  rmSync(APPENDER, { force: true });
  cleanupProjects();
});

function appender(dir: string, count?: number) {
  const child = spawn(process.execPath, [APPENDER, join(dir, '.agent', 'state.db'), ...(count ? [String(count)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, closed, lines: () => out.split('\n').filter(Boolean).length, stderr: () => err };
}

const head = (dir: string) => JSON.parse(readFileSync(join(dir, '.agent', 'audit.head'), 'utf8')) as { seq: number };

describe('the audit head', () => {
  it('ends at the last entry when four processes append 250 entries each at once', async () => {
    const dir = makeProject();
    const runs = Array.from({ length: 4 }, () => appender(dir, 250));
    for (const r of runs) expect(await r.closed, r.stderr()).toBe(0);
    expect(head(dir).seq).toBe(1000);
    const v = await agent(['audit', '--verify'], { cwd: dir });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\[AUDIT\] ✓ Audit chain intact: 1000 entries verified, ending at the head recorded outside \(#1000; git checkpoint #1000\)/);
  });

  it('is at most one entry behind after a SIGKILL at any moment, and verify says so rather than crying tampering', async () => {
    const dir = makeProject();
    let behind = 0;
    for (let round = 0; round < 25; round++) {
      const r = appender(dir);
      const target = 1 + Math.floor(Math.random() * 40);
      await waitFor(() => r.lines() >= target, 15_000, `${target} appends`);
      r.child.kill('SIGKILL');
      await r.closed;
      const v = await agent(['audit', '--verify'], { cwd: dir });
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(v.stdout).toMatch(/✓ Audit chain intact/);
      if (/committed by a process that ended before recording the head/.test(v.stdout)) behind++;
    }
    // Not asserted (timing decides), but reported: how often the kill fell in the window.
    console.log(`audit head stress: ${behind} of 25 kills left the head one entry behind`);
  });
});
