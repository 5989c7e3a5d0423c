import { describe, expect, it } from 'vitest';
import { createMemoryDb } from '../../../lib/db';
import { dispatch, listTools } from './registry';

describe('mcp tool registry', () => {
  it('registers each tool once', () => {
    const names = listTools().map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('create_job');
  });

  it('dispatches a call and reports bad arguments', async () => {
    const db = createMemoryDb();
    const ok = await dispatch('create_customer', { name: 'Grace' }, { db });
    expect(ok.error).toBeUndefined();
    const bad = await dispatch('create_job', { title: 'Fix sink' }, { db });
    expect(bad.error).toBe('customer_id is required');
  });
});
