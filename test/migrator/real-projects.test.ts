// What real Supabase projects need from the replay (issue 14): the CLI's session reset before every
// file, stand-ins for the extensions PGlite lacks, and schema lints over every user schema. Real
// PGlite from the cached template; the projects are temp directories.
import { afterAll, describe, expect, it } from 'vitest';
import { openShadowDatabase } from '../../src/integrations/postgres/index.js';
import { lintMigrations, replayInto, scanMigrations, apiSchemas } from '../../agents/migrator/index.js';
import { STAND_IN_EXTENSIONS, standInFor } from '../../src/integrations/postgres/supabase-shims.js';
import { cleanupProjects, makeProject, mig, TEMPLATE_CACHE } from './helpers.js';
import { PULLED } from './pulled-fixture.js';

afterAll(cleanupProjects);

const files = (set: Record<string, string>) => Object.entries(set).map(([path, sql]) => ({ path, sql }));

describe('session settings never leak between migration files (RESET ALL, as the Supabase CLI)', () => {
  it('a db pull dump followed by files with unqualified names replays with zero errors', async () => {
    const db = await openShadowDatabase({ cacheDir: TEMPLATE_CACHE });
    try {
      expect(await replayInto(db, files(PULLED))).toEqual([]);
      expect((await db.query(`select count(*)::int as n from public.tasks`)).rows).toEqual([{ n: 200 }]);
      // Without the reset, the dump's empty search_path reaches the next file: what the replay used to do.
      await db.exec(`SELECT pg_catalog.set_config('search_path', '', false)`);
      await expect(db.exec('create table if not exists tasks2 (id bigint primary key);')).rejects.toThrow(/no schema has been selected/);
    } finally {
      await db.close();
    }
  });

  it("pg_dump's quoting is read right: no false security-definer findings on the dump", () => {
    const ids = lintMigrations(files(PULLED)).map((f) => f.ruleId);
    expect(ids).not.toContain('security-definer-search-path');
    expect(ids).not.toContain('security-definer-view');
  });
});

const USES_EXTENSIONS = {
  [mig('20250201000000', 'extensions')]: `create extension if not exists pg_net with schema extensions;
create extension if not exists pg_cron;
create extension if not exists http with schema extensions;
create extension if not exists pgjwt with schema extensions;
create extension if not exists supabase_vault;
create extension if not exists pg_graphql;
create extension if not exists pg_stat_statements with schema extensions;
create extension if not exists hypopg with schema extensions;
create extension if not exists index_advisor with schema extensions;
`,
  [mig('20250202000000', 'calls')]: `create table if not exists public.orders (id bigint primary key, total numeric);
alter table public.orders enable row level security;
create or replace function public.notify_order() returns trigger language plpgsql security definer set search_path = '' as $$
begin
  perform net.http_post(url := 'https://hooks.example.com/order', body := jsonb_build_object('id', new.id));
  return new;
end $$;
create trigger orders_notify after insert on public.orders for each row execute function public.notify_order();
insert into public.orders (id, total) values (1, 10);
select cron.schedule('nightly-report', '0 3 * * *', $$select net.http_get('https://example.com')$$);
select cron.unschedule('nightly-report');
select vault.create_secret('not-a-real-secret', 'webhook_key', 'for the hooks');
select decrypted_secret from vault.decrypted_secrets where name = 'webhook_key';
select (extensions.http_get('https://example.com')).status;
select extensions.sign('{"sub": "1"}'::json, 'key');
select * from extensions.index_advisor('select * from public.orders where total > 5');
select * from extensions.hypopg_create_index('create index on public.orders (total)');
select graphql.resolve('{ __typename }');
select count(*) from extensions.pg_stat_statements;
`,
  // Created again later (as dumps do): still reported once.
  [mig('20250203000000', 'again')]: 'create extension if not exists pg_net with schema extensions;\n',
};

describe('Supabase extensions PGlite lacks get inert stand-ins', () => {
  it('migrations that create and call each one replay with zero errors, each reported once as not checked; one with no stand-in is a note', async () => {
    const db = await openShadowDatabase({ cacheDir: TEMPLATE_CACHE });
    try {
      const ds = await replayInto(db, files(USES_EXTENSIONS));
      expect(ds.filter((d) => d.cause !== 'shadow-limitation')).toEqual([]);
      const names = ['pg_net', 'pg_cron', 'http', 'pgjwt', 'supabase_vault', 'pg_graphql', 'pg_stat_statements', 'hypopg', 'index_advisor'];
      expect(ds.map((d) => d.extension).sort()).toEqual([...names].sort());
      for (const d of ds) expect(d.reason).toMatch(new RegExp(`^not checked: ${d.extension} `));
      // The stubs are inert: a queued request is nothing, the secret is there.
      expect((await db.query(`select count(*)::int as n from vault.secrets where name = 'webhook_key'`)).rows).toEqual([{ n: 1 }]);
      // Every stand-in installs on its own, and again (idempotent).
      await db.exec(STAND_IN_EXTENSIONS.map((n) => standInFor(n, 'extensions')).join('\n'));
      expect(standInFor('postgis', null)).toBeNull();
      // postgis has none: its statement and what depends on it are shadow limitations; the rest runs.
      const geo = await replayInto(db, [{ path: 'supabase/migrations/1_geo.sql', sql: 'create extension if not exists postgis with schema extensions;\ncreate table if not exists public.places (id int primary key, at extensions.geography(point));\ncreate table if not exists public.ok (id int primary key);\n' }]);
      expect(geo.map((d) => [d.line, d.cause, d.extension])).toEqual([
        [1, 'shadow-limitation', 'postgis'],
        [2, 'shadow-limitation', 'postgis'],
      ]);
      expect((await db.query(`select to_regclass('public.ok') is not null as ok`)).rows).toEqual([{ ok: true }]);
    } finally {
      await db.close();
    }
  });
});

describe('the schema scan sees every user schema', () => {
  const OWN_SCHEMA = {
    'supabase/config.toml': '[api]\nenabled = true\nschemas = ["public", "storage", "graphql_public"]\n\n[db]\nport = 54322\n',
    [mig('20250401000000', 'crm')]: `create schema if not exists crm;
create table if not exists crm.accounts (id uuid primary key default gen_random_uuid(), name text);
create table if not exists crm.members (
  account_id uuid not null references crm.accounts (id) on delete cascade,
  user_id uuid not null references auth.users (id),
  primary key (user_id, account_id)
);
alter table crm.accounts enable row level security;
alter table crm.members enable row level security;
create policy "members read" on crm.members for select to authenticated using (user_id = auth.uid());
create policy "accounts read" on crm.accounts for select to authenticated using (true);
create or replace function crm.slugify(t text) returns text language sql as $$ select lower(t) $$;
create table if not exists public.notes (id int primary key, account_id uuid references crm.accounts (id));
alter table public.notes enable row level security;
create policy "notes read" on public.notes for select to authenticated using (true);
`,
    [mig('20250402000000', 'later')]: 'alter table crm.accounts add column if not exists owner_id uuid references auth.users (id);\n',
  };

  it('reports crm.* findings schema-qualified, with the line that created or last changed the object', async () => {
    const root = makeProject(OWN_SCHEMA);
    const { findings, diagnoses } = await scanMigrations(root, { templateCacheDir: TEMPLATE_CACHE });
    expect(diagnoses).toEqual([]);
    const fk = findings.filter((f) => f.ruleId === 'unindexed-foreign-key').map((f) => [f.object, f.file, f.line]);
    expect(fk).toEqual(
      expect.arrayContaining([
        ['crm.members.members_account_id_fkey', mig('20250401000000', 'crm'), 4],
        ['crm.accounts.accounts_owner_id_fkey', mig('20250402000000', 'later'), 1],
        ['public.notes.notes_account_id_fkey', mig('20250401000000', 'crm'), 13],
      ]),
    );
    expect(fk.find((f) => f[0] === 'crm.members.members_user_id_fkey')).toBeUndefined(); // leading column of the primary key
    const fn = findings.find((f) => f.ruleId === 'function-search-path-mutable');
    expect(fn).toMatchObject({ object: 'crm.slugify(t text)', file: mig('20250401000000', 'crm'), line: 12 });
    // crm is not served by the API: no exposure lint there; nothing from Supabase's own schemas.
    expect(findings.filter((f) => /^(auth|storage|extensions|vault|cron|net)\./.test(f.object))).toEqual([]);
  });

  it('apiSchemas reads [api] schemas from config.toml (Supabase-managed ones left out)', () => {
    expect(apiSchemas(OWN_SCHEMA['supabase/config.toml']!)).toEqual(['public']);
    expect(apiSchemas('[api]\nschemas = ["public", "crm"]\n[db]\nschemas = ["x"]\n')).toEqual(['public', 'crm']);
    expect(apiSchemas(null)).toEqual(['public']);
  });
});
