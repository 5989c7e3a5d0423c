// The Migrator on the two public projects of ../shared/realworld (issue 14), against their
// GROUND_TRUTH.md: `agent bugs scan --json` in a copy of each reports every ground-truth schema
// finding with the right schema, the replay has zero errors, and the schema findings of warning
// or error severity are only those. Slow (real CLI, PGlite replays), so not in `npm test`.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { agent } from '../helpers.js';
import { lintMigrations, readMigrationFiles } from '../../agents/migrator/index.js';

const REALWORLD = process.env.REALWORLD_DIR ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'realworld');
const parent = mkdtempSync(join(tmpdir(), 'crm-agent-realworld-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

interface Finding {
  ruleId: string;
  severity: 'error' | 'warning' | 'info';
  file: string | null;
  line: number | null;
  object: string;
  message: string;
}

/** A copy of the project (read-only fixture) in a temp dir, as a git repo. */
function copy(name: string): string {
  const dest = join(parent, name);
  cpSync(join(REALWORLD, name), dest, { recursive: true, filter: (p) => !p.includes('node_modules') });
  execFileSync('git', ['init', '-q'], { cwd: dest });
  return dest;
}

async function scan(dir: string): Promise<Finding[]> {
  const r = await agent(['bugs', 'scan', '--json'], { cwd: dir });
  const line = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; data?: { findings: Finding[] } }).find((e) => e.type === 'result');
  expect(line?.data, r.stderr || r.stdout.slice(-2000)).toBeDefined();
  return line!.data!.findings;
}

// The lints whose findings come from the migrations' schema (not the code scan, issue 15's).
const SCHEMA_RULES = /^(unindexed-foreign-key|no-primary-key|rls-|policy-exists|duplicate-index|multiple-permissive|security-definer|function-search-path|missing-foreign-key|replay-error|not-checked|auth-|unsupported-reg-types|fkey-to-auth-unique|extension-in-public|materialized-view-in-api|foreign-table-in-api|insecure-queue|sensitive-columns|public-bucket|pg-graphql-|anon-security-definer|authenticated-security-definer|unused-index)/;
// Supabase's advisor (splinter 0028/0029) on SECURITY DEFINER functions the API roles can execute.
const EXECUTABLE = /^(anon|authenticated)-security-definer-function-executable$/;

describe.skipIf(!existsSync(REALWORLD))(`real Supabase projects (../shared/realworld)${existsSync(REALWORLD) ? '' : ' (SKIPPED: the projects are not beside this checkout; set REALWORLD_DIR)'}`, () => {
  it('basejump: every ground-truth finding in schema basejump and public, zero replay errors, nothing else above info', async () => {
    const dir = copy('basejump');
    const all = (await scan(dir)).filter((f) => SCHEMA_RULES.test(f.ruleId));
    expect(all.filter((f) => f.ruleId === 'replay-error')).toEqual([]);
    const fks = all.filter((f) => f.ruleId === 'unindexed-foreign-key').map((f) => /\(([^)]+)\) has no index/.exec(f.message)![1] && `${f.object.split('.').slice(0, 2).join('.')}.${/\(([^)]+)\) has no index/.exec(f.message)![1]}`);
    expect(fks.sort()).toEqual(
      [
        'basejump.account_user.account_id',
        'basejump.accounts.created_by',
        'basejump.accounts.primary_owner_user_id',
        'basejump.accounts.updated_by',
        'basejump.billing_customers.account_id',
        'basejump.billing_subscriptions.account_id',
        'basejump.billing_subscriptions.billing_customer_id',
        'basejump.invitations.account_id',
        'basejump.invitations.invited_by_user_id',
      ].sort(),
    );
    const fns = all.filter((f) => f.ruleId === 'function-search-path-mutable').map((f) => f.object.replace(/\(.*$/, ''));
    const basejumpFns = ['generate_token', 'get_config', 'is_set', 'protect_account_fields', 'slugify_account_slug', 'trigger_set_invitation_details', 'trigger_set_timestamps', 'trigger_set_user_tracking'];
    const publicFns = ['create_account', 'create_invitation', 'current_user_account_role', 'delete_invitation', 'get_account', 'get_account_by_slug', 'get_account_id', 'get_account_invitations', 'get_accounts', 'get_personal_account', 'remove_account_member', 'service_role_upsert_customer_subscription', 'update_account'];
    expect([...new Set(fns)].sort()).toEqual([...basejumpFns.map((f) => `basejump.${f}`), ...publicFns.map((f) => `public.${f}`)].sort());
    for (const f of all.filter((x) => x.ruleId === 'function-search-path-mutable' || x.ruleId === 'unindexed-foreign-key')) expect(f.file, f.object).toMatch(/^supabase\/migrations\//);
    expect(all.filter((f) => /^(rls-disabled-in-public|rls-enabled-no-policy|security-definer-view)$/.test(f.ruleId))).toEqual([]);
    // Above info, beside the ground truth's function search paths: Supabase's performance advisor's
    // multiple_permissive_policies, true here (two permissive SELECT policies for authenticated, both
    // run when the public functions, security invoker, read these tables).
    expect(all.filter((f) => f.ruleId === 'multiple-permissive-policies').map((f) => f.object).sort()).toEqual(['basejump.account_user', 'basejump.accounts']);
    // And its auth_rls_initplan (policies calling auth.uid() per row), as Supabase's advisor reports them.
    expect(all.filter((f) => f.ruleId === 'auth-rls-initplan').map((f) => f.object).sort()).toEqual(['basejump.account_user.users can view their own account_users', 'basejump.accounts.Accounts are viewable by primary owner']);
    // basejump revokes EXECUTE from public and grants it to authenticated on its RPC functions, some SECURITY DEFINER: authenticated only.
    expect(all.filter((f) => EXECUTABLE.test(f.ruleId)).map((f) => `${f.ruleId.split('-')[0]} ${f.object.replace(/\(.*$/, '')}`).sort()).toEqual(
      ['basejump.get_accounts_with_role', 'basejump.has_role_on_account', 'public.accept_invitation', 'public.get_account_billing_status', 'public.get_account_members', 'public.lookup_invitation', 'public.update_account_user_role'].map((f) => `authenticated ${f}`),
    );
    expect(all.filter((f) => f.severity !== 'info' && !/^(function-search-path-mutable|multiple-permissive-policies|auth-rls-initplan)$/.test(f.ruleId) && !EXECUTABLE.test(f.ruleId))).toEqual([]);
  }, 180_000);

  it('nextjs-subscription-payments: the 3 unindexed keys, customers with RLS and no policy as a note, handle_new_user, zero replay errors', async () => {
    const dir = copy('nextjs-subscription-payments');
    const all = (await scan(dir)).filter((f) => SCHEMA_RULES.test(f.ruleId));
    expect(all.filter((f) => f.ruleId === 'replay-error')).toEqual([]);
    expect(all.filter((f) => f.ruleId === 'unindexed-foreign-key').map((f) => f.object).sort()).toEqual(['public.prices.prices_product_id_fkey', 'public.subscriptions.subscriptions_price_id_fkey', 'public.subscriptions.subscriptions_user_id_fkey']);
    expect(all.filter((f) => f.ruleId === 'rls-enabled-no-policy').map((f) => [f.object, f.severity])).toEqual([['public.customers', 'info']]);
    expect(all.filter((f) => f.ruleId === 'function-search-path-mutable').map((f) => [f.object, f.file])).toEqual([['public.handle_new_user()', 'supabase/migrations/20230530034630_init.sql']]);
    // Beside the ground truth, Supabase's performance advisor's auth_rls_initplan: `auth.uid() = id` runs per row.
    expect(all.filter((f) => f.ruleId === 'auth-rls-initplan').map((f) => f.object).sort()).toEqual(['public.subscriptions.Can only view own subs data.', 'public.users.Can update own user data.', 'public.users.Can view own user data.']);
    // handle_new_user is SECURITY DEFINER and its EXECUTE was never revoked from PUBLIC: both API roles can call it (splinter 0028/0029).
    expect(all.filter((f) => EXECUTABLE.test(f.ruleId)).map((f) => `${f.ruleId.split('-')[0]} ${f.object}`).sort()).toEqual(['anon public.handle_new_user()', 'authenticated public.handle_new_user()']);
    expect(all.filter((f) => EXECUTABLE.test(f.ruleId)).every((f) => f.file === 'supabase/migrations/20230530034630_init.sql')).toBe(true);
    expect(all.filter((f) => f.severity !== 'info' && !/^(function-search-path-mutable|auth-rls-initplan)$/.test(f.ruleId) && !EXECUTABLE.test(f.ruleId))).toEqual([]);
    // subscriptions.price_id: the line the ticket's true cause names (init.sql:115).
    const price = all.find((f) => f.object === 'public.subscriptions.subscriptions_price_id_fkey');
    expect(price?.line).toBe(115);
  }, 180_000);

  it('the linter flags the trigger on auth.users for lock_timeout, and nothing from pg_dump quoting', () => {
    const { files } = readMigrationFiles(join(REALWORLD, 'nextjs-subscription-payments'));
    const ids = lintMigrations(files).map((f) => `${f.ruleId} ${f.object}`);
    expect(ids).toContain('require-lock-timeout auth.users');
  });
});
