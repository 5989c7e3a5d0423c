// The admin set through the real CLI: system, agents and emergency commands.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, FIXTURE, makeProject, parseNdjson, startAgent, waitFor } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';
import { configChanges } from '../../src/commands/admin.js';

afterAll(cleanupProjects);

describe('agents update config', () => {
  it('validates, records a baseline, then shows exactly what changed', async () => {
    const dir = makeProject();
    const first = await agent(['agents', 'update', 'config'], { cwd: dir });
    expect(first.stdout).toContain('Config is valid (embedded defaults); recorded as the baseline');
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ agents: { maxConcurrent: 3 }, gates: { testCoverage: 70 } }));
    const second = await agent(['agents', 'update', 'config'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('  agents.maxConcurrent: 5 -> 3\n  gates.testCoverage: 80 -> 70');
    const same = await agent(['agents', 'update', 'config'], { cwd: dir });
    expect(same.stdout).toContain('nothing changed');
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ agents: { maxConcurrent: 0 } }));
    const bad = await agent(['agents', 'update', 'config'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('error: agent.config.json: agents.maxConcurrent: expected a number >= 1, got 0');
    // The baseline in the state database is the last valid config; each valid run is audited.
    const db = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      const baseline = db.getKv<{ agents: { maxConcurrent: number }; gates: { testCoverage: number } }>('config.snapshot')!;
      expect([baseline.agents.maxConcurrent, baseline.gates.testCoverage]).toEqual([3, 70]);
      expect(db.audit().filter((a) => a.action === 'agents.update-config').map((a) => a.result)).toEqual(['first snapshot', '2 change(s)', '0 change(s)']);
    } finally {
      db.close();
    }
  });

  it('diffs nested values purely', () => {
    expect(configChanges({ a: { b: 1, c: [1] } }, { a: { b: 2, c: [1] }, d: true })).toEqual(['a.b: 1 -> 2', 'd: (unset) -> true']);
  });
});

describe('agents purge logs', () => {
  it('deletes only events older than the cutoff and keeps the audit trail', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Jobs page is broken'], { cwd: dir });
    const db = new StateDb(join(dir, '.agent', 'state.db'));
    for (let i = 0; i < 5; i++) db.appendEvent({ kind: 'line', level: 'info', agent: 'OLD', message: `old ${i}`, ts: Date.now() - 40 * 86_400_000 });
    db.close();
    // Deleting history is destructive: a typed approval first, and never the whole log.
    expect((await agent(['agents', 'purge', 'logs', '--older-than', '0d'], { cwd: dir })).code).toBe(2);
    const ask = await agent(['agents', 'purge', 'logs', '--json'], { cwd: dir });
    expect(parseNdjson(ask.stdout).at(-1)).toMatchObject({ ok: false, exitCode: 3, error: { approvalId: 'APR-1' } });
    const r = await agent(['approve', 'APR-1', '--confirm', 'APR-1', '--json'], { cwd: dir });
    expect(parseNdjson(r.stdout).at(-1)).toMatchObject({ ok: true, data: { resumed: { removed: 5 } } });
    const logs = await agent(['logs'], { cwd: dir });
    expect(logs.stdout).toContain('Ticket created');
    const after = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      expect(after.events({ agent: 'OLD' })).toEqual([]);
      expect(after.events().some((e) => /Ticket created/.test(e.message))).toBe(true);
      expect(after.audit().filter((a) => a.action === 'agents.purge-logs').map((a) => [a.approval, a.result])).toEqual([['APR-1', '5 removed']]);
    } finally {
      after.close();
    }
    expect((await agent(['audit', '--verify'], { cwd: dir })).code).toBe(0);
    expect((await agent(['agents', 'purge', 'logs', '--older-than', 'soon'], { cwd: dir })).code).toBe(2);
  });
});

describe('emergency', () => {
  it('stop all needs a typed approval, then cancels runs in other processes', async () => {
    const dir = makeProject();
    await agent(['status'], { cwd: dir });
    const running = startAgent(['fixture', 'run', '--phase-ms', '2000'], { cwd: dir, script: FIXTURE });
    const ask = await agent(['emergency', 'stop', 'all'], { cwd: dir });
    expect(ask.code).toBe(3);
    expect(ask.stderr).toContain('agent approve APR-1');
    const wrong = await agent(['approve', 'APR-1'], { cwd: dir });
    expect(wrong.stderr.trim()).toBe('error: APR-1 (emergency) needs a typed confirmation: pass --confirm APR-1');
    await waitFor(async () => {
      const s = JSON.parse((await agent(['status', '--json'], { cwd: dir })).stdout);
      return s.data.agents.active === 1;
    }, 15_000, 'the fixture agent to run');
    const ok = await agent(['approve', 'APR-1', '--confirm', 'APR-1'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Stop sent to 1 run\(s\) in 1 process\(es\): RUN-1/);
    const code = await running.closed;
    expect(code).toBe(130);
    const db = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      expect(db.run('RUN-1')!.status).toBe('cancelled');
      expect(db.audit().some((a) => a.action.startsWith('emergency.stop') && a.approval === 'APR-1')).toBe(true);
    } finally {
      db.close();
    }
  });

  it('maintenance mode shows in status and runs the configured commands', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { production: { maintenance: { on: ['touch maintenance.flag'], off: ['rm maintenance.flag'] } } } }));
    expect((await agent(['emergency', 'maintenance', 'on'], { cwd: dir })).code).toBe(3);
    const ok = await agent(['approve', 'APR-1', '--confirm', 'APR-1'], { cwd: dir });
    expect(ok.stdout).toContain('Maintenance mode on: deploys are paused');
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'maintenance.flag'))).toBe(true);
    expect((await agent(['status'], { cwd: dir })).stdout).toMatch(/⚠ MAINTENANCE MODE since .* \(admin\): deploys paused/);
    expect((await agent(['emergency', 'maintenance', 'sideways'], { cwd: dir })).code).toBe(2);
  });
});

describe('system', () => {
  it('system status checks every dependency and prints the status block', async () => {
    const dir = makeProject();
    const before = Date.now();
    const r = await agent(['system', 'status'], { cwd: dir });
    expect(r.code).toBe(0);
    // Every check it printed was run now and recorded in the state database's health table.
    const db = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      const checked = db.health();
      expect(checked.length).toBe(12);
      expect(checked.every((h) => h.checked_at >= before)).toBe(true);
      expect(checked.find((h) => h.name === 'state database')!.status).toBe('ok');
      for (const h of checked) expect(r.stdout).toContain(h.name);
    } finally {
      db.close();
    }
    // `agent health` (the seed's 1.2 health check) records its checks the same way, each one anew.
    const since = Date.now();
    expect((await agent(['health'], { cwd: dir })).code).toBe(0);
    const again = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      expect(again.health().map((h) => h.checked_at >= since)).toEqual(Array(12).fill(true));
    } finally {
      again.close();
    }
    // Nothing external is configured in a bare project: not OPTIMAL, and each check rated.
    expect(r.stdout).toMatch(/✓ state database[\s\S]*System Health: ⚪ NOT CONFIGURED: 4 ok, 8 not configured, 0 failing[\s\S]*CRM AGENT STATUS[\s\S]*System Health:\s+⚪ NOT CONFIGURED/);
    expect(r.stdout).toMatch(/🟢 state database {2}🟢 git repository {2}🟢 staging database {2}🟢 production database {2}⚪ supabase/);
    const { overallOf } = await import('../../src/engine/status.js');
    const local = [{ name: 'state database', status: 'ok' }, { name: 'git repository', status: 'ok' }];
    expect(overallOf([...local, { name: 'supabase', status: 'not_configured' }])).toBe('unconfigured');
    expect(overallOf([...local, { name: 'supabase', status: 'ok' }, { name: 'resend', status: 'not_configured' }])).toBe('optimal');
    expect(overallOf([...local, { name: 'resend', status: 'failing' }])).toBe('degraded');
    expect(overallOf([{ name: 'state database', status: 'failing' }])).toBe('failing');
    // The checks left no error event behind (what system logs shows and filters: system-logs.test.ts).
    const logs = await agent(['system', 'logs', '--level', 'error'], { cwd: dir });
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('No events at error level or above\n');
  });
});

describe('an approval its requester is still waiting for', () => {
  it('is carried out once, by the waiting requester, not again by `agent approve`', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { production: { maintenance: { on: ['echo on >> ran.txt'] } } } }));
    await agent(['status'], { cwd: dir });
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    state.touchSession('test-dashboard', 'dashboard');
    const beat = setInterval(() => state.touchSession('test-dashboard', 'dashboard'), 500);
    try {
      const waiting = startAgent(['emergency', 'maintenance', 'on'], { cwd: dir });
      await waitFor(() => /Waiting for APR-1/.test(waiting.output()), 15_000, 'the requester to wait');
      const ok = await agent(['approve', 'APR-1', '--confirm', 'APR-1'], { cwd: dir });
      expect(ok.stdout).toMatch(/process \d+ was waiting for APR-1 and continues now/);
      await waiting.closed;
      expect(waiting.exitCode).toBe(0);
      const { readFileSync } = await import('node:fs');
      expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('on\n');
    } finally {
      clearInterval(beat);
      state.close();
    }
  });
});
