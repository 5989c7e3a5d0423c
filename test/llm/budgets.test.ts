// Budgets that hold: llm.maxTurns, the token and the dollar budget are the ticket's, across its
// agents (one after another, side by side, each with its own database connection as separate
// commands have), and each call is checked with its ceiling before it is sent, so none crosses a
// line. Real SDK against a scripted Messages API that reports usage; real SQLite.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgentModel } from '../../src/integrations/llm/agent-run.js';
import { defineTool } from '../../src/integrations/llm/tools.js';
import { holdsKey, ticketUsage } from '../../src/integrations/llm/usage-store.js';
import { tokensOf } from '../../src/integrations/llm/usage.js';
import type { LlmSettings } from '../../src/integrations/llm/settings.js';
import { openStateDb } from '../../src/store/state-db.js';
import { reply, startScriptedServer, step, text, toolUse, type Brain } from './scripted-server.mjs';

const servers: Array<{ close(): Promise<void> }> = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Never finishes: only a limit stops it. Its tool returns a page of text, so prompts grow. */
const endless: Brain = () => reply([text('Looking further.'), toolUse('lookup', { word: 'loop' })]);

function project() {
  const root = mkdtempSync(join(tmpdir(), 'crm-agent-budgets-'));
  dirs.push(root);
  mkdirSync(join(root, '.agent'));
  return root;
}

const settings = (url: string, o: { maxTurns?: number; maxTokens?: number; maxCostUsd?: number }): LlmSettings => ({
  apiKey: 'sk-ant-api03-test-key-not-real-0123456789',
  baseURL: url,
  model: 'claude-sonnet-4-6',
  maxTurns: o.maxTurns ?? 100,
  budget: { maxTokens: o.maxTokens ?? 1_000_000, maxCostUsd: o.maxCostUsd ?? 100 },
  timeoutMs: 5_000,
});

function agentTurn(root: string, agent: string, s: LlmSettings, lines: string[]) {
  const lookup = defineTool({ name: 'lookup', description: 'Looks a word up.', schema: z.object({ word: z.string() }), run: () => ({ text: `a definition. ${'More about loops. '.repeat(40)}` }) });
  return runAgentModel({
    agent,
    root,
    ticketId: 'BUG-2026-007',
    settings: s,
    system: `You are ${agent}, a test agent.`,
    tools: [lookup],
    prompt: 'Define "loop".',
    offline: 'the offline path',
    ctx: { log: (level, message) => lines.push(`${agent} ${level} ${message}`), signal: new AbortController().signal, runId: 'RUN-1' },
  });
}

function usage(root: string) {
  const db = openStateDb(join(root, '.agent', 'state.db'));
  try {
    return { usage: ticketUsage(db, 'BUG-2026-007')!, holds: db.getKv<Record<string, unknown>>(holdsKey('BUG-2026-007')) };
  } finally {
    db.close();
  }
}

describe('llm.maxTurns counts the ticket, not the agent', () => {
  it('gives the second agent what the first left of 12 calls, and nothing once they are used', async () => {
    // The first agent finishes after 7 calls; the second never would.
    const s = await startScriptedServer((body) => (/CodeSmith/.test(JSON.stringify(body.system)) && step(body) === 6 ? reply([text('Done.')]) : endless(body, 0)));
    servers.push(s);
    const root = project();
    const lines: string[] = [];
    const first = await agentTurn(root, 'CodeSmith', settings(s.url, { maxTurns: 12 }), lines);
    expect(first!.result).toMatchObject({ stop: 'end_turn', turns: 7 });
    const second = await agentTurn(root, 'Migrator', settings(s.url, { maxTurns: 12 }), lines);
    expect(second!.result).toMatchObject({ stop: 'max_turns', turns: 5 });
    expect(s.requests).toHaveLength(12);
    expect(lines.filter((l) => /^Migrator info Reasoning with claude-sonnet-4-6 \(5 of the ticket's 12 calls, [\d,]+ of its 1,000,000 tokens and \$[\d.]+ of its \$100 left\)$/.test(l))).toHaveLength(1);
    expect(lines).toContain("Migrator warn The model stopped early: the ticket's model calls are used up: 12 of 12 (llm.maxTurns, per ticket)");

    // A later command on the same ticket (a fix after an analyze) finds nothing left, and asks nothing.
    const third = await agentTurn(root, 'BugHunter', settings(s.url, { maxTurns: 12 }), lines);
    expect(third!.result).toMatchObject({ stop: 'max_turns', turns: 0 });
    expect(s.requests).toHaveLength(12);
    const { usage: u, holds } = usage(root);
    expect(u.total.calls).toBe(12);
    expect({ CodeSmith: u.byAgent.CodeSmith!.calls, Migrator: u.byAgent.Migrator!.calls }).toEqual({ CodeSmith: 7, Migrator: 5 });
    expect(holds).toEqual({});
  });

  it('holds to 12 calls with two agents side by side', async () => {
    const s = await startScriptedServer(endless);
    servers.push(s);
    const root = project();
    const lines: string[] = [];
    const [a, b] = await Promise.all([agentTurn(root, 'CodeSmith', settings(s.url, { maxTurns: 12 }), lines), agentTurn(root, 'Migrator', settings(s.url, { maxTurns: 12 }), lines)]);
    expect(s.requests).toHaveLength(12);
    expect(a!.result.turns + b!.result.turns).toBe(12);
    expect([a!.result.stop, b!.result.stop]).toEqual(['max_turns', 'max_turns']);
    expect(a!.result.turns).toBeGreaterThan(0);
    expect(b!.result.turns).toBeGreaterThan(0);
    expect(usage(root).usage.total.calls).toBe(12);
  });
});

describe('the token and dollar budgets', () => {
  it('never lets the ticket pass 12,000 tokens, with two agents side by side, and says what was spent', async () => {
    const s = await startScriptedServer(endless);
    servers.push(s);
    const root = project();
    const lines: string[] = [];
    const [a, b] = await Promise.all([agentTurn(root, 'CodeSmith', settings(s.url, { maxTokens: 12_000 }), lines), agentTurn(root, 'Migrator', settings(s.url, { maxTokens: 12_000 }), lines)]);
    const u = usage(root).usage;
    expect(tokensOf(u.total)).toBeLessThanOrEqual(12_000);
    expect(tokensOf(u.total)).toBeGreaterThan(6_000); // the budget was used, not refused up front
    expect(u.total.calls).toBe(s.requests.length);
    expect(a!.result.stop).toBe('budget');
    expect(b!.result.stop).toBe('budget');
    expect(s.requests.every((q) => q.body.max_tokens >= 256 && q.body.max_tokens <= 4096)).toBe(true);
    const stopped = lines.filter((l) => / warn The model stopped early: token budget: /.test(l));
    expect(stopped).toHaveLength(2);
    expect(stopped[0]).toMatch(/token budget: [\d,]+ of 12,000 tokens spent for this ticket, and the next call may take up to [\d,]+ \(its prompt and a 256-token reply\)$/);
  });

  it('never lets the ticket pass its dollar budget', async () => {
    const s = await startScriptedServer(endless);
    servers.push(s);
    const root = project();
    const lines: string[] = [];
    const r = await agentTurn(root, 'CodeSmith', settings(s.url, { maxCostUsd: 0.05 }), lines);
    const u = usage(root).usage;
    expect(r!.result.stop).toBe('budget');
    expect(u.total.costUsd).toBeLessThanOrEqual(0.05);
    expect(u.total.costUsd).toBeGreaterThan(0.02);
    expect(lines.some((l) => /warn The model stopped early: cost budget: \$0\.0\d of \$0\.05 spent for this ticket, and the next call may cost up to \$0\.0\d+$/.test(l))).toBe(true);
  });
});
