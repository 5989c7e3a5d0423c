// Example 4.1 with Claude as BugHunter's mind: the real CLI in child processes, the real SDK
// pointed (ANTHROPIC_BASE_URL) at a scripted Messages API on 127.0.0.1. The model's causes pass
// the same gates as the offline ones (the failure cases are in model-gates.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent } from '../helpers.js';
import { SEED_TICKET } from '../../src/commands/demo.js';
import { cleanup, env, freshCopy, json, KEY, SERVICE_ROLE, serve, ticketIn, usageOf } from './setup.js';
import { example41Brain } from './scripted-server.mjs';

afterAll(cleanup, 90_000);

describe('example 4.1 with a model', () => {
  it('fixes AI-EST-142 from the model\'s causes, through the same gates, and records usage per agent and ticket', async () => {
    const s = await serve(example41Brain);
    const dir = await freshCopy();
    const id = await ticketIn(dir, SEED_TICKET, s.url);
    const r = await agent(['fix', 'ticket', id], { cwd: dir, env: env(s.url) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(s.requests).toHaveLength(3);
    expect(r.stdout).toContain('[BUGHUNTER] Reasoning with claude-sonnet-4-6 (up to 12 turns; ticket budget 200,000 tokens, $1)');
    expect(r.stdout).toContain("The model's root causes verified against the tools' output: 4");
    expect(r.stdout).not.toMatch(/Rejected the model's root cause|continuing with the offline/);
    expect(r.stdout).toContain('[BUGHUNTER] ✓ Missing MCP tool: create_estimate_record');
    expect(r.stdout).toContain('[CODESMITH] ✓ Created MCP tool: create_estimate_record');
    expect(r.stdout).toContain('[CODESMITH] ✓ Generated API endpoint: POST /api/estimates');
    expect(r.stdout).toMatch(/\[MIGRATOR\] ✓ Created migration: \d{14}_add_estimates_foreign_keys\.sql/);
    const staged = readdirSync(join(dir, 'staged')).find((d) => /^\d{4}-/.test(d))!;
    const manifest = JSON.parse(readFileSync(join(dir, 'staged', staged, 'manifest.json'), 'utf8'));
    expect(manifest.tests).toMatchObject({ ok: true, failed: 0 });
    // The causes in the review are the model's, with the evidence it cited.
    expect(readFileSync(join(dir, 'staged', staged, 'REVIEW.md'), 'utf8')).toMatch(/lib\/voice-agent\/agent\.ts:\d+: calls create_estimate_record/);

    const line = /Model usage \(BugHunter\): 3 call\(s\), ([\d,]+) tokens sent \(([\d,]+) from cache\)/.exec(r.stdout);
    expect(line, r.stdout).toBeTruthy();
    const usage = usageOf(dir, id)!;
    expect(usage.total.calls).toBe(3);
    expect(usage.byAgent.BugHunter).toEqual(usage.total);
    expect(usage.total.cacheRead).toBeGreaterThan(0);
    for (const q of s.requests) {
      expect(q.path).toBe('/v1/messages');
      expect(JSON.stringify(q.headers)).toContain(KEY); // the key travels in a header (this SDK: Bearer), never in the body
      expect(q.raw).not.toContain(KEY);
      expect(q.raw).not.toContain(SERVICE_ROLE);
    }
  }, 90_000);
});
