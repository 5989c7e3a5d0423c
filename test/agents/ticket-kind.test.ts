// Bug reports in the words people use are BUGs (issue 15: these were classed FEAT, and a FEAT
// ticket's gate told the admin it "asks for something new"); requests for something new stay FEAT.
import { describe, expect, it } from 'vitest';
import { inferKind } from '../../src/engine/ticket-kind.js';

describe('ticket kinds', () => {
  it('reads a failing behaviour as a bug', () => {
    for (const text of [
      'Invoice totals do not include tax',
      "Customer email validation accepts invalid addresses like 'nope'",
      'The voice agent tells callers their quote is saved, but no quote ever shows up',
      'Deleting a team account takes many seconds and sometimes fails with "canceling statement due to statement timeout".',
      'Listing jobs hits a statement timeout',
    ]) expect(inferKind(text), text).toBe('BUG');
  });

  it('keeps requests for something new as features', () => {
    expect(inferKind('Customer portal login with oauth2 support')).toBe('FEAT');
    expect(inferKind('Add an endpoint to export invoices as CSV')).toBe('FEAT');
    expect(inferKind('Add customer preferences table with JSONB column')).toBe('MIG');
  });
});
