// The pure verdicts behind CodeSmith's and the Migrator's model tools: where the model may write,
// which jobs a change set addresses, and when a migration proposal is accepted.
import { describe, expect, it } from 'vitest';
import { ChangeOverlay, jobsAddressed, projectPath, writablePath, type ModelJob } from '../../agents/code-smith/model.js';
import { judgeProposal, keysAdded, planChecks } from '../../agents/migrator/model.js';
import type { LintFinding } from '../../agents/migrator/finding.js';
import type { RootCause } from '../../agents/bug-hunter/root-cause.js';
import type { SchemaSnapshot } from '../../agents/migrator/schema-snapshot.js';
import { clearSecretsForTests, registerSecret } from '../../src/config/redact.js';

describe('where CodeSmith may write', () => {
  it.each([
    ['lib/estimates.ts', 'lib/estimates.ts'],
    ['./app/api/estimates/route.ts', 'app/api/estimates/route.ts'],
    ['supabase/functions/mcp-server/tools/estimate_tools.ts', 'supabase/functions/mcp-server/tools/estimate_tools.ts'],
    ['docs/estimates.md', 'docs/estimates.md'],
    ['lib/a/../b.ts', 'lib/b.ts'],
  ])('accepts %s', (raw, path) => expect(writablePath(raw)).toEqual({ ok: true, path }));

  it.each([
    ['../escape.ts', 'outside the project'],
    ['lib/../../escape.ts', 'outside the project'],
    ['/etc/passwd', 'outside the project'],
    ['C:/x.ts', 'outside the project'],
    ['lib\\x.ts', 'outside the project'],
    ['.env', 'holds credentials'],
    ['config/.env.local', 'holds credentials'],
    ['certs/server.pem', 'holds credentials'],
    ['.github/workflows/ci.ts', 'hidden files and folders'],
    ['.agent/state.ts', 'hidden files and folders'],
    ['node_modules/x/index.js', 'generated or installed'],
    ['staged/x.ts', 'generated or installed'],
    ['supabase/migrations/20990101000000_x.sql', "migrations are the Migrator's"],
    ['supabase/rollbacks/x.ts', "migrations are the Migrator's"],
    ['package.json', 'not configs, manifests or lockfiles'],
    ['tsconfig.json', 'not configs, manifests or lockfiles'],
    ['vitest.config.ts', 'not configs, manifests or lockfiles'],
    ['scripts/run.sh', 'not configs, manifests or lockfiles'],
    ['', 'empty path'],
  ])('refuses %s', (raw, why) => {
    const v = writablePath(raw);
    expect(v.ok).toBe(false);
    expect(v.ok ? '' : v.reason).toContain(why);
  });

  it('reads .env.example (names only) but never .env', () => {
    expect(projectPath('.env.example')).toEqual({ ok: true, path: '.env.example' });
    expect(projectPath('.env').ok).toBe(false);
  });

  it('keeps writes in the overlay, refuses content holding a registered secret, and caps the change set', () => {
    const o = new ChangeOverlay(new Map([['lib/a.ts', 'export const a = 1;\n']]));
    expect(o.write('lib/a.ts', 'export const a = 2;\n', 'bump')).toEqual({ ok: true, path: 'lib/a.ts', created: false });
    expect(o.current('lib/a.ts')).toBe('export const a = 2;\n');
    registerSecret('SUPABASE_SERVICE_ROLE_KEY', 'service-role-overlay-secret');
    try {
      const r = o.write('lib/b.ts', "export const k = 'service-role-overlay-secret';\n", 'x');
      expect(r).toEqual({ ok: false, reason: 'lib/b.ts: the content holds a credential; code reads secrets from the environment' });
    } finally {
      clearSecretsForTests();
    }
    for (let i = 0; i < 19; i++) expect(o.write(`lib/f${i}.ts`, '', 'x').ok).toBe(true);
    expect(o.write('lib/one-more.ts', '', 'x')).toEqual({ ok: false, reason: 'the change set already holds 20 files; keep the fix small' });
  });
});

describe('which jobs a change set addresses', () => {
  const cause: RootCause = { id: 'x', summary: 's', fix: 'mcp-tool', subject: 'create_estimate_record', evidence: [], confidence: 90 };
  const jobs: ModelJob[] = [
    { kind: 'mcp-tool', subject: 'create_estimate_record', table: 'estimates', cause },
    { kind: 'api-route', subject: 'estimates', table: 'estimates', cause: { ...cause, fix: 'api-route', subject: 'estimates' } },
  ];
  it('needs the tool defined by name and a route file for the table with POST, outside tests', () => {
    const files = new Map([
      ['tools/estimate_tools.ts', "export const t = [{ name: 'create_estimate_record' }];"],
      ['app/api/estimates/route.ts', 'export async function POST(req: Request) {}'],
    ]);
    expect(jobsAddressed(jobs, files).map((j) => j.ok)).toEqual([true, true]);
    const onlyTests = new Map([
      ['tools/estimate_tools.test.ts', "callTool({ name: 'create_estimate_record' })"],
      ['app/api/estimates/route.ts', 'export async function GET() {}'],
    ]);
    expect(jobsAddressed(jobs, onlyTests).map((j) => `${j.ok} ${j.evidence}`)).toEqual([
      'false no file of the change set defines a tool named create_estimate_record',
      'false no route file for estimates with a POST handler in the change set',
    ]);
  });
});

describe("the Migrator's verdict on a proposal", () => {
  const finding = (ruleId: string, severity: LintFinding['severity'] = 'warning'): LintFinding => ({ ruleId, severity, file: 'm.sql', line: 2, object: 'public.estimates', message: `${ruleId} here`, fix: 'f' });
  const fk: RootCause = { id: 'fk', summary: 'missing key', fix: 'foreign-key', subject: 'public.estimates.job_id', evidence: [], confidence: 90 };
  const table = (constraints: SchemaSnapshot['tables'][string]['constraints']) => ({ version: 1, views: {}, functions: {}, enums: {}, extensions: {}, tables: { 'public.estimates': { schema: 'public', name: 'estimates', rls: true, forceRls: false, columns: {}, constraints, indexes: {}, policies: {}, triggers: {} } } }) as SchemaSnapshot;
  const withKey = table({ estimates_job_id_fkey: { type: 'foreign key', definition: 'FOREIGN KEY (job_id) REFERENCES jobs(id)', columns: ['job_id'], validated: true, references: { table: 'public.jobs', columns: ['id'] } } });
  const report = (over: Partial<Parameters<typeof judgeProposal>[0]> = {}): Parameters<typeof judgeProposal>[0] => ({
    pending: [],
    diagnoses: [],
    replayed: { count: 4, diagnoses: [] },
    rollback: [{ version: 'v', name: 'n', path: 'p', status: 'verified', differences: [], details: [], diagnoses: [] }],
    schemaAfter: withKey,
    ...over,
  });

  it('plans: NOT VALID keys, lock_timeout, a rollback, no error besides destructive ones (those wait for approval)', () => {
    expect(planChecks('drop index x;', [finding('require-concurrent-index-creation')]).every((i) => i.ok)).toBe(true);
    expect(planChecks('drop index x;', [finding('drop-column', 'error')]).map((i) => i.ok)).toEqual([true, true, true, true]);
    expect(planChecks('', [finding('constraint-missing-not-valid'), finding('require-lock-timeout'), finding('rls-disabled', 'error')]).map((i) => i.ok)).toEqual([false, false, false, false]);
  });

  it('accepts a clean dry run with a verified rollback that adds the key', () => {
    expect(judgeProposal(report(), planChecks('drop x;', []), [fk])).toEqual({ type: 'accept', notes: [] });
  });

  it('rejects a rollback that leaves the schema different, naming the difference', () => {
    const v = judgeProposal(report({ rollback: [{ version: 'v', name: 'n', path: 'p', status: 'differs', differences: ['added index public.estimates_job_id_idx'], details: [], diagnoses: [] }] }), planChecks('drop x;', []), [fk]);
    expect(v).toEqual({ type: 'reject', problems: ['the rollback does not restore the schema: after rollback, added index public.estimates_job_id_idx'], notes: [] });
  });

  it('rejects SQL that fails, a missing key, and a plan check that fails', () => {
    const diag = { file: 'supabase/migrations/v_n.sql', line: 3, statement: 'alter table', reason: 'relation "public.jobz" does not exist', cause: 'sql-error' } as unknown as Parameters<typeof judgeProposal>[0]['diagnoses'][number];
    const v = judgeProposal(report({ diagnoses: [diag], schemaAfter: table({}) }), planChecks('drop x;', [finding('require-lock-timeout')]), [fk]);
    expect(v.type).toBe('reject');
    expect(v.type === 'reject' && v.problems).toEqual([
      'supabase/migrations/v_n.sql:3: relation "public.jobz" does not exist',
      'Failure scenario: a busy table blocks the ALTER: line 2: require-lock-timeout here',
      'no foreign key on public.estimates.job_id after the migration',
    ]);
  });

  it('finds the key only on the right column', () => {
    expect(keysAdded([fk, { ...fk, subject: 'public.estimates.customer_id' }], withKey)).toEqual([
      { subject: 'public.estimates.job_id', ok: true },
      { subject: 'public.estimates.customer_id', ok: false },
    ]);
  });
});
