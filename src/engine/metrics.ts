// Seed section 9's success metrics, computed from what the state database recorded.
import type { StateDb } from '../store/state-db.js';
import type { DeploymentRow, TicketRow } from '../store/rows.js';

export interface Metrics {
  window: { from: string; to: string };
  timeToResolve: { resolved: number; medianMinutes: number | null; under30MinPercent: number | null; target: string };
  firstTimeFixRate: { deployedTickets: number; fixedFirstTime: number; percent: number | null; target: string };
  deploymentsPerDay: { deployments: number; perDay: number; byTarget: Record<string, number>; target: string };
  rollbackTime: { rollbacks: number; medianSeconds: number | null; maxSeconds: number | null; target: string };
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Pure: the figures from tickets and deployments. */
export function metricsFrom(tickets: TicketRow[], deployments: DeploymentRow[], from: number, to: number): Metrics {
  const inWindow = deployments.filter((d) => d.started_at >= from && d.started_at <= to);
  const byTicket = new Map<string, DeploymentRow[]>();
  for (const d of [...deployments].sort((a, b) => a.started_at - b.started_at)) {
    if (!d.ticket_id) continue;
    byTicket.set(d.ticket_id, [...(byTicket.get(d.ticket_id) ?? []), d]);
  }
  const resolveMinutes: number[] = [];
  let deployedTickets = 0;
  let firstTime = 0;
  for (const t of tickets) {
    const deps = (byTicket.get(t.id) ?? []).filter((d) => d.status === 'succeeded' || d.status === 'rolled_back');
    if (!deps.length) continue;
    const first = deps[0]!;
    if (first.started_at < from || first.started_at > to) continue;
    deployedTickets++;
    // Resolved when a deployment of the fix stayed: a ticket whose every deployment was rolled
    // back is not resolved, and one fixed on a later try took until that deployment.
    const stayed = deps.find((d) => d.status === 'succeeded');
    if (stayed) resolveMinutes.push(((stayed.finished_at ?? stayed.started_at) - t.created_at) / 60_000);
    // Fixed the first time: the first deployment stayed, and nothing followed it for this ticket.
    if (first.status === 'succeeded' && deps.filter((d) => d.target === first.target).length === 1) firstTime++;
  }
  const rollbacks = deployments
    .map((d) => (JSON.parse(d.data) as { rollback?: { at: string; durationMs: number } }).rollback)
    .filter((r): r is { at: string; durationMs: number } => Boolean(r) && Date.parse(r!.at) >= from && Date.parse(r!.at) <= to)
    .map((r) => r.durationMs / 1000);
  const ok = inWindow.filter((d) => d.status === 'succeeded' || d.status === 'rolled_back');
  const byTarget: Record<string, number> = {};
  for (const d of ok) byTarget[d.target] = (byTarget[d.target] ?? 0) + 1;
  const days = Math.max(1, (to - from) / 86_400_000);
  return {
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    timeToResolve: {
      resolved: resolveMinutes.length,
      medianMinutes: median(resolveMinutes) === null ? null : round1(median(resolveMinutes)!),
      under30MinPercent: resolveMinutes.length ? Math.round((resolveMinutes.filter((m) => m < 30).length / resolveMinutes.length) * 100) : null,
      target: '< 30 minutes for 80% of tickets',
    },
    firstTimeFixRate: { deployedTickets, fixedFirstTime: firstTime, percent: deployedTickets ? Math.round((firstTime / deployedTickets) * 100) : null, target: '> 95%' },
    deploymentsPerDay: { deployments: ok.length, perDay: Math.round((ok.length / days) * 100) / 100, byTarget, target: 'several a day, safely' },
    rollbackTime: {
      rollbacks: rollbacks.length,
      medianSeconds: median(rollbacks) === null ? null : round1(median(rollbacks)!),
      maxSeconds: rollbacks.length ? round1(Math.max(...rollbacks)) : null,
      target: '< 60 seconds',
    },
  };
}

export function computeMetrics(state: StateDb, from: number, to: number): Metrics {
  return metricsFrom(state.tickets({ limit: 100_000 }), state.deployments({ limit: 100_000 }), from, to);
}

export function renderMetrics(m: Metrics, days: number): string {
  const na = (v: number | null, unit: string) => (v === null ? 'no data yet' : `${v}${unit}`);
  return [
    `Success metrics, last ${days} day(s)`,
    `  Ticket resolution time:  median ${na(m.timeToResolve.medianMinutes, ' min')}, ${na(m.timeToResolve.under30MinPercent, '%')} under 30 min (${m.timeToResolve.resolved} resolved; target ${m.timeToResolve.target})`,
    `  First-time fix rate:     ${na(m.firstTimeFixRate.percent, '%')} (${m.firstTimeFixRate.fixedFirstTime} of ${m.firstTimeFixRate.deployedTickets}; target ${m.firstTimeFixRate.target})`,
    `  Deployments per day:     ${m.deploymentsPerDay.perDay} (${m.deploymentsPerDay.deployments} in the window${Object.keys(m.deploymentsPerDay.byTarget).length ? `: ${Object.entries(m.deploymentsPerDay.byTarget).map(([k, v]) => `${v} ${k}`).join(', ')}` : ''})`,
    `  Rollback time:           median ${na(m.rollbackTime.medianSeconds, ' s')}, max ${na(m.rollbackTime.maxSeconds, ' s')} (${m.rollbackTime.rollbacks} rollbacks; target ${m.rollbackTime.target})`,
    `  Uptime:                  not measured here (needs the app's health history)`,
  ].join('\n');
}
