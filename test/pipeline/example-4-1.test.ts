// The seed's examples 4.1 and 4.3 end to end, offline, on a fresh copy of examples/crm, through
// the real CLI in child processes, the real git, the project's own tests and embedded Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';
import { makeDemoCopy, SEED_TICKET } from '../../src/commands/demo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function freshCopy(): Promise<string> {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-e2e-'));
  dirs.push(parent);
  return makeDemoCopy(join(parent, 'crm'));
}

const json = (r: { stdout: string }) => parseNdjson(r.stdout).at(-1) as { ok: boolean; exitCode: number; data: any; error?: any };
const git = (cwd: string, ...args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8' });

/** Foreign keys on public.estimates in the staging environment's embedded database, read with PGlite itself. */
async function estimateKeys(dir: string): Promise<string[]> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir: join(dir, '.agent', 'pgdata', 'staging') });
  try {
    const r = await db.query<{ conname: string }>("select conname from pg_constraint where conrelid = 'public.estimates'::regclass and contype = 'f' order by 1");
    return r.rows.map((x) => x.conname);
  } finally {
    await db.close();
  }
}

describe('example 4.1: bug fix AI-EST-142', () => {
  let dir = '';
  let ticket = '';
  beforeAll(async () => {
    dir = await freshCopy();
  });

  it('creates the ticket and finds both root causes with evidence', async () => {
    const created = json(await agent(['create', 'ticket', SEED_TICKET, '--json'], { cwd: dir }));
    ticket = created.data.ticket.id;
    expect(ticket).toMatch(/^BUG-\d{4}-001$/);
    const analysis = json(await agent(['analyze', 'ticket', ticket, '--json'], { cwd: dir })).data.analysis;
    const causes = analysis.rootCauses as Array<{ fix: string; subject: string; evidence: string[] }>;
    const tool = causes.find((c) => c.fix === 'mcp-tool')!;
    expect(tool.subject).toBe('create_estimate_record');
    expect(tool.evidence.join('\n')).toMatch(/lib\/voice-agent\/agent\.ts:\d+: uses create_estimate_record/);
    expect(tool.evidence.join('\n')).toMatch(/agent\.test\.ts:\d+: test "voice agent > persists the estimate it reports as created" fails/);
    const fks = causes.filter((c) => c.fix === 'foreign-key').map((c) => c.subject).sort();
    expect(fks).toEqual(['public.estimates.customer_id', 'public.estimates.job_id']);
    expect(causes.find((c) => c.fix === 'foreign-key')!.evidence[0]).toMatch(/supabase\/migrations\/\d+_create_estimates\.sql:\d+/);
    // In the state database: the ticket as described, and the analysis as a finished run whose
    // BugHunter recorded a checklist (the output above is not all there is to it).
    const { StateDb } = await import('../../src/store/state-db.js');
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      expect(state.ticket(ticket)).toMatchObject({ kind: 'BUG', description: SEED_TICKET });
      const [run] = state.runs({ ticketId: ticket });
      expect(run).toMatchObject({ command: `analyze ticket ${ticket}`, status: 'succeeded' });
      const hunters = state.agents({ runId: run!.id }).filter((a) => a.type === 'BugHunter');
      expect(hunters).toHaveLength(1);
      expect(state.checklist({ agentId: hunters[0]!.id }).length).toBeGreaterThan(0);
    } finally {
      state.close();
    }
  });

  it('stages the migration, the MCP tool and the endpoint, with the tests passing', async () => {
    const r = await agent(['fix', 'ticket', ticket], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[BUGHUNTER] ✓ Missing MCP tool: create_estimate_record');
    expect(r.stdout).toContain('[CODESMITH] ✓ Created MCP tool: create_estimate_record');
    expect(r.stdout).toContain('[CODESMITH] ✓ Generated API endpoint: POST /api/estimates');
    expect(r.stdout).toMatch(/\[MIGRATOR\] ✓ Created migration: \d{14}_add_estimates_foreign_keys\.sql/);
    expect(r.stdout).toMatch(/rollback verified/);
    const stagedDir = readdirSync(join(dir, 'staged')).find((d) => /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_/.test(d))!;
    const manifest = JSON.parse(readFileSync(join(dir, 'staged', stagedDir, 'manifest.json'), 'utf8'));
    const paths = manifest.files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['app/api/estimates/route.ts', 'supabase/functions/mcp-server/tools/estimate_tools.ts', expect.stringMatching(/^supabase\/migrations\/\d{14}_add_estimates_foreign_keys\.sql$/), expect.stringMatching(/^supabase\/rollbacks\/\d{14}_add_estimates_foreign_keys\.down\.sql$/)]));
    expect(manifest.tests).toMatchObject({ ok: true, failed: 0 });
    // BugHunter ran the whole suite on this HEAD: only the test files that import what the change
    // touches run again (the voice agent's, the registry's, the two new ones); the rest carry over.
    expect(r.stdout).toMatch(/\[STAGE\] Running the 4 test file\(s\) the change can reach \(the other 3 passed on HEAD [0-9a-f]{12} and import nothing it changes\)/);
    expect(manifest.tests.carried.files.sort()).toEqual(['app/api/customers/route.test.ts', 'components/JobList.test.tsx', 'lib/validate.test.ts']);
    // What ran with the change and what was carried from HEAD, said apart (their sum is what passed).
    const split = /\[STAGE\] ✓ All tests passing \((\d+) ran with the change, (\d+) carried from HEAD [0-9a-f]{12} \(3 file\(s\) the change cannot reach\)\)/.exec(r.stdout);
    expect(split, r.stdout).toBeTruthy();
    expect(Number(split![1]) + Number(split![2])).toBe(manifest.tests.passed);
    expect(Number(split![2])).toBe(manifest.tests.carried.tests);
    expect(manifest.tests.command).toContain('lib/voice-agent/agent.test.ts');
    expect(manifest.tests.command).toContain('supabase/functions/mcp-server/registry.test.ts');
    expect(manifest.tests.command).not.toContain('lib/validate.test.ts');
    const review = readFileSync(join(dir, 'staged', stagedDir, 'REVIEW.md'), 'utf8');
    expect(review).toContain('## Root causes');
    // Every agent's gates: BugHunter's and StageAgent's (up to validate) beside CodeSmith's and the Migrator's.
    for (const [agentType, phase] of [['bughunter', 'understand'], ['bughunter', 'verify'], ['codesmith', 'validate'], ['migrator', 'validate'], ['stageagent', 'understand'], ['stageagent', 'validate']]) expect(review).toMatch(new RegExp(`\\| ${agentType}-\\d+ \\| ${phase} \\| \\S+ \\| passed`));
    expect(review).toContain(`\`agent ticket ${ticket}\``);
    // Staging touched nothing in the project itself.
    expect(existsSync(join(dir, 'app/api/estimates/route.ts'))).toBe(false);
  });

  it('deploys to staging on approval, emails, and rolls back code and schema', async () => {
    const d = await agent(['approve', ticket, 'deploy', 'to', 'staging'], { cwd: dir });
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stdout).toMatch(/✓ All tests passing \(\d+ passed\)/);
    expect(d.stdout).toContain('✓ Staging deployment successful: DEPLOY-');
    const outbox = readdirSync(join(dir, '.agent', 'outbox'));
    expect(outbox).toHaveLength(1);
    expect(readFileSync(join(dir, '.agent', 'outbox', outbox[0]!), 'utf8')).toMatch(/Subject: .*deployed to staging/);
    expect(git(dir, 'show', 'agent/' + ticket.toLowerCase() + ':app/api/estimates/route.ts').status).toBe(0);
    expect(await estimateKeys(dir)).toEqual(['estimates_customer_id_fkey', 'estimates_job_id_fkey']);

    const rb = await agent(['rollback', ticket], { cwd: dir });
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(rb.stdout).toMatch(/Rollback complete in \d+\.\d seconds/);
    expect(await estimateKeys(dir)).toEqual([]);
    expect(git(dir, 'rev-parse', '--verify', 'agent/' + ticket.toLowerCase()).status).not.toBe(0);
    expect(readdirSync(join(dir, '.agent', 'outbox')).some((f) => /incident/.test(f))).toBe(true);
    const metrics = json(await agent(['metrics', '--json'], { cwd: dir })).data;
    expect(metrics.rollbackTime.rollbacks).toBe(1);
  });
});

describe('example 4.3: emergency rollback, and a deploy that fails half-way', () => {
  it('rolls the last deployment back after the typed confirmation', async () => {
    const dir = await freshCopy();
    const id = json(await agent(['create', 'ticket', SEED_TICKET, '--json'], { cwd: dir })).data.ticket.id;
    expect((await agent(['fix', 'ticket', id], { cwd: dir })).code).toBe(0);
    expect((await agent(['deploy', 'staging', id], { cwd: dir })).code).toBe(0);
    const ask = await agent(['emergency', 'rollback', 'last', 'deployment'], { cwd: dir });
    expect(ask.code).toBe(3);
    expect(ask.stdout).toContain('⚠ Emergency rollback initiated for DEPLOY-');
    const apr = /agent approve (APR-\d+)/.exec(ask.stderr)![1]!;
    const ok = await agent(['approve', apr, '--confirm', id], { cwd: dir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/\[MIGRATOR\] ✓ Rolled back 4 database migration\(s\)[\s\S]*Rollback complete in/);
    expect(await estimateKeys(dir)).toEqual([]);
  });

  it('leaves code and database as they were when a deploy step fails in the middle', async () => {
    const dir = await freshCopy();
    const id = json(await agent(['create', 'ticket', SEED_TICKET, '--json'], { cwd: dir })).data.ticket.id;
    expect((await agent(['fix', 'ticket', id], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging: { deploy: ['echo uploading', 'exit 9'] } } }));
    const r = await agent(['deploy', 'staging', id], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed at deploy steps: deploy step failed \(exit 9\).*undid migrations, branch/);
    expect(await estimateKeys(dir)).toEqual([]);
    expect(git(dir, 'rev-parse', '--verify', 'agent/' + id.toLowerCase()).status).not.toBe(0);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=no').stdout).toBe('');
  });
});

describe('example 4.2: generate an endpoint', () => {
  it("stages an endpoint and its test in the project's style, and refuses what it cannot read", async () => {
    const dir = await freshCopy();
    const r = await agent(['generate', 'api', 'estimates endpoint', '--json'], { cwd: dir });
    const result = json(r);
    expect(result.ok, r.stdout + r.stderr).toBe(true);
    expect(result.data.changeSet.files.sort()).toEqual(['app/api/estimates/route.test.ts', 'app/api/estimates/route.ts']);
    const staged = join(dir, result.data.changeSet.dir, 'files', 'app/api/estimates/route.ts');
    const route = readFileSync(staged, 'utf8');
    // The sibling routes' imports and validation, reused.
    expect(route).toContain("import { validate } from '../../../lib/validate';");
    expect(route).toMatch(/job_id: \{ type: 'uuid', required: true \}/);
    const refused = await agent(['generate', 'api', 'customer portal login with oauth2'], { cwd: dir });
    expect(refused.code).toBe(4);
    expect(refused.stdout).toContain('app/api/customers/route.ts already exists');
    const unknown = await agent(['generate', 'mcp-tool', 'teleport the van'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no table of the project matches/);
  });
});
