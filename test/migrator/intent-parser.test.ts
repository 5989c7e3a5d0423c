import { describe, expect, it } from 'vitest';
import { parseIntent, type Intent } from '../../agents/migrator/intent-parser.js';

const intent = (d: string): Intent => {
  const r = parseIntent(d);
  if (r.type !== 'ok') throw new Error(`refused "${d}": ${r.reason}`);
  return r.intent;
};

describe('parseIntent: accepted phrases', () => {
  it('reads the weekly admin changes from the issue', () => {
    expect(intent('Add customer preferences table with JSONB column')).toEqual({ kind: 'create-table', table: 'public.customer_preferences', columns: [{ name: 'preferences', type: 'jsonb', nullable: false, default: "'{}'::jsonb" }] });
    expect(intent('add column notes text to jobs')).toEqual({ kind: 'add-column', table: 'public.jobs', column: { name: 'notes', type: 'text', nullable: true } });
    expect(intent('add index on estimates(job_id)')).toEqual({ kind: 'add-index', table: 'public.estimates', columns: ['job_id'], unique: false });
    expect(intent('add foreign key from estimates.job_id to jobs.id')).toEqual({ kind: 'add-foreign-key', table: 'public.estimates', column: 'job_id', refTable: 'public.jobs', refColumn: 'id', onDelete: null });
    expect(intent('enable RLS on estimates with owner policy on owner_id')).toEqual({ kind: 'enable-rls', table: 'public.estimates', ownerPolicy: true, ownerColumn: 'owner_id' });
    expect(intent('make jobs.customer_id not null')).toEqual({ kind: 'set-not-null', table: 'public.jobs', column: 'customer_id' });
    expect(intent('rename column jobs.desc to description')).toEqual({ kind: 'rename-column', table: 'public.jobs', from: 'desc', to: 'description' });
    expect(intent('drop column legacy_code from customers')).toEqual({ kind: 'drop-column', table: 'public.customers', column: 'legacy_code' });
  });

  it('reads typed columns with defaults, nullability and references', () => {
    expect(intent('create table vendors with name text not null, phone text, active boolean default true and rating numeric(3, 1)')).toEqual({
      kind: 'create-table',
      table: 'public.vendors',
      columns: [
        { name: 'name', type: 'text', nullable: false },
        { name: 'phone', type: 'text', nullable: true },
        { name: 'active', type: 'boolean', nullable: true, default: 'true' },
        { name: 'rating', type: 'numeric(3,1)', nullable: true },
      ],
    });
    expect(intent('create table vendor_notes (vendor_id uuid not null references vendors(id) on delete cascade, body text, seen_at timestamptz default now())')).toMatchObject({
      columns: [{ name: 'vendor_id', type: 'uuid', nullable: false, references: { table: 'public.vendors', column: 'id', onDelete: 'cascade' } }, { name: 'body' }, { name: 'seen_at', type: 'timestamptz', default: 'now()' }],
    });
    expect(intent("add column status text not null default 'new' to jobs")).toMatchObject({ column: { name: 'status', nullable: false, default: "'new'" } });
    expect(intent('add a boolean column archived default false to customers')).toMatchObject({ kind: 'add-column', table: 'public.customers', column: { name: 'archived', type: 'boolean', default: 'false' } });
    expect(intent('add column jobs.meta jsonb default {}')).toMatchObject({ table: 'public.jobs', column: { name: 'meta', type: 'jsonb', default: "'{}'::jsonb" } });
    expect(intent('add column tags text[] to jobs')).toMatchObject({ column: { type: 'text[]' } });
    expect(intent('add column started_at timestamp with time zone to jobs')).toMatchObject({ column: { type: 'timestamptz' } });
  });

  it('reads the other phrasings of each change', () => {
    expect(intent('add unique index on customers (email, owner_id)')).toEqual({ kind: 'add-index', table: 'public.customers', columns: ['email', 'owner_id'], unique: true });
    expect(intent('create index on jobs.scheduled_for')).toEqual({ kind: 'add-index', table: 'public.jobs', columns: ['scheduled_for'], unique: false });
    expect(intent('add foreign key from invoices.job_id to jobs on delete set null')).toMatchObject({ refTable: 'public.jobs', refColumn: null, onDelete: 'set null' });
    expect(intent('enable row level security on public.jobs')).toEqual({ kind: 'enable-rls', table: 'public.jobs', ownerPolicy: false, ownerColumn: null });
    expect(intent('make jobs.scheduled_for nullable')).toEqual({ kind: 'drop-not-null', table: 'public.jobs', column: 'scheduled_for' });
    expect(intent('rename column desc on jobs to description')).toEqual({ kind: 'rename-column', table: 'public.jobs', from: 'desc', to: 'description' });
    expect(intent('remove column customers.legacy_code')).toEqual({ kind: 'drop-column', table: 'public.customers', column: 'legacy_code' });
    expect(intent('  Add column `notes` text to "jobs".  ')).toMatchObject({ kind: 'add-column', table: 'public.jobs' });
  });
});

describe('parseIntent: refusals say what was understood and show an example', () => {
  const refusal = (d: string) => {
    const r = parseIntent(d);
    if (r.type !== 'refused') throw new Error(`accepted "${d}": ${JSON.stringify(r.intent)}`);
    return r;
  };
  it('refuses a column without a type', () => {
    expect(refusal('add column notes to jobs')).toMatchObject({ understood: 'add a column to public.jobs', example: 'add column notes text to jobs', reason: expect.stringMatching(/no type/) });
  });
  it('refuses an unquoted or mismatched default instead of guessing', () => {
    expect(refusal('add column status text default new to jobs').reason).toMatch(/quote text defaults/);
    expect(refusal('add column active boolean default 1 to jobs').reason).toMatch(/number but the column is boolean/);
  });
  it('refuses unknown types and unread words', () => {
    expect(refusal('add column price money to jobs').reason).toMatch(/"money" is not a type/);
    expect(refusal('add column notes text please to jobs').reason).toMatch(/do not understand "please"/);
  });
  it('refuses to drop a table', () => {
    expect(refusal('drop table customers')).toMatchObject({ understood: 'drop table public.customers', reason: expect.stringMatching(/by hand/) });
  });
  it('refuses several changes at once', () => {
    expect(refusal('add column notes text to jobs and add index on jobs(notes)').reason).toMatch(/one change per migration/);
  });
  it('refuses vague requests, pointing at the nearest change it knows', () => {
    expect(refusal('add index to estimates')).toMatchObject({ understood: 'an index on estimates', example: 'add index on estimates(job_id)' });
    expect(refusal('make the estimates faster')).toMatchObject({ understood: 'no schema change I can write offline', example: expect.stringContaining('add index on estimates(job_id)') });
    expect(refusal('Add a settings table with a jsonb column named config and a text column').reason).toMatch(/needs a name/);
    expect(refusal('').reason).toMatch(/empty/);
  });
});
