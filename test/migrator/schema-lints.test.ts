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

describe("Supabase's advisor lints (splinter names), each firing and silent", () => {
  const pol = (command: 'all' | 'select' | 'insert' | 'update' | 'delete', using: string | null, check: string | null = null, roles = ['authenticated']) => ({ r: { command, permissive: true, roles, using, check } });
  const t = (extra: Parameters<typeof table>[2] = {}, cols: Parameters<typeof table>[1] = { id: 'uuid', owner_id: 'uuid' }) => table('public.t', cols, { pk: 'id', ...extra });
  const ids = (s: ReturnType<typeof snapshot>) => lintSchema(s).map((f) => f.ruleId);

  it('auth-rls-initplan: auth.uid() per row, not when wrapped in a select; the fix wraps it', () => {
    const f = lintSchema(snapshot(t({ policies: pol('select', '(auth.uid() = owner_id)') }))).find((x) => x.ruleId === 'auth-rls-initplan');
    expect(f).toMatchObject({ object: 'public.t.r', severity: 'warning', fixSql: 'alter policy r on public.t using (((select auth.uid()) = owner_id));' });
    expect(ids(snapshot(t({ policies: pol('select', '(( SELECT auth.uid() AS uid) = owner_id)') })))).not.toContain('auth-rls-initplan');
    expect(ids(snapshot(t({ policies: pol('select', "(current_setting('app.tenant'::text) = 'x'::text)") })))).toContain('auth-rls-initplan');
  });

  it('rls-references-user-metadata: user_metadata fires, app_metadata does not', () => {
    expect(ids(snapshot(t({ policies: pol('select', "((( SELECT auth.jwt() AS jwt) -> 'user_metadata'::text) ->> 'role'::text) = 'admin'::text)") })))).toContain('rls-references-user-metadata');
    expect(ids(snapshot(t({ policies: pol('select', "((( SELECT auth.jwt() AS jwt) -> 'app_metadata'::text) ->> 'role'::text) = 'admin'::text)") })))).not.toContain('rls-references-user-metadata');
  });

  it('rls-policy-always-true: update/delete using (true) and insert with check (true) for API roles; select true and service_role are fine', () => {
    expect(ids(snapshot(t({ policies: pol('delete', 'true') })))).toContain('rls-policy-always-true');
    expect(ids(snapshot(t({ policies: pol('insert', null, 'true', ['anon']) })))).toContain('rls-policy-always-true');
    expect(ids(snapshot(t({ policies: pol('select', 'true') })))).not.toContain('rls-policy-always-true');
    expect(ids(snapshot(t({ policies: pol('delete', 'true', null, ['service_role']) })))).not.toContain('rls-policy-always-true');
  });

  it('unsupported-reg-types: regproc fires, regclass does not', () => {
    expect(ids(snapshot(t({ policies: pol('select', 'true') }, { id: 'uuid', handler: 'regproc' })))).toContain('unsupported-reg-types');
    expect(ids(snapshot(t({ policies: pol('select', 'true') }, { id: 'uuid', rel: 'regclass' })))).not.toContain('unsupported-reg-types');
  });

  it('fkey-to-auth-unique: a key to auth.users (email) fires, to auth.users (id) does not', () => {
    const fk = (cols: string[]) => ({ t_owner_fkey: { type: 'foreign key' as const, definition: '', columns: ['owner_id'], validated: true, references: { table: 'auth.users', columns: cols } } });
    const idx = { t_owner_idx: { definition: 'CREATE INDEX t_owner_idx ON public.t USING btree (owner_id)', unique: false, primary: false, valid: true, columns: ['owner_id'], predicate: null, method: 'btree' } };
    expect(ids(snapshot(t({ constraints: fk(['email']), indexes: idx, policies: pol('select', 'true') })))).toContain('fkey-to-auth-unique');
    expect(ids(snapshot(t({ constraints: fk(['id']), indexes: idx, policies: pol('select', 'true') })))).not.toContain('fkey-to-auth-unique');
  });

  it('extension-in-public, materialized-view-in-api, auth-users-exposed', () => {
    const s = snapshot(t({ policies: pol('select', 'true') }));
    s.extensions = { pg_trgm: { schema: 'public', version: '1.6' }, citext: { schema: 'extensions', version: '1.6' } };
    s.views = {
      'public.totals': { schema: 'public', name: 'totals', materialized: true, securityInvoker: false, definition: 'SELECT 1' },
      'private.totals': { schema: 'private', name: 'totals', materialized: true, securityInvoker: false, definition: 'SELECT 1' },
      'public.people': { schema: 'public', name: 'people', materialized: false, securityInvoker: false, definition: 'SELECT users.id, users.email FROM auth.users' },
      'public.me': { schema: 'public', name: 'me', materialized: false, securityInvoker: true, definition: 'SELECT users.id FROM auth.users WHERE (users.id = auth.uid())' },
    };
    const f = lintSchema(s).map((x) => `${x.ruleId} ${x.object}`);
    expect(f).toEqual(expect.arrayContaining(['extension-in-public extension pg_trgm', 'materialized-view-in-api public.totals', 'auth-users-exposed public.people']));
    expect(f).not.toContain('extension-in-public extension citext');
    expect(f).not.toContain('materialized-view-in-api private.totals');
    expect(f).not.toContain('auth-users-exposed public.me');
  });
});
