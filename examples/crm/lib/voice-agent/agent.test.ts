import { describe, expect, it } from 'vitest';
import { createMemoryDb, setDb } from '../db';
import { handler } from '../../supabase/functions/mcp-server/index';
import { handleIntent } from './agent';
import { createMcpClient } from './mcp-client';

const KEY = 'test-service-role';

function setup() {
  const db = createMemoryDb();
  setDb(db);
  const mcp = createMcpClient({ url: 'http://edge/mcp-server', serviceRoleKey: KEY, fetch: async (url, init) => handler(new Request(String(url), init), KEY) });
  return { db, mcp };
}

describe('voice agent', () => {
  it('schedules a job through the MCP server', async () => {
    const { db, mcp } = setup();
    const customer = (await db.from('customers').insert({ name: 'Ada' })).data!;
    const reply = await handleIntent({ kind: 'schedule_job', customerId: customer.id, title: 'Replace water heater' }, mcp);
    expect(reply.spoken).toBe('Scheduled: Replace water heater.');
    expect((await db.from('jobs').select()).data).toHaveLength(1);
  });

  it('persists the estimate it reports as created', async () => {
    const { db, mcp } = setup();
    const customer = (await db.from('customers').insert({ name: 'Ada' })).data!;
    const job = (await db.from('jobs').insert({ customer_id: customer.id, title: 'Replace water heater' })).data!;
    const reply = await handleIntent(
      { kind: 'create_estimate', jobId: job.id, customerId: customer.id, lineItems: [{ description: 'Water heater, 50 gal', amountCents: 129900 }] },
      mcp,
    );
    const estimates = (await db.from('estimates').select({ job_id: job.id })).data!;
    expect(reply.spoken).toBe('Estimate created for $1299.00.');
    expect(estimates).toHaveLength(1);
  });
});
