// Deploying a staged change set, and rolling a deployment back. Each is a journaled saga: every
// step's intent is recorded before it runs and its result after (with everything needed to undo
// it), in one SQLite transaction with its event, so a kill at any instant leaves a deployment that
// `agent status` names and `agent deploy resume` finishes or `agent rollback` undoes. A deploy holds
// its environment's database lock and its ticket's lock from start to end: deploys, rollbacks and
// `migrate execute` of one database never interleave.
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { UsageError, WorkFailedError } from '../errors.js';
import type { CommandContext } from '../commands/types.js';
import type { ChangeSetRow, DeploymentRow } from '../store/rows.js';
import type { StateDb } from '../store/state-db.js';
import type { Manifest } from '../../agents/shared/change-set.js';
import type { SchemaSnapshot } from '../../agents/migrator/schema-snapshot.js';
import { branchExists, currentBranch, git, headSha, isClean, worktreesOn } from '../integrations/git.js';
import { parseTestCounts, runShell } from '../integrations/shell.js';
import { appendAudit } from './audit.js';
import { runSaga, type Step } from './saga.js';
import { databaseLock, holdLocks, ticketLock } from './locks.js';
import { failpoint } from './failpoint.js';
import { isLive } from './deployment-states.js';
import { assertSealed } from './seal.js';
import { describeMissing, missingPrograms, onPath } from './step-programs.js';
import { queueDeploymentEmail, queueIncidentEmail } from './notify.js';
import type { DatabaseTarget, EnvName } from './environments.js';

export type Target = EnvName;

export interface MigrationToApply {
  version: string;
  name: string;
  up: string;
  down: string;
}

/** The target database, as the deploy sees it (an environment's PGlite or server; provided by the migrator). */
export interface MigrationApplier {
  readonly description: string;
  apply(migrations: MigrationToApply[], log: (line: string) => void, by: { deployment: string; ticket: string | null; environment: string }, onApplied?: (version: string) => void): Promise<string[]>;
  /** Applies the committed migrations the target lacks, so a snapshot before the change set's migrations shows only theirs. */
  upToDate(log: (line: string) => void): Promise<void>;
  revert(migrations: MigrationToApply[], log: (line: string) => void): Promise<void>;
  /** The versions in the target's history now. */
  history(): Promise<Set<string>>;
  /** What the target records as applied by these deployments (written with each migration). */
  appliedBy(deployments: string[]): Promise<Array<{ version: string; deployment: string }>>;
  snapshot(): Promise<SchemaSnapshot>;
  close(): Promise<void>;
}

export interface DeploymentData {
  changeSetId: string;
  branch: string;
  commit: string | null;
  worktree: string | null;
  baseSha: string | null;
  /** The environment's database, as shown to the user (never a connection string). */
  database?: string;
  /** Staging deployed to DATABASE_URL's (production's) database, as --same-database allowed. */
  sameDatabase?: boolean;
  /** Production only: the main branch and where it pointed before the merge. */
  mainBranch?: string;
  previousSha?: string | null;
  mergedSha?: string | null;
  /** Production: the branch was already in the main branch (an earlier deployment merged it). */
  mergeEmpty?: boolean;
  migrations: MigrationToApply[];
  appliedMigrations: string[];
  /** Schema snapshots of the environment before and after this deployment's migrations (a file under .agent/deployments/). */
  schemaFile?: string;
  tests: { command: string; ok: boolean; passed: number | null; failed: number | null; ms: number } | null;
  steps: string[];
  durationMs?: number;
  undoErrors?: Array<{ step: string; error: string }>;
  rollback?: { at: string; durationMs: number; steps: string[]; reverted?: string[]; left?: string[]; by?: string };
  /** Staging: StageAgent's call of the fixed tool on staging's MCP server and its row check (issue 18). */
  verification?: import('../../agents/stage-agent/verify-tool.js').ToolVerification;
}

interface DeployState {
  data: DeploymentData;
  manifest: Manifest;
  stagedDir: string;
}

export interface DeployOptions {
  changeSet: ChangeSetRow;
  target: Target;
  database: DatabaseTarget;
  /** Opens the environment's database; called only while its lock is held. */
  openDb: () => Promise<MigrationApplier>;
  skipTests?: boolean;
  /** Finish an interrupted deployment from its journal instead of starting a new one. */
  resume?: DeploymentRow;
}


export const envOf = (d: Pick<DeploymentRow, 'env' | 'target'>): EnvName =>
  // Rows from before environments deployed to the one shared database, which became production's.
  (d.env ?? 'production') as EnvName;

export function testCommandFor(root: string, configured: string | undefined): string | null {
  if (configured) return configured;
  const pkgPath = join(root, 'package.json');
  if (!existsSync(pkgPath)) return null;
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { scripts?: Record<string, string> };
  // The test script by content (npm's placeholder runs no test), run with the lockfile's package manager.
  const script = ['test', 'test:unit'].find((name) => pkg.scripts?.[name] && !/no test specified/.test(pkg.scripts[name]!));
  if (!script) return null;
  const pm = existsSync(join(root, 'pnpm-lock.yaml')) ? 'pnpm' : existsSync(join(root, 'yarn.lock')) ? 'yarn' : existsSync(join(root, 'bun.lockb')) || existsSync(join(root, 'bun.lock')) ? 'bun' : 'npm';
  if (pm === 'npm') return script === 'test' ? 'npm test --silent' : `npm run --silent ${script}`;
  return pm === 'yarn' ? `yarn --silent ${script}` : `${pm} run ${script}`;
}

function readMigrations(stagedDir: string, manifest: Manifest): MigrationToApply[] {
  return manifest.migrations.map((m) => ({
    version: m.version,
    name: m.name,
    up: readFileSync(join(stagedDir, 'migrations', `${m.version}_${m.name}.up.sql`), 'utf8'),
    down: readFileSync(join(stagedDir, 'migrations', `${m.version}_${m.name}.down.sql`), 'utf8'),
  }));
}

/** Records one step of a saga: the journal row, the deployment's step and data, and an event, in one transaction. */
function journalStep(state: StateDb, dep: { id: string; ticketId: string | null }, data: DeploymentData | null, kind: 'deploy' | 'rollback', step: string, phase: string, detail?: unknown): void {
  state.tx(() => {
    state.appendJournal(dep.id, `${kind === 'rollback' ? 'rollback:' : ''}${step}`, phase, detail);
    state.updateDeployment(dep.id, data ? { step, data: JSON.stringify(data) } : { step });
    state.appendEvent({ kind: `${kind}.step`, level: 'debug', agent: 'ORCHESTRATOR', ticketId: dep.ticketId, message: `${dep.id} ${kind} ${step}: ${phase}`, data: { deployment: dep.id, step, phase } });
  });
  failpoint(`${kind}:${step}:${phase}`);
}

function schemaPath(agentDir: string, id: string): string {
  return join(agentDir, 'deployments', `${id}.schema.json`);
}

interface SchemaRecord {
  before: SchemaSnapshot;
  after?: SchemaSnapshot;
}

function writeSchemaRecord(path: string, rec: SchemaRecord): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec));
  renameSync(tmp, path);
}

function readSchemaRecord(path: string | undefined): SchemaRecord | null {
  if (!path || !existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as SchemaRecord;
}

/** Who holds the locks we wait for, in words: "DEPLOY-2026-004 (production)" or a run's command. */
function describeHolders(state: StateDb, held: string[]): string {
  return held
    .map((h) => {
      const id = h.replace(/:rollback$/, '');
      const d = state.deployment(id);
      if (d) return `${d.id}${h.endsWith(':rollback') ? ' (its rollback)' : ''} (${envOf(d)}${d.ticket_id ? `, ${d.ticket_id}` : ''})`;
      const r = state.run(h);
      return r ? `${r.id} (${r.command})` : h;
    })
    .join(', ');
}

export async function deploy(ctx: CommandContext, opts: DeployOptions): Promise<DeploymentRow> {
  const state = ctx.state();
  const root = ctx.project.root;
  const cs = opts.changeSet;
  const stagedDir = join(root, cs.dir);
  if (!existsSync(stagedDir)) throw new WorkFailedError(`${cs.dir} is missing; stage the change again with \`agent fix ticket ${cs.ticket_id ?? ''}\``);
  const manifest = JSON.parse(cs.manifest) as Manifest;
  const speaker = 'ORCHESTRATOR';
  const ids = { ticketId: cs.ticket_id ?? undefined };
  const log = (level: 'info' | 'ok' | 'warn' | 'error' | 'debug', msg: string) => ctx.out.line(speaker, level, msg, ids);
  const branch = `agent/${(cs.ticket_id ?? cs.id).toLowerCase()}`;
  const started = Date.now();
  const env = opts.target;
  assertStepPrograms(ctx, env, ['deploy', 'rollback']); // before anything runs: its rollback must be able to run too

  let id: string;
  let data: DeploymentData;
  if (opts.resume) {
    id = opts.resume.id;
    data = JSON.parse(opts.resume.data) as DeploymentData;
    state.updateDeployment(id, { status: 'queued', pid: process.pid });
  } else {
    const year = new Date().getUTCFullYear();
    id = `DEPLOY-${year}-${String(state.nextCounter(`deploy:${year}`)).padStart(3, '0')}`;
    data = {
      changeSetId: cs.id,
      branch,
      commit: null,
      worktree: null,
      baseSha: manifest.baseSha,
      database: opts.database.description,
      ...(opts.database.kind === 'url' && opts.database.sameDatabase ? { sameDatabase: true } : {}),
      migrations: readMigrations(stagedDir, manifest),
      appliedMigrations: [],
      tests: null,
      steps: [],
    };
    state.insertDeployment({ id, ticket_id: cs.ticket_id, target: env, status: 'queued', started_at: started, finished_at: null, data: JSON.stringify(data), pid: process.pid, env, step: 'lock' });
  }
  const dep = { id, ticketId: cs.ticket_id };

  const release = await holdLocks(state, id, [databaseLock(opts.database.identity), ticketLock(cs.ticket_id ?? cs.id)], {
    signal: ctx.signal,
    announce: (held) => log('info', `Waiting for ${describeHolders(state, held)} to finish`),
  }).catch((err) => {
    // A resumed deployment stays interrupted: its completed steps are still in place.
    state.updateDeployment(id, opts.resume ? { status: 'interrupted', pid: null } : { status: 'cancelled', finished_at: Date.now(), step: 'lock' });
    throw err;
  });
  try {
    // Checked again under the lock: what deploys is what was reviewed, byte for byte.
    try {
      assertSealed(root, cs);
    } catch (err) {
      state.updateDeployment(id, opts.resume ? { status: 'interrupted', pid: null } : { status: 'cancelled', finished_at: Date.now() });
      throw err;
    }
    state.updateDeployment(id, { status: 'running' });
    log('info', `${opts.resume ? 'Resuming' : 'Deploying'} ${cs.ticket_id ?? cs.id} to ${env} (${id}, database: ${opts.database.description})…`);
    const done = new Set(opts.resume ? data.steps : []);
    const steps = deploySteps(ctx, { id, opts, cs, manifest, branch, log, done });
    const s: DeployState = { data, manifest, stagedDir };
    const outcome = await runSaga(steps, s, {
      onStep: (name, phase, detail) => {
        if (phase === 'done') data.steps = [...new Set([...data.steps, name])];
        journalStep(state, dep, data, 'deploy', name, phase, detail);
        if (phase === 'undo') log('warn', `Undoing ${name}`);
      },
    });
    data.durationMs = Date.now() - started;
    if (!outcome.ok) {
      data.undoErrors = outcome.undoErrors;
      // A step that could not be undone leaves the deployment for `agent rollback` to finish.
      const status = outcome.undoErrors.length ? 'stuck' : 'failed';
      state.updateDeployment(id, { status, finished_at: Date.now(), data: JSON.stringify(data), step: outcome.failed });
      appendAudit(state, { initiator: ctx.initiator, agent: speaker, action: `deploy.${env}`, target: id, files: manifest.files.map((f) => f.path), approval: ctx.approvalIds(), result: `failed at ${outcome.failed}${outcome.undoErrors.length ? '; undo incomplete' : ''}`, ...(data.verification ? { detail: { verification: data.verification } } : {}) });
      const undone = outcome.undone.length ? `; undid ${outcome.undone.join(', ')}` : '';
      const stuck = outcome.undoErrors.length ? `; could not undo ${outcome.undoErrors.map((e) => `${e.step} (${e.error})`).join(', ')}: \`agent rollback ${id}\` retries` : '';
      throw new WorkFailedError(`${id} failed at ${outcome.failed}: ${outcome.error.message}${undone}${stuck}`);
    }
    state.tx(() => {
      state.updateDeployment(id, { status: 'succeeded', finished_at: Date.now(), data: JSON.stringify(data), step: null, pid: null });
      state.appendJournal(id, 'deploy', 'succeeded');
      state.setChangeSetStatus(cs.id, 'deployed');
      if (cs.ticket_id) state.setTicketStatus(cs.ticket_id, 'deployed');
      // The email is an outbox row of the same transaction: no kill can lose it; it is sent after.
      queueDeploymentEmail(ctx, state.deployment(id)!, manifest);
    });
    appendAudit(state, { initiator: ctx.initiator, agent: speaker, action: `deploy.${env}`, target: id, files: manifest.files.map((f) => f.path), approval: ctx.approvalIds(), result: `succeeded${data.verification ? `; verification ${data.verification.status}` : ''}`, ...(data.verification ? { detail: { verification: data.verification } } : {}) });
    failpoint('deploy:record:done');
    log('ok', `${env === 'staging' ? 'Staging' : 'Production'} deployment successful: ${id}`);
    return state.deployment(id)!;
  } finally {
    release();
  }
}

interface StepEnv {
  id: string;
  opts: DeployOptions;
  cs: ChangeSetRow;
  manifest: Manifest;
  branch: string;
  log: (level: 'info' | 'ok' | 'warn' | 'error' | 'debug', msg: string) => void;
  /** Steps a resumed deployment completed before it was interrupted. */
  done: Set<string>;
}

function deploySteps(ctx: CommandContext, e: StepEnv): Array<Step<DeployState>> {
  const state = ctx.state();
  const root = ctx.project.root;
  const config = ctx.project.config();
  const { id, opts, cs, manifest, branch, log, done } = e;
  const env = opts.target;
  const removeWorktree = async (wt: string) => {
    await git(root, ['worktree', 'remove', '--force', wt]).catch(() => rmSync(wt, { recursive: true, force: true }));
    await git(root, ['worktree', 'prune']).catch(() => undefined);
  };
  return [
    {
      name: 'branch',
      async run(s) {
        const wt = join(ctx.project.agentDir, 'worktrees', id);
        const undo = async () => {
          await removeWorktree(wt);
          await git(root, ['branch', '-D', branch]).catch(() => undefined);
        };
        if (done.has('branch') && s.data.commit && existsSync(wt) && (await git(wt, ['rev-parse', 'HEAD']).catch(() => null))?.stdout.trim() === s.data.commit) {
          log('info', `Branch ${branch} is in place (${s.data.commit.slice(0, 8)})`);
          return undo;
        }
        const base = s.data.baseSha ?? (await headSha(root));
        if (!base) throw new WorkFailedError('the project has no commits yet; commit once before deploying');
        if (existsSync(wt)) await removeWorktree(wt); // a resumed deployment's half-made worktree
        if (await branchExists(root, branch)) {
          // An earlier deployment of this ticket (staging before production, a retry) still has the
          // branch checked out in its worktree, which git will not delete the branch under. Its
          // steps are over (the ticket lock says so), and its rollback copes with a worktree that is gone.
          const dir = join(ctx.project.agentDir, 'worktrees');
          const agentTrees = existsSync(dir) ? realpathSync(dir) : dir; // git lists real paths
          for (const held of await worktreesOn(root, branch)) {
            if (held.startsWith(agentTrees + sep)) await removeWorktree(held);
          }
          await git(root, ['worktree', 'prune']).catch(() => undefined);
          await git(root, ['branch', '-D', branch]).catch(() => undefined);
        }
        mkdirSync(join(ctx.project.agentDir, 'worktrees'), { recursive: true });
        await git(root, ['worktree', 'add', '-q', '-b', branch, wt, base]);
        s.data.worktree = wt;
        // The project's dependencies are not part of git; let the worktree's tests find them.
        if (existsSync(join(root, 'node_modules')) && !existsSync(join(wt, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(wt, 'node_modules'), 'dir');
        const patch = readFileSync(join(s.stagedDir, 'changes.patch'), 'utf8');
        if (patch.trim()) await git(wt, ['apply', '--index', '--whitespace=nowarn', '-'], { input: patch });
        await git(wt, ['-c', 'user.name=crm-agent', '-c', 'user.email=agent@localhost', 'commit', '-q', '--allow-empty', '-m', `agent: ${cs.ticket_id ?? cs.id} ${manifest.title}`]);
        s.data.commit = (await git(wt, ['rev-parse', 'HEAD'])).stdout.trim();
        log('ok', `Applied ${manifest.files.length} file(s) on branch ${branch} (${s.data.commit.slice(0, 8)})`);
        return undo;
      },
    },
    {
      name: 'tests',
      async run(s) {
        if (done.has('tests')) {
          log('info', `Tests passed before the interruption${s.data.tests ? ` (${s.data.tests.passed ?? '?'} passed)` : ''}`);
          return;
        }
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
        const db = await opts.openDb();
        let mine: string[] = [];
        try {
          const file = s.data.schemaFile ?? schemaPath(ctx.project.agentDir, id);
          // The schema before is taken once: a resumed deployment keeps the first one.
          if (!readSchemaRecord(s.data.schemaFile)) {
            await db.upToDate((l) => log('info', l));
            writeSchemaRecord(file, { before: await db.snapshot() });
            s.data.schemaFile = file;
            journalStep(state, { id, ticketId: cs.ticket_id }, s.data, 'deploy', 'migrations', 'snapshot');
          }
          const fresh = await db.apply(s.data.migrations, (l) => log('info', l), { deployment: id, ticket: cs.ticket_id, environment: env }, () => failpoint('deploy:migrations:applied-one'));
          // What the target itself records as this deployment's: also what a killed attempt applied.
          mine = (await db.appliedBy([id])).map((r) => r.version);
          s.data.appliedMigrations = [...new Set([...mine, ...fresh])].sort();
          writeSchemaRecord(file, { ...readSchemaRecord(file)!, after: await db.snapshot() });
        } finally {
          await db.close();
        }
        const skipped = s.data.migrations.length - s.data.appliedMigrations.length;
        log('ok', `Applied ${s.data.appliedMigrations.length} migration(s) to ${opts.database.description}${skipped ? ` (${skipped} already applied before this deployment)` : ''}`);
        const applied = s.data.migrations.filter((m) => s.data.appliedMigrations.includes(m.version));
        return async () => {
          const again = await opts.openDb();
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
        if (env !== 'production') return;
        const main = await currentBranch(root);
        const merged = await git(root, ['merge-base', '--is-ancestor', s.data.commit!, 'HEAD']).then(
          () => true,
          () => false,
        );
        const undoMerge = (before: string, mergedSha: string) => async () => {
          // Reset only while nothing came after the merge; otherwise revert it.
          if ((await headSha(root)) === mergedSha && (await isClean(root))) await git(root, ['reset', '--hard', '-q', before]);
          else await git(root, ['-c', 'user.name=crm-agent', '-c', 'user.email=agent@localhost', 'revert', '--no-edit', '-m', '1', mergedSha]);
        };
        if (merged) {
          // A resumed deployment whose merge landed before the kill: find it by its message.
          const own = (await git(root, ['log', '--merges', '-1', '--format=%H %P', `--grep=^Deploy ${id}:`, 'HEAD'])).stdout.trim();
          if (own) {
            const [sha, parent] = own.split(' ');
            Object.assign(s.data, { mainBranch: main, mergedSha: sha, previousSha: parent, mergeEmpty: false });
            log('ok', `Merged ${branch} into ${main} (found after the interruption: ${sha!.slice(0, 8)})`);
            return undoMerge(parent!, sha!);
          }
          Object.assign(s.data, { mainBranch: main, mergedSha: null, previousSha: await headSha(root), mergeEmpty: true });
          log('info', `${branch} (${s.data.commit!.slice(0, 8)}) is already in ${main}: an earlier deployment merged it; nothing to merge`);
          return;
        }
        if (!(await isClean(root))) throw new WorkFailedError('the working tree has uncommitted changes; commit or stash them before a production deploy');
        const before = (await headSha(root))!;
        // The same change merged by an earlier deployment (a second production deploy of a ticket):
        // a merge would change no file, and its revert would fail as empty. Nothing to merge then.
        const mergedTree = await git(root, ['merge-tree', '--write-tree', 'HEAD', s.data.commit!]).then((r) => r.stdout.split('\n')[0]!.trim(), () => null);
        if (mergedTree && mergedTree === (await git(root, ['rev-parse', 'HEAD^{tree}'])).stdout.trim()) {
          Object.assign(s.data, { mainBranch: main, mergedSha: null, previousSha: before, mergeEmpty: true });
          log('info', `${main} already has every change of ${branch}: an earlier deployment merged it; nothing to merge`);
          return;
        }
        await git(root, ['-c', 'user.name=crm-agent', '-c', 'user.email=agent@localhost', 'merge', '--no-ff', '-q', '-m', `Deploy ${id}: ${cs.ticket_id ?? cs.id}`, branch]);
        const after = (await headSha(root))!;
        Object.assign(s.data, { mainBranch: main, previousSha: before, mergedSha: after === before ? null : after, mergeEmpty: after === before });
        log('ok', `Merged ${branch} into ${main}`);
        return after === before ? undefined : undoMerge(before, after);
      },
    },
    {
      name: 'deploy steps',
      async run(s) {
        if (done.has('deploy steps')) return;
        const commands = config.environments[env].deploy;
        const cwd = env === 'production' ? root : s.data.worktree!;
        const onLine = (l: string) => l.trim() && state.appendEvent({ kind: 'output', level: 'debug', agent: 'DEPLOY', ticketId: cs.ticket_id, message: l });
        // The environment's rollback steps tear down what these started (`docker compose down`):
        // run when a later step or this one fails, as this step's undo.
        const teardownSteps = config.environments[env].rollback ?? [];
        const teardown = async () => {
          for (const command of teardownSteps) {
            log('info', `Running: ${command}`);
            const r = await runShell(command, { cwd: existsSync(cwd) ? cwd : root, onLine });
            if (r.exitCode !== 0) throw new WorkFailedError(`rollback step failed (exit ${r.exitCode}): ${command}`);
          }
        };
        try {
          for (const command of commands) {
            log('info', `Running: ${command}`);
            const r = await runShell(command, { cwd, signal: ctx.signal, onLine });
            // The exit code once; the output's last lines only when it printed any.
            const tail = r.output.split('\n').slice(-3).join(' ').trim();
            if (r.exitCode !== 0) throw new WorkFailedError(`deploy step failed (exit ${r.exitCode}): ${command}${tail ? `: ${tail}` : ' (it printed nothing)'}`);
          }
        } catch (err) {
          if (teardownSteps.length) await teardown().catch((e: Error) => log('error', e.message));
          throw err;
        }
        return teardownSteps.length ? teardown : undefined;
      },
    },
    {
      // issue 18: StageAgent calls the fixed tool on staging's MCP server and looks for its row.
      name: 'verify',
      async run(s) {
        if (env !== 'staging' || done.has('verify')) return;
        const { verifyAfterDeploy } = await import('../../agents/stage-agent/verify-tool.js');
        const ticket = cs.ticket_id ? (state.ticket(cs.ticket_id) ?? null) : null;
        s.data.verification = await verifyAfterDeploy({ config, secrets: ctx.secrets, signal: ctx.signal, ticket, worktree: s.data.worktree }, log);
        if (s.data.verification.status === 'failed') throw new WorkFailedError(`the verification on staging failed: ${s.data.verification.reason}`);
      },
    },
  ];
}

// ---- rollback ----

export interface RollbackResult {
  durationMs: number;
  steps: string[];
  /** The deployments rolled back together (the ticket's live deployments to the environment). */
  deployments: string[];
  reverted: string[];
  left: string[];
}

/** The ticket's deployments to the environment whose changes may still be in place, newest first. */
export function rollbackGroup(state: StateDb, dep: DeploymentRow): DeploymentRow[] {
  const env = envOf(dep);
  const sameWork = (d: DeploymentRow) => (dep.ticket_id ? d.ticket_id === dep.ticket_id : (JSON.parse(d.data) as DeploymentData).changeSetId === (JSON.parse(dep.data) as DeploymentData).changeSetId);
  const group = state.deployments({ limit: -1 }).filter((d) => d.id === dep.id || (isLive(d.status) && envOf(d) === env && sameWork(d)));
  return group.sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? 1 : -1));
}

/** Refuses (exit 2, nothing run) when a program that env's configured steps of these kinds start is not installed. */
export function assertStepPrograms(ctx: CommandContext, env: 'staging' | 'production', kinds: ReadonlyArray<'deploy' | 'rollback'>): void {
  const config = ctx.project.config().environments[env];
  const steps = kinds.flatMap((k) => (config[k] ?? []).map((command, i) => ({ where: `environments.${env}.${k}[${i}]`, command })));
  const missing = missingPrograms(steps, onPath(ctx.project.root));
  if (missing.length) throw new UsageError(`${describeMissing(missing)}; install it or change the step in agent.config.json. Nothing was run`);
}

export async function rollback(ctx: CommandContext, first: DeploymentRow, database: DatabaseTarget, openDb: () => Promise<MigrationApplier>, reason = 'rollback requested by the admin'): Promise<RollbackResult> {
  const state = ctx.state();
  const root = ctx.project.root;
  const ids = { ticketId: first.ticket_id ?? undefined };
  const log = (level: 'info' | 'ok' | 'warn' | 'error', msg: string) => ctx.out.line('ORCHESTRATOR', level, msg, ids);
  assertStepPrograms(ctx, envOf(first) as 'staging' | 'production', ['rollback']);
  const started = Date.now();
  const holder = `${first.id}:rollback`;
  const release = await holdLocks(state, holder, [databaseLock(database.identity), ticketLock(first.ticket_id ?? (JSON.parse(first.data) as DeploymentData).changeSetId)], {
    signal: ctx.signal,
    announce: (held) => log('info', `Waiting for ${describeHolders(state, held)} to finish`),
  });
  let db: MigrationApplier | null = null;
  try {
    // Read again under the lock: another process may have rolled it back while we waited.
    const dep = state.deployment(first.id)!;
    if (dep.status === 'rolled_back') throw new UsageError(`${dep.id} was rolled back meanwhile (by another process); see \`agent status\``);
    const group = rollbackGroup(state, dep);
    const datas = new Map(group.map((d) => [d.id, JSON.parse(d.data) as DeploymentData]));
    if (group.length > 1) log('info', `Rolling back ${group.map((d) => d.id).join(', ')} together: ${dep.ticket_id ?? 'the change set'}'s deployments to ${envOf(dep)}`);
    for (const d of group) {
      state.updateDeployment(d.id, { status: 'rolling_back', pid: process.pid });
      journalStep(state, { id: d.id, ticketId: d.ticket_id }, null, 'rollback', 'rollback', 'intent', { by: dep.id });
    }
    const steps: string[] = [];
    const reverted: string[] = [];
    const left: string[] = [];

    // Migrations: what the target records as applied by these deployments (plus, for rows from
    // before that record, what the deployments themselves noted and the history still has).
    const byVersion = new Map<string, MigrationToApply>();
    for (const data of datas.values()) for (const m of data.migrations) byVersion.set(m.version, m);
    const noted = [...datas.values()].flatMap((data) => data.appliedMigrations);
    const schemas = group.map((d) => readSchemaRecord(datas.get(d.id)!.schemaFile)).filter((r): r is SchemaRecord => r !== null);
    if (noted.length || byVersion.size) {
      db = await openDb();
      const history = await db.history();
      // An interrupted deployment may have no snapshot from after: the schema now stands in for it.
      const beforeRevert = schemas.length && !schemas.some((r) => r.after) ? await db.snapshot() : null;
      const journaled = (await db.appliedBy(group.map((d) => d.id))).map((r) => r.version);
      const versions = [...new Set([...journaled, ...noted.filter((v) => history.has(v))])].sort().reverse();
      const toRevert = versions.map((v) => byVersion.get(v)).filter((m): m is MigrationToApply => !!m);
      for (const v of versions) if (!byVersion.has(v)) left.push(`migration ${v}: applied, but no down migration was recorded for it`);
      for (const m of toRevert) {
        journalStep(state, { id: dep.id, ticketId: dep.ticket_id }, null, 'rollback', 'migrations', 'intent', { version: m.version });
        try {
          await db.revert([m], (l) => log('info', l));
        } catch (err) {
          // Each down migration is one transaction: this one left nothing half done. The older ones wait for it.
          left.push(`migration ${m.version}_${m.name}: its down migration failed (${(err as Error).message}); nothing of it was reverted, nor of the migrations before it`);
          break;
        }
        reverted.push(`${m.version}_${m.name}`);
        journalStep(state, { id: dep.id, ticketId: dep.ticket_id }, null, 'rollback', 'migrations', 'done', { version: m.version });
      }
      // Said only of what the target's history no longer has.
      const still = await db.history();
      for (const m of toRevert) if (still.has(m.version) && !left.some((l) => l.startsWith(`migration ${m.version}_`))) left.push(`migration ${m.version}_${m.name} is still in ${database.description}'s history`);
      const gone = toRevert.filter((m) => !still.has(m.version)).map((m) => `${m.version}_${m.name}`);
      if (gone.length) ctx.out.line('MIGRATOR', 'ok', `Rolled back ${gone.length} database migration(s) on ${database.description}: ${gone.join(', ')}`, ids);
      else if (!toRevert.length) log('info', `No migration of ${group.map((d) => d.id).join(', ')} is applied to ${database.description}: nothing to revert there`);
      steps.push('migrations');
      // The schema must be as before the first of these deployments, for every object they changed.
      const before = schemas.at(-1)?.before;
      const after = schemas.find((r) => r.after)?.after ?? beforeRevert ?? undefined;
      if (before && after) {
        const { schemaRestored } = await import('./rollback-check.js');
        const verdict = schemaRestored(before, after, await db.snapshot());
        if (verdict.ok) ctx.out.line('MIGRATOR', 'ok', `Schema matches the snapshot from before ${group.at(-1)!.id} (${verdict.changed} object(s) it changed are as before)`, ids);
        for (const r of verdict.remaining) left.push(`schema: ${r}`);
        if (verdict.unrelated.length) log('info', `Left as is (not changed by these deployments): ${verdict.unrelated.slice(0, 5).join('; ')}${verdict.unrelated.length > 5 ? ` and ${verdict.unrelated.length - 5} more` : ''}`);
      } else if (versions.length) {
        left.push(`schema not compared: ${group.map((d) => d.id).join(', ')} recorded no snapshot from before (deployed by an earlier version)`);
      }
    }

    // Code: revert each recorded merge, newest first; an empty merge reverts nothing and says so.
    for (const d of group) {
      const data = datas.get(d.id)!;
      if (!data.mergedSha && data.commit && envOf(d) === 'production' && d.status !== 'succeeded') {
        // Killed between the merge and its record: the merge commit names the deployment.
        const own = (await git(root, ['log', '--merges', '-1', '--format=%H %P', `--grep=^Deploy ${d.id}:`, 'HEAD'])).stdout.trim();
        if (own) Object.assign(data, { mergedSha: own.split(' ')[0], previousSha: own.split(' ')[1], mainBranch: await currentBranch(root) });
      }
      if (data.mergeEmpty) log('info', `${d.id} merged nothing (its branch was already in ${data.mainBranch ?? 'the main branch'}): no code of its own to revert`);
      if (!data.mergedSha || !data.mainBranch) continue;
      const changedFiles = (await git(root, ['diff', '--name-only', `${data.mergedSha}^1`, data.mergedSha])).stdout.trim();
      if (!changedFiles) {
        log('info', `${d.id}'s merge ${data.mergedSha.slice(0, 8)} changed no file (the change was already in ${data.mainBranch}): nothing of its own to revert`);
        continue;
      }
      const already = (await git(root, ['log', '--format=%H', '-1', `--grep=This reverts commit ${data.mergedSha}`, 'HEAD'])).stdout.trim();
      if (already) {
        log('info', `${d.id}'s merge ${data.mergedSha.slice(0, 8)} is already reverted (${already.slice(0, 8)})`);
        continue;
      }
      journalStep(state, { id: d.id, ticketId: d.ticket_id }, null, 'rollback', 'code', 'intent', { merge: data.mergedSha });
      try {
        await git(root, ['-c', 'user.name=crm-agent', '-c', 'user.email=agent@localhost', 'revert', '--no-edit', '-m', '1', data.mergedSha]);
        ctx.out.line('CODESMITH', 'ok', `Restored previous code version on ${data.mainBranch} (reverted ${d.id}'s merge ${data.mergedSha.slice(0, 8)})`, ids);
        reverted.push(`merge ${data.mergedSha.slice(0, 8)}`);
        journalStep(state, { id: d.id, ticketId: d.ticket_id }, null, 'rollback', 'code', 'done');
      } catch (err) {
        await git(root, ['revert', '--abort']).catch(() => undefined);
        left.push(`code: ${d.id}'s merge ${data.mergedSha.slice(0, 8)} could not be reverted: ${(err as Error).message.replace(/^git revert failed: /, '')}`);
      }
    }
    if (group.some((d) => datas.get(d.id)!.mergedSha)) steps.push('code');
    // The files the change set touched must read as before its first merge.
    const firstMerged = [...group].reverse().find((d) => datas.get(d.id)!.previousSha && datas.get(d.id)!.mergedSha);
    if (firstMerged && !left.some((l) => l.startsWith('code:'))) {
      const files = (JSON.parse(state.changeSet(datas.get(firstMerged.id)!.changeSetId)?.manifest ?? '{"files":[]}') as Manifest).files.map((f) => f.path);
      const diff = files.length ? (await git(root, ['diff', '--name-only', datas.get(firstMerged.id)!.previousSha!, 'HEAD', '--', ...files])).stdout.trim() : '';
      if (diff) left.push(`code: ${diff.split('\n').join(', ')} differ from before ${firstMerged.id} (changed since by other commits?)`);
    }
    // The environment's rollback steps (tear down what its deploy steps started), where its deploy ran.
    const teardown = ctx.project.config().environments[envOf(dep) as 'staging' | 'production'].rollback ?? [];
    for (const command of teardown) {
      const worktree = datas.get(dep.id)!.worktree;
      log('info', `Running: ${command}`);
      const r = await runShell(command, {
        cwd: envOf(dep) !== 'production' && worktree && existsSync(worktree) ? worktree : root,
        signal: ctx.signal,
        onLine: (l) => l.trim() && state.appendEvent({ kind: 'output', level: 'debug', agent: 'DEPLOY', ticketId: dep.ticket_id, message: l }),
      });
      const tail = r.output.split('\n').slice(-3).join(' ').trim();
      if (r.exitCode !== 0) left.push(`rollback step failed (exit ${r.exitCode}): ${command}${tail ? `: ${tail}` : ' (it printed nothing)'}`);
      else reverted.push(`step ${command}`);
    }
    if (teardown.length) steps.push('rollback steps');
    for (const d of group) {
      const data = datas.get(d.id)!;
      if (data.worktree && existsSync(data.worktree)) await git(root, ['worktree', 'remove', '--force', data.worktree]).catch(() => rmSync(data.worktree!, { recursive: true, force: true }));
    }
    await git(root, ['worktree', 'prune']).catch(() => undefined);
    const branch = datas.get(dep.id)!.branch;
    const newer = state.deployments({ limit: -1 }).some((d) => !group.includes(d) && isLive(d.status) && (JSON.parse(d.data) as DeploymentData).branch === branch);
    if (!newer && (await branchExists(root, branch))) await git(root, ['branch', '-D', branch]).catch(() => undefined);
    steps.push('branch');

    const durationMs = Date.now() - started;
    const ok = left.length === 0;
    state.tx(() => {
      for (const d of group) {
        const data = datas.get(d.id)!;
        data.rollback = { at: new Date().toISOString(), durationMs, steps, reverted, left, by: dep.id };
        state.updateDeployment(d.id, { status: ok ? 'rolled_back' : 'rollback_incomplete', data: JSON.stringify(data), pid: null, step: ok ? null : 'rollback' });
        state.appendJournal(d.id, 'rollback', ok ? 'done' : 'incomplete', { left });
        if (ok) state.setChangeSetStatus(data.changeSetId, 'rolled_back');
      }
      if (ok && dep.ticket_id) state.setTicketStatus(dep.ticket_id, 'rolled_back');
      queueIncidentEmail(ctx, state.deployment(dep.id)!, ok ? reason : `${reason} (rollback incomplete: ${left.join('; ')})`, durationMs);
    });
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'rollback', target: group.map((d) => d.id).join(','), approval: ctx.approvalIds(), result: ok ? `rolled back in ${durationMs} ms` : `incomplete: ${left.join('; ')}` });
    failpoint('rollback:record:done');
    if (!ok) {
      for (const l of left) log('error', `Not rolled back: ${l}`);
      throw new WorkFailedError(`rollback of ${group.map((d) => d.id).join(', ')} is incomplete: ${left.length} item(s) left (listed above); fix them and run \`agent rollback ${dep.id}\` again`);
    }
    log('ok', `Rollback complete in ${(durationMs / 1000).toFixed(1)} seconds`);
    return { durationMs, steps, deployments: group.map((d) => d.id), reverted, left };
  } finally {
    await db?.close();
    release();
  }
}
