import { describe, expect, it } from 'vitest';
import { lintSchema, locatorFromFiles } from '../../agents/migrator/schema-lints.js';
import { crmSnapshot, snapshot, table } from './snapshot-fixture.js';

const rules = (s: ReturnType<typeof snapshot>) => lintSchema(s).map((f) => `${f.ruleId} ${f.object}`);

describe('lintSchema', () => {
  it('finds the CRM bugs: missing foreign key, RLS off, unindexed keys', () => {
    const findings = lintSchema(crmSnapshot());
    const fk = findings.find((f) => f.ruleId === 'missing-foreign-key' && f.object === 'public.estimates.job_id');
    expect(fk).toMatchObject({ severity: 'warning', fixSql: expect.stringContaining('foreign key (job_id) references public.jobs (id) not valid') });
    expect(fk?.fixSql).toContain('validate constraint estimates_job_id_fkey');
    expect(findings.some((f) => f.ruleId === 'missing-foreign-key' && f.object === 'public.jobs.customer_id')).toBe(true);
    expect(findings.find((f) => f.ruleId === 'rls-disabled-in-public')).toMatchObject({ object: 'public.estimates', severity: 'error', fixSql: 'alter table public.estimates enable row level security;' });
    // auth.users is not in an API schema: no lint there.
    expect(findings.every((f) => !f.object.startsWith('auth.'))).toBe(true);
  });

  it('each rule fires on a bad table and stays quiet on a good one', () => {
    const idx = (name: string, cols: string[], def?: string) => ({ [name]: { definition: def ?? `CREATE INDEX ${name} ON public.t USING btree (${cols.join(', ')})`, unique: false, primary: false, valid: true, columns: cols, predicate: null, method: 'btree' } });
    const fk = { t_p_id_fkey: { type: 'foreign key' as const, definition: 'FOREIGN KEY (p_id) REFERENCES p(id)', columns: ['p_id'], validated: true, references: { table: 'public.p', columns: ['id'] } } };
    const pol = (command: 'all' | 'select', roles = ['authenticated']) => ({ command, permissive: true, roles, using: 'true', check: null });
    const p = table('public.p', { id: 'uuid' }, { pk: 'id', policies: { r: pol('select') } });

    expect(rules(snapshot(p, table('public.t', { id: 'uuid', p_id: 'uuid' }, { pk: 'id', constraints: { ...fk }, policies: { r: pol('select') } })))).toContain('unindexed-foreign-key public.t.t_p_id_fkey');
    expect(rules(snapshot(p, table('public.t', { id: 'uuid', p_id: 'uuid' }, { pk: 'id', constraints: { ...fk }, indexes: idx('t_p_id_idx', ['p_id', 'id']), policies: { r: pol('select') } })))).toEqual([]);

    expect(rules(snapshot(table('public.t', { a: 'text' }, { policies: { r: pol('select') } })))).toEqual(['no-primary-key public.t']);

    const off = rules(snapshot(table('public.t', { id: 'uuid' }, { pk: 'id', rls: false, policies: { r: pol('select') } })));
    expect(off).toEqual(['policy-exists-rls-disabled public.t', 'rls-disabled-in-public public.t']);

    const none = lintSchema(snapshot(table('public.t', { id: 'uuid', owner_id: 'uuid' }, { pk: 'id' })));
    expect(none).toMatchObject([{ ruleId: 'rls-enabled-no-policy', severity: 'info', fixSql: expect.stringContaining('((select auth.uid()) = owner_id)') }]);

    const dup = lintSchema(snapshot(table('public.t', { id: 'uuid', a: 'text' }, { pk: 'id', policies: { r: pol('select') }, indexes: { ...idx('t_a_idx', ['a']), ...idx('t_a_idx2', ['a'], 'CREATE INDEX t_a_idx2 ON public.t USING btree (a)') } })));
    expect(dup).toMatchObject([{ ruleId: 'duplicate-index', fixSql: 'drop index concurrently if exists public.t_a_idx2;' }]);

    const many = rules(snapshot(table('public.t', { id: 'uuid' }, { pk: 'id', policies: { a: pol('all'), b: pol('select'), c: pol('select', ['anon']) } })));
    expect(many).toEqual(['multiple-permissive-policies public.t']);

    const s = snapshot(table('public.t', { id: 'uuid' }, { pk: 'id', policies: { r: pol('select') } }));
    s.views['public.v'] = { schema: 'public', name: 'v', materialized: false, securityInvoker: false, definition: 'SELECT 1' };
    s.views['public.w'] = { schema: 'public', name: 'w', materialized: false, securityInvoker: true, definition: 'SELECT 1' };
    s.functions['public.f(a integer)'] = { schema: 'public', name: 'f', args: 'a integer', returns: 'integer', language: 'sql', securityDefiner: true, volatility: 'volatile', config: [], bodyHash: 'h' };
    s.functions['public.g()'] = { schema: 'public', name: 'g', args: '', returns: 'integer', language: 'sql', securityDefiner: false, volatility: 'volatile', config: ['search_path=""'], bodyHash: 'h' };
    const fl = lintSchema(s);
    expect(fl.map((f) => `${f.ruleId} ${f.object}`)).toEqual(['security-definer-view public.v', 'function-search-path-mutable public.f(a integer)']);
    expect(fl[0]?.fixSql).toBe('alter view public.v set (security_invoker = true);');
    expect(fl[1]?.fixSql).toBe('alter function public.f(a integer) set search_path = public, extensions, pg_temp;');
  });

  it('only suggests a foreign key when the types match and the column is not already a key', () => {
    const parent = table('public.vendors', { id: 'uuid' }, { pk: 'id', policies: { r: { command: 'select', permissive: true, roles: ['anon'], using: 'true', check: null } } });
    const child = (type: string) => table('public.bills', { id: 'uuid', vendor_id: type }, { pk: 'id', policies: { r: { command: 'select', permissive: true, roles: ['anon'], using: 'true', check: null } } });
    expect(rules(snapshot(parent, child('uuid')))).toContain('missing-foreign-key public.bills.vendor_id');
    expect(rules(snapshot(parent, child('text')))).not.toContain('missing-foreign-key public.bills.vendor_id');
  });

  it('locates findings in the migration that created the table', () => {
    const locate = locatorFromFiles([{ path: 'supabase/migrations/1_x.sql', sql: 'select 1;\n\ncreate table public.estimates (\n  id uuid primary key,\n  job_id uuid not null\n);' }]);
    expect(locate({ table: 'public.estimates', column: 'job_id' })).toEqual({ file: 'supabase/migrations/1_x.sql', line: 5 });
    expect(locate({ table: 'public.estimates' })).toEqual({ file: 'supabase/migrations/1_x.sql', line: 3 });
    expect(locate({ table: 'public.nope' })).toBeUndefined();
    const f = lintSchema(crmSnapshot(), { locate }).find((x) => x.object === 'public.estimates.job_id');
    expect(f).toMatchObject({ file: 'supabase/migrations/1_x.sql', line: 5 });
  });
});
