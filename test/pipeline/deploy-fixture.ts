// A small real project for deploy tests: a git repository with two committed migrations, a test
// script, and change sets staged the way StageAgent stages them (a ticket's migration adding a
// foreign key, with its rollback). Shared by the deploy tests and the deploy stress loops.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject } from '../helpers.js';
import { writeChangeSet } from '../../agents/stage-agent/writer.js';
import { openStateDb } from '../../src/store/state-db.js';

export function gitIn(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export const INIT_SQL = `create table public.customers (id uuid primary key default gen_random_uuid(), name text not null);
create table public.estimates (id uuid primary key default gen_random_uuid(), customer_id uuid, total_cents integer not null default 0);
create table public.invoices (id uuid primary key default gen_random_uuid(), customer_id uuid, amount_cents integer not null default 0);
`;

export function deployProject(config?: unknown, prefix = 'crm-agent-deploy-'): string {
  const dir = makeProject(prefix);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'crm', private: true, scripts: { test: 'node -e "process.exit(0)"' } }));
  mkdirSync(join(dir, 'supabase', 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'supabase', 'migrations', '20250101000000_init.sql'), INIT_SQL);
  writeFileSync(join(dir, '.gitignore'), '.agent/\n');
  if (config) writeFileSync(join(dir, 'agent.config.json'), JSON.stringify(config, null, 2));
  gitIn(dir, 'add', '-A');
  gitIn(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  return dir;
}

/** Stages a fix for `ticket`: a file and a migration adding a foreign key on `table`, with its rollback. */
export async function stageFix(dir: string, ticket: string, opts: { table?: 'estimates' | 'invoices'; version?: string; when?: Date } = {}): Promise<{ id: string; dir: string; version: string; constraint: string }> {
  const table = opts.table ?? 'estimates';
  const version = opts.version ?? '20261201143022';
  const constraint = `${table}_customer_id_fkey`;
  const slug = `${table}_customer_fk`;
  const m = await writeChangeSet(
    dir,
    {
      ticket: { id: ticket, title: `${table} keep their customer`, kind: 'BUG' },
      title: `${table} keep their customer`,
      summary: `Adds the foreign key ${constraint}.`,
      files: [
        { path: `lib/${table}.ts`, content: `export const ${table}Table = '${table}';\n`, reason: 'the code that writes the table', agent: 'CODESMITH' },
        { path: `supabase/migrations/${version}_${slug}.sql`, content: `alter table public.${table} add constraint ${constraint} foreign key (customer_id) references public.customers(id);\n`, reason: 'the migration', agent: 'MIGRATOR' },
      ],
      migrations: [
        {
          version,
          name: slug,
          upPath: `supabase/migrations/${version}_${slug}.sql`,
          downPath: `supabase/rollbacks/${version}_${slug}.down.sql`,
          up: `alter table public.${table} add constraint ${constraint} foreign key (customer_id) references public.customers(id);\n`,
          down: `alter table public.${table} drop constraint if exists ${constraint};\n`,
          findings: [],
          destructive: false,
        },
      ],
      gates: [{ agent: 'MIGRATOR', phase: 'verify', gate: 'zero-post-errors', ok: true, detail: '0 post-execution errors' }],
      baseSha: gitIn(dir, 'rev-parse', 'HEAD'),
    },
    opts.when ?? new Date(),
  );
  const state = openStateDb(join(dir, '.agent', 'state.db'));
  try {
    state.insertChangeSet({ id: m.id, ticket_id: ticket, dir: m.dir, status: 'staged', requires_approval: m.requiresApproval ? 1 : 0, created_at: Date.now(), manifest: JSON.stringify(m) });
  } finally {
    state.close();
  }
  return { id: m.id, dir: m.dir, version, constraint };
}

/** The foreign keys of an environment's embedded database, read in this process (no agent may be running). */
export async function foreignKeys(dir: string, env: 'staging' | 'production'): Promise<string[] | null> {
  const { existsSync } = await import('node:fs');
  const dataDir = join(dir, '.agent', 'pgdata', env);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) return null;
  const { openPglite } = await import('../../src/integrations/postgres/pglite.js');
  const db = await openPglite({ dataDir });
  try {
    const { rows } = await db.query<{ conname: string }>(`select conname from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace order by conname`);
    return rows.map((r) => r.conname);
  } finally {
    await db.close();
  }
}
