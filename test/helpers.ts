// Shared test helpers: real temp git repositories and the real CLI in child processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist', 'cli.js');
export const FIXTURE = join(ROOT, 'test', 'fixtures', 'agent-fixture.mjs');

if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it for you)');

const made: string[] = [];

/** A fresh git repository in a temp dir, removed after the run. */
export function makeProject(prefix = 'crm-agent-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  made.push(dir);
  return dir;
}

export function cleanupProjects(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: no credentials from the developer's shell leak into tests. */
export function testEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function agent(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; script?: string; input?: string }): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [opts.script ?? CLI, ...args], { cwd: opts.cwd, env: testEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * A CLI process in the background. `closed` resolves with its exit code once it has exited and its
 * output is read: made at spawn, so a process that ends before the test awaits it is not missed.
 */
export function startAgent(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; script?: string }): ChildProcess & { output: () => string; closed: Promise<number | null> } {
  const child = spawn(process.execPath, [opts.script ?? CLI, ...args], { cwd: opts.cwd, env: testEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return Object.assign(child, { output: () => out, closed });
}

/** Polls until `fn` returns a truthy value or the timeout passes (no fixed sleeps in tests). */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function parseNdjson(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Bad input: exit 2, exactly one line on stderr, nothing on stdout. */
export function expectUsageError(r: { code: number | null; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}
