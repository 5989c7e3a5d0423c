// The database layer against real PGlite: the cached template with the Supabase shims, the
// embedded project database, applying migrations with the Supabase CLI's history table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTemplate, openDatabase, openShadowDatabase, SUPABASE_SHIMS, templateDirName, templateImagePath, type Pg } from '../../src/integrations/postgres/index.js';
import { readImage } from '../../src/integrations/postgres/data-image.js';
import { applyPending, MigrationFailure, migrationApplier, migrationStatus } from '../../agents/migrator/index.js';
import { readHistory } from '../../agents/migrator/history.js';
import { cleanupProjects, makeProject, mig, TEMPLATE_CACHE } from './helpers.js';

afterAll(cleanupProjects);

describe('PGlite template with Supabase shims', () => {
  let shadow: Pg;
  beforeAll(async () => {
    shadow = await openShadowDatabase({ cacheDir: TEMPLATE_CACHE, extensions: ['uuid-ossp'] });
  });
  afterAll(() => shadow?.close());

  it('is cached in one data directory named after the shims and PGlite version', async () => {
    const again = await ensureTemplate(TEMPLATE_CACHE);
    expect(again.built).toBe(false);
    expect(again.path).toBe(join(TEMPLATE_CACHE, templateDirName()));
    expect(templateDirName()).toMatch(/^pg-template-[0-9a-f]{12}$/);
    expect(existsSync(join(again.path, 'PG_VERSION'))).toBe(true);
  });

  it('starts each shadow in memory from the template image: shadows are independent and nothing is written to disk', async () => {
    const other = await openShadowDatabase({ cacheDir: TEMPLATE_CACHE });
    expect((other.raw as unknown as { dataDir?: string }).dataDir).toBeUndefined();
    await other.exec('create table public.only_here (id int)');
    const { rows } = await shadow.query<{ t: string | null }>(`select to_regclass('public.only_here')::text as t`);
    expect(rows[0]?.t).toBeNull();
    await other.close();
    const image = readImage(readFileSync(templateImagePath(TEMPLATE_CACHE)));
    expect(image.entries.length).toBe(readdirSync(join(TEMPLATE_CACHE, templateDirName()), { recursive: true }).length);
    expect(image.entries.map((e) => e.path)).toContain('PG_VERSION');
    // the template directory itself is untouched by the shadow's writes
    expect(readdirSync(join(TEMPLATE_CACHE, templateDirName(), 'base')).length).toBeGreaterThan(0);
  });

  it('has the roles, schemas, auth helpers, storage and publication Supabase migrations expect', async () => {
    const { rows: roles } = await shadow.query<{ rolname: string; rolbypassrls: boolean }>(`select rolname, rolbypassrls from pg_roles where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by 1`);
    expect(roles).toEqual([
      { rolname: 'anon', rolbypassrls: false },
      { rolname: 'authenticated', rolbypassrls: false },
      { rolname: 'authenticator', rolbypassrls: false },
      { rolname: 'service_role', rolbypassrls: true },
    ]);
    const { rows } = await shadow.query<{ t: string }>(`select to_regclass('auth.users')::text as t union all select to_regclass('storage.objects')::text union all select pubname::text from pg_publication`);
    expect(rows.map((r) => r.t)).toEqual(['auth.users', 'storage.objects', 'supabase_realtime']);
    await shadow.exec(`set request.jwt.claims = '{"sub": "11111111-1111-1111-1111-111111111111", "role": "authenticated", "email": "a@example.com"}'`);
    const { rows: who } = await shadow.query(`select auth.uid()::text as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'sub' as sub, current_setting('search_path') as path, uuid_generate_v4() is not null as ossp`);
    expect(who[0]).toEqual({ uid: '11111111-1111-1111-1111-111111111111', role: 'authenticated', email: 'a@example.com', sub: '11111111-1111-1111-1111-111111111111', path: '"$user", public, extensions', ossp: true });
    await shadow.exec('reset request.jwt.claims');
    expect((await shadow.query(`select (storage.foldername('u1/avatars/me.png'))[1] as f, storage.filename('u1/me.png') as n, storage.extension('me.png') as e`)).rows[0]).toEqual({ f: 'u1', n: 'me.png', e: 'png' });
  });

  it('applies the shims idempotently', async () => {
    await shadow.exec(SUPABASE_SHIMS);
    await shadow.exec(SUPABASE_SHIMS);
    expect((await shadow.query(`select count(*)::int as n from pg_roles where rolname = 'anon'`)).rows[0]).toEqual({ n: 1 });
  });
});

describe('the engines are loaded only when a database is opened', () => {
  it('no module of the database layer or the migrator imports PGlite or pg statically', () => {
    const dirs = ['src/integrations/postgres', 'agents/migrator', 'agents/migrator/linter'];
    for (const dir of dirs) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
        const text = readFileSync(join(dir, f), 'utf8');
        expect(text, `${dir}/${f}`).not.toMatch(/^import\s+(?!type\b)[^;]*from\s+'(@electric-sql\/pglite[^']*|pg)'/m);
      }
    }
  });

  it('a bad DATABASE_URL fails without echoing its password', async () => {
    const err = await openDatabase({ projectRoot: makeProject(), databaseUrl: 'postgres://admin:s3cret-pw@127.0.0.1:9/crm' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain('s3cret-pw');
  });
});

describe('embedded project database and applyPending', () => {
  const files = {
    [mig('20251101090000', 'create_customers')]: "create table public.customers (\n  id uuid primary key default gen_random_uuid(),\n  owner_id uuid not null default auth.uid() references auth.users (id),\n  name text not null\n);\nalter table public.customers enable row level security;\ncreate policy \"owners\" on public.customers for all to authenticated using (auth.uid() = owner_id);\n",
    [mig('20251102090000', 'create_jobs')]: 'create table public.jobs (\n  id uuid primary key default gen_random_uuid(),\n  customer_id uuid not null references public.customers (id),\n  title text not null\n);\nalter table public.jobs enable row level security;\n',
  };
  let root: string;
  let db: Pg;
  beforeAll(async () => {
    root = makeProject(files);
    db = await openDatabase({ projectRoot: root, cacheDir: TEMPLATE_CACHE });
  });
  afterAll(() => db?.close());

  it('creates .agent/pgdata from the template', () => {
    expect(db.kind).toBe('pglite');
    expect(db.description).toBe('embedded PGlite (.agent/pgdata)');
    expect(existsSync(join(root, '.agent', 'pgdata', 'PG_VERSION'))).toBe(true);
  });

  it('applies pending migrations in order and records them like the Supabase CLI', async () => {
    expect((await migrationStatus(root, db)).pending.map((p) => p.version)).toEqual(['20251101090000', '20251102090000']);
    const r = await applyPending(root, db);
    expect(r).toMatchObject({ type: 'applied', applied: [{ version: '20251101090000', name: 'create_customers' }, { version: '20251102090000', name: 'create_jobs' }] });
    const history = await readHistory(db);
    expect(history.map((h) => [h.version, h.name, h.statements?.length])).toEqual([['20251101090000', 'create_customers', 3], ['20251102090000', 'create_jobs', 2]]);
    expect(history[1]?.statements?.[1]).toBe('alter table public.jobs enable row level security');
    const status = await migrationStatus(root, db);
    expect(status.rows.map((x) => x.state)).toEqual(['applied', 'applied']);
    expect(await applyPending(root, db)).toMatchObject({ type: 'applied', applied: [] });
  });

  it('sees a file edited after it was applied', async () => {
    writeFileSync(join(root, mig('20251102090000', 'create_jobs')), `${files[mig('20251102090000', 'create_jobs')]}create index jobs_title_idx on public.jobs (title);\n`);
    const status = await migrationStatus(root, db);
    expect(status.edited.map((e) => e.version)).toEqual(['20251102090000']);
    writeFileSync(join(root, mig('20251102090000', 'create_jobs')), files[mig('20251102090000', 'create_jobs')] as string);
  });

  it('refuses a pending file older than the newest applied one', async () => {
    writeFileSync(join(root, mig('20251101120000', 'late')), 'select 1;\n');
    expect(await applyPending(root, db)).toMatchObject({ type: 'blocked', outOfOrder: ['20251101120000'] });
    expect(await applyPending(root, db, { includeAll: true })).toMatchObject({ type: 'applied', applied: [{ version: '20251101120000' }] });
  });

  it('a failing migration names file and line and leaves nothing behind', async () => {
    writeFileSync(join(root, mig('20251103090000', 'broken')), 'create table public.invoices (id uuid primary key);\n\ninsert into public.invoices (id)\n  select id from public.nosuch;\n');
    const r = await applyPending(root, db);
    expect(r).toMatchObject({ type: 'failed', failed: { version: '20251103090000', file: 'supabase/migrations/20251103090000_broken.sql', line: 4, reason: 'relation "public.nosuch" does not exist' } });
    expect((await db.query(`select to_regclass('public.invoices') as t`)).rows[0]).toEqual({ t: null });
    expect((await readHistory(db)).map((h) => h.version)).not.toContain('20251103090000');
    rmSync(join(root, mig('20251103090000', 'broken')));
  });

  it('keeps its data when reopened', async () => {
    await db.exec(`insert into auth.users (id) values ('22222222-2222-2222-2222-222222222222')`);
    await db.close();
    db = await openDatabase({ projectRoot: root, cacheDir: TEMPLATE_CACHE });
    expect((await db.query(`select count(*)::int as n from auth.users`)).rows[0]).toEqual({ n: 1 });
    expect((await readHistory(db)).length).toBe(3);
  });

  it('migrationApplier (for deploys) applies a change set and reverts it newest first', async () => {
    const applier = migrationApplier(root, db);
    const lines: string[] = [];
    const pair = [
      { version: '20251210000000', name: 'add_notes', up: "set lock_timeout = '5s';\nalter table public.jobs add column if not exists notes text;", down: 'alter table public.jobs drop column if exists notes;' },
      { version: '20251210000100', name: 'notes_idx', up: 'create index concurrently if not exists jobs_notes_idx on public.jobs (notes);', down: 'drop index concurrently if exists public.jobs_notes_idx;' },
    ];
    const by = { deployment: 'DEPLOY-2025-001', ticket: 'BUG-2025-001', environment: 'staging' };
    expect(await applier.apply(pair, (l) => lines.push(l), by)).toEqual(['20251210000000', '20251210000100']);
    expect(await applier.apply(pair, (l) => lines.push(l), { ...by, deployment: 'DEPLOY-2025-002' })).toEqual([]);
    // The target itself records which deployment applied each migration (with its history row).
    expect((await applier.appliedBy(['DEPLOY-2025-001'])).map((r) => r.version)).toEqual(['20251210000000', '20251210000100']);
    expect(await applier.appliedBy(['DEPLOY-2025-002'])).toEqual([]);
    expect((await db.query(`select indexname from pg_indexes where indexname = 'jobs_notes_idx'`)).rows).toHaveLength(1);
    await applier.revert(pair, (l) => lines.push(l));
    expect(lines.filter((l) => l.startsWith('Reverted'))).toEqual(['Reverted migration 20251210000100_notes_idx on embedded PGlite (.agent/pgdata)', 'Reverted migration 20251210000000_add_notes on embedded PGlite (.agent/pgdata)']);
    expect((await readHistory(db)).map((h) => h.version)).not.toContain('20251210000000');
    expect(await applier.appliedBy(['DEPLOY-2025-001'])).toEqual([]);
    const bad = await applier.apply([{ version: '20251211000000', name: 'bad', up: 'alter table public.jobs add column x int;\nalter table public.nosuch add column y int;', down: '' }], () => {}, by).catch((e: Error) => e);
    expect(bad).toBeInstanceOf(MigrationFailure);
    expect((bad as MigrationFailure).diagnosis).toMatchObject({ line: 2, reason: 'relation "public.nosuch" does not exist' });
    expect((await db.query(`select count(*)::int as n from information_schema.columns where table_name = 'jobs' and column_name = 'x'`)).rows).toEqual([{ n: 0 }]);
  });
});
