// The dashboard header's model usage: tokens and cost over every ticket, per agent when the row has
// room, read from usage the real recorder wrote into a real SQLite state database, and live when
// another process records more.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupAll, renderDashboard } from './render.js';
import { recordUsage } from '../../src/integrations/llm/usage-store.js';
import { emptyTally, type Tally } from '../../src/integrations/llm/usage.js';
import type { StateDb } from '../../src/store/state-db.js';
import { cellWidth, compactTokens, HEADER_CHROME, headerLines, lineText, usd } from '../../components/view.js';

afterEach(cleanupAll);

const MODEL = 'claude-sonnet-4-5';
const tally = (t: Partial<Tally>): Tally => ({ ...emptyTally(), calls: 1, ...t });
const SPENT = [
  { ticketId: 'BUG-2026-001', agent: 'BugHunter', tally: tally({ input: 30_000, output: 4_000, cacheWrite: 5_000, cacheRead: 1_200, costUsd: 0.1234 }) },
  { ticketId: 'BUG-2026-001', agent: 'CodeSmith', tally: tally({ input: 4_000, output: 1_100, costUsd: 0.0301 }) },
  { ticketId: 'FEAT-2026-002', agent: 'BugHunter', tally: tally({ input: 2_000, output: 500, costUsd: 0.0135 }) },
];
const tokens = (t: Tally) => t.input + t.output + t.cacheWrite + t.cacheRead;
const sum = (agent?: string) => SPENT.filter((s) => !agent || s.agent === agent).reduce((n, s) => n + tokens(s.tally), 0);
const cost = SPENT.reduce((n, s) => n + s.tally.costUsd, 0);

function seedUsage(state: StateDb): void {
  for (const s of SPENT) recordUsage(state, { ...s, model: MODEL, runId: null });
}

const headerRows = (frame: string) => frame.split('\n').slice(0, 4).join('\n');

describe('header: model usage', () => {
  it('shows nothing about Claude while no usage is recorded', async () => {
    const h = await renderDashboard({ columns: 160 });
    const f = await h.waitForFrame('Active Agents');
    expect(f).not.toContain('Claude');
    expect(f).toMatch(/\d+ events/);
  });

  it('shows total tokens and cost over every ticket, and each agent on a wide terminal', async () => {
    const h = await renderDashboard({ columns: 160, seed: seedUsage });
    const f = headerRows(await h.waitForFrame('Claude'));
    const total = `Claude ${compactTokens(sum())} tokens · ${usd(cost)} on 2 tickets`;
    expect(f).toContain(`${total} (BugHunter ${compactTokens(sum('BugHunter'))}, CodeSmith ${compactTokens(sum('CodeSmith'))})`);
    // The figures are the recorder's, not the view's: 47.8k tokens, $0.17 for these tallies.
    expect(total).toBe('Claude 47.8k tokens · $0.17 on 2 tickets');
  });

  it('drops the agents before the totals on a narrow terminal, and never loses the totals', async () => {
    const h = await renderDashboard({ columns: 80, seed: seedUsage });
    const f = headerRows(await h.waitForFrame('Claude'));
    expect(f).toContain(`Claude ${compactTokens(sum())} tokens · ${usd(cost)}`);
    expect(f).not.toContain('BugHunter');
    // Every header row still fits its box (rows truncate, they never wrap).
    for (const row of f.split('\n')) expect(cellWidth(row)).toBeLessThanOrEqual(80);
  });

  it('follows usage another process records while the dashboard is open', async () => {
    const h = await renderDashboard({ columns: 160 });
    await h.waitForFrame('Active Agents');
    expect(h.frame()).not.toContain('Claude');
    recordUsage(h.state, { ticketId: 'BUG-2026-009', agent: 'Migrator', model: MODEL, tally: tally({ input: 900, output: 80, costUsd: 0.004 }) });
    const f = await h.waitForFrame('Claude');
    expect(headerRows(f)).toContain('Claude 980 tokens · <$0.01 on 1 ticket (Migrator 980)');
  });
});

describe('header usage, the pure view', () => {
  const snapshot = (usage: { tokens: number; costUsd: number; tickets: Array<{ ticketId: string; model: string; tokens: number; costUsd: number; byAgent: Record<string, number> }> }) =>
    ({
      project: { name: 'crm', root: '/tmp/crm' },
      health: { overall: 'optimal', checkedAt: null, checks: [] },
      agents: { active: 0, max: 5, list: [] },
      queue: { size: 0 },
      lastDeployment: null,
      pendingApprovals: [],
      recentActivity: [],
      interruptedRuns: [],
      unfinishedDeployments: [],
      tickets: { open: 0, total: 0 },
      maintenance: null,
      modelUsage: usage,
    }) as Parameters<typeof headerLines>[0];
  const usage = { tokens: 12_345, costUsd: 1.5, tickets: [{ ticketId: 'BUG-1', model: MODEL, tokens: 12_345, costUsd: 1.5, byAgent: { BugHunter: 10_000, CodeSmith: 2_345 } }] };

  it('fits the widest variant that the width allows, making room from the least telling segments first', () => {
    const text = (width: number) => headerLines(snapshot(usage), Date.now(), 1234, width).map(lineText);
    const wide = text(200);
    expect(wide[0]).toContain('CRM AGENT · crm  System Health: 🟢 OPTIMAL (run `health`)  Claude 12.3k tokens · $1.50 on 1 ticket (BugHunter 10k, CodeSmith 2.35k)');
    expect(wide[1]).toContain('1,234 events');
    for (const width of [200, 120, 96, 76, 66]) {
      const rows = text(width);
      const row = rows.find((r) => r.includes('Claude 12.3k tokens · $1.50'));
      expect(row, `width ${width}: ${rows.join(' | ')}`).toBeDefined();
      expect(cellWidth(row!), `width ${width}: ${row}`).toBeLessThanOrEqual(width);
    }
    // What made way, in order: the events count, then when health was checked, then the name.
    const w76 = text(76).join('\n');
    expect(w76).not.toContain('events');
    expect(w76).toContain('CRM AGENT · crm  System Health: 🟢 OPTIMAL  Claude 12.3k tokens · $1.50');
    expect(text(66).join('\n')).toContain('CRM AGENT  System Health: 🟢 OPTIMAL  Claude 12.3k tokens · $1.50');
    // Too narrow for even that: the health label gets short, the bare figures still start on the first row.
    expect(text(40)[0]).toMatch(/^CRM AGENT {2}Health: 🟢 OPTIMAL {2}Claude/);
    // Without usage, 40 columns: when it was checked and the name make way, the health stays whole.
    const bare = lineText(headerLines(snapshot({ tokens: 0, costUsd: 0, tickets: [] }), Date.now(), 1234, 40)[0]!);
    expect(bare).toBe('CRM AGENT  System Health: 🟢 OPTIMAL');
    expect(cellWidth(bare)).toBeLessThanOrEqual(40);
  });

  it('keeps a pending approval in sight at any width: the event count, the ticket count, then long labels make way', () => {
    const busy = {
      ...snapshot({ tokens: 0, costUsd: 0, tickets: [] }),
      lastDeployment: { id: 'DEPLOY-2026-003', target: 'production', status: 'succeeded', at: new Date(Date.now() - 120_000).toISOString() },
      pendingApprovals: [{ id: 'APR-1' }],
      tickets: { open: 2, total: 3 },
    } as unknown as Parameters<typeof headerLines>[0];
    const second = (width: number) => lineText(headerLines(busy, Date.now(), 1234, width)[1]!);
    expect(second(200)).toBe('Active Agents: 0/5  Queue: 0  Last Deployment: DEPLOY-2026-003 → production 2 minutes ago  Tickets: 2 open  ⚠ 1 approval pending  1,234 events');
    expect(second(130)).toBe('Active Agents: 0/5  Queue: 0  Last Deployment: DEPLOY-2026-003 → production 2 minutes ago  Tickets: 2 open  ⚠ 1 approval pending');
    expect(second(115)).toBe('Active Agents: 0/5  Queue: 0  Last Deployment: DEPLOY-2026-003 → production 2 minutes ago  ⚠ 1 approval pending');
    expect(second(110)).toBe('Agents 0/5  Queue 0  Last DEPLOY-2026-003 → production 2 minutes ago  Tickets 2 open  ⚠ 1 approval pending');
    expect(second(95)).toBe('Agents 0/5  Queue 0  Last DEPLOY-2026-003 → production 2 minutes ago  ⚠ 1 approval pending');
    // Too narrow for all of it: the alert leads, and only the end is cut off.
    expect(second(60)).toMatch(/^⚠ 1 approval pending {2}Agents 0\/5/);
    for (const width of [200, 130, 115, 110, 95]) expect(cellWidth(second(width))).toBeLessThanOrEqual(width);
  });

  it('says nothing while the recorded usage is empty', () => {
    const rows = headerLines(snapshot({ tokens: 0, costUsd: 0, tickets: [] }), Date.now(), 0, 200 - HEADER_CHROME).map(lineText);
    expect(rows.join('\n')).not.toContain('Claude');
  });
});
