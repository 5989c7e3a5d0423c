// The CLI's edges: a closed pipe, Ctrl-C during a child process, --verbose, `@agent` after global
// flags, hints for near misses, approve's accepted words, and failures in the log.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, CLI, expectUsageError, FIXTURE, makeProject, parseNdjson, testEnv, waitFor } from '../helpers.js';

afterAll(cleanupProjects);

const fixture = (args: string[], cwd: string) => agent(args, { cwd, script: FIXTURE });

describe('a closed stdout', () => {
  it('stops writing, finishes the work and records the run, without a stack trace', async () => {
    const dir = makeProject();
    const child = spawn(process.execPath, [FIXTURE, 'fixture', 'run', '--phase-ms', '150'], { cwd: dir, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    // The reader goes away after the first line, as `| head -1` does; later lines hit a closed pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    expect(await closed).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
    const status = parseNdjson((await agent(['status', '--json'], { cwd: dir })).stdout).at(-1)!.data as { interruptedRuns: unknown[] };
    expect(status.interruptedRuns).toEqual([]);
    const logs = parseNdjson((await agent(['logs', 'RUN-1', '--level', 'debug', '--json'], { cwd: dir })).stdout);
    expect(logs.map((e) => e.message)).toContain('run RUN-1 succeeded');
  });
});

describe('Ctrl-C while a child process runs', () => {
  it('exits 130 with an "interrupted" error, not a failure', async () => {
    const dir = makeProject();
    const script = "node -e \"require('fs').writeFileSync('started','');setTimeout(()=>{},60000)\"";
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sig', private: true, scripts: { test: script } }));
    const child = spawn(process.execPath, [CLI, 'test', '--json'], { cwd: dir, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitFor(() => existsSync(join(dir, 'started')), 20_000, 'the test script to start');
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    const result = parseNdjson(stdout).at(-1)!;
    expect(result).toMatchObject({ type: 'result', ok: false, exitCode: 130, error: { code: 'interrupted' } });
  });
});

describe('--verbose', () => {
  it('shows the run\'s debug events (phases, gates) as they happen, and includes them in --json', async () => {
    const dir = makeProject();
    const plain = await fixture(['fixture', 'run'], dir);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('understand started');
    const verbose = await fixture(['-v', 'fixture', 'run'], dir);
    expect(verbose.code).toBe(0);
    const lines = verbose.stdout.trim().split('\n');
    // In order: the phase starts, its own line, then its gate.
    const started = lines.findIndex((l) => /\[TESTAGENT\] · understand started/.test(l));
    const done = lines.findIndex((l) => /understand done/.test(l));
    expect(started).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(started);
    expect(verbose.stdout).toMatch(/run RUN-2 succeeded/);
    const json = parseNdjson((await fixture(['fixture', 'run', '--json', '--verbose'], dir)).stdout);
    const debug = json.filter((e) => e.type === 'event' && e.level === 'debug');
    expect(debug.map((e) => e.message)).toContain('verify started');
    expect(debug.every((e) => e.runId === 'RUN-3')).toBe(true);
    const ids = json.filter((e) => e.type === 'event').map((e) => e.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe('@agent after global flags', () => {
  it('is dropped wherever the command words begin', async () => {
    const dir = makeProject();
    const other = makeProject();
    expect((await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir })).code).toBe(0);
    const status = await agent(['--project', dir, '@agent', 'status'], { cwd: other });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('CRM AGENT STATUS');
    const tickets = await agent(['--no-color', '@agent tickets'], { cwd: dir });
    expect(tickets.code).toBe(0);
    expect(tickets.stdout).toContain('Estimates fail to save');
  });
});

describe('near misses and edge input', () => {
  it('routes "check health" and "show metrics", and caps the confidence at 100%', async () => {
    const dir = makeProject();
    const health = await agent(['check health'], { cwd: dir });
    expect(health.stdout).toMatch(/Understood as `agent health`/);
    const metrics = await agent(['show', 'metrics'], { cwd: dir });
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toMatch(/Understood as `agent metrics`/);
    const restart = await agent(['restart all agents'], { cwd: dir });
    const pct = Number(/confidence (\d+)%/.exec(restart.stdout)![1]);
    expect(pct).toBeLessThanOrEqual(100);
  });

  it('takes `migrate statu` for a typo of `migrate status`', async () => {
    const dir = makeProject();
    expectUsageError(await agent(['migrate', 'statu'], { cwd: dir }), /did you mean `agent migrate status`\?/);
    expectUsageError(await agent(['migrate', 'exectue'], { cwd: dir }), /did you mean `agent migrate execute`\?/);
    expect(existsSync(join(dir, 'staged'))).toBe(false);
  });

  it('refuses a --project directory that does not exist (the flag swallowed a command word)', async () => {
    const dir = makeProject();
    expectUsageError(await agent(['--project', 'status'], { cwd: dir }), /--project status: no such directory/);
  });

  it('prints help and the version as one JSON line with --json', async () => {
    const dir = makeProject();
    for (const args of [['--json', 'help'], ['--json', '--version'], ['help', 'approve', '--json']]) {
      const r = await agent(args, { cwd: dir });
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'result', ok: true, exitCode: 0 });
    }
  });
});

describe('approve <id> <words>', () => {
  it('accepts only the documented forms and approves nothing otherwise', async () => {
    const dir = makeProject();
    const ticket = /Ticket created: (\S+)/.exec((await fixture(['create', 'ticket', 'Estimates fail to save'], dir)).stdout)![1]!;
    const asked = await fixture(['fixture', 'run', ticket, '--approval', 'productionDeployment'], dir);
    expect(asked.code).toBe(3);
    for (const words of [['deploy', 'to', 'moon'], ['rollback', 'everything', 'now']]) {
      expectUsageError(await fixture(['approve', ticket, ...words], dir), new RegExp(`does not take "${words.join(' ')}"; use .*deploy to staging.*deploy to production`));
    }
    const pending = parseNdjson((await fixture(['approvals', '--json'], dir)).stdout).at(-1)!.data as { approvals: Array<{ status: string }> };
    expect(pending.approvals).toEqual([expect.objectContaining({ status: 'pending' })]);
    // The ticket id that names the request is not its typed confirmation: only --confirm is.
    expectUsageError(await fixture(['approve', ticket, 'deploy', 'to', 'production'], dir), new RegExp(`needs a typed confirmation: pass --confirm ${ticket}`));
    expect((await fixture(['approve', ticket, 'deploy', 'to', 'production', '--confirm', ticket], dir)).code).toBe(0);
  });
});

describe('a failed command', () => {
  it('leaves an error event that logs and system logs --level error show', async () => {
    const dir = makeProject();
    expect((await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, '.agent', 'outbox'), ''); // a file where the outbox directory belongs
    const failed = await agent(['email', 'hello', 'there'], { cwd: dir });
    expect(failed.code).toBe(1);
    for (const args of [['logs'], ['system', 'logs', '--level', 'error']]) {
      const r = await agent(args, { cwd: dir });
      expect(r.stdout).toMatch(/\[ORCHESTRATOR\] ✗ email: email not sent: EEXIST/);
    }
    // Bad input (exit 2) writes nothing.
    expect((await agent(['ticket', 'BUG-1999-999'], { cwd: dir })).code).toBe(2);
    const errors = parseNdjson((await agent(['logs', '--level', 'error', '--json'], { cwd: dir })).stdout).filter((e) => e.type === 'event');
    expect(errors).toHaveLength(1);
  });
});
