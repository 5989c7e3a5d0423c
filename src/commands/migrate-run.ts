// What migrate status, lint and execute do when they run: the Migrator's API (agents/migrator)
// behind the CLI. src/commands/migrate.ts declares the commands and imports this module only then;
// the migrator and the database layer are loaded with import() in turn, so PGlite and pg stay out
// of the CLI's start-up path.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { makeStyle } from '../cli/style.js';
import type { ChangeSetRow } from '../store/rows.js';
import type { Manifest } from '../../agents/shared/change-set.js';
import type { Pg } from '../integrations/postgres/types.js';
import type { CommandContext, CommandResult } from './types.js';
import { openEnvironmentUnderLock } from './open-env.js';
import { stagedMigrationRequest } from '../engine/approval-policy.js';

type EnvName = 'staging' | 'production';
const AGENT = 'MIGRATOR';

export { templateCacheDir } from '../integrations/postgres/cache-dir.js';
import { templateCacheDir } from '../integrations/postgres/cache-dir.js';

const migrator = () => import('../../agents/migrator/index.js');

const ENVS = ['staging', 'production'] as const;

/**
 * An environment's database (default production), opened under its lock, which close() releases:
 * nothing touches an environment's database while a deploy, rollback or another migrate holds it.
 * With `create: false` an embedded database that does not exist yet is not made (null): reading
 * status must not create one.
 */
function openTarget(ctx: CommandContext, opts: { create: boolean; env?: string }): Promise<Pg | null> {
  const env = (opts.env ?? 'production') as (typeof ENVS)[number];
  return openEnvironmentUnderLock(ctx, env, { holder: 'MIGRATE', by: `migrate (${env})`, create: opts.create, agent: AGENT });
}

const embedded = (env = 'production') => `embedded PGlite (.agent/pgdata/${env})`;

export interface StagedSqlMigration {
  version: string;
  name: string;
  up: string;
  down: string;
  /** Project-relative paths of the staged files. */
  path: string;
  downPath: string;
  changeSetId: string;
}

/** The newest staged (or approved) change set that carries migrations, minus versions already local or applied. */
function newestStagedMigrations(ctx: CommandContext, skip: ReadonlySet<string>): StagedSqlMigration[] {
  const rows = ctx.state().db.prepare(`SELECT * FROM change_sets WHERE status IN ('staged', 'approved') ORDER BY created_at DESC`).all() as ChangeSetRow[];
  for (const cs of rows) {
    const m = JSON.parse(cs.manifest) as Manifest;
    if (!m.migrations.length) continue;
    const out: StagedSqlMigration[] = [];
    for (const x of m.migrations) {
      if (skip.has(x.version)) continue;
      const path = `${cs.dir}/migrations/${x.version}_${x.name}.up.sql`;
      const downPath = `${cs.dir}/migrations/${x.version}_${x.name}.down.sql`;
      const full = join(ctx.project.root, path);
      if (!existsSync(full)) continue;
      const down = join(ctx.project.root, downPath);
      out.push({ version: x.version, name: x.name, up: readFileSync(full, 'utf8'), down: existsSync(down) ? readFileSync(down, 'utf8') : '', path, downPath, changeSetId: cs.id });
    }
    return out;
  }
  return [];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} minute(s)`;
}

// ── migrate status ────────────────────────────────────────────────────────────────────────────

export async function migrateStatusRun(ctx: CommandContext, args: { env?: EnvName }): Promise<CommandResult> {
  const m = await migrator();
  const root = ctx.project.root;
  const db = await openTarget(ctx, { create: false, env: args.env });
  let status;
  let target: string;
  try {
    if (db) {
      status = await m.migrationStatus(root, db);
      target = db.description;
    } else {
      const { files, skipped } = m.readMigrationFiles(root);
      status = { ...m.compareMigrations(files, []), skipped };
      target = `${embedded(args.env)}, not created yet`;
    }
  } finally {
    await db?.close();
  }
  for (const s of status.skipped) ctx.out.line(AGENT, 'warn', `Skipped supabase/migrations/${s.filename}: ${s.reason}`);
  ctx.out.print(status.rows.length ? m.statusTable(status) : 'No migrations in supabase/migrations and none applied.');
  const applied = status.rows.filter((r) => r.remote).length;
  ctx.out.line(AGENT, status.pending.length ? 'info' : 'ok', `${target}: ${applied} applied, ${status.pending.length} pending`);
  if (status.missingLocally.length) ctx.out.line(AGENT, 'warn', `Applied but missing locally: ${status.missingLocally.map((x) => x.version).join(', ')}`);
  for (const e of status.edited) ctx.out.line(AGENT, 'warn', `Edited after it was applied: ${e.path} (its statements differ from the recorded ones)`);
  if (status.outOfOrder.length) ctx.out.line(AGENT, 'warn', `Pending but older than the newest applied migration: ${status.outOfOrder.join(', ')} (\`agent migrate execute --include-all\`)`);
  return {
    data: {
      target,
      rows: status.rows,
      pending: status.pending.map((p) => ({ version: p.version, name: p.name, path: p.path })),
      missingLocally: status.missingLocally.map((x) => ({ version: x.version, name: x.name ?? null })),
      edited: status.edited,
      unverified: status.unverified,
      outOfOrder: status.outOfOrder,
      skipped: status.skipped,
    },
  };
}

// ── migrate lint ──────────────────────────────────────────────────────────────────────────────

export async function migrateLintRun(ctx: CommandContext, args: { files?: string; env?: EnvName }): Promise<CommandResult> {
  const m = await migrator();
  const root = ctx.project.root;
  const { files } = m.readMigrationFiles(root);
  const lintable: Array<{ path: string; sql: string }> = files.map((f) => ({ path: f.path, sql: f.sql }));
  let wanted: string[];
  if (args.files?.trim()) {
    wanted = [];
    for (const word of args.files.trim().split(/\s+/)) {
      const full = resolve(process.cwd(), word);
      const rel = relative(root, full).split('\\').join('/');
      const local = files.find((f) => f.path === rel || f.path === word || f.path.endsWith(`/${word}`));
      if (local) wanted.push(local.path);
      else if (existsSync(full) && !rel.startsWith('..')) {
        lintable.push({ path: rel, sql: readFileSync(full, 'utf8') });
        wanted.push(rel);
      } else throw new UsageError(`${word}: no such migration file; see \`agent migrate status\` for the project's migrations`);
    }
  } else {
    const db = await openTarget(ctx, { create: false, env: args.env });
    let pending: string[];
    try {
      pending = db ? (await m.migrationStatus(root, db)).pending.map((p) => p.path) : files.map((f) => f.path);
    } finally {
      await db?.close();
    }
    const staged = newestStagedMigrations(ctx, new Set(files.map((f) => f.version)));
    for (const s of staged) lintable.push({ path: s.path, sql: s.up });
    wanted = [...pending, ...staged.map((s) => s.path)];
  }
  const only = new Set(wanted);
  const findings = m.sortFindings(m.lintMigrations(lintable, { only: (p) => only.has(p) }));
  const s = makeStyle(ctx.out.color);
  for (const f of findings) {
    const sev = f.severity === 'error' ? s.red('error  ') : f.severity === 'warning' ? s.yellow('warning') : s.dim('info   ');
    ctx.out.print(`${f.file}:${f.line}  ${sev}  ${f.ruleId}  ${f.message}${f.fix ? s.dim(`  (fix: ${f.fix})`) : ''}`);
  }
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  const destructive = m.requiresApproval(findings);
  if (!wanted.length) ctx.out.line(AGENT, 'ok', 'Nothing to lint: no pending migrations');
  else ctx.out.line(AGENT, counts.error ? 'error' : counts.warning ? 'warn' : 'ok', `Lint: ${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${plural(counts.info, 'note')} in ${plural(wanted.length, 'file')}${destructive ? ' (destructive: applying needs approval)' : ''}`);
  return { data: { files: wanted, findings, counts, requiresApproval: destructive }, exitCode: counts.error ? 1 : 0 };
}

// ── migrate "<change>" / generate migration "<change>" ────────────────────────────────────────

// ── migrate execute [--dry-run] ───────────────────────────────────────────────────────────────

async function dryRunCmd(ctx: CommandContext, env: string | undefined): Promise<CommandResult> {
  const m = await migrator();
  const root = ctx.project.root;
  const db = await openTarget(ctx, { create: false, env });
  try {
    const local = new Set(m.readMigrationFiles(root).files.map((f) => f.version));
    const applied = db ? new Set((await m.readHistory(db)).map((h) => h.version)) : new Set<string>();
    const staged = newestStagedMigrations(ctx, new Set([...local, ...applied]));
    if (!db && staged.length) ctx.out.line(AGENT, 'info', `No ${embedded(env)} yet: the committed migrations count as applied; dry-running the staged set ${staged[0]!.changeSetId}`);
    const target = db ? `${db.description}` : embedded(env);
    const report = await ctx.out.spin(
      'Dry run in a shadow database…',
      m.dryRun(root, { templateCacheDir: templateCacheDir(), target: db ?? undefined, extra: staged.length ? staged.map((s) => ({ version: s.version, name: s.name, up: s.up, down: s.down || null, path: s.path })) : undefined }),
    );
    const { schemaAfter: _schema, ...rest } = report;
    if (!report.pending.length) {
      ctx.out.line(AGENT, 'ok', `Nothing to apply: ${target} is up to date (replayed ${plural(report.replayed.count, 'migration')})`);
      return { data: { target, ...rest } };
    }
    ctx.out.line(AGENT, 'info', `Shadow from the cached template in ${formatMs(report.shadow.openMs)}; replayed ${plural(report.replayed.count, 'applied migration')} in ${formatMs(report.shadow.replayMs)}`);
    for (const p of report.pending) ctx.out.line(AGENT, p.diagnoses.length ? 'error' : 'ok', `Applied ${p.path} in the shadow (${formatMs(p.ms)})`);
    for (const d of report.diagnoses) ctx.out.line(AGENT, d.cause === 'shadow-limitation' ? 'warn' : 'error', `${d.file}:${d.line} ${d.reason}${d.hint ? ` (hint: ${d.hint})` : ''}`);
    if (report.notChecked.length) ctx.out.line(AGENT, 'warn', `Not checked: ${report.notChecked.join(', ')} (PGlite lacks them; inert stand-ins replayed in their place)`);
    const errors = report.diagnoses.filter((d) => d.cause !== 'shadow-limitation').length;
    ctx.out.line(AGENT, errors ? 'error' : 'ok', `Dry run ${errors ? 'failed' : 'successful'} - ${plural(errors, 'error')}`);
    ctx.out.line(AGENT, 'ok', `Estimated time: ${formatMs(report.estimatedMs)}`);
    ctx.out.line(AGENT, 'ok', `Impact: ${report.impact.rowsAffected} rows affected${report.impact.rowsRewritten ? `, ${report.impact.rowsRewritten} rewritten` : ''}`);
    const skipped = report.rollback.filter((r) => r.status === 'skipped');
    for (const r of report.rollback) {
      if (r.status === 'verified' || r.status === 'skipped') continue;
      ctx.out.line(AGENT, r.status === 'missing' ? 'warn' : 'error', `Rollback of ${r.version}_${r.name}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
      for (const d of r.differences) ctx.out.line(AGENT, 'error', `  differs after rollback: ${d}`);
    }
    if (skipped.length) ctx.out.line(AGENT, 'warn', `Rollback not checked for ${plural(skipped.length, 'older migration')}: ${skipped[0]!.reason}`);
    if (report.rollbackVerified) ctx.out.line(AGENT, 'ok', `Rollback verified: the schema after rolling back ${plural(report.rollback.length, 'migration')} matches the schema before`);
    if (report.requiresApproval) ctx.out.line(AGENT, 'warn', `Destructive changes (${[...new Set(report.findings.filter((f) => m.DESTRUCTIVE_RULES.has(f.ruleId)).map((f) => f.ruleId))].join(', ')}): \`agent migrate execute\` will ask for approval`);
    // A missing rollback is a warning (committed migrations often have none); a failing or differing one is an error.
    const broken = report.rollback.some((r) => r.status === 'failed' || r.status === 'differs');
    return { data: { target, ...rest }, exitCode: errors || broken ? 1 : 0 };
  } finally {
    await db?.close();
  }
}

/**
 * migrate execute through the six phases and their gates, run by the orchestrator as `fix` runs its
 * agents (seed 6): understand (what is pending, the staged set's seal), analyze (the linter's
 * findings, the order), plan (the approvals, the failure scenarios), validate (static analysis),
 * execute (each file in its own transaction), verify (the target's history has them). What it
 * prints and its exit codes are those of the steps: a file that fails is exit 1, as before.
 */
async function executeCmd(ctx: CommandContext, opts: { includeAll: boolean; env?: string; recreate?: boolean }): Promise<CommandResult> {
  const m = await migrator();
  const root = ctx.project.root;
  if (opts.recreate) await prepareRecreate(ctx, opts.env ?? 'production');
  const db = await openTarget(ctx, { create: true, env: opts.env });
  if (!db) throw new Error('unreachable: the target is created when missing');
  const [{ Orchestrator }, { item }] = await Promise.all([import('../engine/orchestrator.js'), import('../engine/phases.js')]);
  const orch = new Orchestrator(ctx.state(), ctx.project.config(), ctx.out, ctx.signal);
  const resumeArgs = { ...(opts.includeAll ? { includeAll: true } : {}), ...(opts.env ? { env: opts.env } : {}) };
  let files: ReturnType<typeof m.readMigrationFiles>['files'] = [];
  let status: Awaited<ReturnType<typeof m.migrationStatus>>;
  let staged: StagedSqlMigration[] = [];
  let pendingPaths: string[] = [];
  let findings: ReturnType<typeof m.lintMigrations> = [];
  let result: CommandResult | null = null;
  let applied: Array<{ version: string; name: string; path: string; ms: number }> = [];
  const nothing = () => pendingPaths.length === 0;
  try {
    await orch.withRun({ command: `migrate execute${opts.env ? ` --env ${opts.env}` : ''}` }, (run) =>
      orch.runAgent(run, {
        type: 'Migrator',
        speaker: AGENT,
        priority: 5,
        phases: {
          async understand() {
            files = m.readMigrationFiles(root).files;
            status = await m.migrationStatus(root, db);
            staged = newestStagedMigrations(ctx, new Set([...files.map((f) => f.version), ...status.rows.filter((r) => r.remote).map((r) => r.remote!)]));
            // What runs is what was reviewed: an edited staged set is refused (exit 2) like its deploy would be.
            if (staged.length) {
              const { assertSealed } = await import('../engine/seal.js');
              for (const id of new Set(staged.map((x) => x.changeSetId))) assertSealed(root, ctx.state().changeSet(id)!);
            }
            pendingPaths = [...status.pending.map((p) => p.path), ...staged.map((x) => x.path)];
            const applied = status.rows.filter((r) => r.remote).length;
            return {
              items: [
                item('Identified all affected components', true, nothing() ? `nothing pending on ${db.description}` : pendingPaths.join(', ')),
                item('Mapped current vs desired state', true, `${db.description}: ${applied} applied, ${status.pending.length} pending${staged.length ? `, ${staged.length} from the staged set ${staged[0]!.changeSetId}` : ''}`),
                item('Confirmed requirements clarity', true, staged.length ? `the staged set matches its seal (sha256 of every file)` : 'committed migration files only'),
              ],
              metrics: { confidence: 100, confidenceBasis: `${pendingPaths.length} file(s) to apply to ${db.description}` },
            };
          },
          async analyze() {
            const only = new Set(pendingPaths);
            findings = nothing() ? [] : m.lintMigrations([...files.map((f) => ({ path: f.path, sql: f.sql })), ...staged.map((x) => ({ path: x.path, sql: x.up }))], { only: (p) => only.has(p) });
            const newest = status.rows.filter((r) => r.remote).map((r) => r.remote!).sort().at(-1);
            return {
              items: [
                item('Built complete dependency graph', true, `applied in version order${newest ? ` after ${newest}, the newest applied` : ''}${status.outOfOrder.length ? `; older than it and pending: ${status.outOfOrder.join(', ')}` : ''}`),
                item('Identified circular dependencies', true, 'migrations apply one after another in version order: none can wait for a later one'),
                item('Documented all touch points', true, nothing() ? 'no file' : `${pendingPaths.length} file(s); linter findings: ${findings.length}`),
              ],
              metrics: { criticalCycles: 0 },
            };
          },
          async plan() {
            const verdict = m.approvalVerdict(findings);
            let approval = 'none needed';
            if (nothing()) approval = 'nothing to apply';
            else if (verdict.type === 'approval-required') {
              for (const f of verdict.reasons) ctx.out.line(AGENT, 'warn', `${f.file}:${f.line} ${f.ruleId}: ${f.message}`);
              await ctx.requireApproval({
                category: 'databaseDestructive',
                action: `apply destructive migration(s) ${pendingPaths.map((p) => p.replace(/^.*\//, '')).join(', ')} to ${db.description}`,
                touches: pendingPaths,
                requestedBy: AGENT,
                resume: { command: 'migrate execute', args: resumeArgs },
              });
              approval = `destructive (${verdict.reasons.map((f) => f.ruleId).join(', ')}): approved ${ctx.approvalIds() ?? 'by policy'}`;
            } else if (staged.length) {
              // A ticket's staged migration lands with its deploy: applying it here asks what that deploy would.
              const held = stagedMigrationRequest(ctx.state().changeSet(staged[0]!.changeSetId)!, db.description, staged.map((x) => x.path), resumeArgs, opts.env);
              if (held) await ctx.requireApproval(held);
              approval = held ? `as its deploy would: approved ${ctx.approvalIds() ?? 'by policy'}` : 'none needed';
            }
            const withDown = files.filter((f) => status.pending.some((p) => p.version === f.version) && m.readRollback(root, f.version)).length + staged.filter((x) => x.down.trim()).length;
            return {
              items: [
                item('Failure scenario: a file fails half-way', true, 'each file runs in its own transaction (CONCURRENTLY alone outside it): nothing of a failing file is applied, and the files after it wait'),
                item('Failure scenario: a destructive statement', true, approval),
                item('Planned rollback procedures', nothing() || withDown === pendingPaths.length, `${withDown}/${pendingPaths.length} pending file(s) have a rollback`),
              ],
              metrics: { scenarios: 2, mitigated: 2 },
            };
          },
          async validate() {
            const errors = findings.filter((f) => f.severity === 'error' && !m.DESTRUCTIVE_RULES.has(f.ruleId));
            return {
              items: [item('Static analysis passed', errors.length === 0, `the migration linter over ${pendingPaths.length} file(s): ${errors.length} error(s) besides destructive statements, ${findings.length} finding(s) in all`)],
              // SQL files have no code line for tests to cover: the linter's reading of each statement stands in.
              metrics: { coverage: null, coverageInstead: `the migration linter read every statement of the ${pendingPaths.length} pending file(s)` },
            };
          },
          async execute() {
            const pre = [item('Precondition: the target is open under its lock', true, db.description), item('Precondition: the approvals it needs are given', true, ctx.approvalIds() ?? 'none needed by the policy')];
            if (nothing()) {
              ctx.out.line(AGENT, 'ok', `Nothing to apply: ${db.description} is up to date`);
              result = { data: { target: db.description, applied: [] } };
              return { items: pre, metrics: { preconditions: 2, preconditionsMet: 2 } };
            }
            const r = await m.applyPending(root, db, { includeAll: opts.includeAll });
            if (r.type === 'blocked') throw new UsageError(`${r.reason}: \`agent migrate execute --include-all\``);
            applied = r.applied.map((a) => ({ version: a.version, name: a.name, path: a.path, ms: a.ms }));
            for (const a of applied) ctx.out.line(AGENT, 'ok', `Applied ${a.path} (${formatMs(a.ms)})`);
            let failed = r.type === 'failed' ? { ...r.failed } : null;
            if (!failed) {
              for (const x of staged) {
                try {
                  const done = await m.applyMigration(db, { version: x.version, name: x.name, path: x.path, sql: x.up });
                  applied.push({ version: done.version, name: done.name, path: done.path, ms: done.ms });
                  ctx.out.line(AGENT, 'ok', `Applied ${x.path} (${formatMs(done.ms)}; staged in ${x.changeSetId}, its files land with \`agent deploy\`)`);
                } catch (err) {
                  if (!(err instanceof m.MigrationFailure)) throw err;
                  failed = { ...err.diagnosis, version: x.version };
                  break;
                }
              }
            }
            const { appendAudit } = await import('../engine/audit.js');
            appendAudit(ctx.state(), { initiator: ctx.initiator, agent: AGENT, action: 'migrate.execute', approval: ctx.approvalIds(), target: db.description, files: applied.map((a) => a.path), result: failed ? `failed at ${failed.file}:${failed.line}` : `${applied.length} applied` });
            if (failed) {
              // The work failed (exit 1), as it always has: not a gate, so the run ends here.
              ctx.out.line(AGENT, 'error', `${failed.file}:${failed.line} ${failed.reason} (nothing of that file was applied)`);
              result = { data: { target: db.description, applied, failed }, exitCode: 1 };
              throw new MigrationFileFailed(`${failed.file}:${failed.line} ${failed.reason}`);
            }
            ctx.out.line(AGENT, 'ok', `${plural(applied.length, 'migration')} applied to ${db.description}`);
            result = { data: { target: db.description, applied } };
            return { items: [...pre, item('All changes executed atomically', true, applied.map((a) => `${a.path} (${formatMs(a.ms)})`).join(', '))], metrics: { preconditions: 2, preconditionsMet: 2 } };
          },
          async verify() {
            const history = nothing() ? new Set<string>() : new Set((await m.readHistory(db)).map((h) => h.version));
            const missing = applied.filter((a) => !history.has(a.version));
            return {
              items: [item('The target records every applied file', missing.length === 0, nothing() ? 'nothing was applied' : missing.length ? `not in ${db.description}'s history: ${missing.map((a) => a.path).join(', ')}` : `${applied.length} version(s) in ${db.description}'s history`)],
              metrics: { postErrors: missing.length },
            };
          },
        },
      }),
    );
  } catch (err) {
    if (!(err instanceof MigrationFileFailed)) throw err;
  } finally {
    orch.dispose();
    await db.close();
  }
  return result!;
}

/** A migration file failed to apply: the command's result (exit 1) is already set. */
class MigrationFileFailed extends Error {}

export async function migrateExecuteRun(ctx: CommandContext, args: { dryRun?: boolean; includeAll?: boolean; env?: EnvName; recreate?: boolean; withData?: boolean }): Promise<CommandResult> {
  if (args.recreate && args.dryRun) throw new UsageError('--recreate rebuilds a database; it does not go with --dry-run');
  if (args.withData && !args.dryRun) throw new UsageError('--with-data goes with --dry-run: `agent migrate execute --dry-run --with-data`');
  if (args.dryRun && args.withData) return dryRunCmd(ctx, args.env).then(async (r) => (await import('../../agents/migrator/data-dry-run.js')).withDataStep(ctx, args.env ?? 'production', r, (level, text) => ctx.out.line(AGENT, level, text)));
  return args.dryRun ? dryRunCmd(ctx, args.env) : executeCmd(ctx, { includeAll: Boolean(args.includeAll), env: args.env, recreate: args.recreate });
}

/** --recreate: only for an embedded database that is missing or damaged; a damaged one is kept aside. */
async function prepareRecreate(ctx: CommandContext, env: string): Promise<void> {
  const [{ databaseFor }, { dataDirState, forgetEmbedded }, { holdLocks, databaseLock }, { renameSync }] = await Promise.all([
    import('../engine/environments.js'),
    import('../integrations/env-database.js'),
    import('../engine/locks.js'),
    import('node:fs'),
  ]);
  const target = databaseFor(ctx, env as (typeof ENVS)[number]);
  if (target.kind !== 'embedded') throw new UsageError(`--recreate is for the embedded databases; ${env} is ${target.description}`);
  const release = await holdLocks(ctx.state(), `MIGRATE-${process.pid}-recreate`, [databaseLock(target.identity)], { signal: ctx.signal });
  try {
    const on = dataDirState(ctx.project.root, target);
    if (on === 'present') throw new UsageError(`${target.dataDir} is present and opens; --recreate only rebuilds a missing or damaged database`);
    await ctx.requireApproval({
      category: 'databaseDestructive',
      action: `rebuild the ${env} embedded database ${target.dataDir} from the migrations${on === 'damaged' ? ' (the damaged one is moved aside)' : ''}`,
      touches: [target.dataDir],
      requestedBy: AGENT,
      resume: { command: 'migrate execute', args: { env, recreate: true } },
    });
    if (on === 'damaged') {
      const aside = `${target.dataDir}.damaged-${Date.now()}`;
      renameSync(join(ctx.project.root, target.dataDir), join(ctx.project.root, aside));
      ctx.out.line(AGENT, 'warn', `Moved the damaged ${target.dataDir} aside to ${aside}`);
    }
    forgetEmbedded(ctx.state(), env);
  } finally {
    release();
  }
}
