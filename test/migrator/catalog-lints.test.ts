// The Supabase advisor lints that run as catalog queries (issue 14), each firing and silent as
// splinter documents it (lints/0017, 0019, 0023, 0025-0029), on a shadow database from the template
// (the shims' roles, storage and stand-ins). One shadow for the file; each case in its own schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openShadowDatabase, type Pg } from '../../src/integrations/postgres/index.js';
import { broadBucketPolicy, catalogLints } from '../../agents/migrator/catalog-lints.js';
import { standInFor } from '../../src/integrations/postgres/supabase-shims.js';
import { TEMPLATE_CACHE } from './helpers.js';

let db: Pg;
beforeAll(async () => {
  db = await openShadowDatabase({ cacheDir: TEMPLATE_CACHE });
}, 60_000);
afterAll(async () => db?.close());

const ids = async (rule: string, apiSchemas = ['public']) => (await catalogLints(db, { apiSchemas })).filter((f) => f.ruleId === rule).map((f) => f.object);

describe('catalogLints', () => {
  it('anon/authenticated-security-definer-function-executable: fire on a SECURITY DEFINER function (EXECUTE is PUBLIC by default); silent when revoked, and for SECURITY INVOKER', async () => {
    await db.exec(`create schema sd;
      create function sd.open_definer(x int) returns int language sql security definer set search_path = '' as 'select 1';
      create function sd.invoker() returns int language sql set search_path = '' as 'select 1';
      create function sd.closed() returns int language sql security definer set search_path = '' as 'select 1';
      revoke execute on function sd.closed() from public;
      create function sd.members() returns int language sql security definer set search_path = '' as 'select 1';
      revoke execute on function sd.members() from public; grant execute on function sd.members() to authenticated;`);
    const found = (await catalogLints(db, { apiSchemas: ['public'] })).filter((f) => f.object.startsWith('sd.'));
    expect(found.map((f) => `${f.ruleId} ${f.object}`).sort()).toEqual([
      'anon-security-definer-function-executable sd.open_definer(x integer)',
      'authenticated-security-definer-function-executable sd.members()',
      'authenticated-security-definer-function-executable sd.open_definer(x integer)',
    ]);
    const anon = found.find((f) => f.ruleId.startsWith('anon'))!;
    expect(anon.fixSql).toBe('revoke execute on function sd.open_definer(x integer) from public, anon;\ngrant execute on function sd.open_definer(x integer) to authenticated, service_role;');
    // The fix silences it.
    await db.exec(anon.fixSql!);
    expect(await ids('anon-security-definer-function-executable')).not.toContain('sd.open_definer(x integer)');
  });

  it('a SECURITY DEFINER trigger function: still listed (as Supabase\'s advisor does) but not said to be callable through /rest/v1/rpc; its fix revokes without granting back', async () => {
    await db.exec(`create schema tg;
      create function tg.on_signup() returns trigger language plpgsql security definer set search_path = '' as 'begin return new; end';`);
    const found = (await catalogLints(db, { apiSchemas: ['public'] })).filter((f) => f.object.startsWith('tg.'));
    expect(found.map((f) => f.ruleId).sort()).toEqual(['anon-security-definer-function-executable', 'authenticated-security-definer-function-executable']);
    for (const f of found) {
      expect(f.message).toContain('trigger function');
      expect(f.message).not.toContain('can call it at /rest/v1/rpc');
    }
    const anon = found.find((f) => f.ruleId.startsWith('anon'))!;
    expect(anon.fixSql).toBe('revoke execute on function tg.on_signup() from public, anon;');
    await db.exec(anon.fixSql!);
    expect(await ids('anon-security-definer-function-executable')).not.toContain('tg.on_signup()');
  });

  it('sensitive-columns-exposed: an API table without RLS that anon can read, with a password column; silent with RLS, outside the API, or for a name that only contains one', async () => {
    await db.exec(`create table public.accounts (id int primary key, password text, api_key text);
      create table public.hints (id int primary key, password_hint text);
      create table public.guarded (id int primary key, password text); alter table public.guarded enable row level security;
      create schema private; create table private.keys (id int primary key, secret text);
      grant select on public.accounts, public.hints, public.guarded to anon; grant usage on schema private to anon; grant select on private.keys to anon;`);
    const f = (await catalogLints(db, { apiSchemas: ['public'] })).filter((x) => x.ruleId === 'sensitive-columns-exposed');
    expect(f.map((x) => [x.object, x.severity, x.message])).toEqual([['public.accounts', 'error', 'public.accounts is readable over the API without row level security and has potentially sensitive column(s): api_key, password']]);
    expect(await ids('sensitive-columns-exposed', ['public', 'private'])).toEqual(['private.keys', 'public.accounts']);
  });

  it('foreign-table-in-api: a foreign table anon can read in an API schema; silent without the grant', async () => {
    await db.exec(`create foreign data wrapper test_fdw; create server test_server foreign data wrapper test_fdw;
      create foreign table public.remote_orders (id int) server test_server; create foreign table public.remote_private (id int) server test_server;
      revoke all on public.remote_private from anon, authenticated; grant select on public.remote_orders to anon;`);
    expect(await ids('foreign-table-in-api')).toEqual(['public.remote_orders']);
  });

  it('insecure-queue-exposed-in-api: a pgmq queue table without RLS the API roles can read, only while pgmq_public is exposed', async () => {
    await db.exec(`create schema if not exists pgmq; create table pgmq.q_jobs (msg_id bigint primary key); create table pgmq.q_safe (msg_id bigint primary key);
      alter table pgmq.q_safe enable row level security; grant usage on schema pgmq to anon; grant select on pgmq.q_jobs, pgmq.q_safe to anon;`);
    expect(await ids('insecure-queue-exposed-in-api', ['public', 'pgmq_public'])).toEqual(['pgmq.q_jobs']);
    expect(await ids('insecure-queue-exposed-in-api', ['public'])).toEqual([]);
  });

  it('public-bucket-allows-listing: a public bucket with a SELECT policy on storage.objects for its whole bucket_id; silent for a private bucket or a narrower policy', async () => {
    await db.exec(`insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true), ('docs', 'docs', false), ('photos', 'photos', true);
      create policy "anyone lists avatars" on storage.objects for select to public using (bucket_id = 'avatars');
      create policy "anyone lists docs" on storage.objects for select to anon using (bucket_id = 'docs');
      create policy "own photos" on storage.objects for select to authenticated using (bucket_id = 'photos' and owner = auth.uid());`);
    const f = (await catalogLints(db, { apiSchemas: ['public'] })).filter((x) => x.ruleId === 'public-bucket-allows-listing');
    expect(f.map((x) => x.object)).toEqual(['storage.buckets.avatars']);
    expect(f[0]!.message).toMatch(/1 broad SELECT policy on storage\.objects \(anyone lists avatars\)/);
    expect(broadBucketPolicy("(bucket_id = 'avatars'::text)", 'avatars')).toBe(true);
    expect(broadBucketPolicy("((bucket_id = 'avatars'::text) AND (owner = auth.uid()))", 'avatars')).toBe(false);
    expect(broadBucketPolicy(null, 'x')).toBe(true);
  });

  it('pg-graphql-anon/authenticated-table-exposed: silent until pg_graphql is installed (here its stand-in), then each table the role can SELECT', async () => {
    await db.exec(`create schema gq; create table gq.visible (id int primary key); create table gq.hidden (id int primary key); create table gq.members (id int primary key);
      grant usage on schema gq to anon, authenticated; grant select on gq.visible to anon; grant select on gq.members to authenticated;`);
    expect((await ids('pg-graphql-anon-table-exposed')).filter((o) => o.startsWith('gq.'))).toEqual([]);
    await db.exec(standInFor('pg_graphql', null)!);
    expect((await ids('pg-graphql-anon-table-exposed')).filter((o) => o.startsWith('gq.'))).toEqual(['gq.visible']);
    expect((await ids('pg-graphql-authenticated-table-exposed')).filter((o) => o.startsWith('gq.'))).toEqual(['gq.members']);
  });

  it('unused-index is never a lint of the shadow: it has no usage statistics (the server lint is unusedIndexes, unused-index.test.ts)', async () => {
    await db.exec('create table public.idx_probe (id int primary key, v int); create index idx_probe_v on public.idx_probe (v);');
    expect((await db.query<{ n: number }>(`select count(*)::int as n from pg_stat_user_indexes where indexrelname = 'idx_probe_v' and idx_scan = 0`)).rows[0]?.n).toBe(1); // what the lint would misread
    expect(await ids('unused-index')).toEqual([]);
  });
});
