// What a hosted Supabase database provides before the project's first migration, reduced to what
// projects' migrations commonly reference, for an embedded PGlite database (shadow or .agent/pgdata):
//
//  - roles: anon, authenticated, service_role (bypassrls), authenticator (member of the three),
//    supabase_admin, supabase_auth_admin, supabase_storage_admin, supabase_realtime_admin,
//    dashboard_user, pgbouncer
//  - schemas: auth, extensions, storage, realtime, graphql_public; search_path "$user", public, extensions
//  - auth.users (the columns apps read and triggers use), auth.identities, auth.uid(), auth.role(),
//    auth.jwt(), auth.email(): they read the request.jwt.claim(s) settings exactly like Supabase, so
//    `set request.jwt.claims = '{"sub": "..."}'` + `set role authenticated` exercises policies
//  - storage.buckets, storage.objects (RLS on), storage.foldername(), storage.filename(), storage.extension()
//  - extensions pgcrypto and "uuid-ossp" in schema extensions (PGlite must be opened with both)
//  - publication supabase_realtime
//  - Supabase's default grants: usage on the API schemas, default privileges in public
//
// Idempotent: every statement can run again on a database that already has it. The last statement
// records SHIMS_MARKER so a data dir can tell which shims it carries.

export const SHIMS_VERSION = 1;
export const SHIMS_MARKER = `crm-agent supabase shims v${SHIMS_VERSION}`;

export const SUPABASE_SHIMS = `
do $shims$
declare r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role', 'authenticator', 'supabase_admin',
    'supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin', 'dashboard_user', 'pgbouncer'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      execute format('create role %I nologin noinherit', r);
    end if;
  end loop;
end
$shims$;
alter role service_role bypassrls;
alter role authenticator login noinherit;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

create schema if not exists auth;
create schema if not exists extensions;
create schema if not exists storage;
create schema if not exists realtime;
create schema if not exists graphql_public;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

do $shims$
begin
  execute format('alter database %I set search_path to "$user", public, extensions', current_database());
end
$shims$;
set search_path to "$user", public, extensions;

create table if not exists auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  confirmed_at timestamptz,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_sso_user boolean not null default false,
  is_anonymous boolean not null default false
);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));

create table if not exists auth.identities (
  id uuid not null default gen_random_uuid() primary key,
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  unique (provider_id, provider)
);

create or replace function auth.uid() returns uuid language sql stable as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$fn$;
create or replace function auth.role() returns text language sql stable as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$fn$;
create or replace function auth.email() returns text language sql stable as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$fn$;
create or replace function auth.jwt() returns jsonb language sql stable as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$fn$;

create table if not exists storage.buckets (
  id text not null primary key,
  name text not null unique,
  owner uuid,
  owner_id text,
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create table if not exists storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  owner_id text,
  metadata jsonb,
  user_metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now()
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
create or replace function storage.foldername(name text) returns text[] language plpgsql immutable as $fn$
declare _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$fn$;
create or replace function storage.filename(name text) returns text language plpgsql immutable as $fn$
declare _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$fn$;
create or replace function storage.extension(name text) returns text language plpgsql immutable as $fn$
declare _parts text[]; _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$fn$;

do $shims$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$shims$;

grant usage on schema public, extensions, auth, storage, graphql_public to anon, authenticated, service_role;
grant all on all tables in schema storage to anon, authenticated, service_role;
grant select on auth.users to service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

comment on schema auth is '${SHIMS_MARKER}';
`;

/** Extensions the shims create; PGlite must be opened with their bundles. */
export const SHIM_EXTENSIONS = ['pgcrypto', 'uuid-ossp'] as const;

// Stand-ins for Supabase extensions PGlite cannot load. `create extension` of one of them installs
// its schema and the functions, types and tables migrations commonly call, as inert stubs (an HTTP
// call queues nothing, a cron job never runs, a secret is stored in clear), so the rest of the
// migrations replays. Whatever used one is "not checked" and says so; never on a real server.
// Each stub pins its search_path so the schema lints do not report it.

type StandIn = { schema: string | null; body: (s: string) => string; objects: (s: string) => string[] };

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const stub = (sig: string, returns: string, value: string) =>
  `create or replace function ${sig} returns ${returns} language sql set search_path = '' as $stub$ select ${value} $stub$;`;

const STAND_INS: Record<string, StandIn> = {
  pg_net: {
    schema: 'net',
    body: (s) => `
create table if not exists ${q(s)}.http_request_queue (id bigserial primary key, method text not null, url text not null, headers jsonb, body bytea, timeout_milliseconds integer);
create table if not exists ${q(s)}._http_response (id bigint, status_code integer, content_type text, headers jsonb, content text, timed_out boolean, error_msg text, created timestamptz not null default now());
${stub(`${q(s)}.http_get(url text, params jsonb default '{}', headers jsonb default '{}', timeout_milliseconds integer default 5000)`, 'bigint', '0::bigint')}
${stub(`${q(s)}.http_post(url text, body jsonb default '{}', params jsonb default '{}', headers jsonb default '{"Content-Type": "application/json"}', timeout_milliseconds integer default 5000)`, 'bigint', '0::bigint')}
${stub(`${q(s)}.http_delete(url text, params jsonb default '{}', headers jsonb default '{}', timeout_milliseconds integer default 5000)`, 'bigint', '0::bigint')}`,
    objects: () => [],
  },
  pg_cron: {
    schema: 'cron',
    body: (s) => `
create table if not exists ${q(s)}.job (jobid bigserial primary key, schedule text not null, command text not null, nodename text not null default 'localhost', nodeport integer not null default 5432, database text not null default current_database(), username text not null default current_user, active boolean not null default true, jobname text);
create table if not exists ${q(s)}.job_run_details (jobid bigint, runid bigserial primary key, job_pid integer, database text, username text, command text, status text, return_message text, start_time timestamptz, end_time timestamptz);
${stub(`${q(s)}.schedule(job_name text, schedule text, command text)`, 'bigint', '0::bigint')}
${stub(`${q(s)}.schedule(schedule text, command text)`, 'bigint', '0::bigint')}
${stub(`${q(s)}.schedule_in_database(job_name text, schedule text, command text, database text, username text default null, active boolean default true)`, 'bigint', '0::bigint')}
${stub(`${q(s)}.unschedule(job_id bigint)`, 'boolean', 'true')}
${stub(`${q(s)}.unschedule(job_name text)`, 'boolean', 'true')}
${stub(`${q(s)}.alter_job(job_id bigint, schedule text default null, command text default null, database text default null, username text default null, active boolean default null)`, 'void', 'null::void')}`,
    objects: () => [],
  },
  supabase_vault: {
    schema: 'vault',
    body: (s) => `
create table if not exists ${q(s)}.secrets (id uuid primary key default gen_random_uuid(), name text unique, description text not null default '', secret text not null, key_id uuid, nonce bytea, created_at timestamptz not null default now(), updated_at timestamptz not null default now());
create or replace view ${q(s)}.decrypted_secrets with (security_invoker = true) as select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at from ${q(s)}.secrets;
create or replace function ${q(s)}.create_secret(new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null) returns uuid language sql set search_path = '' as $stub$
  insert into ${q(s)}.secrets (secret, name, description, key_id) values (new_secret, new_name, coalesce(new_description, ''), new_key_id) returning id $stub$;
create or replace function ${q(s)}.update_secret(secret_id uuid, new_secret text default null, new_name text default null, new_description text default null, new_key_id uuid default null) returns void language sql set search_path = '' as $stub$
  update ${q(s)}.secrets set secret = coalesce(new_secret, secret), name = coalesce(new_name, name), description = coalesce(new_description, description), updated_at = now() where id = secret_id $stub$;`,
    objects: () => [],
  },
  pg_graphql: {
    schema: 'graphql',
    body: (s) => `
${stub(`${q(s)}.resolve(query text, variables jsonb default '{}', "operationName" text default null, extensions jsonb default null)`, 'jsonb', "'{}'::jsonb")}
create schema if not exists graphql_public;
${stub(`graphql_public.graphql("operationName" text default null, query text default null, variables jsonb default null, extensions jsonb default null)`, 'jsonb', "'{}'::jsonb")}`,
    objects: () => [`function graphql_public.graphql(text, text, jsonb, jsonb)`],
  },
  pgmq: {
    schema: 'pgmq',
    body: (s) => `
${stub(`${q(s)}.create(queue_name text)`, 'void', 'null::void')}
${stub(`${q(s)}.drop_queue(queue_name text)`, 'boolean', 'true')}
${stub(`${q(s)}.send(queue_name text, msg jsonb, delay integer default 0)`, 'setof bigint', '0::bigint')}
${stub(`${q(s)}.send_batch(queue_name text, msgs jsonb[], delay integer default 0)`, 'setof bigint', '0::bigint')}
${stub(`${q(s)}.delete(queue_name text, msg_id bigint)`, 'boolean', 'true')}
${stub(`${q(s)}.archive(queue_name text, msg_id bigint)`, 'boolean', 'true')}`,
    objects: () => [],
  },
  pgsodium: { schema: 'pgsodium', body: () => '', objects: () => [] },
  http: {
    schema: null,
    body: (s) => `
do $stub$ begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = ${lit(s)} and t.typname = 'http_header') then
    create type ${q(s)}.http_header as (field varchar, value varchar);
    create type ${q(s)}.http_response as (status integer, content_type varchar, headers ${q(s)}.http_header[], content varchar);
    create domain ${q(s)}.http_method as text;
    create type ${q(s)}.http_request as (method ${q(s)}.http_method, uri varchar, headers ${q(s)}.http_header[], content_type varchar, content varchar);
  end if;
end $stub$;
${stub(`${q(s)}.http(request ${q(s)}.http_request)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_get(uri varchar)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_get(uri varchar, data jsonb)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_post(uri varchar, content varchar, content_type varchar)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_post(uri varchar, data jsonb)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_put(uri varchar, content varchar, content_type varchar)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_patch(uri varchar, content varchar, content_type varchar)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_delete(uri varchar)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_head(uri varchar)`, `${q(s)}.http_response`, `null::${q(s)}.http_response`)}
${stub(`${q(s)}.http_header(field varchar, value varchar)`, `${q(s)}.http_header`, `row(field, value)::${q(s)}.http_header`)}
${stub(`${q(s)}.urlencode(string varchar)`, 'text', 'string::text')}
${stub(`${q(s)}.urlencode(data jsonb)`, 'text', 'data::text')}
${stub(`${q(s)}.http_set_curlopt(curlopt varchar, value varchar)`, 'boolean', 'true')}
${stub(`${q(s)}.http_reset_curlopt()`, 'boolean', 'true')}`,
    objects: (s) => [
      ...['http(http_request)', 'http_get(varchar)', 'http_get(varchar, jsonb)', 'http_post(varchar, varchar, varchar)', 'http_post(varchar, jsonb)', 'http_put(varchar, varchar, varchar)', 'http_patch(varchar, varchar, varchar)', 'http_delete(varchar)', 'http_head(varchar)', 'http_header(varchar, varchar)', 'urlencode(varchar)', 'urlencode(jsonb)', 'http_set_curlopt(varchar, varchar)', 'http_reset_curlopt()'].map((f) => `function ${q(s)}.${f.replace(/\((.*)\)/, (_, a: string) => `(${a.split(', ').filter(Boolean).map((t) => (/^http_/.test(t) ? `${q(s)}.${t}` : t)).join(', ')})`)}`),
      `type ${q(s)}.http_request`, `domain ${q(s)}.http_method`, `type ${q(s)}.http_response`, `type ${q(s)}.http_header`,
    ],
  },
  pgjwt: {
    schema: null,
    body: (s) => `
${stub(`${q(s)}.url_encode(data bytea)`, 'text', "translate(encode(data, 'base64'), E'+/=\\n', '-_')")}
${stub(`${q(s)}.url_decode(data text)`, 'bytea', "decode(data, 'escape')")}
${stub(`${q(s)}.algorithm_sign(signables text, secret text, algorithm text)`, 'text', "''")}
${stub(`${q(s)}.sign(payload json, secret text, algorithm text default 'HS256')`, 'text', "''")}
create or replace function ${q(s)}.verify(token text, secret text, algorithm text default 'HS256') returns table (header json, payload json, valid boolean) language sql set search_path = '' as $stub$ select null::json, null::json, false $stub$;`,
    objects: (s) => ['url_encode(bytea)', 'url_decode(text)', 'algorithm_sign(text, text, text)', 'sign(json, text, text)', 'verify(text, text, text)'].map((f) => `function ${q(s)}.${f}`),
  },
  pg_stat_statements: {
    schema: null,
    body: (s) => `
${stub(`${q(s)}.pg_stat_statements_reset(userid oid default 0, dbid oid default 0, queryid bigint default 0)`, 'void', 'null::void')}
create or replace view ${q(s)}.pg_stat_statements with (security_invoker = true) as
  select null::oid as userid, null::oid as dbid, null::bool as toplevel, null::bigint as queryid, null::text as query, null::bigint as calls,
         null::float8 as total_exec_time, null::float8 as min_exec_time, null::float8 as max_exec_time, null::float8 as mean_exec_time, null::bigint as rows
  where false;`,
    objects: (s) => [`view ${q(s)}.pg_stat_statements`, `function ${q(s)}.pg_stat_statements_reset(oid, oid, bigint)`],
  },
  hypopg: {
    schema: null,
    body: (s) => `
create or replace function ${q(s)}.hypopg_create_index(sql_order text, out indexrelid oid, out indexname text) returns setof record language sql set search_path = '' as $stub$ select null::oid, null::text where false $stub$;
${stub(`${q(s)}.hypopg_drop_index(indexid oid)`, 'boolean', 'true')}
${stub(`${q(s)}.hypopg_reset()`, 'void', 'null::void')}`,
    objects: (s) => ['hypopg_create_index(text)', 'hypopg_drop_index(oid)', 'hypopg_reset()'].map((f) => `function ${q(s)}.${f}`),
  },
  index_advisor: {
    schema: null,
    body: (s) => `
create or replace function ${q(s)}.index_advisor(query text) returns table (startup_cost_before jsonb, startup_cost_after jsonb, total_cost_before jsonb, total_cost_after jsonb, index_statements text[], errors text[]) language sql set search_path = '' as $stub$ select null::jsonb, null::jsonb, null::jsonb, null::jsonb, array[]::text[], array[]::text[] $stub$;`,
    objects: (s) => [`function ${q(s)}.index_advisor(text)`],
  },
  pg_jsonschema: {
    schema: null,
    body: (s) => `
${stub(`${q(s)}.json_matches_schema(schema json, instance json)`, 'boolean', 'true')}
${stub(`${q(s)}.jsonb_matches_schema(schema json, instance jsonb)`, 'boolean', 'true')}`,
    objects: (s) => ['json_matches_schema(json, json)', 'jsonb_matches_schema(json, jsonb)'].map((f) => `function ${q(s)}.${f}`),
  },
  pg_hashids: {
    schema: null,
    body: (s) => `
${stub(`${q(s)}.id_encode(bigint)`, 'text', "''")}
${stub(`${q(s)}.id_encode(bigint, text)`, 'text', "''")}
${stub(`${q(s)}.id_decode(text)`, 'bigint[]', "array[]::bigint[]")}
${stub(`${q(s)}.id_decode(text, text)`, 'bigint[]', "array[]::bigint[]")}`,
    objects: (s) => ['id_encode(bigint)', 'id_encode(bigint, text)', 'id_decode(text)', 'id_decode(text, text)'].map((f) => `function ${q(s)}.${f}`),
  },
  // Extensions that add nothing migrations call: accepted, not checked.
  pgaudit: { schema: null, body: () => '', objects: () => [] },
  pg_repack: { schema: null, body: () => '', objects: () => [] },
  plpgsql_check: { schema: null, body: () => '', objects: () => [] },
  wrappers: { schema: null, body: () => '', objects: () => [] },
  pg_stat_monitor: { schema: null, body: () => '', objects: () => [] },
  supautils: { schema: null, body: () => '', objects: () => [] },
};

function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The extensions that have a stand-in. */
export const STAND_IN_EXTENSIONS: readonly string[] = Object.keys(STAND_INS);

const standInSchema = (si: StandIn, requested: string | null) => si.schema ?? requested ?? 'extensions';

/** Pure: the SQL that stands in for `create extension <name> [with schema <schema>]`, or null when it has none. */
export function standInFor(name: string, schema: string | null): string | null {
  const si = STAND_INS[name];
  if (!si) return null;
  const s = standInSchema(si, schema);
  return `create schema if not exists ${q(s)};\n${si.body(s)}`;
}

/** Pure: the SQL that undoes the stand-in for `drop extension <name>`, or null when it has none. */
export function standInDrop(name: string): string | null {
  const si = STAND_INS[name];
  if (!si) return null;
  if (si.schema) return `drop schema if exists ${q(si.schema)} cascade;`;
  // Installed in a shared schema: drop its objects there (wherever migrations commonly put it).
  const out: string[] = [];
  for (const s of ['extensions', 'public']) for (const o of si.objects(s)) out.push(`drop ${o.replace(/^(function|view|type|domain) /, '$1 if exists ')} cascade;`);
  return out.join('\n') || 'select 1';
}
