// Claude as the agents' mind: a generic tool-use loop, its client, budgets and usage.
export { createModelClient, ModelError, parseReply, type ModelClient, type ClientOptions } from './client.js';
export { runToolLoop, buildRequest, finished, promptCeiling, DATA_TAG, type LoopOptions, type LoopResult, type SpendLedger, type StopReason } from './loop.js';
export { defineTool, toolDefinition, wrapData, type LoopTool, type ToolOutput } from './tools.js';
export { addUsage, budgetLeft, checkBudget, costOf, emptyTally, formatTally, planCall, sentOf, sumTallies, tokensOf, type Budget, type CallPlan, type Tally } from './usage.js';
export { backoffMs, classify } from './retry.js';
export { llmSettings, type LlmSettings } from './settings.js';
export { recordUsage, ticketLedger, ticketUsage, usageKey, type TicketUsage } from './usage-store.js';
export type * from './types.js';
