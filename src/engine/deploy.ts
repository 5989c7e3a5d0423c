// Deploying a staged change set, and rolling a deployment back. Each is a saga: a failing step
// undoes the steps before it. Everything needed to undo a deployment is recorded with it.
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { WorkFailedError } from '../errors.js';
import type { CommandContext } from '../commands/types.js';
import type { ChangeSetRow, DeploymentRow } from '../store/rows.js';
import type { Manifest } from '../../agents/stage-agent/change-set.js';
import { branchExists, currentBranch, git, headSha, isClean, worktreesOn } from '../integrations/git.js';
import { parseTestCounts, runShell } from '../integrations/shell.js';
import { appendAudit } from './audit.js';
import { runSaga, type Step } from './saga.js';

export type Target = 'staging' | 'production';

export interface MigrationToApply {
  version: string;
  name: string;
  up: string;
  down: string;
}

/** The target database, as the deploy sees it (PGlite or DATABASE_URL; provided by the migrator). */
export interface MigrationApplier {
  readonly description: string;
  apply(migrations: MigrationToApply[], log: (line: string) => void): Promise<string[]>;
  revert(migrations: MigrationToApply[], log: (line: string) => void): Promise<void>;
  close(): Promise<void>;
}

export interface DeploymentData {
  changeSetId: string;
  branch: string;
  commit: string | null;
  worktree: string | null;
  baseSha: string | null;
  /** Production only: the main branch and where it pointed before the merge. */
  mainBranch?: string;
  previousSha?: string | null;
  mergedSha?: string | null;
  migrations: MigrationToApply[];
  appliedMigrations: string[];
  tests: { command: string; ok: boolean; passed: number | null; failed: number | null; ms: number } | null;
  steps: string[];
  durationMs?: number;
  rollback?: { at: string; durationMs: number; steps: string[] };
}

interface DeployState {
  data: DeploymentData;
  manifest: Manifest;
  stagedDir: string;
}

export interface DeployOptions {
  changeSet: ChangeSetRow;
  target: Target;
  skipTests?: boolean;
  database?: () => Promise<MigrationApplier | null>;
}

export function testCommandFor(root: string, configured: string | undefined): string | null {
  if (configured) return configured;
  const pkgPath = join(root, 'package.json');
  if (!existsSync(pkgPath)) return null;
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { scripts?: Record<string, string> };
  return pkg.scripts?.test ? 'npm test --silent' : null;
}

function readMigrations(stagedDir: string, manifest: Manifest): MigrationToApply[] {
  return manifest.migrations.map((m) => ({
    version: m.version,
    name: m.name,
    up: readFileSync(join(stagedDir, 'migrations', `${m.version}_${m.name}.up.sql`), 'utf8'),
    down: readFileSync(join(stagedDir, 'migrations', `${m.version}_${m.name}.down.sql`), 'utf8'),
  }));
}

export async function deploy(ctx: CommandContext, opts: DeployOptions): Promise<DeploymentRow> {
  const state = ctx.state();
  const root = ctx.project.root;
  const config = ctx.project.config();
  const cs = opts.changeSet;
  const stagedDir = join(root, cs.dir);
  if (!existsSync(stagedDir)) throw new WorkFailedError(`${cs.dir} is missing; stage the change again with \`agent fix ticket ${cs.ticket_id ?? ''}\``);
  const manifest = JSON.parse(cs.manifest) as Manifest;
  const year = new Date().getUTCFullYear();
  const id = `DEPLOY-${year}-${String(state.nextCounter(`deploy:${year}`)).padStart(3, '0')}`;
  const speaker = 'ORCHESTRATOR';
  const ids = { ticketId: cs.ticket_id ?? undefined };
  const log = (level: 'info' | 'ok' | 'warn' | 'error' | 'debug', msg: string) => ctx.out.line(speaker, level, msg, ids);
  const branch = `agent/${(cs.ticket_id ?? cs.id).toLowerCase()}`;
  const started = Date.now();
  const data: DeploymentData = {
    changeSetId: cs.id,
    branch,
    commit: null,
    worktree: null,
    baseSha: manifest.baseSha,
    migrations: readMigrations(stagedDir, manifest),
    appliedMigrations: [],
    tests: null,
    steps: [],
  };
  state.insertDeployment({ id, ticket_id: cs.ticket_id, target: opts.target, status: 'running', started_at: started, finished_at: null, data: JSON.stringify(data) });
  log('info', `Deploying ${cs.ticket_id ?? cs.id} to ${opts.target} (${id})…`);

  const steps: Array<Step<DeployState>> = [
    {
      name: 'branch',
      async run(s) {
        const base = s.data.baseSha ?? (await headSha(root));
        if (!base) throw new WorkFailedError('the project has no commits yet; commit once before deploying');
        if (await branchExists(root, branch)) {
          // An earlier deployment of this ticket (staging before production, a retry) still has the
          // branch checked out in its worktree, which git will not delete the branch under. Its
          // steps are over, and its rollback copes with a worktree that is gone.
          const dir = join(ctx.project.agentDir, 'worktrees');
          const agentTrees = existsSync(dir) ? realpathSync(dir) : dir; // git lists real paths
          for (const held of await worktreesOn(root, branch)) {
            if (held.startsWith(agentTrees + sep)) await git(root, ['worktree', 'remove', '--force', held]).catch(() => rmSync(held, { recursive: true, force: true }));
          }
          await git(root, ['worktree', 'prune']).catch(() => undefined);
          await git(root, ['branch', '-D', branch]).catch(() => undefined);
        }
        const wt = join(ctx.project.agentDir, 'worktrees', id);
        mkdirSync(join(ctx.project.agentDir, 'worktrees'), { recursive: true });
        await git(root, ['worktree', 'add', '-q', '-b', branch, wt, base]);
        s.data.worktree = wt;
        // The project's dependencies are not part of git; let the worktree's tests find them.
        if (existsSync(join(root, 'node_modules')) && !existsSync(join(wt, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(wt, 'node_modules'), 'dir');
        const patch = readFileSync(join(stagedDir, 'changes.patch'), 'utf8');
        if (patch.trim()) await git(wt, ['apply', '--index', '--whitespace=nowarn', '-'], { input: patch });
        await git(wt, ['-c', 'user.name=crm-agent', '-c', 'user.email=agent@localhost', 'commit', '-q', '--allow-empty', '-m', `agent: ${cs.ticket_id ?? cs.id} ${manifest.title}`]);
        s.data.commit = (await git(wt, ['rev-parse', 'HEAD'])).stdout.trim();
        log('ok', `Applied ${manifest.files.length} file(s) on branch ${branch} (${s.data.commit.slice(0, 8)})`);
        return async () => {
          await git(root, ['worktree', 'remove', '--force', wt]).catch(() => rmSync(wt, { recursive: true, force: true }));
          await git(root, ['branch', '-D', branch]).catch(() => undefined);
        };
      },
    },
    {
      name: 'tests',
      async run(s) {
        if (opts.skipTests) {
          log('warn', 'Tests skipped (emergency hotfix)');
          return;
        }
        const command = testCommandFor(root, config.test.command);
        if (!command) {
          log('warn', 'No test command: set test.command in agent.config.json or a "test" script in package.json');
          return;
        }
        log('info', `Running tests: ${command}`);
        const r = await ctx.out.spin(`Running ${command}`, runShell(command, { cwd: s.data.worktree!, signal: ctx.signal, onLine: (l) => l.trim() && state.appendEvent({ kind: 'output', level: 'debug', agent: 'TESTS', ticketId: cs.ticket_id, message: l }) }));
        const counts = parseTestCounts(r.output);
        s.data.tests = { command, ok: r.exitCode === 0, passed: counts?.passed ?? null, failed: counts?.failed ?? null, ms: r.ms };
        if (r.exitCode !== 0) throw new WorkFailedError(`tests failed (${counts ? `${counts.failed} failed, ${counts.passed} passed` : `exit ${r.exitCode}`}): ${command}`);
        log('ok', counts ? `All tests passing (${counts.passed} passed)` : 'All tests passing');
      },
    },
    {
      name: 'migrations',
      async run(s) {
        if (!s.data.migrations.length) return;
        const db = await opts.database?.();
        if (!db) throw new WorkFailedError('the change set has migrations but no database is available');
        try {
          s.data.appliedMigrations = await db.apply(s.data.migrations, (l) => log('info', l));
        } finally {
          await db.close();
        }
        log('ok', `Applied ${s.data.appliedMigrations.length} migration(s)`);
        const applied = s.data.migrations.filter((m) => s.data.appliedMigrations.includes(m.version));
        return async () => {
          const again = await opts.database!();
          if (!again) return;
          try {
            await again.revert([...applied].reverse(), (l) => log('warn', l));
          } finally {
            await again.close();
          }
        };
      },
    },
    {
      name: 'merge',
      async run(s) {
        if (opts.target !== 'production') return;
        if (!(await isClean(root))) throw new WorkFailedError('the working tree has uncommitted changes; commit or stash them before a production deploy');
        const main = await currentBranch(root);
        const before = await headSha(root);
        await git(root, ['-c', 'user.name=crm-agent', '-c', 'user.email=agent@localhost', 'merge', '--no-ff', '-q', '-m', `Deploy ${id}: ${cs.ticket_id ?? cs.id}`, branch]);
        s.data.mainBranch = main;
        s.data.previousSha = before;
        s.data.mergedSha = await headSha(root);
        log('ok', `Merged ${branch} into ${main}`);
        return async () => {
          await git(root, ['reset', '--hard', '-q', before!]);
        };
      },
    },
    {
      name: 'deploy steps',
      async run(s) {
        const commands = config.environments[opts.target].deploy;
        for (const command of commands) {
          log('info', `Running: ${command}`);
          const r = await runShell(command, {
            cwd: opts.target === 'production' ? root : s.data.worktree!,
            signal: ctx.signal,
            onLine: (l) => l.trim() && state.appendEvent({ kind: 'output', level: 'debug', agent: 'DEPLOY', ticketId: cs.ticket_id, message: l }),
          });
          if (r.exitCode !== 0) throw new WorkFailedError(`deploy step failed (exit ${r.exitCode}): ${command}: ${r.output.split('\n').slice(-3).join(' ').trim()}`);
        }
      },
    },
  ];

  const s: DeployState = { data, manifest, stagedDir };
  const outcome = await runSaga(steps, s, { onStep: (name, phase) => phase === 'undo' && log('warn', `Undoing ${name}`) });
  data.steps = outcome.completed;
  data.durationMs = Date.now() - started;
  if (!outcome.ok) {
    state.updateDeployment(id, { status: 'failed', finished_at: Date.now(), data: JSON.stringify(data) });
    appendAudit(state, { initiator: ctx.initiator, agent: speaker, action: `deploy.${opts.target}`, target: id, files: manifest.files.map((f) => f.path), result: `failed at ${outcome.failed}` });
    const undone = outcome.undone.length ? `; undid ${outcome.undone.join(', ')}` : '';
    const stuck = outcome.undoErrors.length ? `; could not undo ${outcome.undoErrors.map((e) => `${e.step} (${e.error})`).join(', ')}` : '';
    throw new WorkFailedError(`${id} failed at ${outcome.failed}: ${outcome.error.message}${undone}${stuck}`);
  }
  state.updateDeployment(id, { status: 'succeeded', finished_at: Date.now(), data: JSON.stringify(data) });
  state.setChangeSetStatus(cs.id, 'deployed');
  if (cs.ticket_id) state.setTicketStatus(cs.ticket_id, 'deployed');
  appendAudit(state, { initiator: ctx.initiator, agent: speaker, action: `deploy.${opts.target}`, target: id, files: manifest.files.map((f) => f.path), result: 'succeeded' });
  log('ok', `${opts.target === 'staging' ? 'Staging' : 'Production'} deployment successful: ${id}`);
  return state.deployment(id)!;
}

export async function rollback(ctx: CommandContext, dep: DeploymentRow, database?: () => Promise<MigrationApplier | null>): Promise<{ durationMs: number; steps: string[] }> {
  const state = ctx.state();
  const root = ctx.project.root;
  const data = JSON.parse(dep.data) as DeploymentData;
  const ids = { ticketId: dep.ticket_id ?? undefined };
  const log = (level: 'info' | 'ok' | 'warn', msg: string) => ctx.out.line('ORCHESTRATOR', level, msg, ids);
  const started = Date.now();
  const steps: string[] = [];
  const applied = data.migrations.filter((m) => data.appliedMigrations.includes(m.version)).reverse();
  // Closed last: an embedded database's teardown costs a noticeable pause that the code revert
  // and the record need not wait behind.
  let db: MigrationApplier | null = null;
  try {
    if (applied.length) {
      db = (await database?.()) ?? null;
      if (!db) throw new WorkFailedError(`${dep.id} applied migrations but no database is available to roll them back`);
      await db.revert(applied, (l) => log('info', l));
      ctx.out.line('MIGRATOR', 'ok', `Rolled back ${applied.length} database migration(s)`, ids);
      steps.push('migrations');
    }
    await revertCode(root, data, (m) => ctx.out.line('CODESMITH', 'ok', m, ids), steps);
    const durationMs = Date.now() - started;
    data.rollback = { at: new Date().toISOString(), durationMs, steps };
    state.updateDeployment(dep.id, { status: 'rolled_back', data: JSON.stringify(data) });
    state.setChangeSetStatus(data.changeSetId, 'rolled_back');
    if (dep.ticket_id) state.setTicketStatus(dep.ticket_id, 'rolled_back');
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'rollback', target: dep.id, result: `rolled back in ${durationMs} ms` });
    log('ok', `Rollback complete in ${(durationMs / 1000).toFixed(1)} seconds`);
    return { durationMs, steps };
  } finally {
    await db?.close();
  }
}

/** The code half of a rollback: revert the production merge, drop the deploy's worktree and branch. */
async function revertCode(root: string, data: DeploymentData, ok: (message: string) => void, steps: string[]): Promise<void> {
  if (data.mergedSha && data.mainBranch) {
    await git(root, ['-c', 'user.name=crm-agent', '-c', 'user.email=agent@localhost', 'revert', '--no-edit', '-m', '1', data.mergedSha]);
    ok(`Restored previous code version on ${data.mainBranch} (reverted ${data.mergedSha.slice(0, 8)})`);
    steps.push('code');
  }
  if (data.worktree && existsSync(data.worktree)) {
    await git(root, ['worktree', 'remove', '--force', data.worktree]).catch(() => rmSync(data.worktree!, { recursive: true, force: true }));
  }
  if (await branchExists(root, data.branch)) await git(root, ['branch', '-D', data.branch]).catch(() => undefined);
  steps.push('branch');
}
