// Hand-made schema snapshots for the pure tests (the integration tests take real ones).
import type { ColumnSnapshot, SchemaSnapshot, TableSnapshot } from '../../agents/migrator/schema-snapshot.js';
import { emptySnapshot } from '../../agents/migrator/schema-snapshot.js';

type Cols = Record<string, string | Partial<ColumnSnapshot> & { type: string }>;

export function table(qualified: string, cols: Cols, extra: Partial<Omit<TableSnapshot, 'schema' | 'name' | 'columns'>> & { pk?: string } = {}): TableSnapshot {
  const [schema, name] = qualified.split('.') as [string, string];
  const columns: Record<string, ColumnSnapshot> = {};
  for (const [c, v] of Object.entries(cols)) columns[c] = typeof v === 'string' ? { type: v, nullable: c !== extra.pk, default: null } : { nullable: true, default: null, ...v };
  const t: TableSnapshot = { schema, name, rls: extra.rls ?? true, forceRls: false, columns, constraints: extra.constraints ?? {}, indexes: extra.indexes ?? {}, policies: extra.policies ?? {}, triggers: extra.triggers ?? {} };
  if (extra.pk) {
    t.constraints[`${name}_pkey`] = { type: 'primary key', definition: `PRIMARY KEY (${extra.pk})`, columns: [extra.pk], validated: true };
    t.indexes[`${name}_pkey`] = { definition: `CREATE UNIQUE INDEX ${name}_pkey ON ${qualified} USING btree (${extra.pk})`, unique: true, primary: true, valid: true, columns: [extra.pk], predicate: null, method: 'btree' };
  }
  return t;
}

export function snapshot(...tables: TableSnapshot[]): SchemaSnapshot {
  const s = emptySnapshot();
  for (const t of tables) s.tables[`${t.schema}.${t.name}`] = t;
  return s;
}

/** The example CRM's shape: customers, jobs, estimates (no foreign keys), plus auth.users. */
export function crmSnapshot(): SchemaSnapshot {
  return snapshot(
    table('auth.users', { id: 'uuid', email: 'character varying(255)' }, { pk: 'id', rls: false }),
    table('public.customers', { id: 'uuid', owner_id: 'uuid', name: 'text', legacy_code: { type: 'text', nullable: false, default: "'n/a'::text" }, email: 'text' }, {
      pk: 'id',
      indexes: { customers_legacy_code_idx: { definition: 'CREATE INDEX customers_legacy_code_idx ON public.customers USING btree (legacy_code)', unique: false, primary: false, valid: true, columns: ['legacy_code'], predicate: null, method: 'btree' } },
      policies: { 'owners manage their customers': { command: 'all', permissive: true, roles: ['authenticated'], using: '(auth.uid() = owner_id)', check: '(auth.uid() = owner_id)' } },
    }),
    table('public.jobs', { id: 'uuid', customer_id: 'uuid', title: 'text', desc: 'text', scheduled_for: 'timestamp with time zone' }, { pk: 'id' }),
    table('public.estimates', { id: 'uuid', job_id: 'uuid', owner_id: 'uuid', total_cents: 'integer' }, { pk: 'id', rls: false }),
  );
}
