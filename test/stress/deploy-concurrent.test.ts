// Concurrent deploys on one project, 20 times each: two deploys of different sets, two of the same
// set, a deploy plus a rollback, a deploy plus `migrate execute`. Every outcome must be what some
// serial order gives: the database opens, and its schema and history match the deployments the
// state database records.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, cleanupProjects } from '../helpers.js';
import { deployProject, foreignKeys, stageFix } from '../pipeline/deploy-fixture.js';
import { openStateDb } from '../../src/store/state-db.js';

afterAll(cleanupProjects);

const ROUNDS = Number(process.env.STRESS_ROUNDS ?? 20);
const work: string[] = [];
afterAll(() => work.forEach((d) => rmSync(d, { recursive: true, force: true })));

let base: string | undefined;
async function template(): Promise<string> {
  if (base) return base;
  const dir = deployProject();
  await stageFix(dir, 'BUG-2026-001', { table: 'estimates', version: '20261201143022', when: new Date('2026-12-01T10:00:00Z') });
  await stageFix(dir, 'BUG-2026-002', { table: 'invoices', version: '20261201150000', when: new Date('2026-12-01T11:00:00Z') });
  return (base = dir);
}

function copy(from: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'crm-agent-race-')), 'p');
  work.push(dir);
  cpSync(from, dir, { recursive: true });
  return dir;
}

// CRM_AGENT_CLI: a copy of dist/ that no build replaces while the loops run.
const run = (dir: string, ...args: string[]) => agent(args, { cwd: dir, script: process.env.CRM_AGENT_CLI });

/** What the state database says is live on staging: the constraints its deployments brought. */
function liveOnStaging(dir: string): string[] {
  const state = openStateDb(join(dir, '.agent', 'state.db'));
  try {
    const live = state.deployments({ limit: -1 }).filter((d) => d.env === 'staging' && d.status === 'succeeded');
    const fk = { 'BUG-2026-001': 'estimates_customer_id_fkey', 'BUG-2026-002': 'invoices_customer_id_fkey' } as Record<string, string>;
    return [...new Set(live.map((d) => fk[d.ticket_id!]!))].sort();
  } finally {
    state.close();
  }
}

async function expectSerial(dir: string, what: string) {
  const fks = await foreignKeys(dir, 'staging'); // opening it proves it is not corrupt
  expect(fks, what).toEqual(liveOnStaging(dir));
  const trees = join(dir, '.agent', 'worktrees');
  // At most one worktree per ticket's branch is left (the live deployment's).
  expect((existsSync(trees) ? readdirSync(trees) : []).length, what).toBeLessThanOrEqual(2);
}

describe('concurrent deploys are serial-equivalent', () => {
  it(`two deploys of different sets at once, ${ROUNDS} times`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const dir = copy(await template());
      const [a, b] = await Promise.all([run(dir, 'deploy', 'staging', 'BUG-2026-001'), run(dir, 'deploy', 'staging', 'BUG-2026-002')]);
      expect([a.code, b.code], a.stdout + a.stderr + b.stdout + b.stderr).toEqual([0, 0]);
      await expectSerial(dir, `round ${i}`);
      expect(liveOnStaging(dir)).toHaveLength(2);
    }
  });

  it(`two deploys of the same set at once, ${ROUNDS} times`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const dir = copy(await template());
      const [a, b] = await Promise.all([run(dir, 'deploy', 'staging', 'BUG-2026-001'), run(dir, 'deploy', 'staging', 'BUG-2026-001')]);
      expect([a.code, b.code], a.stdout + a.stderr + b.stdout + b.stderr).toEqual([0, 0]);
      expect(a.stdout + b.stdout).toMatch(/Waiting for DEPLOY-2026-00[12]/);
      await expectSerial(dir, `round ${i}`);
      // The next deploy is not blocked by anything the two left.
      expect((await run(dir, 'deploy', 'staging', 'BUG-2026-001')).code).toBe(0);
    }
  });

  it(`a deploy and a rollback at once, ${ROUNDS} times`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const dir = copy(await template());
      expect((await run(dir, 'deploy', 'staging', 'BUG-2026-001')).code).toBe(0);
      const [a, b] = await Promise.all([run(dir, 'deploy', 'staging', 'BUG-2026-002'), run(dir, 'rollback', 'BUG-2026-001')]);
      expect([a.code, b.code], a.stdout + a.stderr + b.stdout + b.stderr).toEqual([0, 0]);
      await expectSerial(dir, `round ${i}`);
      expect(liveOnStaging(dir)).toEqual(['invoices_customer_id_fkey']);
    }
  });

  it(`a deploy and migrate execute at once, ${ROUNDS} times`, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const dir = copy(await template());
      const [a, b] = await Promise.all([run(dir, 'deploy', 'staging', 'BUG-2026-001'), run(dir, 'migrate', 'execute', '--env', 'staging')]);
      expect(a.code, a.stdout + a.stderr).toBe(0);
      // migrate execute may apply the newest staged set too, or ask for the approval that set's deploy needs.
      expect([0, 3], b.stdout + b.stderr).toContain(b.code);
      const fks = await foreignKeys(dir, 'staging');
      expect(fks, `round ${i}`).toContain('estimates_customer_id_fkey');
      const status = JSON.parse((await run(dir, 'migrate', 'status', '--env', 'staging', '--json')).stdout.trim().split('\n').pop()!).data;
      const applied = status.rows.filter((r: { remote: string | null }) => r.remote).map((r: { remote: string }) => r.remote);
      // History and schema agree: a version is recorded exactly when its key exists.
      expect(applied.includes('20261201150000'), `round ${i}`).toBe(fks!.includes('invoices_customer_id_fkey'));
      expect(applied, `round ${i}`).toContain('20261201143022');
    }
  });
});
