// The admin set: system …, agents …, emergency stop/maintenance.
import { UsageError } from '../errors.js';
import { appendAudit } from '../engine/audit.js';
import { loadConfig, type AgentConfig } from '../config/config.js';
import { loadZodMini } from '../config/zod-mini.js';
import { isAlive } from '../store/state-db.js';
import { makeStyle } from '../cli/style.js';
import { defineCommand } from './types.js';
import { health, logs, parseSince, renderStatus } from './observe.js';
import { readStatus } from '../engine/status.js';
import { purgeLogsRequest } from '../engine/approval-policy.js';

export const MAINTENANCE_KEY = 'maintenance';
const CONFIG_KEY = 'config.snapshot';

export interface MaintenanceState {
  on: boolean;
  since: string;
  by: string;
}

export const systemStatus = defineCommand({
  name: 'system status',
  summary: 'Complete system health: every dependency checked now, then the status block',
  group: 'admin',
  risk: 'read',
  keywords: ['system', 'complete', 'everything'],
  examples: ['agent system status'],
  async run(ctx) {
    const checked = (await health.run(ctx, {})) ?? {};
    ctx.out.print('');
    const snap = readStatus(ctx.state(), ctx.project.config(), ctx.project.root);
    ctx.out.print(renderStatus(snap, makeStyle(ctx.out.color)));
    return { data: { status: snap, checks: (checked.data as { checks: unknown }).checks }, exitCode: checked.exitCode };
  },
});

export const systemLogs = defineCommand({ ...logs, name: 'system logs', summary: 'Same as `agent logs`, across every agent (e.g. --level error)', keywords: ['system logs'] });

/** Pure: the keys whose values differ between two configs, as "path: before -> after". */
export function configChanges(before: unknown, after: unknown, path = ''): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])].sort();
    return keys.flatMap((k) => configChanges((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return [`${path}: ${JSON.stringify(before) ?? '(unset)'} -> ${JSON.stringify(after) ?? '(unset)'}`];
}

export const agentsUpdateConfig = defineCommand({
  name: 'agents update config',
  summary: 'Reload and validate agent.config.json, and show what changed since it was last loaded',
  group: 'agents',
  risk: 'write', idempotent: true,
  policy: 'agentConfigChange',
  keywords: ['config', 'reload', 'configuration'],
  examples: ['agent agents update config'],
  async run(ctx) {
    await loadZodMini(); // the file may be new since the project was opened
    const next: AgentConfig = loadConfig(ctx.project.root); // throws a one-line error naming the JSON path
    const state = ctx.state();
    const before = state.getKv<AgentConfig>(CONFIG_KEY);
    const { source: _s, ...comparable } = next;
    const changes = before ? configChanges(before, comparable) : [];
    if (changes.length) {
      await ctx.requireApproval({ category: 'agentConfigChange', action: `apply ${changes.length} agent config change(s)`, touches: ['agent.config.json'], summary: changes.join('\n'), requestedBy: 'ORCHESTRATOR', resume: { command: 'agents update config', args: {} } });
    }
    state.setKv(CONFIG_KEY, comparable);
    // Valid JSON can still name a program this machine lacks: said now, not half-way through a deploy.
    const { describeMissing, missingPrograms, onPath } = await import('../engine/step-programs.js');
    const steps = (['staging', 'production'] as const).flatMap((env) => {
      const e = next.environments[env];
      const list = (kind: string, commands: string[] | undefined) => (commands ?? []).map((command, i) => ({ where: `environments.${env}.${kind}[${i}]`, command }));
      return [...list('deploy', e.deploy), ...list('rollback', e.rollback), ...list('maintenance.on', e.maintenance?.on), ...list('maintenance.off', e.maintenance?.off)];
    });
    const missing = missingPrograms(steps, onPath(ctx.project.root));
    for (const m of missing) ctx.out.line('ORCHESTRATOR', 'warn', `${describeMissing([m])}: deploys and rollbacks that need it are refused before they start`);
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'agents.update-config', approval: ctx.approvalIds(), target: 'agent.config.json', files: ['agent.config.json'], result: before ? `${changes.length} change(s)` : 'first snapshot' });
    if (!before) ctx.out.line('ORCHESTRATOR', 'ok', `Config is valid (${next.source ?? 'embedded defaults'}); recorded as the baseline for future changes`);
    else if (!changes.length) ctx.out.line('ORCHESTRATOR', 'ok', 'Config is valid; nothing changed since it was last loaded');
    else {
      ctx.out.line('ORCHESTRATOR', 'ok', `Config is valid; ${changes.length} change(s) applied:`);
      ctx.out.print(changes.map((c) => `  ${c}`).join('\n'));
    }
    return { data: { valid: true, changes, source: next.source, missingPrograms: missing } };
  },
});

export const agentsPurgeLogs = defineCommand({
  name: 'agents purge logs',
  summary: 'Delete events older than a cutoff (default 30d); tickets, approvals and the audit trail stay',
  group: 'agents',
  risk: 'destructive',
  policy: 'databaseDestructive',
  flags: [{ name: 'older-than', type: 'string', placeholder: '30d', description: 'age cutoff: 12h, 7d, 30d …' }],
  schema: (z) => z.object({ olderThan: z.optional(z.string()) }),
  keywords: ['purge', 'clean', 'logs'],
  examples: ['agent agents purge logs', 'agent agents purge logs --older-than 7d'],
  async run(ctx, args) {
    const spec = args.olderThan ?? '30d';
    if (!/^\d+\s*[smhd]$/.test(spec.trim())) throw new UsageError(`--older-than ${spec}: expected an age like 12h or 30d`);
    const cutoff = parseSince(spec);
    // A purge never empties the log: what happened in the last hour always stays.
    const age = Date.now() - cutoff;
    if (age < 3_600_000) throw new UsageError(`--older-than ${spec} would delete ${age <= 0 ? 'the whole event log' : 'all but the last minutes of the event log'}; the shortest cutoff is 1h (e.g. 7d)`);
    await ctx.requireApproval(purgeLogsRequest(spec, cutoff));
    const state = ctx.state();
    const removed = state.purgeEvents(cutoff);
    state.db.pragma('wal_checkpoint(TRUNCATE)');
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'agents.purge-logs', approval: ctx.approvalIds(), target: `events before ${new Date(cutoff).toISOString()}`, result: `${removed} removed` });
    ctx.out.line('ORCHESTRATOR', 'ok', `Purged ${removed} event(s) older than ${spec}`);
    return { data: { removed, before: new Date(cutoff).toISOString() } };
  },
});

export const emergencyStop = defineCommand({
  name: 'emergency stop all',
  summary: 'Stop every running agent in every process (each run ends cancelled); needs a typed confirmation',
  group: 'emergency',
  risk: 'emergency', idempotent: true,
  policy: 'emergency',
  keywords: ['stop', 'halt', 'kill'],
  examples: ['agent emergency stop all'],
  async run(ctx) {
    const state = ctx.state();
    await ctx.requireApproval({ category: 'emergency', action: 'stop all running agents', requestedBy: 'ORCHESTRATOR', resume: { command: 'emergency stop all', args: {} } });
    const runs = state.runs({ status: ['queued', 'running', 'waiting'] }).filter((r) => r.pid !== null && r.pid !== process.pid && isAlive(r.pid));
    const pids = [...new Set(runs.map((r) => r.pid!))];
    for (const pid of pids) process.kill(pid, 'SIGINT'); // each process cancels its runs and records them
    ctx.out.line('ORCHESTRATOR', runs.length ? 'warn' : 'ok', runs.length ? `Stop sent to ${runs.length} run(s) in ${pids.length} process(es): ${runs.map((r) => r.id).join(', ')}` : 'Nothing was running');
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'emergency.stop-all', approval: ctx.approvalIds(), result: `${runs.length} run(s) stopped` });
    return { data: { stopped: runs.map((r) => r.id), processes: pids.length } };
  },
});

export const emergencyMaintenance = defineCommand({
  name: 'emergency maintenance',
  summary: 'Maintenance mode on or off: deploys pause (hotfixes excepted) and the configured maintenance commands run',
  group: 'emergency',
  risk: 'emergency', idempotent: true,
  policy: 'emergency',
  args: [{ name: 'mode', description: 'on or off', required: true, complete: ['on', 'off'] }],
  schema: (z) => z.object({ mode: z.enum(['on', 'off']) }),
  keywords: ['maintenance', 'offline'],
  examples: ['agent emergency maintenance on', 'agent emergency maintenance off'],
  async run(ctx, args) {
    const state = ctx.state();
    const current = state.getKv<MaintenanceState>(MAINTENANCE_KEY);
    const on = args.mode === 'on';
    if ((current?.on ?? false) === on) {
      ctx.out.line('ORCHESTRATOR', 'ok', `Maintenance mode is already ${args.mode}`);
      return { data: { maintenance: current ?? { on: false } } };
    }
    const commands = ctx.project.config().environments.production.maintenance?.[args.mode] ?? [];
    // Before the approval is asked: a step whose program is missing would fail half-way.
    const { describeMissing, missingPrograms, onPath } = await import('../engine/step-programs.js');
    const missing = missingPrograms(commands.map((command, i) => ({ where: `environments.production.maintenance.${args.mode}[${i}]`, command })), onPath(ctx.project.root));
    if (missing.length) throw new UsageError(`${describeMissing(missing)}; install it or change the step in agent.config.json. Nothing was run`);
    await ctx.requireApproval({ category: 'emergency', action: `maintenance mode ${args.mode}`, requestedBy: 'ORCHESTRATOR', resume: { command: 'emergency maintenance', args: { mode: args.mode } } });
    if (commands.length) {
      const { runShell } = await import('../integrations/shell.js');
      for (const command of commands) {
        ctx.out.line('ORCHESTRATOR', 'info', `Running: ${command}`);
        const r = await runShell(command, { cwd: ctx.project.root, signal: ctx.signal });
        if (r.exitCode !== 0) throw new UsageError(`maintenance ${args.mode} command failed (exit ${r.exitCode}): ${command}`);
      }
    }
    const next: MaintenanceState = { on, since: new Date().toISOString(), by: ctx.initiator };
    state.setKv(MAINTENANCE_KEY, next);
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: `emergency.maintenance-${args.mode}`, approval: ctx.approvalIds(), result: commands.length ? `${commands.length} command(s) ran` : 'recorded' });
    ctx.out.line('ORCHESTRATOR', on ? 'warn' : 'ok', `Maintenance mode ${args.mode}${on ? ': deploys are paused (emergency hotfixes excepted)' : ': deploys resume'}`);
    if (!commands.length) ctx.out.line('ORCHESTRATOR', 'info', 'No maintenance commands configured: set environments.production.maintenance.on/off in agent.config.json to take the app itself offline');
    return { data: { maintenance: next, commands } };
  },
});


const RESTARTABLE = /^(fix ticket|analyze ticket|generate) /;

export const agentsRestartAll = defineCommand({
  name: 'agents restart all',
  summary: 'Recover agents whose process died, release their locks, and run their interrupted work again',
  group: 'agents',
  risk: 'write',
  flags: [{ name: 'dry-run', type: 'boolean', description: 'only say what would be restarted' }],
  schema: (z) => z.object({ dryRun: z.optional(z.boolean()) }),
  keywords: ['restart', 'recover', 'resume'],
  examples: ['agent agents restart all', 'agent agents restart all --dry-run'],
  async run(ctx, args) {
    const state = ctx.state();
    const { recoverAll } = await import('../engine/recovery.js');
    const { runs: recovered, agents: cancelled } = recoverAll(state, ctx.project.config().agents.staleAfterMs);
    for (const r of recovered) ctx.out.line('ORCHESTRATOR', 'warn', `Recovered ${r.id}: ${r.reason}`, { ticketId: r.ticketId ?? undefined });
    if (cancelled.length) ctx.out.line('ORCHESTRATOR', 'warn', `Cancelled ${cancelled.length} agent(s) left unfinished by runs that had ended: ${cancelled.map((a) => `${a.id} (${a.runId})`).join(', ')}`);
    const live = state.runs({ status: ['running', 'waiting', 'queued'] }).filter((r) => r.pid !== process.pid);
    if (live.length) ctx.out.line('ORCHESTRATOR', 'info', `${live.length} run(s) are alive in other processes and keep running: ${live.map((r) => r.id).join(', ')}`);
    // Deployments are not re-run behind the admin's back: each names the command that finishes or undoes it.
    const { settleHint, UNFINISHED_STATUSES } = await import('../engine/deployment-states.js');
    const deploys = state.deploymentsWithStatus(UNFINISHED_STATUSES);
    for (const d of deploys) {
      ctx.out.line('ORCHESTRATOR', 'warn', `${d.id} (${d.target}) is ${d.status.replace('_', ' ')}${d.step ? ` at step ${d.step}` : ''}: ${settleHint(d)}`, { ticketId: d.ticket_id ?? undefined });
    }
    const done = new Set(state.getKv<string[]>('restarted') ?? []);
    const todo = state.runs({ status: ['interrupted'] }).filter((r) => !done.has(r.id) && RESTARTABLE.test(r.command));
    if (!todo.length) {
      if (!deploys.length) ctx.out.line('ORCHESTRATOR', 'ok', 'No interrupted work to restart');
      return { data: { recovered: recovered.map((r) => r.id), cancelledAgents: cancelled.map((a) => a.id), restarted: [] } };
    }
    const restarted: Array<{ run: string; command: string; ok: boolean; error?: string }> = [];
    const { parseArgv, splitWords } = await import('../cli/argv.js');
    const { COMMANDS } = await import('./registry.js');
    for (const run of todo.reverse()) {
      if (args.dryRun) {
        ctx.out.line('ORCHESTRATOR', 'info', `Would restart ${run.id}: agent ${run.command}`, { ticketId: run.ticket_id ?? undefined });
        continue;
      }
      ctx.out.line('ORCHESTRATOR', 'info', `Restarting ${run.id}: agent ${run.command}`, { ticketId: run.ticket_id ?? undefined });
      state.setKv('restarted', [...done.add(run.id)]);
      const parsed = parseArgv(splitWords(run.command), COMMANDS);
      if (parsed.type !== 'command') continue;
      try {
        await ctx.dispatch(parsed.def.name, parsed.input);
        restarted.push({ run: run.id, command: run.command, ok: true });
      } catch (err) {
        ctx.out.line('ORCHESTRATOR', 'error', `${run.id} failed again: ${(err as Error).message}`, { ticketId: run.ticket_id ?? undefined });
        restarted.push({ run: run.id, command: run.command, ok: false, error: (err as Error).message });
      }
    }
    appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'agents.restart-all', approval: ctx.approvalIds(), result: `${restarted.filter((r) => r.ok).length}/${restarted.length} restarted` });
    return { data: { recovered: recovered.map((r) => r.id), cancelledAgents: cancelled.map((a) => a.id), restarted }, exitCode: restarted.some((r) => !r.ok) ? 1 : 0 };
  },
});
