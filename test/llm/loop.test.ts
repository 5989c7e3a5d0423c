// The generic tool-use loop through the real SDK against a scripted Messages API on 127.0.0.1:
// tool calls, a tool the agent does not have, budgets, retries, garbled replies, an unreachable
// API, and that no request body ever carries a secret.
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createServer } from 'node:net';
import { createModelClient, ModelError } from '../../src/integrations/llm/client.js';
import { buildRequest, runToolLoop, type LoopOptions } from '../../src/integrations/llm/loop.js';
import type { ChatMessage, Usage } from '../../src/integrations/llm/types.js';
import { defineTool } from '../../src/integrations/llm/tools.js';
import { emptyTally, tokensOf, type Tally } from '../../src/integrations/llm/usage.js';
import { clearSecretsForTests, registerSecretsFrom } from '../../src/config/redact.js';
import { lastResults, reply, startScriptedServer, step, text, toolUse, type Brain } from './scripted-server.mjs';

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  clearSecretsForTests();
});

const KEY = 'sk-ant-api03-test-key-not-real-0123456789';

async function serve(brain: Brain) {
  const s = await startScriptedServer(brain);
  servers.push(s);
  return s;
}

const lookups: string[] = [];
const lookup = defineTool({
  name: 'lookup',
  description: 'Looks a word up.',
  schema: z.object({ word: z.string() }),
  run: ({ word }) => (lookups.push(word), { text: `definition of ${word}` }),
});

async function loop(url: string, extra: Partial<LoopOptions> = {}) {
  const client = await createModelClient({ apiKey: KEY, baseURL: url, timeoutMs: 2_000, retryBaseMs: 1 });
  return runToolLoop({ client, model: 'claude-sonnet-4-6', system: 'You are a test agent.', tools: [lookup], prompt: 'Define "loop".', maxTurns: 5, budget: { maxTokens: 100_000, maxCostUsd: 1 }, ...extra });
}

/** Calls lookup once, then finishes. */
const twoTurns: Brain = (body) => (step(body) === 0 ? reply([toolUse('lookup', { word: 'loop' })]) : reply([text('done')]));

describe('the tool-use loop', () => {
  it('runs the tools the model asks for, wraps their output as data, caches the stable prefix and the conversation, and counts usage', async () => {
    const s = await serve(twoTurns);
    const usages: Usage[] = [];
    const r = await loop(s.url, { onReply: (x) => usages.push(x.usage) });
    expect(r).toMatchObject({ stop: 'end_turn', turns: 2, finalText: 'done', refusals: [] });
    expect(s.requests).toHaveLength(2);
    const [first, second] = s.requests.map((q) => q.body);
    expect(first.system.at(-1).cache_control).toEqual({ type: 'ephemeral' });
    expect(first.tools.at(-1)).toMatchObject({ name: 'lookup', cache_control: { type: 'ephemeral' }, input_schema: { type: 'object', properties: { word: { type: 'string' } } } });
    expect(lastResults(second)).toBe('<tool_output source="lookup">\ndefinition of loop\n</tool_output>');
    // The end of the conversation carries the third breakpoint: the prompt, then the last tool result.
    expect(first.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Define "loop".', cache_control: { type: 'ephemeral' } }] }]);
    expect(second.messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Define "loop".' }] });
    expect(second.messages.at(-1).content.at(-1).cache_control).toEqual({ type: 'ephemeral' });
    // The second call read all the first one sent from the cache and wrote only what it added.
    const [u1, u2] = usages;
    expect(u1!.cache_read_input_tokens).toBe(0);
    expect(u1!.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(u2!.cache_read_input_tokens).toBe(u1!.cache_creation_input_tokens);
    expect(u2!.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(u2!.input_tokens).toBeLessThan(u2!.cache_creation_input_tokens!);
    expect(r.tally).toMatchObject({ calls: 2, cacheRead: u1!.cache_creation_input_tokens });
    expect(r.tally.costUsd).toBeGreaterThan(0);
  });

  it('marks three breakpoints and never changes the conversation it is given', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'lookup', input: { word: 'a' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'one' }, { type: 'tool_result', tool_use_id: 't2', content: 'two' }] },
    ];
    const copy = structuredClone(messages);
    const req = buildRequest({ model: 'm', system: 's', tools: [lookup] }, messages, 100);
    expect(messages).toEqual(copy);
    expect(JSON.stringify(req).match(/cache_control/g)).toHaveLength(3); // the API allows four
    expect(req.messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'first' }] });
    expect(req.messages[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 't1', content: 'one' },
      { type: 'tool_result', tool_use_id: 't2', content: 'two', cache_control: { type: 'ephemeral' } },
    ]);
  });

  it('caches nothing shorter than the minimum the API caches', async () => {
    const s = await startScriptedServer(twoTurns, { minCacheTokens: 100_000 });
    servers.push(s);
    const r = await loop(s.url);
    expect(r.tally).toMatchObject({ calls: 2, cacheWrite: 0, cacheRead: 0 });
    expect(r.tally.input).toBeGreaterThan(0);
  });

  it('ends without another request when the last tool of a turn says the work is done', async () => {
    const finish = defineTool({ name: 'finish', description: 'Submits.', schema: z.object({ ok: z.boolean() }), run: ({ ok }) => (ok ? { text: 'accepted', done: true } : { text: 'rejected: fix it', isError: true, done: true }) });
    const tools = [lookup, finish];
    // Accepted as the last call: one request, stop 'done'.
    const a = await serve(() => reply([text('submitting'), toolUse('lookup', { word: 'x' }), toolUse('finish', { ok: true })]));
    expect(await loop(a.url, { tools })).toMatchObject({ stop: 'done', detail: 'finish accepted the work', turns: 1, finalText: 'submitting' });
    expect(a.requests).toHaveLength(1);
    // Rejected (an error is never done), followed by another call, or beside a failing call: the model hears back.
    for (const calls of [[toolUse('finish', { ok: false })], [toolUse('finish', { ok: true }), toolUse('lookup', { word: 'y' })], [toolUse('lookup', { word: 3 }), toolUse('finish', { ok: true })]]) {
      const b = await serve((body) => (step(body) === 0 ? reply(calls) : reply([text('ended')])));
      expect(await loop(b.url, { tools })).toMatchObject({ stop: 'end_turn', turns: 2, finalText: 'ended' });
      expect(b.requests).toHaveLength(2);
    }
  });

  it('refuses a tool the agent does not have and tells the model which tools it has', async () => {
    const s = await serve((body) => (step(body) === 0 ? reply([toolUse('deploy', { env: 'production' }), toolUse('lookup', { word: 42 })]) : reply([text('ok')])));
    const r = await loop(s.url);
    expect(r.refusals).toEqual(['no tool named "deploy"; this agent\'s tools are: lookup', 'lookup: invalid input at word: Invalid input: expected string, received number']);
    const results = s.requests[1]!.body.messages.at(-1).content;
    expect(results.map((b: { is_error: boolean }) => b.is_error)).toEqual([true, true]);
  });

  it('stops at max turns and at the token and cost budgets, counting what the ticket spent before', async () => {
    const forever: Brain = () => reply([toolUse('lookup', { word: 'again' })]);
    const s = await serve(forever);
    expect(await loop(s.url, { maxTurns: 3 })).toMatchObject({ stop: 'max_turns', turns: 3 });
    const spent: Tally = { ...emptyTally(), input: 97_000 };
    const before = s.requests.length;
    const tokens = await loop(s.url, { spentBefore: spent, maxTurns: 100, budget: { maxTokens: 100_000, maxCostUsd: 1 } });
    expect(tokens.stop).toBe('budget');
    expect(tokens.detail).toMatch(/^token budget: 9\d,\d{3} of 100,000 tokens spent for this ticket, and the next call may take up to [\d,]+ \(its prompt and a 256-token reply\)$/);
    expect(s.requests.length).toBeGreaterThan(before);
    expect(s.requests.at(-1)!.body.max_tokens).toBeLessThan(3000); // the last reply was capped by what was left
    expect(97_000 + tokensOf(tokens.tally)).toBeLessThanOrEqual(100_000); // checked before each call: never crossed
    const cost = await loop(s.url, { budget: { maxTokens: 1_000_000, maxCostUsd: 0.001 } });
    expect(cost).toMatchObject({ stop: 'budget', turns: 0 }); // even the first call's prompt could cost more
    expect(cost.detail).toMatch(/^cost budget: \$0\.00 of \$0\.0010 spent for this ticket, and the next call may cost up to \$0\.0\d+$/);
  });

  it('retries 429, 500 and overloaded with backoff, and a garbled reply', async () => {
    const retried: string[] = [];
    const plan = [
      { status: 429, headers: { 'retry-after-ms': '5' } },
      { status: 500 },
      { status: 529 },
      { raw: '{"content": [ this is not json' },
    ];
    const s = await serve((body, i) => plan[i] ?? twoTurns(body, i));
    const client = await createModelClient({ apiKey: KEY, baseURL: s.url, timeoutMs: 2_000, retryBaseMs: 1, maxRetries: 4, onRetry: (x) => retried.push(x.reason) });
    const r = await runToolLoop({ client, model: 'claude-haiku-4-5', system: 's', tools: [lookup], prompt: 'p', maxTurns: 5, budget: { maxTokens: 100_000, maxCostUsd: 1 } });
    expect(r.stop).toBe('end_turn');
    expect(retried).toEqual(['rate limited (429)', 'server error (500)', 'overloaded (529)', 'malformed response (not JSON)']);
    expect(s.requests).toHaveLength(6);
  });

  it('gives up with a clear message: retries exhausted, a refused key, an unreachable API, a call that times out', async () => {
    const garbled = await serve(() => ({ raw: '<html>bad gateway</html>' }));
    await expect(loop(garbled.url)).rejects.toThrow(/^Claude unavailable at http:\/\/127\.0\.0\.1:\d+: malformed response \(not JSON\) after 4 attempts$/);
    const refused = await serve(() => ({ status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } }));
    const err = await loop(refused.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).kind).toBe('refused');
    expect(refused.requests).toHaveLength(1); // a refused key is not retried
    const port = await freePort();
    await expect(loop(`http://127.0.0.1:${port}`)).rejects.toThrow(/Claude unavailable at http:\/\/127\.0\.0\.1:\d+: cannot connect after 4 attempts/);
    const slow = await serve(() => ({ ...reply([text('late')]), delayMs: 1_000 }));
    const client = await createModelClient({ apiKey: KEY, baseURL: slow.url, timeoutMs: 150, retryBaseMs: 1, maxRetries: 1 });
    await expect(runToolLoop({ client, model: 'm', system: 's', tools: [lookup], prompt: 'p', maxTurns: 2, budget: { maxTokens: 1e5, maxCostUsd: 1 } })).rejects.toThrow(/the call timed out after 2 attempts/);
  });

  it('never sends a secret: not from the environment, not from a tool result, not from the prompt', async () => {
    const env = { SUPABASE_SERVICE_ROLE_KEY: 'service-role-planted-9f8e7d6c5b', DATABASE_URL: 'postgres://admin:db-pass-planted-42@db.example:5432/crm' };
    registerSecretsFrom(env);
    const leaky = defineTool({
      name: 'read',
      description: 'Reads a file.',
      schema: z.object({}),
      run: () => ({ text: `const key = '${env.SUPABASE_SERVICE_ROLE_KEY}';\nconst url = '${env.DATABASE_URL}';\nconst other = 'sk-ant-api03-another-planted-key-abcdef';` }),
    });
    const s = await serve((body) => (step(body) === 0 ? reply([toolUse('read', {})]) : reply([text('done')])));
    const client = await createModelClient({ apiKey: KEY, baseURL: s.url, timeoutMs: 2_000 });
    await runToolLoop({ client, model: 'm', system: 's', tools: [leaky], prompt: `ticket mentions ${env.SUPABASE_SERVICE_ROLE_KEY}`, maxTurns: 3, budget: { maxTokens: 1e5, maxCostUsd: 1 } });
    expect(s.requests).toHaveLength(2);
    for (const q of s.requests) {
      for (const secret of [KEY, env.SUPABASE_SERVICE_ROLE_KEY, 'db-pass-planted-42', 'sk-ant-api03-another-planted-key-abcdef']) expect(q.raw).not.toContain(secret);
    }
    expect(s.requests[1]!.raw).toContain('[redacted:SUPABASE_SERVICE_ROLE_KEY]');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
