// Which root causes explain a ticket: tied by the ticket's own words, the identifiers it names and
// its failing tests; the rest of what the project holds is "also found".
import { describe, expect, it } from 'vitest';
import { explainTicket, sameWord, ticketTests, unexplained } from '../../agents/bug-hunter/explain.js';
import type { RootCause } from '../../agents/bug-hunter/root-cause.js';
import type { TestFailure } from '../../agents/shared/test-failures.js';

// What BugHunter finds in examples/crm whatever the ticket says.
const tool: RootCause = {
  id: 'tool:create_estimate_record',
  summary: 'Missing MCP tool: create_estimate_record (used at lib/voice-agent/agent.ts:16; not found in tool definitions)',
  fix: 'mcp-tool',
  subject: 'create_estimate_record',
  evidence: ['lib/voice-agent/agent.ts:16: uses create_estimate_record', 'lib/voice-agent/agent.test.ts:34: test "voice agent > persists the estimate it reports as created" fails: AssertionError: expected [] to have a length of 1 but got +0'],
  confidence: 75,
};
const key: RootCause = {
  id: 'fk:public.estimates.job_id',
  summary: 'Missing foreign key: estimates.job_id refers to jobs by name but has no foreign key',
  fix: 'foreign-key',
  subject: 'public.estimates.job_id',
  evidence: ['supabase/migrations/20251103090000_create_estimates.sql:3: estimates.job_id refers to jobs by name but has no foreign key'],
  confidence: 75,
};
const estimateTest: TestFailure = { file: 'lib/voice-agent/agent.test.ts', name: 'voice agent > persists the estimate it reports as created', message: 'AssertionError: expected [] to have a length of 1 but got +0', location: 'lib/voice-agent/agent.test.ts:34' };
const validateTest: TestFailure = {
  file: 'lib/validate.test.ts',
  name: 'validate > lists every problem',
  message: "AssertionError: expected { ok: false, errors: [ 'name is required', 'amount must be a whole number' ] } to deeply equal { ok: false, errors: [ …(3) ] }",
  location: 'lib/validate.test.ts:12',
};
const failures = [estimateTest, validateTest];
const looked = { files: 31, typedFiles: 30, typeErrors: 0, tests: { command: 'npx vitest run', passed: 9, failed: 2 }, schemaFindings: 5, leads: ['lib/validate.ts:14'] };

describe('explainTicket', () => {
  it("fixes the example's own ticket: its words and its failing test reach the tool and the key", () => {
    const e = explainTicket([tool, key], 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.', failures);
    expect(e.explaining.map((c) => [c.subject, c.confidence])).toEqual([
      ['create_estimate_record', 100],
      ['public.estimates.job_id', 100],
    ]);
    expect(e.explaining[0]!.evidence.slice(0, 2)).toEqual(tool.evidence);
    expect(e.explaining[0]!.evidence.slice(2, 4)).toEqual(["the ticket's words reach it: estimates", 'the ticket describes what it causes: something reported done that is never stored']);
    expect(e.explaining[0]!.evidence[4]).toMatch(/^lib\/voice-agent\/agent\.test\.ts:34: failing test "voice agent > persists the estimate/);
    expect(e.alsoFound).toEqual([]);
  });

  it('does not fix an email-validation ticket with the estimates fix: its failing tests are in lib/validate.test.ts', () => {
    const text = "Customer email validation accepts invalid addresses like 'nope'. lib/validate.test.ts fails: lists every problem";
    const e = explainTicket([tool, key], text, failures);
    expect(e.explaining).toEqual([]);
    expect(e.alsoFound.map((c) => c.subject)).toEqual(['create_estimate_record', 'public.estimates.job_id']);
    expect(e.tests.map((t) => t.failure.location)).toEqual(['lib/validate.test.ts:12']);
    const why = unexplained(e, looked);
    expect(why).toMatch(/^no root cause found that explains this ticket; its failing test lib\/validate\.test\.ts:12 "validate > lists every problem"/);
    expect(why).toContain('also found, tied to nothing the ticket says: Missing MCP tool: create_estimate_record; Missing foreign key: estimates.job_id refers to jobs by name but has no foreign key');
    expect(why).toContain('best leads: lib/validate.ts:14');
  });

  it('finds the failing tests of an email ticket by its words alone (validation ~ validate)', () => {
    expect(ticketTests("Customer email validation accepts invalid addresses like 'nope'", failures).map((t) => [t.failure.file, t.because])).toEqual([['lib/validate.test.ts', 'it shares validation with the ticket']]);
  });

  it('explains nothing in an invoice-tax ticket with findings about estimates', () => {
    const e = explainTicket([tool, key], 'Invoice totals do not include tax', failures);
    expect(e.explaining).toEqual([]);
    expect(e.tests).toEqual([]);
    expect(unexplained(e, { ...looked, leads: [] })).toBe(
      'no root cause found that explains this ticket; checked 31 files, the type check of 30 files (0 errors), tests `npx vitest run` (9 passed, 2 failed), 5 schema findings; also found, tied to nothing the ticket says: Missing MCP tool: create_estimate_record; Missing foreign key: estimates.job_id refers to jobs by name but has no foreign key',
    );
  });

  it('a key on estimates does not explain a ticket about jobs; a named constraint is tied verbatim', () => {
    expect(explainTicket([key], 'Jobs page is broken', []).explaining).toEqual([]);
    const fk: RootCause = { id: 'fk:public.subscriptions.price_id', summary: 'Missing ON DELETE', fix: 'foreign-key', subject: 'public.subscriptions.price_id', evidence: ['supabase/migrations/x.sql:40: no ON DELETE'], confidence: 60 };
    const e = explainTicket([fk], 'Deleting a price fails: update or delete violates foreign key constraint subscriptions_price_id_fkey', []);
    expect(e.explaining.map((c) => [c.subject, c.confidence, c.evidence[1]])).toEqual([['public.subscriptions.price_id', 100, 'the ticket names subscriptions_price_id_fkey']]);
  });

  it('ties a statement timeout on deleting accounts to the unindexed keys that reference accounts, not to every unindexed key', () => {
    const unindexed = (table: string, name: string, column: string, parent: string): RootCause => ({
      id: `index:basejump.${table}.${name}->${parent}`,
      summary: `Unindexed foreign key: foreign key ${name} on basejump.${table} (${column}) has no index, so joins and deletes on ${parent} scan basejump.${table}`,
      fix: 'schema',
      subject: `basejump.${table}.${name}`,
      evidence: [`supabase/migrations/20240414161947_basejump-accounts.sql:40: foreign key ${name} has no index`],
      confidence: 60,
    });
    const members = unindexed('account_user', 'account_user_account_id_fkey', 'account_id', 'basejump.accounts');
    const creator = unindexed('accounts', 'accounts_created_by_fkey', 'created_by', 'auth.users');
    const e = explainTicket([creator, members], 'Deleting a team account takes many seconds and sometimes fails with "canceling statement due to statement timeout".', []);
    expect(e.explaining.map((c) => [c.subject, c.confidence])).toEqual([['basejump.account_user.account_user_account_id_fkey', 95]]);
    expect(e.explaining[0]!.evidence.slice(1)).toEqual(["the ticket's words reach it: account", 'the ticket describes what it causes: a delete or join that times out']);
    expect(e.alsoFound.map((c) => c.subject)).toEqual(['basejump.accounts.accounts_created_by_fkey']);
    // The same key, without the symptom, is only a lead.
    expect(explainTicket([members], 'Team account settings page is blank', []).explaining).toEqual([]);
  });

  it('words match up to their ending, not by a shared fragment', () => {
    expect([sameWord('estimates', 'estimate'), sameWord('validation', 'validate'), sameWord('persisting', 'persists'), sameWord('job', 'jobs')]).toEqual([true, true, true, true]);
    expect([sameWord('accepts', 'account'), sameWord('email', 'mail'), sameWord('customer', 'customization')]).toEqual([false, false, false]);
  });
});
