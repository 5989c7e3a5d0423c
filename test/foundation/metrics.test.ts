// Seed section 9's figures from tickets and deployments (src/engine/metrics.ts, pure).
import { describe, expect, it } from 'vitest';
import { metricsFrom } from '../../src/engine/metrics.js';
import type { DeploymentRow, TicketRow } from '../../src/store/rows.js';

const MIN = 60_000;
const ticket = (id: string, createdAt: number) => ({ id, created_at: createdAt }) as TicketRow;
const deployment = (id: string, ticketId: string, status: string, startedAt: number, finishedAt: number, data: object = {}) =>
  ({ id, ticket_id: ticketId, target: 'production', status, started_at: startedAt, finished_at: finishedAt, data: JSON.stringify(data) }) as DeploymentRow;

describe('metrics', () => {
  it('a ticket whose only deployment was rolled back is not resolved, and counts against the first-time fix rate', () => {
    const m = metricsFrom([ticket('BUG-1', 0)], [deployment('D-1', 'BUG-1', 'rolled_back', 10 * MIN, 12 * MIN, { rollback: { at: new Date(20 * MIN).toISOString(), durationMs: 4000 } })], 0, 60 * MIN);
    expect(m.timeToResolve.resolved).toBe(0);
    expect(m.timeToResolve.medianMinutes).toBeNull();
    expect(m.firstTimeFixRate).toMatchObject({ deployedTickets: 1, fixedFirstTime: 0, percent: 0 });
    expect(m.rollbackTime).toMatchObject({ rollbacks: 1, medianSeconds: 4 });
  });

  it('a ticket fixed on its second deployment is resolved when that one finished', () => {
    const m = metricsFrom(
      [ticket('BUG-1', 0), ticket('BUG-2', 0)],
      [deployment('D-1', 'BUG-1', 'rolled_back', 10 * MIN, 12 * MIN), deployment('D-2', 'BUG-1', 'succeeded', 40 * MIN, 45 * MIN), deployment('D-3', 'BUG-2', 'succeeded', 5 * MIN, 20 * MIN)],
      0,
      60 * MIN,
    );
    expect(m.timeToResolve).toMatchObject({ resolved: 2, medianMinutes: 32.5, under30MinPercent: 50 });
    expect(m.firstTimeFixRate).toMatchObject({ deployedTickets: 2, fixedFirstTime: 1, percent: 50 });
  });
});
