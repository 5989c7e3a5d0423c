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
      'Deal saved but not stored',
      'The desk assistant says a deal was saved, but no deal is stored for the client',
      'Saving a deal times out',
      'The customer search timed out twice today',
      'Creating a deal does nothing',
      'The export button shows nothing',
      'Login returns 401 for valid users',
      'Notes added to a customer vanish after reload',
      'Invoices are sent twice',
      'The sign up page hangs',
    ]) expect(inferKind(text), text).toBe('BUG');
  });

  it('keeps requests for something new as features', () => {
    expect(inferKind('Customer portal login with oauth2 support')).toBe('FEAT');
    expect(inferKind('Add an endpoint to export invoices as CSV')).toBe('FEAT');
    for (const text of ['Add a button to duplicate a deal', 'Allow admins to create new users', 'Build a reports page', 'Implement a deals kanban board', 'Support dark mode in the dashboard', 'Let customers pay invoices online']) expect(inferKind(text), text).toBe('FEAT');
    expect(inferKind('Add customer preferences table with JSONB column')).toBe('MIG');
  });
});
