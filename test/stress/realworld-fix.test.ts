// The tickets of ../shared/realworld (issue 14), fixed offline: on a copy of each project (git repo,
// `agent init`), `agent create ticket "<GROUND_TRUTH.md's ticket>"` then `agent fix ticket` exits 0
// and stages the Migrator's schema fix for the true cause only (not the "also found" keys), and
// `agent migrate execute --dry-run` replays the project, applies the staged set file by file and
// verifies each rollback. Slow (real CLI, PGlite), so not in `npm test`.
//
// Neither project has a test command: with the defaults `agent init` writes, StageAgent stages the
// migration-only fix on the strength of the Migrator's dry run, and says that no project tests ran.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { agent } from '../helpers.js';

const REALWORLD = process.env.REALWORLD_DIR ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'realworld');
const parent = mkdtempSync(join(tmpdir(), 'crm-agent-realworld-fix-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

async function project(name: string): Promise<string> {
  const dir = join(parent, name);
  cpSync(join(REALWORLD, name), dir, { recursive: true, filter: (p) => !p.includes('node_modules') });
  execFileSync('git', ['init', '-q'], { cwd: dir });
  expect((await agent(['init'], { cwd: dir })).code).toBe(0);
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'import'], { cwd: dir });
  return dir;
}

/** Creates the ticket, fixes it; returns the staged set's migrations (name -> up, down). */
async function fixTicket(dir: string, text: string) {
  const created = await agent(['create', 'ticket', text], { cwd: dir });
  const id = /Ticket created: (\S+)/.exec(created.stdout)?.[1];
  expect(id, created.stdout + created.stderr).toBeDefined();
  const fixed = await agent(['fix', 'ticket', id!], { cwd: dir });
  expect(fixed.code, fixed.stdout.slice(-3000) + fixed.stderr).toBe(0);
  const setDir = /Staged environment ready: \.\/(\S+?)\/? /.exec(fixed.stdout)?.[1];
  expect(setDir, fixed.stdout).toBeDefined();
  expect(fixed.stdout).toMatch(/No project tests ran: the project has no test command/);
  expect(JSON.parse(readFileSync(join(dir, setDir!, 'manifest.json'), 'utf8')).untested).toMatch(/checked by the Migrator's dry run/);
  const migDir = join(dir, setDir!, 'migrations');
  const names = readdirSync(migDir).filter((f) => f.endsWith('.up.sql')).sort();
  const migrations = names.map((f) => ({ name: f.replace(/^\d{14}_/, '').replace(/\.up\.sql$/, ''), up: readFileSync(join(migDir, f), 'utf8'), down: readFileSync(join(migDir, f.replace(/\.up\.sql$/, '.down.sql')), 'utf8') }));
  return { fixed, migrations };
}

async function dryRun(dir: string) {
  const r = await agent(['migrate', 'execute', '--dry-run'], { cwd: dir });
  expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/Dry run successful - 0 errors/);
  expect(r.stdout).toMatch(/Rollback verified: the schema after rolling back \d+ migrations matches the schema before/);
  return r.stdout;
}

describe.skipIf(!existsSync(REALWORLD))(`realworld tickets fixed offline${existsSync(REALWORLD) ? '' : ' (SKIPPED: the projects are not beside this checkout; set REALWORLD_DIR)'}`, () => {
  it('nextjs-subscription-payments: price.deleted -> subscriptions_price_id_fkey on delete set null (NOT VALID, VALIDATE apart) and its index; nothing for the also-found keys', async () => {
    const dir = await project('nextjs-subscription-payments');
    const { fixed, migrations } = await fixTicket(dir, 'Stripe webhook price.deleted fails: update or delete on table "prices" violates foreign key constraint "subscriptions_price_id_fkey" on table "subscriptions".');
    expect(fixed.stdout).toMatch(/subscriptions_price_id_fkey: on delete set null \(price_id is nullable\)/);
    expect(migrations.map((m) => m.name)).toEqual(['subscriptions_price_id_fkey_on_delete_set_null', 'validate_subscriptions_price_id_fkey', 'subscriptions_price_id_idx']);
    const [key, validate, index] = migrations as [(typeof migrations)[0], (typeof migrations)[0], (typeof migrations)[0]];
    expect(key.up).toMatch(/set lock_timeout = '5s';\nalter table public\.subscriptions drop constraint subscriptions_price_id_fkey, add constraint subscriptions_price_id_fkey foreign key \(price_id\) references public\.prices \(id\) on delete set null not valid;\n$/);
    expect(validate.up).toMatch(/set lock_timeout = '5s';\nalter table public\.subscriptions validate constraint subscriptions_price_id_fkey;\n$/);
    expect(index.up).toBe('create index concurrently if not exists subscriptions_price_id_idx on public.subscriptions (price_id);\n');
    expect(index.down).toBe('drop index concurrently if exists public.subscriptions_price_id_idx;\n');
    expect(key.down).toMatch(/add constraint subscriptions_price_id_fkey foreign key \(price_id\) references public\.prices \(id\);\n$/);
    expect(migrations.map((m) => m.up).join('')).not.toMatch(/product_id|user_id/);
    const out = await dryRun(dir);
    expect(out).toMatch(/Applied staged\/\S+_subscriptions_price_id_idx\.up\.sql in the shadow/);
  }, 240_000);

  it('basejump: deleting an account -> an index CONCURRENTLY on each account_id the cascade scans, one per file, in schema basejump; nothing for the other keys', async () => {
    const dir = await project('basejump');
    const { migrations } = await fixTicket(dir, 'Deleting a team account takes many seconds and sometimes fails with "canceling statement due to statement timeout".');
    const tables = ['account_user', 'billing_customers', 'billing_subscriptions', 'invitations'];
    expect(migrations.map((m) => m.name).sort()).toEqual(tables.map((t) => `${t}_account_id_idx`));
    for (const m of migrations) {
      const t = m.name.replace(/_account_id_idx$/, '');
      expect(m.up).toBe(`create index concurrently if not exists ${t}_account_id_idx on basejump.${t} (account_id);\n`);
      expect(m.down).toBe(`drop index concurrently if exists basejump.${t}_account_id_idx;\n`);
    }
    await dryRun(dir);
  }, 240_000);
});
