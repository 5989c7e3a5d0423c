// One agent's turn with the model, as CodeSmith and the Migrator take it: the ticket's budget
// (calls, tokens, dollars: what BugHunter and the other agents already spent counts, also while
// they run side by side, in any process), usage added to the ticket as every reply arrives and
// recorded per agent at the end, and a plain
// warning plus the offline path when the API cannot be reached. What the model proposed is the
// caller's business: its tools collect it, and the agent's own gates judge it.
import { join } from 'node:path';
import type { PhaseContext } from '../../engine/phases.js';
import { openStateDb } from '../../store/state-db.js';
import { createModelClient, knownUnavailable, ModelError } from './client.js';
import { finished, runToolLoop, type LoopResult } from './loop.js';
import type { LlmSettings } from './settings.js';
import type { LoopTool } from './tools.js';
import { budgetLeft, emptyTally, formatTally, type Tally } from './usage.js';
import { ticketLedger, ticketUsage } from './usage-store.js';

export interface AgentModelRun {
  /** CodeSmith, Migrator: the name usage is recorded under. */
  agent: string;
  root: string;
  ticketId: string;
  settings: LlmSettings;
  system: string;
  tools: LoopTool[];
  /** The first message; the caller wraps the ticket and other untrusted text with wrapData. */
  prompt: string;
  /** What runs instead when there is no model answer, for the warning: "the offline generation". */
  offline: string;
  ctx: Pick<PhaseContext, 'log' | 'signal' | 'runId'> & Partial<Pick<PhaseContext, 'config'>>;
}

/** Runs the loop; null when the model could not be asked (the reason is logged as a warning). */
export async function runAgentModel(o: AgentModelRun): Promise<{ result: LoopResult; tally: Tally } | null> {
  const { ctx, settings } = o;
  const down = knownUnavailable(settings.baseURL);
  if (down) {
    ctx.log('warn', `${down} (a moment ago, not asked again); continuing with ${o.offline}`);
    return null;
  }
  const db = openStateDb(join(o.root, '.agent', 'state.db'));
  let own: Tally = emptyTally();
  const record = { ticketId: o.ticketId, runId: ctx.runId, agent: o.agent, model: settings.model };
  const ledger = ticketLedger(db, record);
  // issue 18: the admin's own MCP tools, read ones to look, write ones behind approval.
  const mcp = await import('../mcp-model-tools.js');
  let user: Awaited<ReturnType<typeof mcp.userToolsForModel>> | null = null;
  try {
    if (ctx.config) user = await mcp.userToolsForModel({ config: ctx.config, root: o.root, ticketId: o.ticketId, agent: o.agent, ctx });
    ctx.log('info', `Reasoning with ${settings.model} (${budgetLeft(ticketUsage(db, o.ticketId)?.total ?? emptyTally(), settings)})`);
    let result: LoopResult;
    try {
      const client = await createModelClient({
        apiKey: settings.apiKey,
        baseURL: settings.baseURL,
        timeoutMs: settings.timeoutMs,
        onRetry: (r) => ctx.log('warn', `Claude: ${r.reason}; retry ${r.attempt} in ${r.waitMs} ms`),
      });
      result = await runToolLoop({
        client,
        model: settings.model,
        system: user?.tools.length ? `${o.system}\n${mcp.MCP_TOOLS_RULE}` : o.system,
        tools: [...o.tools, ...(user?.tools ?? [])],
        prompt: o.prompt,
        maxTurns: settings.maxTurns,
        budget: settings.budget,
        // Every reply reaches the ticket's totals as it arrives; every call is decided against them.
        ledger,
        signal: ctx.signal,
        onReply: (r) => (own = r.tally),
        onToolCall: (c) => ctx.log('debug', `model called ${c.name}${c.refused ? ' (refused)' : c.ok ? '' : ' (error)'}`, { tool: c.name }),
      });
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      ctx.log('warn', `${err.message}; continuing with ${o.offline}`);
      return null;
    }
    for (const r of result.refusals) ctx.log('warn', `Refused a model tool call: ${r}`);
    if (!finished(result.stop)) ctx.log('warn', `The model stopped early: ${result.detail}`);
    return { result, tally: own };
  } finally {
    if (own.calls) {
      const total = ledger.finish(own).total;
      ctx.log('info', `Model usage (${o.agent}): ${formatTally(own)}; ticket ${o.ticketId} total: ${formatTally(total)}`, { llm: { agent: own, ticket: total, model: settings.model } });
    }
    await user?.close();
    db.close();
  }
}

