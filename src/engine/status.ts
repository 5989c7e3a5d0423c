// The status block of seed section 5.3, computed once for `agent status`, its --json form and
// the dashboard header.
import type { AgentConfig } from '../config/config.js';
import type { StateDb } from '../store/state-db.js';
import { recoverInterrupted } from './recovery.js';
import { settleHint, UNFINISHED_STATUSES } from './deployment-states.js';
import { mailStatus, type MailStatus } from './outbox.js';
import { loadSecrets } from '../config/secrets.js';
import { llmMode, type LlmMode } from '../integrations/llm/settings.js';

export type Overall = 'optimal' | 'degraded' | 'failing' | 'unconfigured' | 'unknown';

export interface StatusSnapshot {
  project: { name: string; root: string };
  health: { overall: Overall; checkedAt: string | null; checks: Array<{ name: string; status: string; detail: string }> };
  agents: {
    active: number;
    max: number;
    list: Array<{ id: string; type: string; ticketId: string | null; runId: string; state: string; phase: string | null; startedAt: string }>;
  };
  queue: { size: number };
  lastDeployment: { id: string; target: string; status: string; ticketId: string | null; at: string } | null;
  pendingApprovals: Array<{ id: string; action: string; category: string; risk: string; ticketId: string | null; requestedAt: string }>;
  recentActivity: Array<{ ts: string; level: string; agent: string | null; ticketId: string | null; message: string }>;
  interruptedRuns: Array<{ id: string; command: string; ticketId: string | null; completed: string[]; error: string | null; at: string }>;
  /** Deployments and rollbacks a kill or a failed undo left half done, with the command that settles each. */
  unfinishedDeployments: Array<{ id: string; target: string; ticketId: string | null; status: string; step: string | null; at: string; next: string }>;
  tickets: { open: number; total: number };
  maintenance: { on: boolean; since: string; by: string } | null;
  /** Claude usage recorded per ticket (empty while the agents run offline). */
  modelUsage: { tokens: number; costUsd: number; tickets: Array<{ ticketId: string; model: string; tokens: number; costUsd: number; byAgent: Record<string, number> }> };
  /** Emails waiting in the outbox, and those given up on in the last 7 days (engine/outbox.ts). */
  mail?: MailStatus;
  /** issue 18: offline or model mode, and whose ANTHROPIC_API_KEY (env or .env). */
  model?: LlmMode;
}

interface Tally {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  costUsd: number;
}
const tokensOf = (t: Tally) => t.input + t.output + t.cacheWrite + t.cacheRead;

const iso = (ms: number) => new Date(ms).toISOString();
const CLOSED = ['deployed', 'closed'];

export function readStatus(state: StateDb, config: AgentConfig, root: string): StatusSnapshot {
  recoverInterrupted(state, config.agents.staleAfterMs);
  const health = state.health();
  const overall = overallOf(health);
  const checkedAt = health.length ? Math.max(...health.map((h) => h.checked_at)) : null;
  // Only agents of runs still going in live processes: rows a crash left behind never count.
  const active = state.liveAgents(['running', 'starting']);
  const waiting = state.liveAgents(['waiting']);
  const dep = state.lastDeployment();
  const interrupted = state.runs({ status: ['interrupted'], limit: 5 });
  return {
    project: { name: config.project.name, root },
    health: { overall, checkedAt: checkedAt === null ? null : iso(checkedAt), checks: health.map((h) => ({ name: h.name, status: h.status, detail: h.detail })) },
    agents: {
      active: active.length,
      max: config.agents.maxConcurrent,
      list: active.map((a) => ({ id: a.id, type: a.type, ticketId: a.ticket_id, runId: a.run_id, state: a.state, phase: a.phase, startedAt: iso(a.started_at) })),
    },
    queue: { size: waiting.length + state.countRuns(['queued']) },
    lastDeployment: dep ? { id: dep.id, target: dep.target, status: dep.status, ticketId: dep.ticket_id, at: iso(dep.finished_at ?? dep.started_at) } : null,
    pendingApprovals: state.approvals({ status: 'pending', limit: -1 }).map((a) => ({ // every one: the count is its length
      id: a.id,
      action: a.action,
      category: a.category,
      risk: a.risk,
      ticketId: a.ticket_id,
      requestedAt: iso(a.requested_at),
    })),
    recentActivity: state
      .events({ levels: ['ok', 'warn', 'error'], tail: true, limit: 8 })
      .map((e) => ({ ts: iso(e.ts), level: e.level, agent: e.agent, ticketId: e.ticket_id, message: e.message })),
    interruptedRuns: interrupted.map((r) => ({
      id: r.id,
      command: r.command,
      ticketId: r.ticket_id,
      completed: JSON.parse(r.completed) as string[],
      error: r.error,
      at: iso(r.finished_at ?? r.created_at),
    })),
    unfinishedDeployments: state.deploymentsWithStatus(UNFINISHED_STATUSES).map((d) => ({
      id: d.id,
      target: d.env ?? d.target,
      ticketId: d.ticket_id,
      status: d.status,
      step: d.step ?? null,
      at: iso(d.finished_at ?? d.started_at),
      next: settleHint(d),
    })),
    tickets: { open: state.countTickets({ notStatus: CLOSED }), total: state.countTickets() },
    maintenance: state.getKv<StatusSnapshot['maintenance']>('maintenance') ?? null,
    modelUsage: modelUsage(state),
    mail: mailStatus(state),
    model: llmMode(config, loadSecrets(root)),
  };
}

/** "2 hours ago", "just now" */
export function ago(fromIso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} seconds ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'} ago`;
  const d = Math.round(h / 24);
  return `${d} days ago`;
}

export const HEALTH_LABEL: Record<Overall, string> = {
  optimal: '🟢 OPTIMAL',
  degraded: '🟡 DEGRADED',
  failing: '🔴 FAILING',
  unconfigured: '⚪ NOT CONFIGURED',
  unknown: '⚪ UNKNOWN',
};

/** The checks of what runs here (the state, git, the embedded databases); every other check is of something external. */
export const LOCAL_CHECKS: ReadonlySet<string> = new Set(['state database', 'git repository', 'staging database', 'production database']);

/** Each check's rating: 🟢 ok, ⚪ not configured, 🔴 failing. */
export const CHECK_RATING: Record<string, string> = { ok: '🟢', not_configured: '⚪', failing: '🔴' };

/**
 * Pure: the system's health from its checks. Nothing external configured (every check beyond the
 * local ones not configured) is `unconfigured`, not optimal: nothing was there to be healthy.
 */
export function overallOf(checks: ReadonlyArray<{ name: string; status: string }>): Overall {
  if (!checks.length) return 'unknown';
  const failing = checks.filter((c) => c.status === 'failing');
  if (failing.some((c) => c.name === 'state database')) return 'failing';
  if (failing.length) return 'degraded';
  const external = checks.filter((c) => !LOCAL_CHECKS.has(c.name));
  return external.length && external.every((c) => c.status === 'not_configured') ? 'unconfigured' : 'optimal';
}

function modelUsage(state: StateDb): StatusSnapshot['modelUsage'] {
  const rows = state.kvWithPrefix<{ model: string; total: Tally; byAgent: Record<string, Tally> }>('llm.usage.');
  const tickets = rows.map((r) => ({
    ticketId: r.key.slice('llm.usage.'.length),
    model: r.value.model,
    tokens: tokensOf(r.value.total),
    costUsd: Math.round(r.value.total.costUsd * 10_000) / 10_000,
    byAgent: Object.fromEntries(Object.entries(r.value.byAgent).map(([a, t]) => [a, tokensOf(t)])),
  }));
  return { tokens: tickets.reduce((n, t) => n + t.tokens, 0), costUsd: Math.round(tickets.reduce((n, t) => n + t.costUsd, 0) * 10_000) / 10_000, tickets };
}
