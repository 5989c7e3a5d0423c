// review, deploy, rollback, metrics: what happens to a staged change set after the agents.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { makeStyle } from '../cli/style.js';
import type { ChangeSetRow, DeploymentRow } from '../store/rows.js';
import type { Manifest } from '../../agents/shared/change-set.js';
import { defineCommand, type CommandContext } from './types.js';
import { isLive } from '../engine/deployment-states.js';
import { rollbackRequest } from '../engine/approval-policy.js';

const TARGETS = ['staging', 'production'] as const;
type EnvName = (typeof TARGETS)[number];

/** `usage`: the command as typed with a ticket id, for the hint when nothing is staged. */
export function findChangeSet(ctx: CommandContext, ref: string | undefined, usage: (id: string) => string): ChangeSetRow {
  const state = ctx.state();
  if (ref) {
    const cs = state.changeSet(ref) ?? (state.ticket(ref) ? state.changeSet(state.ticket(ref)!.id) : undefined);
    if (cs) return cs;
    if (!state.ticket(ref)) throw new UsageError(`${ref}: no such ticket or change set; see \`agent tickets\` for ticket ids`);
    throw new UsageError(`${ref}: nothing is staged for it; run \`agent fix ticket ${ref}\` first`);
  }
  const latest = state.db.prepare(`SELECT * FROM change_sets WHERE status IN ('staged', 'approved') ORDER BY created_at DESC LIMIT 1`).get() as ChangeSetRow | undefined;
  if (!latest) throw new UsageError(`nothing is staged; stage a fix first (\`agent fix ticket <id>\`), then \`${usage('<id>')}\``);
  return latest;
}

function colorDiff(patch: string, color: boolean): string {
  if (!color) return patch;
  const s = makeStyle(true);
  return patch
    .split('\n')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? s.green(l) : l.startsWith('-') && !l.startsWith('---') ? s.red(l) : l.startsWith('@@') ? s.cyan(l) : l))
    .join('\n');
}

export const review = defineCommand({
  name: 'review',
  summary: 'Show a staged change set: the change list, the diff and the quality gates',
  group: 'review',
  risk: 'read',
  args: [{ name: 'id', description: 'a ticket id or change-set id (default: the newest staged set)', complete: 'ticket' }],
  flags: [{ name: 'stat', type: 'boolean', description: 'the change list and gates only, no diff' }],
  schema: (z) => z.object({ id: z.optional(z.string()), stat: z.optional(z.boolean()) }),
  keywords: ['review', 'changes', 'diff', 'look at'],
  examples: ['agent review BUG-2026-001', 'agent review --stat'],
  async run(ctx, args) {
    const cs = findChangeSet(ctx, args.id, (id) => `agent review ${id}`);
    // What the admin reviews must be what was staged: an edited set is refused before it is shown.
    (await import('../engine/seal.js')).assertSealed(ctx.project.root, cs);
    const m = JSON.parse(cs.manifest) as Manifest;
    const dir = join(ctx.project.root, cs.dir);
    const patchPath = join(dir, 'changes.patch');
    const patch = existsSync(patchPath) ? readFileSync(patchPath, 'utf8') : '';
    ctx.out.line('ORCHESTRATOR', 'info', `Changes to review (${cs.dir}, ${cs.status}):`, { ticketId: cs.ticket_id ?? undefined });
    const s = makeStyle(ctx.out.color);
    const lines = m.files.map((f, i) => `  ${i + 1}. ${f.path} ${s.dim(`(${f.action}, ${f.agent})`)}`);
    lines.push('', s.bold('Quality gates'));
    for (const g of m.gates) lines.push(`  ${g.ok ? s.green('✓') : s.red('✗')} ${g.agent} ${g.phase}: ${g.detail}`);
    if (m.tests) {
      const carried = m.tests.carried ? `; ${m.tests.carried.files.length} file(s) the change cannot reach passed on HEAD` : '';
      lines.push(`  ${m.tests.ok ? s.green('✓') : s.red('✗')} tests: ${m.tests.passed} passed, ${m.tests.failed} failed (${m.tests.command || 'no test file can reach the change'}${carried})`);
    }
    if (m.untested) lines.push(`  ${s.yellow('⚠')} tests: none ran: ${m.untested}`);
    if (m.restaged) lines.push('', s.dim(`Re-staged ${m.restaged.at} after edits to ${m.restaged.edited.join(', ') || 'nothing (sealed then)'}: lint, patch, types and the shadow dry run ran again; the tests above are from staging`));
    if (m.requiresApproval) lines.push('', s.yellow('⚠ contains a destructive migration: deploying it needs approval'));
    if (!args.stat && patch) lines.push('', colorDiff(patch.trimEnd(), ctx.out.color));
    ctx.out.print(lines.join('\n'));
    return { data: { changeSet: { id: cs.id, dir: cs.dir, status: cs.status }, manifest: m, patch: args.stat ? undefined : patch } };
  },
});

/** The environment's database (a UsageError when it has none configured), and how to open it under its lock. */
async function environmentDatabase(ctx: CommandContext, env: EnvName, opts: { sameDatabase?: boolean } = {}) {
  const { databaseFor } = await import('../engine/environments.js');
  const target = databaseFor(ctx, env, opts);
  const { openMigrationApplier } = await import('../integrations/migration-applier.js');
  return { target, open: (by: string) => () => openMigrationApplier(ctx, target, by) };
}

export async function deployChangeSet(ctx: CommandContext, cs: ChangeSetRow, target: EnvName, opts: { skipTests?: boolean; emergency?: boolean; sameDatabase?: boolean } = {}) {
  const m = JSON.parse(cs.manifest) as Manifest;
  const ticketId = cs.ticket_id ?? undefined;
  const maintenance = ctx.state().getKv<{ on: boolean }>('maintenance');
  if (maintenance?.on && !opts.emergency) {
    throw new UsageError('maintenance mode is on: deploys are paused; `agent emergency maintenance off` first, or `agent emergency deploy hotfix <id>`');
  }
  // Before any approval is asked: an edited set, or one without a database to go to, is bad input, not a request.
  const { assertSealed, destructiveNow } = await import('../engine/seal.js');
  assertSealed(ctx.project.root, cs);
  (await import('../engine/deploy.js')).assertStepPrograms(ctx, target, ['deploy', 'rollback']);
  const db = await environmentDatabase(ctx, target, opts);
  const touches = [...m.files.map((f) => f.path), ...m.migrations.map((x) => `migration ${x.version}_${x.name}`)];
  const same = opts.sameDatabase ? { sameDatabase: true } : {};
  const resume = { command: opts.emergency ? 'emergency deploy hotfix' : 'deploy', args: opts.emergency ? { id: cs.ticket_id ?? cs.id } : { target, id: cs.ticket_id ?? cs.id, ...same } };
  if (opts.emergency) {
    await ctx.requireApproval({ category: 'emergency', action: `emergency hotfix of ${ticketId ?? cs.id} to production without tests`, ticketId, touches, requestedBy: 'ORCHESTRATOR', resume, gates: m.gates.map((g) => ({ gate: g.gate, ok: g.ok, detail: g.detail })) });
  } else {
    await ctx.requireApproval({
      category: target === 'production' ? 'productionDeployment' : 'stagingDeployment',
      action: `deploy ${ticketId ?? cs.id} to ${target}`,
      ticketId,
      touches,
      requestedBy: 'ORCHESTRATOR',
      resume,
      gates: m.gates.map((g) => ({ gate: g.gate, ok: g.ok, detail: g.detail })),
    });
  }
  // The destructive-change policy on the SQL that is about to run, not on what staging once computed.
  const sqlNow = destructiveNow(m.migrations.map((x) => ({ version: x.version, name: x.name, up: readFileSync(join(ctx.project.root, cs.dir, 'migrations', `${x.version}_${x.name}.up.sql`), 'utf8') })));
  if (sqlNow.requiresApproval || m.requiresApproval) {
    await ctx.requireApproval({ category: 'databaseDestructive', action: `apply destructive migration(s) of ${ticketId ?? cs.id} on ${target}${sqlNow.rules.length ? ` (${sqlNow.rules.join(', ')})` : ''}`, ticketId, touches, requestedBy: 'MIGRATOR', resume });
  }
  // issue 16: production's database and the state are backed up first (config backups.beforeProductionDeploy).
  const { backupBeforeDeploy } = await import('./system.js');
  await backupBeforeDeploy(ctx, db.target);
  const { deploy } = await import('../engine/deploy.js');
  const dep = await deploy(ctx, { changeSet: cs, target, skipTests: opts.skipTests, database: db.target, openDb: db.open(`deploy of ${ticketId ?? cs.id}`) });
  const { notifyDeployment } = await import('../engine/notify.js');
  await notifyDeployment(ctx, dep, m);
  return dep;
}

export const deployCmd = defineCommand({
  name: 'deploy',
  summary: 'Deploy a staged change set: branch, tests, migrations, deploy steps, record, email (production needs approval)',
  group: 'deploy',
  risk: 'deploy',
  policy: 'productionDeployment',
  args: [
    { name: 'target', description: 'staging or production', required: true, complete: TARGETS },
    { name: 'id', description: 'a ticket or change-set id (default: the newest staged set)', complete: 'ticket' },
  ],
  flags: [{ name: 'same-database', type: 'boolean', description: "staging only, with DATABASE_URL as the one target: deploy to that (production's) database anyway" }],
  schema: (z) => z.object({ target: z.enum(TARGETS), id: z.optional(z.string()), sameDatabase: z.optional(z.boolean()) }),
  keywords: ['deploy', 'ship', 'release', 'staging', 'production'],
  examples: ['agent deploy staging BUG-2026-001', 'agent deploy production BUG-2026-001'],
  async run(ctx, args) {
    if (args.sameDatabase && args.target !== 'staging') throw new UsageError('--same-database is for staging (production is DATABASE_URL\'s database already)');
    const cs = findChangeSet(ctx, args.id, (id) => `agent deploy ${args.target} ${id}`);
    const dep = await deployChangeSet(ctx, cs, args.target, { sameDatabase: args.sameDatabase });
    return { data: { deployment: deploymentView(dep) } };
  },
});

export const deployResume = defineCommand({
  name: 'deploy resume',
  summary: 'Finish an interrupted deployment from its journal (its approval stands; steps it completed are not repeated)',
  group: 'deploy',
  risk: 'deploy',
  args: [{ name: 'id', description: 'the DEPLOY-… id that `agent status` shows as interrupted', required: true }],
  schema: (z) => z.object({ id: z.string() }),
  keywords: ['resume', 'continue', 'finish deploy'],
  examples: ['agent deploy resume DEPLOY-2026-004'],
  async run(ctx, args) {
    const state = ctx.state();
    const { recoverInterrupted } = await import('../engine/recovery.js');
    recoverInterrupted(state, ctx.project.config().agents.staleAfterMs);
    const dep = state.deployment(args.id);
    if (!dep) throw new UsageError(`${args.id}: no such deployment; see \`agent status\` for interrupted ones`);
    if (dep.status !== 'interrupted') throw new UsageError(`${dep.id} is ${dep.status}; only an interrupted deployment can be resumed${dep.status === 'running' || dep.status === 'queued' ? ' (its process is still at it)' : ''}`);
    const { envOf } = await import('../engine/deploy.js');
    const cs = state.changeSet((JSON.parse(dep.data) as { changeSetId: string }).changeSetId);
    if (!cs) throw new UsageError(`${dep.id}: its change set is gone from the state database; roll it back with \`agent rollback ${dep.id}\``);
    const env = envOf(dep);
    const db = await environmentDatabase(ctx, env, { sameDatabase: (JSON.parse(dep.data) as { sameDatabase?: boolean }).sameDatabase });
    const { deploy } = await import('../engine/deploy.js');
    const done = await deploy(ctx, { changeSet: cs, target: env, database: db.target, openDb: db.open(`deploy of ${dep.ticket_id ?? cs.id}`), resume: dep });
    const { notifyDeployment } = await import('../engine/notify.js');
    await notifyDeployment(ctx, done, JSON.parse(cs.manifest) as Manifest);
    return { data: { deployment: deploymentView(done) } };
  },
});

export function deploymentView(d: DeploymentRow) {
  const data = JSON.parse(d.data) as Record<string, unknown>;
  return { id: d.id, ticketId: d.ticket_id, target: d.target, status: d.status, startedAt: new Date(d.started_at).toISOString(), finishedAt: d.finished_at ? new Date(d.finished_at).toISOString() : null, ...data };
}

export function findDeployment(ctx: CommandContext, ref: string): DeploymentRow {
  const state = ctx.state();
  const all = state.deployments();
  const live = all.filter((d) => isLive(d.status));
  if (/^(last|latest)$/i.test(ref)) {
    if (!live[0]) throw new UsageError('no deployment to roll back; see `agent status`');
    return live[0];
  }
  const byId = state.deployment(ref);
  if (byId) return byId;
  const ticketId = state.ticket(ref)?.id ?? ref.toUpperCase();
  const forTicket = live.find((d) => d.ticket_id === ticketId);
  if (!forTicket) throw new UsageError(`${ref}: no live deployment by that id or ticket; use a DEPLOY-… id, a ticket id or "last"`);
  return forTicket;
}

export async function rollbackDeployment(ctx: CommandContext, dep: DeploymentRow, reason: string) {
  const { recoverInterrupted } = await import('../engine/recovery.js');
  recoverInterrupted(ctx.state(), ctx.project.config().agents.staleAfterMs);
  dep = ctx.state().deployment(dep.id)!;
  if (!isLive(dep.status)) {
    const why = dep.status === 'rolled_back' ? 'it was rolled back already' : dep.status === 'failed' ? 'its failed steps were undone when it failed' : dep.status === 'running' || dep.status === 'rolling_back' || dep.status === 'queued' ? 'its process is still at work on it' : 'nothing of it is in place';
    throw new UsageError(`${dep.id} is ${dep.status}: ${why}; see \`agent status\``);
  }
  const { envOf, rollback } = await import('../engine/deploy.js');
  const env = envOf(dep);
  ctx.out.line('ORCHESTRATOR', 'ok', `Identified deployment: ${dep.id} (${env}${dep.ticket_id ? `, ${dep.ticket_id}` : ''}, ${dep.status})`, { ticketId: dep.ticket_id ?? undefined });
  const db = await environmentDatabase(ctx, env, { sameDatabase: (JSON.parse(dep.data) as { sameDatabase?: boolean }).sameDatabase });
  const { notifyIncident } = await import('../engine/notify.js');
  let result;
  try {
    result = await rollback(ctx, dep, db.target, db.open(`rollback of ${dep.id}`), reason);
  } catch (err) {
    // An incomplete rollback's report (queued with its record) goes out now, saying what is left.
    const after = ctx.state().deployment(dep.id)!;
    if (after.status === 'rollback_incomplete') await notifyIncident(ctx, after, reason, (JSON.parse(after.data) as { rollback?: { durationMs: number } }).rollback?.durationMs ?? 0).catch(() => undefined);
    throw err;
  }
  await notifyIncident(ctx, ctx.state().deployment(dep.id)!, reason, result.durationMs);
  return result;
}

export const rollbackCmd = defineCommand({
  name: 'rollback',
  summary: 'Roll a deployment back: down migrations, previous code, timed, with an incident report by email',
  group: 'deploy',
  risk: 'deploy',
  policy: 'productionDeployment',
  args: [{ name: 'id', description: 'a DEPLOY-… id, a ticket id, or "last"', required: true, complete: 'ticket' }],
  flags: [{ name: 'reason', type: 'string', placeholder: 'TEXT', description: 'what went wrong, for the incident report' }],
  schema: (z) => z.object({ id: z.string(), reason: z.optional(z.string()) }),
  keywords: ['rollback', 'roll back', 'revert', 'undo'],
  examples: ['agent rollback last', 'agent rollback BUG-2026-001 --reason "estimates page 500s"'],
  async run(ctx, args) {
    const dep = findDeployment(ctx, args.id);
    const { assertStepPrograms, envOf } = await import('../engine/deploy.js');
    assertStepPrograms(ctx, envOf(dep), ['rollback']); // its teardown must be able to run before anything is undone
    const approval = rollbackRequest(dep, args.reason);
    if (approval) await ctx.requireApproval(approval);
    const result = await rollbackDeployment(ctx, dep, args.reason ?? 'rollback requested by the admin');
    return { data: { deployment: deploymentView(ctx.state().deployment(dep.id)!), ...result } };
  },
});

export const metrics = defineCommand({
  name: 'metrics',
  summary: "The seed's success metrics from the recorded history: time to resolve, first-time fix rate, deploys a day, rollback time",
  group: 'observe',
  risk: 'read',
  flags: [{ name: 'days', type: 'string', placeholder: 'N', description: 'the window in days (default 30)' }],
  schema: (z) => z.object({ days: z.optional(z.string().check(z.regex(/^[1-9]\d*$/, 'a positive whole number'))) }),
  keywords: ['metrics', 'kpi', 'numbers', 'performance'],
  examples: ['agent metrics', 'agent metrics --days 7 --json'],
  async run(ctx, args) {
    const { computeMetrics, renderMetrics } = await import('../engine/metrics.js');
    const days = Number(args.days ?? 30);
    const m = computeMetrics(ctx.state(), Date.now() - days * 86_400_000, Date.now());
    ctx.out.print(renderMetrics(m, days));
    return { data: m };
  },
});

export const emergencyRollback = defineCommand({
  name: 'emergency rollback',
  summary: 'Roll back the last (or a named) deployment at once; the ticket id is the typed confirmation',
  group: 'emergency',
  risk: 'emergency',
  policy: 'emergency',
  args: [{ name: 'what', description: '"last deployment" (default), a DEPLOY-… id or a ticket id', variadic: true }],
  flags: [{ name: 'reason', type: 'string', placeholder: 'TEXT', description: 'what went wrong, for the incident report' }],
  schema: (z) => z.object({ what: z.optional(z.string()), reason: z.optional(z.string()) }),
  keywords: ['emergency', 'rollback', 'roll back'],
  examples: ['agent emergency rollback last deployment'],
  async run(ctx, args) {
    const ref = !args.what || /^last( deployment)?$/i.test(args.what.trim()) ? 'last' : args.what.trim();
    const dep = findDeployment(ctx, ref);
    ctx.out.line('ORCHESTRATOR', 'warn', `Emergency rollback initiated for ${dep.id}`, { ticketId: dep.ticket_id ?? undefined });
    await ctx.requireApproval({
      category: 'emergency',
      action: `emergency rollback of ${dep.id} (${dep.target})`,
      ticketId: dep.ticket_id ?? undefined,
      touches: [dep.id],
      requestedBy: 'ORCHESTRATOR',
      resume: { command: 'emergency rollback', args: { what: dep.id, reason: args.reason } },
    });
    const result = await rollbackDeployment(ctx, dep, args.reason ?? 'emergency rollback requested by the admin');
    return { data: { deployment: deploymentView(ctx.state().deployment(dep.id)!), ...result } };
  },
});

export const emergencyHotfix = defineCommand({
  name: 'emergency deploy hotfix',
  summary: 'Deploy a staged fix to production without running the tests (never without the typed confirmation)',
  group: 'emergency',
  risk: 'emergency',
  policy: 'emergency',
  args: [{ name: 'id', description: 'the ticket or change-set id of the staged fix', required: true, complete: 'ticket' }],
  schema: (z) => z.object({ id: z.string() }),
  keywords: ['hotfix', 'emergency deploy'],
  examples: ['agent emergency deploy hotfix BUG-2026-001'],
  async run(ctx, args) {
    const cs = findChangeSet(ctx, args.id, (id) => `agent emergency deploy hotfix ${id}`);
    ctx.out.line('ORCHESTRATOR', 'warn', `Emergency hotfix of ${cs.ticket_id ?? cs.id}: tests will be skipped`, { ticketId: cs.ticket_id ?? undefined });
    const dep = await deployChangeSet(ctx, cs, 'production', { skipTests: true, emergency: true });
    return { data: { deployment: deploymentView(dep) } };
  },
});
