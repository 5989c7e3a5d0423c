// analyze ticket's text output carries what --json does for each cause: its confidence and its
// file:line evidence (issue 16), in the order the analysis ranked them.
import { describe, expect, it } from 'vitest';
import { formatCauses } from '../../src/commands/work.js';

describe('analyze ticket: causes in the text output', () => {
  it('numbers each cause with its confidence and lists its evidence under it', () => {
    const text = formatCauses([
      { summary: 'Missing MCP tool create_estimate_record', confidence: 95, evidence: ['lib/voice-agent/agent.ts:41: uses create_estimate_record', 'lib/voice-agent/agent.test.ts:12: test "persists the estimate" fails'] },
      { summary: 'estimates.job_id has no foreign key', confidence: 80, evidence: ['supabase/migrations/20251103090000_create_estimates.sql:4'] },
    ]);
    expect(text.split('\n')).toEqual([
      '1. Missing MCP tool create_estimate_record (confidence 95%)',
      '   - lib/voice-agent/agent.ts:41: uses create_estimate_record',
      '   - lib/voice-agent/agent.test.ts:12: test "persists the estimate" fails',
      '2. estimates.job_id has no foreign key (confidence 80%)',
      '   - supabase/migrations/20251103090000_create_estimates.sql:4',
    ]);
  });
});
