// Example 4.1 with Claude as BugHunter's mind: the real CLI in child processes, the real SDK
// pointed (ANTHROPIC_BASE_URL) at a scripted Messages API on 127.0.0.1. The model's causes pass
// the same gates as the offline ones; a bogus cause is caught; a hostile ticket changes nothing;
// no request body carries a secret; an unreachable API falls back to the offline analysis.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';
import { makeDemoCopy, SEED_TICKET } from '../../src/commands/demo.js';
import { openStateDb } from '../../src/store/state-db.js';
import type { TicketUsage } from '../../src/integrations/llm/usage-store.js';
import { example41Brain, reply, startScriptedServer, step, text, toolUse, type Brain } from './scripted-server.mjs';

const dirs: string[] = [];
const servers: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
}, 90_000);

const KEY = 'sk-ant-api03-planted-test-key-0123456789abcdef';
const SERVICE_ROLE = 'service-role-planted-7c1e5a9b3d';

async function freshCopy(): Promise<string> {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-llm-'));
  dirs.push(parent);
  return makeDemoCopy(join(parent, 'crm'));
}

async function serve(brain: Brain) {
  const s = await startScriptedServer(brain);
  servers.push(s);
  return s;
}

const json = (r: { stdout: string }) => parseNdjson(r.stdout).at(-1) as { ok: boolean; exitCode: number; data: any };
const env = (url: string) => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE });

async function ticketIn(dir: string, text: string, url: string): Promise<string> {
  return json(await agent(['create', 'ticket', text, '--json'], { cwd: dir, env: env(url) })).data.ticket.id;
}

function usageOf(dir: string, ticket: string): TicketUsage | undefined {
  const db = openStateDb(join(dir, '.agent', 'state.db'));
  try {
    return db.getKv<TicketUsage>(`llm.usage.${ticket}`);
  } finally {
    db.close();
  }
}

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
