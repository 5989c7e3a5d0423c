// Cross-process locks in the state database: a second holder waits and says for whom once, a dead
// holder's lock is taken over, and two runs on one ticket (two `fix ticket`) never overlap.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cleanupProjects, makeProject, waitFor } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';
import { holdLocks, holdsLock, ticketLock } from '../../src/engine/locks.js';
import { Orchestrator } from '../../src/engine/orchestrator.js';
import { defaultConfig } from '../../src/config/config.js';
import type { Reporter } from '../../src/commands/types.js';

afterAll(cleanupProjects);

const stateIn = () => new StateDb(join(makeProject(), '.agent', 'state.db'));

describe('locks', () => {
  it('a second holder waits until the first releases, and announces once whom it waits for', async () => {
    const state = stateIn();
    const releaseA = await holdLocks(state, 'DEPLOY-1', ['db:embedded:staging', 'ticket:BUG-1']);
    expect(holdsLock(state, 'db:embedded:staging')).toBe(true);
    const announced: string[][] = [];
    let got = false;
    const b = holdLocks(state, 'DEPLOY-2', ['db:embedded:staging'], { announce: (h) => announced.push(h) }).then((release) => {
      got = true;
      return release;
    });
    await waitFor(() => announced.length, 5000, 'the announcement');
    expect(got).toBe(false);
    expect(announced).toEqual([['DEPLOY-1']]);
    releaseA();
    const releaseB = await b;
    expect(state.lockOwner('db:embedded:staging')).toMatchObject({ holder: 'DEPLOY-2', pid: process.pid });
    expect(state.lockOwner('ticket:BUG-1')).toBeUndefined();
    releaseB();
    state.close();
  });

  it("takes over the lock of a holder whose process is gone", async () => {
    const state = stateIn();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    state.db.prepare('INSERT INTO locks (resource, run_id, pid, acquired_at) VALUES (?, ?, ?, ?)').run('db:embedded:production', 'DEPLOY-9', Number(dead.stdout), Date.now());
    const release = await holdLocks(state, 'DEPLOY-10', ['db:embedded:production'], { announce: () => expect.fail('a dead holder is not waited for') });
    expect(state.lockOwner('db:embedded:production')?.holder).toBe('DEPLOY-10');
    release();
    state.close();
  });

  it('two runs on one ticket (a second fix while the first runs) run one after the other', async () => {
    const state = stateIn();
    const lines: string[] = [];
    const out: Reporter = { json: false, color: false, line: (_a, _l, m) => void lines.push(m), print() {}, spin: (_label, work) => work };
    const orch = new Orchestrator(state, defaultConfig('t'), out, new AbortController().signal);
    const order: string[] = [];
    let finishFirst!: () => void;
    const first = orch.withRun({ command: 'fix ticket BUG-1', ticketId: 'BUG-1', resources: [ticketLock('BUG-1')] }, async () => {
      order.push('first start');
      await new Promise<void>((r) => (finishFirst = r));
      order.push('first end');
    });
    await waitFor(() => order.length, 5000, 'the first run');
    const second = orch.withRun({ command: 'fix ticket BUG-1', ticketId: 'BUG-1', resources: [ticketLock('BUG-1')] }, async () => void order.push('second start'));
    await waitFor(() => lines.includes('Waiting for RUN-1 (fix ticket BUG-1) to finish'), 5000, 'the second run to wait');
    expect(order).toEqual(['first start']);
    finishFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first start', 'first end', 'second start']);
    orch.dispose();
    state.close();
  });
});
