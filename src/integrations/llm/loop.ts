// A generic tool-use loop: any agent hands it a system prompt, its own tools and a first
// message; the model may call those tools and nothing else. Calls, tokens and cost are budgeted per
// ticket and checked before each call with its ceiling (its prompt and max_tokens), so no reply can
// carry the ticket past a budget; usage is read from every reply. The stable prefix (system prompt, tool definitions) is marked
// for prompt caching, and so is the end of the conversation so far: the next turn re-sends it all
// (the API is stateless) and reads that part from the cache at a tenth of the price. A tool that
// says the work is done ends the loop without one more request.
import type { ModelClient } from './client.js';
import { toolDefinition, wrapData, type LoopTool } from './tools.js';
import type { ChatMessage, ModelRequest, ReplyBlock, ToolResultBlock, Usage, UserTextBlock } from './types.js';
import { addUsage, emptyTally, minusTally, planCall, sentOf, sumTallies, type Budget, type CallPlan, type Tally } from './usage.js';

export interface LoopOptions {
  client: ModelClient;
  model: string;
  system: string;
  tools: readonly LoopTool[];
  /** The first user message; the caller wraps untrusted text (a ticket) with wrapData. */
  prompt: string;
  /** Model calls per ticket: the calls in `spentBefore` or the ledger count too. */
  maxTurns: number;
  budget: Budget;
  /**
   * What this ticket spent outside this loop (earlier runs, other agents): counts against the
   * budget. A function is asked again before every call, for agents that run side by side.
   */
  spentBefore?: Tally | (() => Tally);
  /** The ticket's shared account (usage-store's ticketLedger); replaces spentBefore. */
  ledger?: SpendLedger;
  maxReplyTokens?: number;
  signal?: AbortSignal;
  onReply?: (info: { turn: number; usage: Usage; tally: Tally }) => void;
  onToolCall?: (info: { name: string; input: unknown; ok: boolean; refused: boolean }) => void;
}

/** end_turn: the model finished; done: a tool said the work is done (the other reasons stop early). */
export type StopReason = 'end_turn' | 'done' | 'max_turns' | 'budget' | 'max_tokens' | 'refusal';

/** Did the loop end because the work was finished, not cut short? */
export const finished = (stop: StopReason): boolean => stop === 'end_turn' || stop === 'done';

export interface LoopResult {
  stop: StopReason;
  detail: string;
  turns: number;
  /** This loop's usage only. */
  tally: Tally;
  finalText: string;
  /** Calls to tools the agent does not have, or with invalid input. */
  refusals: string[];
}

export const DATA_TAG = 'tool_output';

/**
 * A ticket's spending, shared by every agent of the ticket in every process: the call is decided
 * against all of it and its ceiling held before it is sent, so that agents side by side cannot
 * both take the last of a budget.
 */
export interface SpendLedger {
  /** Decides with everything the ticket spent (other calls in flight at their ceiling); an ok holds the call's ceiling. */
  reserve(decide: (spent: Tally) => CallPlan): CallPlan;
  /** The reply's usage takes the place of the hold. */
  settle(usage: Tally): void;
  /** The call failed: its hold is dropped. */
  release(): void;
}

/** Tokens of the API's own tool-use system prompt (a few hundred), counted on top of the request's bytes. */
export const TOOL_PROMPT_TOKENS = 600;
/** Framing of a re-sent reply beyond its output tokens (role, block boundaries, moved cache marks). */
const RESENT_MARGIN = 100;

const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));

/**
 * An upper bound of a request's prompt tokens, without a tokenizer: a token is at least one byte of
 * the text, and the JSON around the text is longer than the API's framing of it. After a reply the
 * part already sent is known exactly (the usage the API reported, plus the reply re-sent), so only
 * what was added since is bounded by its bytes. Pure.
 */
export function promptCeiling(req: Pick<ModelRequest, 'system' | 'tools' | 'messages'>, known?: { tokens: number; messages: number }): number {
  const whole = bytes({ system: req.system, tools: req.tools, messages: req.messages }) + TOOL_PROMPT_TOKENS;
  if (!known) return whole;
  return Math.min(whole, known.tokens + bytes(req.messages.slice(known.messages)));
}

/**
 * The request for one turn: cache_control on the last tool, the system prompt, and the last block
 * of the conversation (three of the API's four breakpoints). The first message always goes as a
 * text block, so that its bytes are the same whether it carries the breakpoint or not. Pure: the
 * messages passed in are not changed.
 */
export function buildRequest(o: Pick<LoopOptions, 'model' | 'system' | 'tools'>, messages: ChatMessage[], maxTokens: number): ModelRequest {
  const tools = o.tools.map(toolDefinition);
  if (tools.length) tools[tools.length - 1] = { ...tools[tools.length - 1]!, cache_control: { type: 'ephemeral' } };
  const blocks = (m: ChatMessage) => (typeof m.content === 'string' ? [{ type: 'text', text: m.content } satisfies UserTextBlock] : m.content);
  const sent: ChatMessage[] = messages.map((m, i) => {
    const content = blocks(m);
    if (i < messages.length - 1 || !content.length) return typeof m.content === 'string' ? { role: m.role, content } : m;
    return { role: m.role, content: [...content.slice(0, -1), { ...content.at(-1)!, cache_control: { type: 'ephemeral' } }] };
  });
  return { model: o.model, max_tokens: maxTokens, system: [{ type: 'text', text: o.system, cache_control: { type: 'ephemeral' } }], tools, messages: sent };
}

async function callTool(tools: readonly LoopTool[], block: Extract<ReplyBlock, { type: 'tool_use' }>, signal?: AbortSignal): Promise<{ result: ToolResultBlock; refused: string | null; done?: boolean }> {
  const tool = tools.find((t) => t.name === block.name);
  const fail = (text: string, refused: string | null) => ({ result: { type: 'tool_result' as const, tool_use_id: block.id, content: text, is_error: true }, refused });
  if (!tool) {
    const msg = `no tool named "${block.name}"; this agent's tools are: ${tools.map((t) => t.name).join(', ')}`;
    return fail(msg, msg);
  }
  const parsed = tool.schema.safeParse(block.input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const msg = `${block.name}: invalid input${issue ? ` at ${issue.path.join('.') || '(root)'}: ${issue.message}` : ''}`;
    return fail(msg, msg);
  }
  try {
    const out = await tool.run(parsed.data, signal);
    return { result: { type: 'tool_result', tool_use_id: block.id, content: wrapData(DATA_TAG, block.name, out.text), ...(out.isError ? { is_error: true } : {}) }, refused: null, done: Boolean(out.done && !out.isError) };
  } catch (err) {
    return fail(wrapData(DATA_TAG, block.name, `${block.name} failed: ${(err as Error).message}`), null);
  }
}

export async function runToolLoop(o: LoopOptions): Promise<LoopResult> {
  const messages: ChatMessage[] = [{ role: 'user', content: o.prompt }];
  let tally = emptyTally();
  const refusals: string[] = [];
  let finalText = '';
  const done = (stop: StopReason, detail: string, turns: number): LoopResult => ({ stop, detail, turns, tally, finalText, refusals });
  let known: { tokens: number; messages: number } | undefined;
  const limits = { budget: o.budget, maxCalls: o.maxTurns, maxReply: o.maxReplyTokens ?? 4096 };
  for (let turn = 1; ; turn++) {
    const req = buildRequest(o, messages, 0);
    const promptTokens = promptCeiling(req, known);
    const decide = (spent: Tally) => planCall(spent, limits, promptTokens, o.model);
    let plan: CallPlan;
    if (o.ledger) plan = o.ledger.reserve(decide);
    else {
      const elsewhere = typeof o.spentBefore === 'function' ? o.spentBefore() : o.spentBefore;
      plan = decide(sumTallies(elsewhere ?? emptyTally(), tally));
    }
    if (plan.type === 'stop') return done(plan.stop, plan.reason, turn - 1);
    const maxTokens = (req.max_tokens = plan.maxTokens);
    let reply;
    try {
      reply = await o.client.send(req, o.signal);
    } catch (err) {
      o.ledger?.release();
      throw err;
    }
    const before = tally;
    tally = addUsage(tally, reply.usage, o.model);
    o.ledger?.settle(minusTally(tally, before));
    known = { tokens: sentOf(minusTally(tally, before)) + reply.usage.output_tokens + RESENT_MARGIN, messages: messages.length + 1 };
    o.onReply?.({ turn, usage: reply.usage, tally });
    messages.push({ role: 'assistant', content: reply.content });
    finalText = reply.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n').trim() || finalText;
    const calls = reply.content.filter((b): b is Extract<ReplyBlock, { type: 'tool_use' }> => b.type === 'tool_use');
    if (reply.stop_reason === 'refusal') return done('refusal', 'the model declined to continue', turn);
    if (!calls.length) {
      return reply.stop_reason === 'max_tokens' ? done('max_tokens', `a reply hit max_tokens (${maxTokens})`, turn) : done('end_turn', 'the model finished', turn);
    }
    const results: ToolResultBlock[] = [];
    let doneBy: string | null = null;
    for (const call of calls) {
      const { result, refused, done } = await callTool(o.tools, call, o.signal);
      if (refused) refusals.push(refused);
      o.onToolCall?.({ name: call.name, input: call.input, ok: !result.is_error, refused: Boolean(refused) });
      results.push(result);
      doneBy = done ? call.name : null; // only the turn's last call may end it
    }
    messages.push({ role: 'user', content: results });
    if (doneBy && results.every((r) => !r.is_error)) return done('done', `${doneBy} accepted the work`, turn);
  }
}
