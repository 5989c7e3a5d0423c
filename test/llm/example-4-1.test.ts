// Example 4.1 with Claude as the mind of BugHunter, CodeSmith and the Migrator: the real CLI in
// child processes, the real SDK pointed (ANTHROPIC_BASE_URL) at a scripted Messages API on
// 127.0.0.1 that plays each agent's conversation. The model's causes, code and SQL pass the same
// gates as the offline ones (the failure cases are in model-gates.test.ts and model-agents.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent } from '../helpers.js';
import { SEED_TICKET } from '../../src/commands/demo.js';
import { cleanup, env, freshCopy, KEY, SERVICE_ROLE, serve, ticketIn, usageOf } from './setup.js';
import { agentOf, example41AllBrain } from './scripted-server.mjs';

afterAll(cleanup, 90_000);

const TOOLS = {
  BugHunter: ['list_files', 'read_file', 'search', 'type_check', 'run_tests', 'schema_findings', 'report_root_cause'],
  CodeSmith: ['list_files', 'read_file', 'search', 'table_columns', 'write_file', 'edit_file', 'type_check', 'finish'],
  Migrator: ['schema', 'schema_findings', 'list_migrations', 'read_migration', 'propose_migration'],
};

describe('example 4.1 with a model', () => {
  it("fixes AI-EST-142 with the model's causes, code and migration, through the same gates, and records usage per agent and ticket", async () => {
    const s = await serve(example41AllBrain);
    const dir = await freshCopy();
    const project = readFileSync(join(dir, 'supabase/functions/mcp-server/tools/estimate_tools.ts'), 'utf8');
    const id = await ticketIn(dir, SEED_TICKET, s.url);
    const r = await agent(['fix', 'ticket', id], { cwd: dir, env: env(s.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).not.toMatch(/continuing with the offline|Rejected the model|Refused a model tool call|stopped early|using the offline/);

    // Each agent talked to the model, and was offered its own tools and no other.
    const by = (a: string) => s.requests.filter((q) => agentOf(q.body) === a);
    for (const [a, names] of Object.entries(TOOLS)) {
      expect(by(a).length, a).toBeGreaterThan(1);
      for (const q of by(a)) expect(q.body.tools.map((t: { name: string }) => t.name)).toEqual(names);
    }
    expect(by('BugHunter')).toHaveLength(3);
    // An accepted finish and an accepted proposal end their conversations: no request for a closing paragraph.
    expect(by('CodeSmith')).toHaveLength(4);
    expect(by('Migrator')).toHaveLength(2);

    expect(out).toContain("The model's root causes verified against the tools' output: 4");
    expect(out).toMatch(/\[CODESMITH\] Reasoning with claude-sonnet-4-6 \(\d+ of the ticket's 12 calls, [\d,]+ of its 200,000 tokens and \$[\d.]+ of its \$1 left\)/);
    expect(out).toContain('[CODESMITH] ✓ Created MCP tool: create_estimate_record');
    expect(out).toContain('[CODESMITH] ✓ Generated API endpoint: POST /api/estimates');
    expect(out).toMatch(/\[CODESMITH\] The model's change set \(3 file\(s\), 4 turn\(s\)\): supabase\/functions\/mcp-server\/tools\/estimate_tools\.ts, app\/api\/estimates\/route\.ts, app\/api\/estimates\/route\.test\.ts/);
    expect(out).toContain("[MIGRATOR] ✓ The model's migration link_estimates_to_jobs_and_customers passed its dry run with a verified rollback");
    expect(out).toMatch(/\[MIGRATOR\] ✓ Validated migration safety: dry run applied \d+ schema object\(s\) in \d+ ms; rollback verified/);
    expect(out).toMatch(/\[MIGRATOR\] ✓ Created migration: \d{14}_link_estimates_to_jobs_and_customers\.sql/);
    expect(out).toMatch(/\[STAGE\] ✓ All tests passing \((\d+|\d+ ran with the change, \d+ carried from HEAD [0-9a-f]{12} \(\d+ file\(s\) the change cannot reach\))\)/);

    // What is staged is what the model wrote, and nothing was written to the project.
    expect(readFileSync(join(dir, 'supabase/functions/mcp-server/tools/estimate_tools.ts'), 'utf8')).toBe(project);
    const staged = readdirSync(join(dir, 'staged')).find((d) => /^\d{4}-/.test(d))!;
    const root = join(dir, 'staged', staged);
    const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
    expect(manifest.tests).toMatchObject({ ok: true, failed: 0 });
    expect(manifest.files.map((f: { path: string; agent: string; action: string }) => `${f.agent} ${f.action} ${f.path.replace(/\d{14}/, 'V')}`).sort()).toEqual([
      'CODESMITH create app/api/estimates/route.test.ts',
      'CODESMITH create app/api/estimates/route.ts',
      'CODESMITH modify supabase/functions/mcp-server/tools/estimate_tools.ts',
      'MIGRATOR create supabase/migrations/V_link_estimates_to_jobs_and_customers.sql',
      'MIGRATOR create supabase/rollbacks/V_link_estimates_to_jobs_and_customers.down.sql',
    ]);
    const tool = readFileSync(join(root, 'files/supabase/functions/mcp-server/tools/estimate_tools.ts'), 'utf8');
    expect(tool).toContain("name: 'create_estimate_record'");
    expect(tool).toContain("name: 'list_estimates'"); // an edit, not a rewrite
    const patch = readFileSync(join(root, 'changes.patch'), 'utf8');
    expect(patch).toMatch(/add constraint estimates_job_id_fkey foreign key \(job_id\) references public\.jobs \(id\) not valid;/);
    expect(patch).toContain('drop index if exists public.estimates_job_id_idx;');
    expect(readFileSync(join(root, 'REVIEW.md'), 'utf8')).toMatch(/lib\/voice-agent\/agent\.ts:\d+: calls create_estimate_record/);

    // Usage: read from every response, shown per agent, stored per ticket and agent.
    const usage = usageOf(dir, id)!;
    expect(Object.keys(usage.byAgent).sort()).toEqual(['BugHunter', 'CodeSmith', 'Migrator']);
    expect(usage.total.calls).toBe(s.requests.length);
    for (const a of ['CodeSmith', 'Migrator'] as const) {
      const t = usage.byAgent[a]!;
      expect(t.calls).toBe(by(a).length);
      const line = new RegExp(`\\[${a.toUpperCase()}\\] Model usage \\(${a}\\): ${t.calls} call\\(s\\), ([\\d,]+) tokens sent \\(([\\d,]+) from cache\\)`).exec(out);
      expect(line, out).toBeTruthy();
      expect(Number(line![1]!.replace(/,/g, ''))).toBe(t.input + t.cacheWrite + t.cacheRead);
      expect(t.cacheRead).toBeGreaterThan(0); // the stable prefix was cached after the first call
    }
    const sum = Object.values(usage.byAgent).reduce((n, t) => n + t.input + t.output + t.cacheWrite + t.cacheRead, 0);
    expect(usage.total.input + usage.total.output + usage.total.cacheWrite + usage.total.cacheRead).toBe(sum);

    for (const q of s.requests) {
      expect(q.path).toBe('/v1/messages');
      expect(JSON.stringify(q.headers)).toContain(KEY); // the key travels in a header, never in the body
      expect(q.raw).not.toContain(KEY);
      expect(q.raw).not.toContain(SERVICE_ROLE);
    }
  }, 120_000);
});
