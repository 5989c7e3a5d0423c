// The Migrator's offline schema fixes for BugHunter's schema causes (issue 14): an unindexed key gets
// a CONCURRENTLY index, one per file; a key with no ON DELETE action is re-created with one (NOT
// VALID, then VALIDATE apart), and only the causes passed in are fixed. Pure (hand-made snapshots).
import { describe, expect, it } from 'vitest';
import type { RootCause } from '../../agents/shared/causes.js';
import { isSchemaFixCause, keyDefinition, planSchemaFixes, schemaFixMigrations } from '../../agents/migrator/schema-fix.js';
import { lintMigrations } from '../../agents/migrator/linter/index.js';
import { mustRunOutsideTransaction } from '../../agents/migrator/run-sql.js';
import { snapshot, table } from './snapshot-fixture.js';

const fk = (columns: string[], parent: string, extra = '') => ({ type: 'foreign key' as const, definition: `FOREIGN KEY (${columns.join(', ')}) REFERENCES ${parent.replace(/^public\./, '')}(id)${extra}`, columns, validated: true, references: { table: parent, columns: ['id'] } });

// nextjs-subscription-payments' shape: subscriptions.price_id (nullable) and user_id (not null), neither indexed.
const SUBS = snapshot(
  table('public.prices', { id: 'text' }, { pk: 'id' }),
  table('public.subscriptions', { id: 'text', price_id: 'text', user_id: { type: 'uuid', nullable: false } }, {
    pk: 'id',
    constraints: { subscriptions_price_id_fkey: fk(['price_id'], 'public.prices'), subscriptions_user_id_fkey: fk(['user_id'], 'auth.users') },
  }),
  // basejump's shape: a key in another schema, one already indexed as the leading column.
  table('basejump.accounts', { id: 'uuid' }, { pk: 'id' }),
  table('basejump.invitations', { id: 'uuid', account_id: { type: 'uuid', nullable: false } }, { pk: 'id', constraints: { invitations_account_id_fkey: fk(['account_id'], 'basejump.accounts', ' ON UPDATE CASCADE') } }),
  table('basejump.members', { account_id: 'uuid', user_id: 'uuid' }, {
    constraints: { members_account_id_fkey: fk(['account_id'], 'basejump.accounts') },
    indexes: { members_account_id_user_id_idx: { definition: '', unique: false, primary: false, valid: true, columns: ['account_id', 'user_id'], predicate: null, method: 'btree' } },
  }),
);

const cause = (id: string, subject: string): RootCause => ({ id, subject, summary: id, fix: 'schema', evidence: [], confidence: 60 });

describe('planSchemaFixes', () => {
  it('the ticket of nextjs-subscription-payments: on delete set null for the nullable price_id, and one index for it (not two)', () => {
    const plan = planSchemaFixes([cause('on-delete:subscriptions_price_id_fkey', 'public.subscriptions.subscriptions_price_id_fkey'), cause('index:public.subscriptions.subscriptions_price_id_fkey->public.prices', 'public.subscriptions.subscriptions_price_id_fkey')], SUBS);
    expect(plan.unplanned).toEqual([]);
    expect(plan.fixes.map((f) => (f.kind === 'index' ? `index ${f.table} ${f.index}` : `${f.constraint} ${f.action}`))).toEqual(['subscriptions_price_id_fkey set null', 'index public.subscriptions subscriptions_price_id_idx']);
  });

  it('a NOT NULL column gets cascade (the only action that lets the delete succeed), which the migration marks destructive', () => {
    const plan = planSchemaFixes([cause('on-delete:subscriptions_user_id_fkey', 'public.subscriptions.subscriptions_user_id_fkey')], SUBS);
    expect(plan.fixes[0]).toMatchObject({ kind: 'on-delete', action: 'cascade', nullable: false });
    const ms = schemaFixMigrations(plan.fixes, '20261202000000');
    expect(ms[0]!.destructive).toBe(true);
    expect(ms[0]!.up).toMatch(/DELETES its public\.subscriptions rows[\s\S]*approval/);
    expect(ms.slice(1).every((m) => !m.destructive)).toBe(true);
  });

  it('a key in another schema (BugHunter names it public.<table>.<key>) is found there; an index that already leads with the column means none is added', () => {
    const plan = planSchemaFixes([cause('index:basejump.invitations.invitations_account_id_fkey->basejump.accounts', 'basejump.invitations.invitations_account_id_fkey'), cause('on-delete:members_account_id_fkey', 'public.members.members_account_id_fkey')], SUBS);
    expect(plan.fixes.map((f) => `${f.kind} ${f.table}`)).toEqual(['on-delete basejump.members', 'index basejump.invitations']);
  });

  it('causes it cannot fix are said, with the reason; other fix kinds are not its', () => {
    const plan = planSchemaFixes([cause('index:public.nope.nope_x_fkey->public.x', 'public.nope.nope_x_fkey'), { ...cause('on-delete:x', 'public.subscriptions.subscriptions_price_id_fkey'), fix: 'type-error' }], SUBS);
    expect(plan.fixes).toEqual([]);
    expect(plan.unplanned).toEqual([{ causeId: 'index:public.nope.nope_x_fkey->public.x', reason: 'no foreign key public.nope.nope_x_fkey in the schema the migrations build' }]);
    expect(isSchemaFixCause({ fix: 'schema', id: 'rls:public.t' })).toBe(false);
  });

  it('a key that already has an ON DELETE action is not re-created', () => {
    const s = snapshot(table('public.a', { id: 'int' }, { pk: 'id' }), table('public.b', { id: 'int', a_id: 'int' }, { pk: 'id', constraints: { b_a_id_fkey: fk(['a_id'], 'public.a', ' ON DELETE CASCADE') } }));
    expect(planSchemaFixes([cause('on-delete:b_a_id_fkey', 'public.b.b_a_id_fkey')], s).unplanned[0]!.reason).toMatch(/already has an ON DELETE action \(cascade\)/);
  });
});

describe('schemaFixMigrations', () => {
  const plan = planSchemaFixes(
    [cause('on-delete:subscriptions_price_id_fkey', 'public.subscriptions.subscriptions_price_id_fkey'), cause('index:basejump.invitations.invitations_account_id_fkey->basejump.accounts', 'basejump.invitations.invitations_account_id_fkey')],
    SUBS,
  );
  const ms = schemaFixMigrations(plan.fixes, '20261202235959');

  it('the key NOT VALID under lock_timeout, VALIDATE in its own file, then each index CONCURRENTLY alone in its file, versions in order', () => {
    expect(ms.map((m) => `${m.version}_${m.name}`)).toEqual([
      '20261202235959_subscriptions_price_id_fkey_on_delete_set_null',
      '20261203000000_validate_subscriptions_price_id_fkey',
      '20261203000001_subscriptions_price_id_idx',
      '20261203000002_invitations_account_id_idx',
    ]);
    expect(ms[0]!.up).toContain("set lock_timeout = '5s';\nalter table public.subscriptions drop constraint subscriptions_price_id_fkey, add constraint subscriptions_price_id_fkey foreign key (price_id) references public.prices (id) on delete set null not valid;");
    expect(ms[0]!.up).not.toMatch(/validate constraint/);
    expect(ms[1]!.up).toMatch(/set lock_timeout = '5s';\nalter table public\.subscriptions validate constraint subscriptions_price_id_fkey;\n$/);
    expect(ms[1]!.up).toContain('select count(*) from public.subscriptions c where c.price_id is not null and not exists (select 1 from public.prices p where p.id = c.price_id);');
    expect(ms[3]!.up).toBe('create index concurrently if not exists invitations_account_id_idx on basejump.invitations (account_id);\n');
    for (const m of ms.slice(2)) {
      expect(mustRunOutsideTransaction(m.up)).toBe(true);
      expect(m.up.trim().split('\n')).toHaveLength(1);
    }
    expect(ms[3]!.down).toBe('drop index concurrently if exists basejump.invitations_account_id_idx;\n');
    expect(ms.every((m) => m.upPath === `supabase/migrations/${m.version}_${m.name}.sql` && m.downPath === `supabase/rollbacks/${m.version}_${m.name}.down.sql`)).toBe(true);
  });

  it('each rollback restores the schema its migration started from: VALIDATE back to NOT VALID, the key back to no action', () => {
    expect(ms[1]!.down).toContain('add constraint subscriptions_price_id_fkey foreign key (price_id) references public.prices (id) on delete set null not valid;');
    expect(ms[0]!.down).toContain('add constraint subscriptions_price_id_fkey foreign key (price_id) references public.prices (id);');
    expect(ms[0]!.down).not.toMatch(/on delete/);
  });

  it('keeps the rest of the definition (ON UPDATE) and replaces only ON DELETE', () => {
    const f = { columns: ['account_id'], references: { table: 'basejump.accounts', columns: ['id'] }, original: 'FOREIGN KEY (account_id) REFERENCES basejump.accounts(id) ON UPDATE CASCADE ON DELETE RESTRICT' };
    expect(keyDefinition(f, 'set null')).toBe('foreign key (account_id) references basejump.accounts (id) on update cascade on delete set null');
    expect(keyDefinition(f, null)).toBe('foreign key (account_id) references basejump.accounts (id) on update cascade');
  });

  it('its own linter finds nothing above info in them', () => {
    const findings = lintMigrations(ms.map((m) => ({ path: m.upPath, sql: m.up })));
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});
