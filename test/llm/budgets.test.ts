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
import { emptyTally, planCall, tokensOf, type Tally } from '../../src/integrations/llm/usage.js';
import { buildRequest, promptCeiling } from '../../src/integrations/llm/loop.js';
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

describe('the decision before a call (pure)', () => {
  const limits = { budget: { maxTokens: 12_000, maxCostUsd: 1 }, maxCalls: 12, maxReply: 4096 };
  const spent = (o: Partial<Tally>): Tally => ({ ...emptyTally(), ...o });

  it('shrinks max_tokens to what is left after the prompt, and refuses a call with no room for a reply', () => {
    expect(planCall(spent({ calls: 2, input: 2_000 }), limits, 3_000, 'claude-sonnet-4-6')).toMatchObject({ type: 'ok', maxTokens: 4096 });
    const tight = planCall(spent({ calls: 2, input: 8_000 }), limits, 3_000, 'claude-sonnet-4-6');
    expect(tight).toMatchObject({ type: 'ok', maxTokens: 1_000, ceiling: { calls: 1, cacheWrite: 3_000, output: 1_000 } });
    expect(planCall(spent({ calls: 2, input: 8_800 }), limits, 3_000, 'claude-sonnet-4-6')).toEqual({
      type: 'stop',
      stop: 'budget',
      reason: 'token budget: 8,800 of 12,000 tokens spent for this ticket, and the next call may take up to 3,256 (its prompt and a 256-token reply)',
    });
    expect(planCall(spent({ calls: 12 }), limits, 10, 'claude-sonnet-4-6')).toMatchObject({ type: 'stop', stop: 'max_turns', reason: "the ticket's model calls are used up: 12 of 12 (llm.maxTurns, per ticket)" });
  });

  it('prices the ceiling at the dearest input rate and the output rate', () => {
    // sonnet: cache write $3.75/M, output $15/M. $0.05 left: 2,000 prompt tokens ($0.0075) leave $0.0425 = 2,833 output tokens.
    const r = planCall(spent({ calls: 1, costUsd: 0.95 }), { ...limits, budget: { maxTokens: 1e9, maxCostUsd: 1 } }, 2_000, 'claude-sonnet-4-6');
    expect(r).toMatchObject({ type: 'ok', maxTokens: 2_833 });
    expect(r.type === 'ok' && r.ceiling.costUsd).toBeLessThanOrEqual(0.05 + 1e-12);
  });

  it('bounds a prompt by its bytes until the API has counted it, then by what was added since', () => {
    const req = buildRequest({ model: 'm', system: 'You are a test agent.', tools: [] }, [{ role: 'user', content: 'Define "loop". '.repeat(50) }], 0);
    const whole = promptCeiling(req);
    expect(whole).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify({ system: req.system, tools: req.tools, messages: req.messages })));
    const next = buildRequest({ model: 'm', system: 'You are a test agent.', tools: [] }, [...req.messages, { role: 'assistant', content: [{ type: 'text', text: 'ok' }] }, { role: 'user', content: 'more' }], 0);
    expect(promptCeiling(next, { tokens: 300, messages: 2 })).toBe(300 + Buffer.byteLength(JSON.stringify(next.messages.slice(2))));
  });
});
