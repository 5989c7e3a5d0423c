// status, logs, health
import { UsageError } from '../errors.js';
import { ago, CHECK_RATING, HEALTH_LABEL, overallOf, readStatus, type StatusSnapshot } from '../engine/status.js';
import { makeStyle, type Style } from '../cli/style.js';
import { stdoutClosed, writeStdout } from '../cli/output.js';
import { sleep } from '../engine/orchestrator.js';
import { defineCommand } from './types.js';
import { eventView, formatEventLine } from './views.js';
import type { EventQuery } from '../store/state-db.js';
import { printable } from '../cli/printable.js';
import { moreNote, pageInfo, pageOf, pagingFlags, pagingSchema } from './paging.js';

const LOGS_PAGE = 200;

export const status = defineCommand({
  name: 'status',
  summary: 'System health, active agents, queue, last deployment, recent activity, pending approvals',
  group: 'observe',
  risk: 'read',
  keywords: ['status', 'overview', 'how is everything', 'what is running', 'whats running', 'summary'],
  examples: ['agent status', 'agent status --json'],
  async run(ctx) {
    const snap = readStatus(ctx.state(), ctx.project.config(), ctx.project.root);
    ctx.out.print(renderStatus(snap, makeStyle(ctx.out.color)));
    return { data: snap };
  },
});

export function renderStatus(s: StatusSnapshot, style: Style, now = Date.now()): string {
  const health =
    s.health.overall === 'unknown'
      ? `${HEALTH_LABEL.unknown} (run \`agent health\`)`
      : `${HEALTH_LABEL[s.health.overall]} (checked ${ago(s.health.checkedAt!, now)})`;
  const failing = s.health.checks.filter((c) => c.status === 'failing');
  const dep = s.lastDeployment
    ? `${ago(s.lastDeployment.at, now)}: ${s.lastDeployment.id} → ${s.lastDeployment.target} (${s.lastDeployment.status})`
    : 'none yet';
  const out = [
    style.bold(`CRM AGENT STATUS · ${s.project.name}`),
    ...(s.maintenance?.on ? [style.yellow(`⚠ MAINTENANCE MODE since ${s.maintenance.since.slice(0, 16).replace('T', ' ')} (${s.maintenance.by}): deploys paused`)] : []),
    `System Health:     ${health}`,
    ...(s.health.checks.length ? [`                   ${s.health.checks.map((c) => `${CHECK_RATING[c.status] ?? '·'} ${c.name}`).join('  ')}`] : []),
    ...failing.map((c) => `                   ${style.red('✗')} ${c.name}: ${c.detail}`),
    `Active Agents:     ${s.agents.active}/${s.agents.max}`,
    ...s.agents.list.map((a) => `                   ${a.id} ${a.ticketId ?? ''} ${style.dim(a.phase ?? a.state)}`),
    `Queue Size:        ${s.queue.size}`,
    `Last Deployment:   ${dep}`,
    `Open Tickets:      ${s.tickets.open} of ${s.tickets.total}`,
    ...(s.model ? [`Reasoning:         ${s.model.detail}`] : []),
    ...(s.modelUsage.tokens
      ? [`Model Usage:       ${s.modelUsage.tokens.toLocaleString('en-US')} tokens, $${s.modelUsage.costUsd.toFixed(2)} (${s.modelUsage.tickets.map((t) => `${t.ticketId}: ${t.tokens.toLocaleString('en-US')}`).join(', ')})`]
      : []),
    `Pending Approvals: ${s.pendingApprovals.length}`,
    ...s.pendingApprovals.map((a) => `                   ${style.yellow(a.id)} ${a.action} (${a.risk} risk)`),
    ...(s.mail?.pending ? [`Emails Pending:    ${s.mail.pending} (the next agent command sends them)`] : []),
    ...(s.mail?.failed.length ? ['Emails Not Sent:', ...s.mail.failed.map((f) => `  ${style.yellow('⚠')} ${f.subject}: ${f.error}${f.file ? `; its text is in ${f.file}` : ''}`)] : []),
  ];
  if (s.interruptedRuns.length) {
    out.push('Interrupted Runs:');
    for (const r of s.interruptedRuns) {
      out.push(`  ${style.yellow('⚠')} ${r.id} ${r.command}: completed ${r.completed.length ? r.completed.join(', ') : 'nothing'}`);
    }
  }
  if (s.unfinishedDeployments.length) {
    out.push('Unfinished Deployments:');
    for (const d of s.unfinishedDeployments) out.push(`  ${style.red('✗')} ${d.id} → ${d.target}${d.ticketId ? ` (${d.ticketId})` : ''}: ${d.status.replace('_', ' ')}${d.step ? ` at step ${d.step}` : ''}; ${d.next}`);
  }
  out.push('Recent Activity:');
  if (!s.recentActivity.length) out.push(style.dim('  (nothing yet)'));
  for (const e of s.recentActivity) {
    const sym = e.level === 'ok' ? style.green('✓') : e.level === 'warn' ? style.yellow('⚠') : style.red('✗');
    out.push(`  ${sym} ${e.ticketId ? e.ticketId + ': ' : ''}${e.message} (${e.ts.slice(11, 16)})`);
  }
  return out.join('\n');
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** "30s", "15m", "1h", "2d" or an ISO date -> epoch ms. */
export function parseSince(text: string, now = Date.now()): number {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (m) return now - Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (!Number.isNaN(t)) return t;
  throw new UsageError(`--since ${printable(text)}: expected a duration like 30s, 15m, 1h, 2d or an ISO date`);
}

/** The filters of a `logs` query in words: " at warn level or above for BUG-1 since 1h". Pure. */
function eventFilters(args: { target?: string; level?: string; since?: string; offset?: string }): string {
  const parts: string[] = [];
  if (args.level) parts.push(` at ${args.level} level or above`);
  if (args.target) parts.push(` for ${printable(args.target)}`);
  if (args.since) parts.push(` since ${printable(args.since)}`);
  if (args.offset) parts.push(` past the newest ${args.offset}`);
  return parts.join('');
}

export const logs = defineCommand({
  name: 'logs',
  summary: "Events of an agent, ticket or run (or all), filtered by level and age; --follow streams",
  group: 'observe',
  risk: 'read',
  args: [{ name: 'target', description: 'an agent id (bughunter-1), agent name (MIGRATOR), ticket id or run id', complete: 'agent' }],
  flags: [
    { name: 'level', type: 'string', values: LEVELS, description: 'lowest level to show (default info)' },
    { name: 'since', type: 'string', placeholder: '1h', description: 'only events newer than this (30s, 15m, 1h, 2d, or a date)' },
    { name: 'follow', type: 'boolean', short: 'f', description: 'keep printing new events until Ctrl-C' },
    ...pagingFlags(`at most the last N events (default ${LOGS_PAGE})`, `skip the newest N events (the page before: --offset ${LOGS_PAGE})`),
  ],
  schema: (z) => z.object({
    target: z.optional(z.string()),
    level: z.optional(z.enum(LEVELS)),
    since: z.optional(z.string()),
    follow: z.optional(z.boolean()),
    ...pagingSchema(z),
  }),
  keywords: ['logs', 'log', 'events', 'history', 'errors'],
  examples: ['agent logs', 'agent logs BUG-2026-001 --level warn', 'agent logs migrator-1 --since 1h --follow', 'agent logs --limit 1000 --offset 200'],
  async run(ctx, args) {
    if (args.follow && args.offset) throw new UsageError('--offset pages back through past events and --follow shows new ones; give one of them');
    const state = ctx.state();
    const q: EventQuery = { minLevel: args.level ?? 'info' };
    if (args.since) q.sinceTs = parseSince(args.since);
    if (args.target) {
      const t = args.target;
      if (state.ticket(t)) q.ticketId = state.ticket(t)!.id;
      else if (/^RUN-\d+$/i.test(t)) q.runId = t.toUpperCase();
      else if (state.agent(t)) q.agentId = state.agent(t)!.id;
      else if (/^[a-z]+$/i.test(t) && state.events({ agent: t, limit: 1 }).length) q.agent = t;
      else throw new UsageError(`${printable(t)}: no ticket, agent or run by that id; see \`agent status\` or \`agent tickets\``);
    }
    const style = makeStyle(ctx.out.color);
    const page = pageOf(args, LOGS_PAGE);
    const emit = (rows: ReturnType<typeof state.events>) => {
      for (const e of rows) {
        if (ctx.out.json) writeStdout(JSON.stringify(eventView(e)) + '\n');
        else ctx.out.print(formatEventLine(e, style));
      }
    };
    const first = state.events({ ...q, tail: true, ...page });
    const info = pageInfo(state.countEvents(q), page, first.length);
    // The ones left out are older: the note goes above the oldest line shown.
    const more = moreNote(info, first.length, 'older events');
    if (more && !ctx.out.json) ctx.out.print(style.dim(more));
    emit(first);
    // An empty page says so, with the filters that made it empty (silence reads as a hang or a failure).
    if (!first.length && !ctx.out.json) ctx.out.print(style.dim(`No events${eventFilters(args)}${args.follow ? '; waiting for new ones (Ctrl-C stops)' : ''}`));
    let count = first.length;
    if (args.follow) {
      let last = first.length ? first[first.length - 1]!.id : state.maxEventId();
      // Following into a pipe whose reader has gone (`| head`) would go on for ever, unseen.
      while (!ctx.signal.aborted && !stdoutClosed()) {
        try {
          await sleep(200, ctx.signal);
        } catch {
          break;
        }
        const more = state.events({ ...q, afterId: last });
        if (more.length) {
          emit(more);
          count += more.length;
          last = more[more.length - 1]!.id;
        }
      }
    }
    return { data: { count, total: info.total, offset: info.offset, limit: info.limit, more: info.more } };
  },
});

export const health = defineCommand({
  name: 'health',
  summary: 'Check every dependency: ok, not configured, or failing and why (exit 1 if any fails)',
  group: 'observe',
  risk: 'read',
  keywords: ['health', 'healthy', 'check', 'dependencies', 'credentials'],
  examples: ['agent health', 'agent health --json'],
  async run(ctx) {
    const { runHealthChecks } = await import('../integrations/health.js');
    const results = await ctx.out.spin('Checking dependencies…', runHealthChecks(ctx));
    // A state database that cannot be opened is itself the failing check; there is nowhere to keep the result.
    if (!results.some((r) => r.name === 'state database' && r.status === 'failing')) ctx.state().saveHealth(results.map((r) => ({ name: r.name, status: r.status, detail: r.detail, checked_at: Date.now() })));
    const style = makeStyle(ctx.out.color);
    const width = Math.max(...results.map((r) => r.name.length));
    for (const r of results) {
      const sym = r.status === 'ok' ? style.green('✓') : r.status === 'failing' ? style.red('✗') : style.dim('–');
      const label = r.status === 'not_configured' ? 'not configured' : r.status;
      ctx.out.print(`${sym} ${r.name.padEnd(width)}  ${label}: ${r.detail}${style.dim(` (${r.ms} ms)`)}`);
    }
    const failing = results.filter((r) => r.status === 'failing');
    const overall = overallOf(results);
    const count = (st: string) => results.filter((r) => r.status === st).length;
    ctx.out.print(`System Health: ${HEALTH_LABEL[overall]}: ${count('ok')} ok, ${count('not_configured')} not configured, ${failing.length} failing${overall === 'unconfigured' ? ' (only the local checks ran: nothing external is set up yet)' : ''}`);
    return { data: { overall, checks: results }, exitCode: failing.length ? 1 : 0 };
  },
});
