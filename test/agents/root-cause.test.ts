// Root causes from BugHunter's evidence: which schema findings count as a missing foreign key.
import { describe, expect, it } from 'vitest';
import { findRootCauses, relevantCauses, type Evidence, type SchemaFinding } from '../../agents/bug-hunter/root-cause.js';

const ticketText = 'AI estimates are generated but not persisting to database. Voice agent says success but no record created. Maybe a missing foreign key?';
const evidence = (schema: SchemaFinding[]): Evidence => ({ ticketText, unresolved: [], schema, failures: [], diagnostics: [], unwritten: [] });

const unindexed: SchemaFinding = {
  ruleId: 'unindexed-foreign-key',
  severity: 'info',
  object: 'public.customers.customers_owner_id_fkey',
  message: 'foreign key customers_owner_id_fkey on public.customers (owner_id) has no index, so joins and deletes on users scan public.customers',
  file: 'supabase/migrations/001_init.sql',
  line: 4,
};
const missing: SchemaFinding = {
  ruleId: 'missing-foreign-key',
  severity: 'warning',
  object: 'public.estimates.job_id',
  message: 'estimates.job_id refers to jobs by name but has no foreign key, so rows can point at jobs that do not exist',
  file: 'supabase/migrations/003_estimates.sql',
  line: 2,
};

describe('findRootCauses', () => {
  it('takes a missing foreign key from its own lint only, even when the ticket says "key"', () => {
    const causes = relevantCauses(findRootCauses(evidence([unindexed, missing])));
    expect(causes.map((c) => [c.fix, c.subject])).toEqual([['foreign-key', 'public.estimates.job_id']]);
  });

  it('finds no foreign-key cause in a key that exists but lacks an index', () => {
    expect(findRootCauses(evidence([unindexed])).filter((c) => c.fix === 'foreign-key')).toEqual([]);
  });
});
