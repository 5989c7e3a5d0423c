// Kills a deploy (staging and production) and a rollback with SIGKILL at every recorded step, on the
// embedded databases (and on a PostgreSQL server when TEST_DATABASE_URL is set). After each kill,
// `agent status` names the interrupted deployment and its step, and `agent rollback` (or `agent deploy
// resume`) leaves code and schema exactly as before the deploy (or exactly as after it), with no
// worktree left behind.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, cleanupProjects } from '../helpers.js';
import { deployProject, gitIn, stageFix } from '../pipeline/deploy-fixture.js';
import { embedded, pgTargets, type Backend } from './pg-targets.js';

afterAll(cleanupProjects);

const T = 'BUG-2026-001';
const DEPLOY_POINTS = [
  'deploy:branch:intent',
  'deploy:branch:done',
  'deploy:tests:intent',
  'deploy:tests:done',
  'deploy:migrations:intent',
  'deploy:migrations:snapshot',
  'deploy:migrations:applied-one',
  'deploy:migrations:done',
  'deploy:merge:intent',
  'deploy:merge:done',
  'deploy:deploy steps:intent',
  'deploy:deploy steps:done',
  'deploy:record:done',
];
const ROLLBACK_POINTS = ['rollback:rollback:intent', 'rollback:migrations:intent', 'rollback:migrations:done', 'rollback:code:intent', 'rollback:code:done', 'rollback:record:done'];

const work: string[] = [];
afterAll(() => work.forEach((d) => rmSync(d, { recursive: true, force: true })));

const backends: Backend[] = [embedded, ...pgTargets()];

/** One prepared project per backend, copied for each kill (git, state, staged set, databases). */
async function template(b: Backend): Promise<string> {
  const dir = deployProject({ approvals: { productionDeployment: false }, ...b.config });
  await stageFix(dir, T);
  return dir;
}

function copy(from: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'crm-agent-kill-')), 'p');
  work.push(dir);
  cpSync(from, dir, { recursive: true });
  return dir;
}

// CRM_AGENT_CLI: a copy of dist/ that no build replaces while the loops run.
const run = (dir: string, args: string[], env: Record<string, string> = {}) => agent(args, { cwd: dir, env, script: process.env.CRM_AGENT_CLI });
const statusOf = async (dir: string, env: Record<string, string>) => JSON.parse((await run(dir, ['status', '--json'], env)).stdout.trim().split('\n').pop()!).data;

async function expectClean(dir: string) {
  expect(gitIn(dir, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length).toBe(1);
  const trees = join(dir, '.agent', 'worktrees');
  expect(existsSync(trees) ? readdirSync(trees) : []).toEqual([]);
}

describe.each(backends)('a deploy killed at every step ($name)', (b) => {
  let base: string;
  it.each(['staging', 'production'] as const)('%s', async (env) => {
    base ??= await template(b);
    for (const point of DEPLOY_POINTS) {
      if (env === 'staging' && point.startsWith('deploy:merge')) continue;
      for (const settle of ['rollback', 'resume'] as const) {
        const dir = copy(base);
        const vars = await b.fresh();
        const head = gitIn(dir, 'rev-parse', 'HEAD');
        const killed = await run(dir, ['deploy', env, T], { ...vars, CRM_AGENT_FAILPOINT: point });
        expect(killed.code, `${point}: ${killed.stdout}${killed.stderr}`).toBe(null);
        const st = await statusOf(dir, vars);
        const dep = st.unfinishedDeployments[0];
        if (point === 'deploy:record:done') expect(dep).toBeUndefined();
        else expect(dep, point).toMatchObject({ status: 'interrupted', step: point.split(':')[1] });
        const id = dep?.id ?? 'last';
        if (settle === 'resume') {
          if (!dep) continue;
          const r = await run(dir, ['deploy', 'resume', id], vars);
          expect(r.code, `${point} resume: ${r.stdout}${r.stderr}`).toBe(0);
          expect(await b.fks(dir, env, vars), point).toEqual(['estimates_customer_id_fkey']);
          if (env === 'production') expect(existsSync(join(dir, 'lib', 'estimates.ts')), point).toBe(true);
          expect((await statusOf(dir, vars)).unfinishedDeployments).toEqual([]);
          // And what resume finished, a rollback undoes completely.
        }
        const r = await run(dir, ['rollback', id], vars);
        expect(r.code, `${point} ${settle} rollback: ${r.stdout}${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/✓ Rollback complete/);
        expect(await b.fks(dir, env, vars), point).toEqual([]);
        expect(gitIn(dir, 'diff', '--name-only', head, 'HEAD'), point).toBe('');
        await expectClean(dir);
        expect((await statusOf(dir, vars)).unfinishedDeployments).toEqual([]);
      }
    }
  });

  it('a rollback killed at every step is finished by the next rollback', async () => {
    base ??= await template(b);
    for (const env of ['staging', 'production'] as const) {
      for (const point of ROLLBACK_POINTS) {
        if (env === 'staging' && point.startsWith('rollback:code')) continue;
        const dir = copy(base);
        const vars = await b.fresh();
        const head = gitIn(dir, 'rev-parse', 'HEAD');
        const d = await run(dir, ['deploy', env, T], vars);
        expect(d.code, d.stdout + d.stderr).toBe(0);
        const killed = await run(dir, ['rollback', 'last'], { ...vars, CRM_AGENT_FAILPOINT: point });
        expect(killed.code, `${point}: ${killed.stdout}${killed.stderr}`).toBe(null);
        const st = await statusOf(dir, vars);
        if (point !== 'rollback:record:done') expect(st.unfinishedDeployments[0], point).toMatchObject({ status: 'rollback_interrupted' });
        else {
          expect(st.unfinishedDeployments).toEqual([]);
          expect(st.lastDeployment.status).toBe('rolled_back');
        }
        if (point !== 'rollback:record:done') {
          const r = await run(dir, ['rollback', st.unfinishedDeployments[0].id], vars);
          expect(r.code, `${point}: ${r.stdout}${r.stderr}`).toBe(0);
          expect(r.stdout).toMatch(/✓ Rollback complete/);
        }
        expect(await b.fks(dir, env, vars), point).toEqual([]);
        expect(gitIn(dir, 'diff', '--name-only', head, 'HEAD'), point).toBe('');
        await expectClean(dir);
      }
    }
  });
});

