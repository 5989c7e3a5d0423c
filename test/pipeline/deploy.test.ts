// The staged change set and the deploy/rollback saga on a real git repository.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupProjects, makeProject } from '../helpers.js';
import { writeChangeSet } from '../../agents/stage-agent/writer.js';
import type { ChangeSetInput } from '../../agents/shared/change-set.js';
import { createContext } from '../../src/commands/dispatch.js';
import { openProject } from '../../src/config/project.js';
import { loadSecrets } from '../../src/config/secrets.js';
import { createReporter } from '../../src/cli/output.js';
import { makeStyle } from '../../src/cli/style.js';
import { deploy, rollback, type MigrationApplier, type MigrationToApply } from '../../src/engine/deploy.js';
import { embeddedTarget } from '../../src/engine/environments.js';
import { emptySnapshot } from '../../agents/migrator/schema-snapshot.js';
import type { ChangeSetRow, DeploymentRow } from '../../src/store/rows.js';
import { runSaga } from '../../src/engine/saga.js';
import { notifyDeployment } from '../../src/engine/notify.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

afterAll(cleanupProjects);

function sh(cwd: string, ...args: string[]) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** A tiny project with a real test script that checks the file the change set adds. */
function project(testScript = "node -e \"process.exit(require('fs').existsSync('app/api/estimates/route.ts') ? 0 : 1)\"") {
  const dir = makeProject();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'crm', scripts: { test: testScript } }));
  writeFileSync(join(dir, 'README.md'), '# crm\n');
  sh(dir, 'add', '-A');
  sh(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  return dir;
}

async function context(dir: string, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const out = createReporter({ json: false, verbose: false, style: makeStyle(false), sink: { out: (t) => lines.push(t), err: (t) => lines.push(t), isTTY: false }, state: () => ctx.openedState() });
  const ctx = createContext({ project: await openProject({ cwd: dir }), secrets: loadSecrets(dir, env), out, signal: new AbortController().signal, interactive: false, initiator: 'admin' });
  return { ctx, lines };
}

function input(overrides: Partial<ChangeSetInput> = {}): ChangeSetInput {
  return {
    ticket: { id: 'BUG-2026-001', title: 'AI estimate fix', kind: 'BUG' },
    title: 'AI estimate fix',
    summary: 'Adds the estimates endpoint.',
    files: [{ path: 'app/api/estimates/route.ts', content: 'export async function POST() { return new Response(null, { status: 201 }); }\n', reason: 'the endpoint the voice agent needs', agent: 'CODESMITH' }],
    migrations: [],
    gates: [{ agent: 'CODESMITH', phase: 'verify', gate: 'zero-post-errors', ok: true, detail: '0 post-execution errors' }],
    baseSha: null,
    ...overrides,
  };
}

/**
 * A fake-free applier over a real file: each migration appends its `version deployment` line and
 * removes it when reverted; the schema is the set of applied versions (as extensions, so the real
 * schema differ compares them).
 */
function fileApplier(dir: string): () => Promise<MigrationApplier> {
  const path = join(dir, 'applied.txt');
  const rows = () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]) : []);
  return async () => ({
    description: 'a file',
    async apply(ms: MigrationToApply[], _log, by) {
      const have = new Set(rows().map((r) => r[0]));
      const fresh = ms.filter((m) => !have.has(m.version));
      for (const m of fresh) writeFileSync(path, (existsSync(path) ? readFileSync(path, 'utf8') : '') + `${m.version} ${by.deployment}\n`);
      return fresh.map((m) => m.version);
    },
    async revert(ms: MigrationToApply[]) {
      const gone = new Set(ms.map((m) => m.version));
      writeFileSync(path, rows().filter((r) => !gone.has(r[0])).map((r) => r.join(' ') + '\n').join(''));
    },
    async upToDate() {},
    history: async () => new Set(rows().map((r) => r[0])),
    appliedBy: async (ids: string[]) => rows().filter((r) => ids.includes(r[1])).map(([version, deployment]) => ({ version, deployment })),
    snapshot: async () => ({ ...emptySnapshot(), extensions: Object.fromEntries(rows().map((r) => [`m${r[0]}`, { schema: 'public', version: '1' }])) }),
    async close() {},
  });
}

const where = (env: 'staging' | 'production') => embeddedTarget(env, 'test');
const fileDeploy = (ctx: Parameters<typeof deploy>[0], dir: string, cs: ChangeSetRow, target: 'staging' | 'production') => deploy(ctx, { changeSet: cs, target, database: where(target), openDb: fileApplier(dir) });
const fileRollback = (ctx: Parameters<typeof deploy>[0], dir: string, dep: DeploymentRow) => rollback(ctx, dep, where((dep.env ?? 'production') as 'staging' | 'production'), fileApplier(dir));

function stage(ctx: Awaited<ReturnType<typeof context>>['ctx'], dir: string, inp: ChangeSetInput) {
  return writeChangeSet(dir, inp, new Date('2026-12-01T14:30:22Z')).then((m) => {
    ctx.state().insertChangeSet({ id: m.id, ticket_id: m.ticketId, dir: m.dir, status: 'staged', requires_approval: m.requiresApproval ? 1 : 0, created_at: Date.now(), manifest: JSON.stringify(m) });
    return ctx.state().changeSet(m.id)!;
  });
}

describe('staged change set', () => {
  it('writes manifest, patch, files, migrations and REVIEW.md under staged/<stamp>_<slug>/', async () => {
    const dir = project();
    const m = await writeChangeSet(dir, input({
      migrations: [{ version: '20261201143022', name: 'ai_estimate_fix', upPath: 'supabase/migrations/20261201143022_ai_estimate_fix.sql', downPath: 'supabase/migrations/rollback/20261201143022_ai_estimate_fix.down.sql', up: 'alter table estimates add constraint x foreign key (job_id) references jobs(id) not valid;', down: 'alter table estimates drop constraint x;', findings: [], destructive: false }],
    }), new Date('2026-12-01T14:30:22Z'));
    expect(m.dir).toBe('staged/2026-12-01_14-30-22_bug-2026-001-ai-estimate-fix');
    const base = join(dir, m.dir);
    expect(JSON.parse(readFileSync(join(base, 'manifest.json'), 'utf8'))).toMatchObject({ ticketId: 'BUG-2026-001', files: [{ path: 'app/api/estimates/route.ts', action: 'create' }] });
    expect(readFileSync(join(base, 'changes.patch'), 'utf8')).toMatch(/^diff --git a\/app\/api\/estimates\/route\.ts b\/app\/api\/estimates\/route\.ts\nnew file mode 100644/);
    expect(readFileSync(join(base, 'files/app/api/estimates/route.ts'), 'utf8')).toContain('status: 201');
    expect(readFileSync(join(base, 'migrations/20261201143022_ai_estimate_fix.down.sql'), 'utf8')).toContain('drop constraint');
    expect(readFileSync(join(base, 'REVIEW.md'), 'utf8')).toMatch(/# BUG-2026-001: AI estimate fix[\s\S]*1\. `app\/api\/estimates\/route\.ts` \(create, CODESMITH\)/);
    // The working tree itself is untouched until a deploy.
    expect(existsSync(join(dir, 'app'))).toBe(false);
  });

  it('refuses a path outside the project and leaves nothing behind', async () => {
    const dir = project();
    await expect(writeChangeSet(dir, input({ files: [{ path: '../escape.ts', content: 'x', reason: 'r', agent: 'CODESMITH' }] }))).rejects.toThrow(/outside the project root/);
    expect(existsSync(join(dir, 'staged'))).toBe(false);
  });
});

describe('deploy and rollback', () => {
  it('deploys to staging on a branch with the tests passing, then rolls back', async () => {
    const dir = project();
    const { ctx, lines } = await context(dir);
    const cs = await stage(ctx, dir, input({ migrations: [{ version: '20261201143022', name: 'fix', upPath: 'a', downPath: 'b', up: 'select 1', down: 'select 2', findings: [], destructive: false }] }));
    const dep = await fileDeploy(ctx, dir, cs, 'staging');
    expect(dep.status).toBe('succeeded');
    const data = JSON.parse(dep.data);
    expect(data.tests).toMatchObject({ ok: true });
    expect(sh(dir, 'show', '--stat', '--format=%s', 'agent/bug-2026-001')).toMatch(/agent: BUG-2026-001 AI estimate fix[\s\S]*app\/api\/estimates\/route\.ts/);
    expect(readFileSync(join(dir, 'applied.txt'), 'utf8')).toBe(`20261201143022 ${dep.id}\n`);
    expect(lines.join('')).toContain('[ORCHESTRATOR] ✓ Staging deployment successful: DEPLOY-');
    const rb = await fileRollback(ctx, dir, dep);
    expect(rb.steps).toEqual(['migrations', 'branch']);
    expect(readFileSync(join(dir, 'applied.txt'), 'utf8')).toBe('');
    expect(spawnSync('git', ['rev-parse', '--verify', 'agent/bug-2026-001'], { cwd: dir }).status).not.toBe(0);
    expect(ctx.state().deployment(dep.id)!.status).toBe('rolled_back');
    ctx.close();
  });

  it("a step's program that is not installed is refused before anything runs; rollback steps run after the code and migrations are reverted", async () => {
    const dir = project();
    const cfg = (deploy: string[], rollback: string[]) => writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging: { deploy, rollback } } }));
    cfg(['echo up', 'crm-agent-no-such-program compose up -d'], []);
    let { ctx } = await context(dir);
    const cs = await stage(ctx, dir, input());
    await expect(fileDeploy(ctx, dir, cs, 'staging')).rejects.toThrow(/environments\.staging\.deploy\[1\]: `crm-agent-no-such-program` is not installed \(not found on PATH; the step is "crm-agent-no-such-program compose up -d"\); .*Nothing was run/);
    expect(ctx.state().deployments({ limit: -1 })).toEqual([]);
    expect(spawnSync('git', ['rev-parse', '--verify', 'agent/bug-2026-001'], { cwd: dir }).status).not.toBe(0);
    ctx.close();
    // A deploy whose teardown could not run is refused too.
    cfg(['echo up'], ['crm-agent-no-such-program compose down']);
    ({ ctx } = await context(dir));
    await expect(fileDeploy(ctx, dir, ctx.state().changeSet(cs.id)!, 'staging')).rejects.toThrow(/environments\.staging\.rollback\[0\]: `crm-agent-no-such-program` is not installed/);
    ctx.close();

    const flag = join(dir, 'running.flag');
    cfg([`touch ${flag}`], [`rm ${flag}`]);
    ({ ctx } = await context(dir));
    const dep = await fileDeploy(ctx, dir, ctx.state().changeSet(cs.id)!, 'staging');
    expect(existsSync(flag)).toBe(true);
    const rb = await fileRollback(ctx, dir, dep);
    expect(rb.steps).toContain('rollback steps');
    expect(existsSync(flag)).toBe(false);
    // A deploy whose later step fails tears down what the earlier ones started.
    cfg([`touch ${flag}`, 'exit 3'], [`rm ${flag}`]);
    ctx.close();
    ({ ctx } = await context(dir));
    await expect(fileDeploy(ctx, dir, ctx.state().changeSet(cs.id)!, 'staging')).rejects.toThrow(/deploy step failed \(exit 3\): exit 3 \(it printed nothing\)/);
    expect(existsSync(flag)).toBe(false);
    ctx.close();
  });

  it('undoes the branch and the migrations when a later step fails', async () => {
    const dir = project();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging: { deploy: ['echo deploying', 'exit 7'] } } }));
    const { ctx, lines } = await context(dir);
    const cs = await stage(ctx, dir, input({ migrations: [{ version: '1', name: 'm', upPath: 'a', downPath: 'b', up: 'u', down: 'd', findings: [], destructive: false }] }));
    await expect(fileDeploy(ctx, dir, cs, 'staging')).rejects.toThrow(/failed at deploy steps: deploy step failed \(exit 7\): exit 7 \(it printed nothing\).*undid migrations, branch/);
    expect(readFileSync(join(dir, 'applied.txt'), 'utf8')).toBe('');
    expect(spawnSync('git', ['rev-parse', '--verify', 'agent/bug-2026-001'], { cwd: dir }).status).not.toBe(0);
    expect(ctx.state().deployments()[0]!.status).toBe('failed');
    expect(lines.join('')).toContain('Undoing migrations');
    ctx.close();
  });

  it('stops at failing tests before touching the database', async () => {
    const dir = project('node -e "process.exit(3)"');
    const { ctx } = await context(dir);
    const cs = await stage(ctx, dir, input({ migrations: [{ version: '1', name: 'm', upPath: 'a', downPath: 'b', up: 'u', down: 'd', findings: [], destructive: false }] }));
    await expect(fileDeploy(ctx, dir, cs, 'staging')).rejects.toThrow(/failed at tests: tests failed \(exit 3\)/);
    expect(existsSync(join(dir, 'applied.txt'))).toBe(false);
    ctx.close();
  });

  it('merges into the main branch for production and reverts on rollback', async () => {
    const dir = project();
    const { ctx } = await context(dir);
    const cs = await stage(ctx, dir, input());
    const before = sh(dir, 'rev-parse', 'HEAD');
    const dep = await fileDeploy(ctx, dir, cs, 'production');
    expect(existsSync(join(dir, 'app/api/estimates/route.ts'))).toBe(true);
    expect(JSON.parse(dep.data)).toMatchObject({ previousSha: before, mainBranch: 'main' });
    await fileRollback(ctx, dir, dep);
    expect(existsSync(join(dir, 'app/api/estimates/route.ts'))).toBe(false);
    expect(sh(dir, 'log', '-1', '--format=%s')).toMatch(/^Revert "Deploy DEPLOY-/);
    ctx.close();
  });
});

describe('a rollback that cannot undo everything', () => {
  it('says what is left, never "complete", and the next rollback finishes it', async () => {
    const dir = project();
    const { ctx, lines } = await context(dir);
    const cs = await stage(ctx, dir, input({ migrations: [{ version: '20261201143022', name: 'fix', upPath: 'a', downPath: 'b', up: 'select 1', down: 'select 2', findings: [], destructive: false }] }));
    const dep = await fileDeploy(ctx, dir, cs, 'staging');
    const broken = async () => ({ ...(await fileApplier(dir)()), revert: async () => Promise.reject(new Error('cannot drop constraint: it is in use')) });
    lines.length = 0;
    await expect(rollback(ctx, dep, where('staging'), broken)).rejects.toThrow(/rollback of DEPLOY-\d{4}-\d{3} is incomplete: 2 item\(s\) left/);
    const out = lines.join('');
    expect(out).toMatch(/Not rolled back: migration 20261201143022_fix: its down migration failed \(cannot drop constraint: it is in use\)/);
    expect(out).toMatch(/Not rolled back: schema: added extension m20261201143022/);
    expect(out).not.toMatch(/✓ Rolled back|Rollback complete/);
    expect(ctx.state().deployment(dep.id)!.status).toBe('rollback_incomplete');
    expect(readFileSync(join(dir, 'applied.txt'), 'utf8')).toBe(`20261201143022 ${dep.id}\n`);
    // The next rollback, with a down migration that works, finishes it.
    await fileRollback(ctx, dir, ctx.state().deployment(dep.id)!);
    expect(ctx.state().deployment(dep.id)!.status).toBe('rolled_back');
    expect(readFileSync(join(dir, 'applied.txt'), 'utf8')).toBe('');
    ctx.close();
  });
});

describe('deploying one ticket again', () => {
  it('deploys to staging, again to staging, then to production, each on a fresh agent/<ticket> branch', async () => {
    const dir = project();
    const { ctx } = await context(dir);
    const cs = await stage(ctx, dir, input());
    const first = await fileDeploy(ctx, dir, cs, 'staging');
    const retry = await fileDeploy(ctx, dir, cs, 'staging');
    expect(retry.status).toBe('succeeded');
    // The first deployment's worktree held the branch; it is released, the retry's is in place.
    expect(existsSync(JSON.parse(first.data).worktree)).toBe(false);
    expect(existsSync(join(JSON.parse(retry.data).worktree, 'app/api/estimates/route.ts'))).toBe(true);
    const prod = await fileDeploy(ctx, dir, cs, 'production');
    expect(prod.status).toBe('succeeded');
    expect(existsSync(join(dir, 'app/api/estimates/route.ts'))).toBe(true);
    // Rolling back the older staging deployment leaves the production merge alone.
    await fileRollback(ctx, dir, retry);
    expect(existsSync(join(dir, 'app/api/estimates/route.ts'))).toBe(true);
    await fileRollback(ctx, dir, prod);
    expect(existsSync(join(dir, 'app/api/estimates/route.ts'))).toBe(false);
    ctx.close();
  });
});

describe('the deployment email', () => {
  it('keeps a deployment that succeeded a success when Resend refuses its email, and keeps the email in the outbox', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(422, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: 'validation_error', message: 'The from address is not verified' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const key = 're_planted34_deploymailkey';
    try {
      const dir = project();
      const { ctx, lines } = await context(dir, { RESEND_API_KEY: key, RESEND_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const cs = await stage(ctx, dir, input());
      const dep = await fileDeploy(ctx, dir, cs, 'staging');
      const sent = await notifyDeployment(ctx, dep, JSON.parse(cs.manifest));
      expect(sent.via).toBe('outbox');
      const warned = lines.join('').split('\n').find((l) => l.includes('Email not sent'));
      expect(warned).toMatch(/⚠ Email not sent \(Resend did not send the email: The from address is not verified.*\); kept in the outbox: \.agent\/outbox\/.*\.eml$/);
      expect(readdirSync(join(dir, '.agent', 'outbox'))).toHaveLength(1);
      expect(lines.join('')).not.toContain(key);
      ctx.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('saga', () => {
  it('reports an undo that fails as well as the ones that worked', async () => {
    const order: string[] = [];
    const r = await runSaga(
      [
        { name: 'a', run: async () => async () => void order.push('undo a') },
        { name: 'b', run: async () => async () => { throw new Error('stuck'); } },
        { name: 'c', run: async () => { throw new Error('boom'); } },
      ],
      {},
    );
    expect(r).toMatchObject({ ok: false, failed: 'c', undone: ['a'], undoErrors: [{ step: 'b', error: 'stuck' }] });
    expect(order).toEqual(['undo a']);
  });
});
