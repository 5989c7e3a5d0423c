// agent migrate status | lint | "<change>" | execute [--dry-run] and generate migration, through the
// real CLI on fresh copies of examples/crm (embedded PGlite), and against a real PostgreSQL server
// when TEST_DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';
import { makeDemoCopy } from '../../src/commands/demo.js';

type Result = { data: Record<string, any>; exitCode?: number };
const final = (stdout: string) => parseNdjson(stdout).at(-1) as unknown as Result;
const oneLine = (text: string) => text.trim().split('\n').length === 1;

let parent = '';
beforeAll(() => {
  parent = mkdtempSync(join(tmpdir(), 'crm-agent-migrate-'));
});
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const copy = (name: string) => makeDemoCopy(join(parent, name));

describe('seed example 4.4: migrate "<change>" -> staged set -> dry run -> execute -> status', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await copy('seed');
  });

  it('status on a fresh copy: every committed migration pending, nothing created', async () => {
    const r = await agent(['migrate', 'status'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/LOCAL\s+│ REMOTE\s+│ TIME \(UTC\)/);
    expect(r.stdout).toContain('20251101090000_create_customers'.split('_')[0]);
    expect(r.stdout).toContain('0 applied, 4 pending');
    expect(existsSync(join(dir, '.agent', 'pgdata'))).toBe(false);
    const j = final((await agent(['migrate', 'status', '--json'], { cwd: dir })).stdout);
    expect(j.data.pending.map((p: { version: string }) => p.version)).toEqual(['20251101090000', '20251102090000', '20251103090000', '20251104090000']);
  });

  it('stages the migration with its rollback and prints the seed lines', async () => {
    const r = await agent(['migrate', 'Add customer preferences table with JSONB column', '--verbose'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // --verbose: the Migrator's six phases, each with its gate, as `fix ticket` runs them (seed 6)
    const gateLines = r.stdout.split('\n').filter((l) => /\b(understand|analyze|plan|validate|execute|verify): gate \S+ passed/.test(l));
    expect(gateLines.map((l) => /\b(understand|analyze|plan|validate|execute|verify): gate/.exec(l)![1])).toEqual(['understand', 'analyze', 'plan', 'validate', 'execute', 'verify']);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
    const checklist = db.prepare("select c.phase, c.item, c.ok, c.evidence from checklist c join agents a on a.id = c.agent_id where a.type = 'Migrator' and a.run_id = (select id from runs where command like 'migrate %' order by started_at desc limit 1)").all() as Array<{ phase: string; item: string; ok: number; evidence: string }>;
    db.close();
    expect(new Set(checklist.map((c) => c.phase))).toEqual(new Set(['understand', 'analyze', 'plan', 'validate', 'execute', 'verify']));
    expect(checklist.find((c) => c.item === 'Dry run and rollback in a shadow database')).toMatchObject({ ok: 1, evidence: expect.stringMatching(/the schema after it equals the schema before/) });
    expect(checklist.find((c) => c.item === 'The staged set on disk matches its seal')).toMatchObject({ ok: 1 });
    expect(r.stdout).toMatch(/\[MIGRATOR\] ✓ Analyzing current schema/);
    expect(r.stdout).toMatch(/\[MIGRATOR\] ✓ Checking for breaking changes/);
    expect(r.stdout).toMatch(/\[MIGRATOR\] ✓ Creating rollback plan/);
    const ready = r.stdout.match(/\[MIGRATOR\] ✓ Migration ready: \.\/(staged\/\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_[a-z0-9-]+)\//);
    expect(ready).toBeTruthy();
    const stagedDir = join(dir, ready![1]!);
    const manifest = JSON.parse(readFileSync(join(stagedDir, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual([expect.stringMatching(/^supabase\/migrations\/\d{14}_create_customer_preferences\.sql$/), expect.stringMatching(/^supabase\/rollbacks\/\d{14}_create_customer_preferences\.down\.sql$/)]);
    expect(manifest.migrations).toHaveLength(1);
    expect(manifest.requiresApproval).toBe(false);
    const { version, name } = manifest.migrations[0];
    expect(readFileSync(join(stagedDir, 'migrations', `${version}_${name}.up.sql`), 'utf8')).toMatch(/create table if not exists public\.customer_preferences[\s\S]*jsonb/);
    expect(readFileSync(join(stagedDir, 'migrations', `${version}_${name}.down.sql`), 'utf8')).toMatch(/drop table/i);
    // recorded like the pipeline's sets: review works on it
    const review = await agent(['review', '--stat'], { cwd: dir });
    expect(review.code, review.stderr).toBe(0);
    expect(review.stdout).toContain(`supabase/migrations/${version}_${name}.sql (create, MIGRATOR)`);
    expect(review.stdout).toMatch(/✓ migrator-\d+ validate: in place of test coverage: a migration has no code line to cover; its up and its rollback ran in a shadow database/);
    expect(review.stdout).toMatch(/✓ migrator-\d+ execute: 2\/2 preconditions met/);
  });

  it('dry run: shadow from the template, 0 errors, time and impact, rollback verified', async () => {
    const r = await agent(['migrate', 'execute', '--dry-run'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[MIGRATOR] ✓ Dry run successful - 0 errors');
    expect(r.stdout).toMatch(/\[MIGRATOR\] ✓ Estimated time: \d/);
    expect(r.stdout).toContain('[MIGRATOR] ✓ Impact: 0 rows affected');
    expect(r.stdout).toMatch(/Rollback verified/);
    const j = final((await agent(['migrate', 'execute', '--dry-run', '--json'], { cwd: dir })).stdout);
    expect(j.data.rollbackVerified).toBe(true);
    expect(j.data.pending).toHaveLength(1);
    expect(existsSync(join(dir, '.agent', 'pgdata'))).toBe(false); // a dry run creates no target
  });

  it('execute applies the committed and the staged migrations; status shows them applied', async () => {
    const r = await agent(['migrate', 'execute', '--verbose'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[MIGRATOR] ✓ 5 migrations applied to embedded PGlite (.agent/pgdata/production)');
    // Through the six phases and their gates, like fix ticket; the checklist is in the state.
    const gates = r.stdout.split('\n').map((l) => /\b(understand|analyze|plan|validate|execute|verify): gate \S+ passed/.exec(l)?.[1]).filter(Boolean);
    expect(gates).toEqual(['understand', 'analyze', 'plan', 'validate', 'execute', 'verify']);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
    const items = db.prepare("select c.phase, c.item, c.ok, c.evidence from checklist c join runs r on r.id = c.run_id where r.command = 'migrate execute' order by c.id").all() as Array<{ phase: string; item: string; ok: number; evidence: string }>;
    db.close();
    expect(items.find((i) => i.item === 'The target records every applied file')).toMatchObject({ phase: 'verify', ok: 1, evidence: expect.stringMatching(/^5 version\(s\) in embedded PGlite/) });
    expect(items.find((i) => i.item === 'All changes executed atomically')!.evidence).toContain('create_customer_preferences');
    const s = await agent(['migrate', 'status', '--json'], { cwd: dir });
    const rows = final(s.stdout).data.rows as Array<{ local: string | null; remote: string | null; state: string; name: string }>;
    expect(rows.filter((x) => x.local).every((x) => x.state === 'applied')).toBe(true);
    expect(rows.find((x) => x.name === 'create_customer_preferences')).toMatchObject({ local: null, state: 'missing-locally' });
    expect(final(s.stdout).data.pending).toEqual([]);
    const again = await agent(['migrate', 'execute'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to apply');
  });

  it('generate migration is the same command under its own name', async () => {
    const r = await agent(['generate', 'migration', 'add column notes text to jobs'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Migration ready: \.\/staged\/.*add-notes/);
  });
});

describe('destructive changes and the linter', () => {
  let dir = '';
  const DROP = 'supabase/migrations/20260101000000_drop_invoices.sql';
  beforeAll(async () => {
    dir = await copy('destructive');
    expect((await agent(['migrate', 'execute'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, DROP), 'drop table public.invoices;\n');
  });

  it('lint exits 1 on an error finding, in squawk-like lines and the finding schema', async () => {
    const r = await agent(['migrate', 'lint'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${DROP}:1  error\\s+drop-table  .+\\(fix: .+\\)`));
    const j = final((await agent(['migrate', 'lint', '--json'], { cwd: dir })).stdout);
    expect(j.data.requiresApproval).toBe(true);
    expect(j.data.files).toEqual([DROP]);
    for (const f of j.data.findings) {
      expect(Object.keys(f).every((k) => ['ruleId', 'severity', 'file', 'line', 'object', 'message', 'fix', 'fixSql'].includes(k))).toBe(true);
      expect(f).toMatchObject({ file: DROP, line: expect.any(Number), object: expect.any(String), fix: expect.any(String) });
    }
    const clean = await agent(['migrate', 'lint', 'supabase/migrations/20251101090000_create_customers.sql'], { cwd: dir });
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toContain('0 errors');
  });

  it('execute waits for approval: exit 3 with the approval id; approving applies it', async () => {
    const r = await agent(['migrate', 'execute'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const id = (r.stdout + r.stderr).match(/agent approve (APR-\d+)/)?.[1];
    expect(id).toBeTruthy();
    const pending = final((await agent(['migrate', 'status', '--json'], { cwd: dir })).stdout);
    expect(pending.data.pending.map((p: { path: string }) => p.path)).toEqual([DROP]);
    const ok = await agent(['approve', id!, '--confirm', id!], { cwd: dir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`Applied ${DROP}`);
    const after = final((await agent(['migrate', 'status', '--json'], { cwd: dir })).stdout);
    expect(after.data.pending).toEqual([]);
  });

  it('a destructive description is staged as needing approval', async () => {
    const r = await agent(['migrate', 'drop column phone from customers'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/⚠ Checking for breaking changes: drop-column public\.customers\.phone/);
    const review = await agent(['review', '--stat'], { cwd: dir });
    expect(review.stdout).toContain('destructive migration');
  });
});

describe('bad input: exit 2, one line', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await copy('bad');
  });

  it.each([
    [['migrate', 'teleport the customers to mars'], /understood .*agent migrate "/],
    [['generate', 'migration', 'drop column nope from customers'], /understood drop column nope from public\.customers.*does not exist.*agent migrate "/],
    [['migrate', 'lint', 'supabase/migrations/nope.sql'], /nope\.sql: no such migration file/],
    [['migrate', 'execute', '--bogus'], /bogus/],
    [['migrate', 'status', '--dry-run'], /dry-run/],
    [['migrate'], /change/],
  ])('agent %j', async (argv, message) => {
    const r = await agent(argv as string[], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(oneLine(r.stderr), r.stderr).toBe(true);
    expect(existsSync(join(dir, 'staged')) ? readdirSync(join(dir, 'staged')).filter((f) => !f.startsWith('.')) : []).toEqual([]);
  });
});

const PG = process.env.TEST_DATABASE_URL;
if (!PG) console.warn('\n*** test/migrate: TEST_DATABASE_URL is not set: the tests against a real PostgreSQL server are SKIPPED ***\n');

describe('against a real PostgreSQL server (TEST_DATABASE_URL)', () => {
  let url = '';
  let dbName = '';
  let dir = '';
  beforeAll(async () => {
    if (!PG) return;
    const { default: pg } = await import('pg');
    const { SUPABASE_SHIMS } = await import('../../src/integrations/postgres/supabase-shims.js');
    dbName = `crm_agent_migrate_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(PG);
    u.pathname = `/${dbName}`;
    url = u.toString();
    // A Supabase database has these roles, schemas and functions; a bare server gets them from the shims.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(SUPABASE_SHIMS);
    await c.end();
    dir = await copy('postgres');
  });
  afterAll(async () => {
    if (!PG || !dbName) return;
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  it.skipIf(!PG)('status, execute, status via DATABASE_URL', async () => {
    const env = { DATABASE_URL: url };
    const before = await agent(['migrate', 'status', '--json'], { cwd: dir, env });
    expect(before.code, before.stderr).toBe(0);
    expect(final(before.stdout).data.target).toMatch(/^DATABASE_URL \(.+:\d+\/\w+\)$/);
    expect(final(before.stdout).data.pending).toHaveLength(4);
    const dry = await agent(['migrate', 'execute', '--dry-run'], { cwd: dir, env });
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Dry run successful - 0 errors');
    const ex = await agent(['migrate', 'execute'], { cwd: dir, env });
    expect(ex.code, ex.stdout + ex.stderr).toBe(0);
    expect(ex.stdout).toContain('4 migrations applied to DATABASE_URL');
    expect(ex.stdout + ex.stderr).not.toContain(url);
    const after = final((await agent(['migrate', 'status', '--json'], { cwd: dir, env })).stdout);
    expect(after.data.pending).toEqual([]);
    expect(after.data.rows.map((r: { state: string }) => r.state)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(existsSync(join(dir, '.agent', 'pgdata'))).toBe(false);
  });
});
