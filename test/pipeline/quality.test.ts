// bugs scan and test <feature> on a fresh copy of examples/crm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';
import { makeDemoCopy } from '../../src/commands/demo.js';
import { testFilesFor } from '../../src/commands/quality.js';

let parent = '';
let dir = '';
beforeAll(async () => {
  parent = mkdtempSync(join(tmpdir(), 'crm-agent-quality-'));
  dir = await makeDemoCopy(join(parent, 'crm'));
});
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('bugs scan', () => {
  it('reports unresolved tools, missing keys and unwritten tables in the shared finding shape', async () => {
    const r = await agent(['bugs', 'scan', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const { findings, counts } = (parseNdjson(r.stdout).at(-1) as { data: { findings: Array<Record<string, unknown>>; counts: Record<string, number> } }).data;
    // 3, plus the 4 policies calling auth.uid() per row (Supabase's auth_rls_initplan, issue 14).
    expect(counts).toEqual({ error: 0, warning: 7, info: 2 });
    expect(findings).toContainEqual({ ruleId: 'unresolved-tool', severity: 'warning', file: 'lib/voice-agent/agent.ts', line: 16, object: 'create_estimate_record', message: expect.any(String), fix: 'agent generate mcp-tool create_estimate_record' });
    expect(findings.filter((f) => f.ruleId === 'missing-foreign-key').map((f) => f.object).sort()).toEqual(['public.estimates.customer_id', 'public.estimates.job_id']);
    for (const f of findings) expect(Object.keys(f).sort()).toEqual(['file', 'fix', 'line', 'message', 'object', 'ruleId', 'severity']);
  });
});

describe('test <feature>', () => {
  it('runs the test files a feature names and reads their failures', async () => {
    const voice = await agent(['test', 'voice', 'agent'], { cwd: dir });
    expect(voice.code).toBe(1);
    expect(voice.stdout).toContain('[TESTS] ✗ voice agent > persists the estimate it reports as created');
    const customers = await agent(['test', 'customers'], { cwd: dir });
    expect(customers.code).toBe(0);
    expect(customers.stdout).toMatch(/\[TESTS\] ✓ 2 passed, 0 failed/);
    const none = await agent(['test', 'teleportation'], { cwd: dir });
    expect(none.code).toBe(2);
  });

  it('picks test files by path, then by test names', () => {
    const files = [
      { path: 'app/api/customers/route.test.ts', content: "it('creates')" },
      { path: 'lib/x.test.ts', content: "describe('invoice totals', () => {})" },
      { path: 'lib/invoice.ts', content: '' },
    ];
    expect(testFilesFor('customers', files)).toEqual(['app/api/customers/route.test.ts']);
    expect(testFilesFor('invoices', files)).toEqual(['lib/x.test.ts']);
  });
});

describe('agents restart all', () => {
  it('recovers a fix whose process was killed and runs it again to a staged set', async () => {
    const { startAgent, waitFor } = await import('../helpers.js');
    const created = parseNdjson((await agent(['create', 'ticket', '--json', 'Voice agent estimates are not persisting'], { cwd: dir })).stdout).at(-1) as { data: { ticket: { id: string } } };
    const id = created.data.ticket.id;
    const child = startAgent(['fix', 'ticket', id], { cwd: dir });
    await waitFor(() => /Analyzing issue/.test(child.output()), 20_000, 'BugHunter to start');
    child.kill('SIGKILL');
    await child.closed;
    const dry = await agent(['agents', 'restart', 'all', '--dry-run'], { cwd: dir });
    expect(dry.stdout).toMatch(/Recovered RUN-\d+: process \d+ is gone/);
    expect(dry.stdout).toContain(`Would restart RUN-`);
    const r = await agent(['agents', 'restart', 'all'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Restarting RUN-`);
    expect(r.stdout).toContain('Staged environment ready');
    const again = await agent(['agents', 'restart', 'all'], { cwd: dir });
    expect(again.stdout).toContain('No interrupted work to restart');
  });
});
