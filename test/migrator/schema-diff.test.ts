import { describe, expect, it } from 'vitest';
import { describeDifference, diffSchemas } from '../../agents/migrator/schema-diff.js';
import { crmSnapshot } from './snapshot-fixture.js';

const clone = <T>(v: T): T => structuredClone(v);

describe('diffSchemas', () => {
  it('finds nothing between equal snapshots', () => {
    expect(diffSchemas(crmSnapshot(), crmSnapshot())).toEqual([]);
  });

  it('names every kind of difference exactly', () => {
    const before = crmSnapshot();
    const after = clone(before);
    const jobs = after.tables['public.jobs']!;
    jobs.columns.notes = { type: 'text', nullable: true, default: null };
    delete jobs.columns.desc;
    jobs.columns.scheduled_for = { type: 'timestamp with time zone', nullable: false, default: 'now()' };
    jobs.rls = false;
    jobs.indexes.jobs_title_idx = { definition: 'CREATE INDEX jobs_title_idx ON public.jobs USING btree (title)', unique: false, primary: false, valid: true, columns: ['title'], predicate: null, method: 'btree' };
    after.tables['public.customers']!.policies['owners manage their customers']!.roles = ['anon', 'authenticated'];
    after.tables['public.estimates']!.constraints.estimates_job_id_fkey = { type: 'foreign key', definition: 'FOREIGN KEY (job_id) REFERENCES jobs(id)', columns: ['job_id'], validated: false, references: { table: 'public.jobs', columns: ['id'] } };
    delete after.tables['auth.users'];
    after.functions['public.touch()'] = { schema: 'public', name: 'touch', args: '', returns: 'trigger', language: 'plpgsql', securityDefiner: false, volatility: 'volatile', config: [], bodyHash: 'x' };
    after.extensions.pg_trgm = { schema: 'extensions', version: '1.6' };

    expect(diffSchemas(before, after).map(describeDifference)).toEqual([
      'removed table auth.users: 2 columns: id uuid, email character varying(255)',
      'changed policy "owners manage their customers" on public.customers: roles authenticated → anon, authenticated',
      'added constraint public.estimates.estimates_job_id_fkey: FOREIGN KEY (job_id) REFERENCES jobs(id) NOT VALID',
      'changed row level security public.jobs: enabled → disabled',
      'removed column public.jobs.desc: text null',
      'added column public.jobs.notes: text null',
      'changed column public.jobs.scheduled_for: nullable null → not null; default none → now()',
      'added index public.jobs_title_idx: CREATE INDEX jobs_title_idx ON public.jobs USING btree (title)',
      'added function public.touch(): returns trigger language plpgsql',
      'added extension pg_trgm: 1.6 in extensions',
    ]);
  });

  it('reports differences in both directions with structured fields', () => {
    const before = crmSnapshot();
    const after = clone(before);
    after.views['public.open_jobs'] = { schema: 'public', name: 'open_jobs', materialized: false, securityInvoker: false, definition: 'SELECT 1' };
    expect(diffSchemas(before, after)).toEqual([{ change: 'added', objectType: 'view', object: 'public.open_jobs', detail: 'view' }]);
    expect(diffSchemas(after, before)).toEqual([{ change: 'removed', objectType: 'view', object: 'public.open_jobs', detail: 'view' }]);
  });
});
