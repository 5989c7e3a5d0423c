// runAgentModel, the turn CodeSmith and the Migrator take with the model: the ticket's budget
// counts what other agents spent (also while this loop runs), usage reaches the ticket as every
// reply arrives and is recorded per agent once. Real SDK, scripted Messages API, real SQLite.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgentModel } from '../../src/integrations/llm/agent-run.js';
import { defineTool } from '../../src/integrations/llm/tools.js';
import { recordUsage, ticketUsage } from '../../src/integrations/llm/usage-store.js';
import { emptyTally, sumTallies, tokensOf, type Tally } from '../../src/integrations/llm/usage.js';
import type { LlmSettings } from '../../src/integrations/llm/settings.js';
import { openStateDb } from '../../src/store/state-db.js';
import { reply, startScriptedServer, toolUse, type Brain } from './scripted-server.mjs';

const servers: Array<{ close(): Promise<void> }> = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A model that never finishes: it asks for the tool on every turn, so only a budget stops it. */
const endless: Brain = () => reply([toolUse('lookup', { word: 'loop' })]);

function project() {
  const root = mkdtempSync(join(tmpdir(), 'crm-agent-agent-run-'));
  dirs.push(root);
  mkdirSync(join(root, '.agent'));
  return root;
}

const settings = (url: string, maxTokens: number): LlmSettings => ({ apiKey: 'sk-ant-api03-test-key-not-real-0123456789', baseURL: url, model: 'claude-sonnet-4-6', maxTurns: 50, budget: { maxTokens, maxCostUsd: 100 }, timeoutMs: 5_000 });
/** Token counts exactly; the cost (a float summed in another order) to many places. */
function expectTally(actual: Tally | undefined, expected: Tally) {
  expect({ ...actual!, costUsd: 0 }).toEqual({ ...expected, costUsd: 0 });
  expect(actual!.costUsd).toBeCloseTo(expected.costUsd, 9);
}

const spent = (tokens: number): Tally => ({ ...emptyTally(), calls: 1, input: tokens, costUsd: 0.01 });

async function run(root: string, ticketId: string, url: string, maxTokens: number, onLookup: () => void = () => undefined) {
  const lines: string[] = [];
  const lookup = defineTool({ name: 'lookup', description: 'Looks a word up.', schema: z.object({ word: z.string() }), run: () => (onLookup(), { text: 'a definition' }) });
  const out = await runAgentModel({
    agent: 'CodeSmith',
    root,
    ticketId,
    settings: settings(url, maxTokens),
    system: 'You are CodeSmith, a test agent.',
    tools: [lookup],
    prompt: 'Define "loop".',
    offline: 'the offline generation',
    ctx: { log: (level, message) => lines.push(`${level} ${message}`), signal: new AbortController().signal, runId: 'RUN-1' },
  });
  return { out, lines };
}

describe('an agent\'s turn with the model', () => {
  it("counts what the ticket's other agents spent against its budget", async () => {
    const s = await startScriptedServer(endless);
    servers.push(s);
    const root = project();
    const db = openStateDb(join(root, '.agent', 'state.db'));
    recordUsage(db, { ticketId: 'BUG-1', agent: 'BugHunter', model: 'claude-sonnet-4-6', tally: spent(6_000) });
    const withPrior = await run(root, 'BUG-1', s.url, 12_000);
    const callsWithPrior = s.requests.length;
    const fresh = await run(root, 'BUG-2', s.url, 12_000);
    const callsFresh = s.requests.length - callsWithPrior;

    expect(withPrior.out!.result.stop).toBe('budget');
    expect(fresh.out!.result.stop).toBe('budget');
    expect(callsWithPrior).toBeGreaterThan(0);
    expect(callsFresh).toBeGreaterThan(callsWithPrior); // the same budget went further without BugHunter's share
    expect(withPrior.lines).toContain("info Reasoning with claude-sonnet-4-6 (49 of the ticket's 50 calls, 6,000 of its 12,000 tokens and $99.99 of its $100 left)");
    expect(withPrior.lines.some((l) => /^warn The model stopped early: token budget: [\d,]+ of 12,000 tokens spent for this ticket, and the next call may take up to [\d,]+ \(its prompt and a 256-token reply\)$/.test(l))).toBe(true);

    // Stored per agent and ticket; the total is the sum; one usage event for the agent's share.
    const u = ticketUsage(db, 'BUG-1')!;
    expectTally(u.byAgent.CodeSmith, withPrior.out!.tally);
    expect(u.byAgent.CodeSmith!.calls).toBe(callsWithPrior);
    expectTally(u.total, sumTallies(spent(6_000), withPrior.out!.tally));
    expect(tokensOf(u.total)).toBeLessThanOrEqual(12_000); // each call was checked with its ceiling: never crossed
    expect(db.events({ ticketId: 'BUG-1' }).filter((e) => e.kind === 'llm.usage' && e.agent === 'CODESMITH')).toHaveLength(1);
    db.close();
  });

  it('sees spending of an agent running beside it before its next call', async () => {
    const s = await startScriptedServer(endless);
    servers.push(s);
    const root = project();
    const db = openStateDb(join(root, '.agent', 'state.db'));
    // While CodeSmith's first tool call runs, the Migrator (beside it) spends most of the budget.
    const r = await run(root, 'BUG-3', s.url, 50_000, () => recordUsage(db, { ticketId: 'BUG-3', agent: 'Migrator', model: 'claude-sonnet-4-6', tally: spent(49_900) }));
    expect(s.requests).toHaveLength(1);
    expect(r.out!.result).toMatchObject({ stop: 'budget', turns: 1 });
    const u = ticketUsage(db, 'BUG-3')!;
    expect(Object.keys(u.byAgent).sort()).toEqual(['CodeSmith', 'Migrator']);
    expectTally(u.total, sumTallies(u.byAgent.Migrator!, u.byAgent.CodeSmith!));
    db.close();
  });
});
