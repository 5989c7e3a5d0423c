// Free text in the dashboard's prompt: the same router and the same word splitting as the CLI, so
// an apostrophe is no unclosed quote and a sentence that asks to approve approves nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupAll, renderDashboard } from '../dashboard/render.js';

afterEach(cleanupAll);

describe('the dashboard prompt', () => {
  it('suggests instead of approving, explains a negation, and reads "Here\'s" as a word', async () => {
    let ticket = '';
    const h = await renderDashboard({
      columns: 200,
      seed: (s) => {
        const now = Date.now();
        ticket = s.insertTicket({ idPrefix: 'BUG', kind: 'BUG', year: new Date().getUTCFullYear(), title: 'Estimates fail to save', description: 'Estimates fail to save', status: 'staged', priority: 'normal', external_ref: 'AI-EST-142', created_by: 'admin', created_at: now, updated_at: now }).id;
        s.insertChangeSet({ id: 'CS-1', ticket_id: ticket, dir: 'staged/2026-12-01_14-30-22_estimates', status: 'staged', requires_approval: 0, created_at: now, manifest: '{}' });
      },
    });
    await h.run("@agent I need to fix the AI estimate persistence issue. Here's the ticket: AI-EST-142");
    let f = await h.waitForFrame('free text never runs `fix ticket`');
    expect(f).not.toContain('unclosed');

    await h.run(`please approve ${ticket} now`);
    f = await h.waitForFrame('free text never runs `approve`');
    expect(f).toContain(`approve ${ticket} --confirm ${ticket}`);

    await h.run(`don't approve ${ticket}`);
    await h.waitForFrame(`says not to approve`);
    expect(h.state.changeSet('CS-1')!.status).toBe('staged');
    expect(h.state.ticket(ticket)!.status).toBe('staged');
    expect(h.state.deployments()).toEqual([]);
  });
});
