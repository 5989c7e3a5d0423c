// Whether the agents reason with Claude, and with what limits. Cheap: no SDK, no zod.
import type { AgentConfig } from '../../config/config.js';
import { loadSecrets, type Secrets } from '../../config/secrets.js';

export interface LlmSettings {
  apiKey: string;
  baseURL: string | undefined;
  model: string;
  maxTurns: number;
  budget: { maxTokens: number; maxCostUsd: number };
  timeoutMs: number;
}

/**
 * issue 18: which mind the agents use. Model mode is chosen (llm.enabled, or --model for one run),
 * never taken from a key that happens to be in the environment (Claude Code's own, under `agent mcp`).
 */
export type LlmMode =
  | { on: true; keySource: 'env' | '.env'; detail: string }
  | { on: false; keySource: 'env' | '.env' | null; detail: string };

export function llmMode(config: AgentConfig, secrets: Pick<Secrets, 'source'>): LlmMode {
  const keySource = secrets.source('ANTHROPIC_API_KEY');
  if (!config.llm.enabled) {
    return {
      on: false,
      keySource,
      detail: keySource
        ? `offline: ANTHROPIC_API_KEY is set (${keySource}) but model mode is off; set llm.enabled in agent.config.json (or pass --model) to use it`
        : 'offline (llm.enabled is off and no ANTHROPIC_API_KEY is set)',
    };
  }
  if (!keySource) return { on: false, keySource, detail: 'offline: llm.enabled is on but ANTHROPIC_API_KEY is not set (env or .env)' };
  return { on: true, keySource, detail: `model mode (${config.llm.model}), with the ANTHROPIC_API_KEY from ${keySource === 'env' ? 'the environment' : "the project's .env"}` };
}

/** --model: model mode for this run, whatever llm.enabled says (the config object is this process's own). */
export function enableModelForRun(config: AgentConfig): void {
  config.llm.enabled = true;
}

/** The model settings when model mode is on (llm.enabled or --model) and ANTHROPIC_API_KEY is set (env or .env), else null. */
export function llmSettings(root: string, config: AgentConfig, env: NodeJS.ProcessEnv = process.env): LlmSettings | null {
  const secrets = loadSecrets(root, env);
  const apiKey = secrets.get('ANTHROPIC_API_KEY');
  if (!apiKey || !llmMode(config, secrets).on) return null;
  const c = config.llm;
  return {
    apiKey,
    baseURL: secrets.get('ANTHROPIC_BASE_URL'),
    model: c.model,
    maxTurns: c.maxTurns,
    budget: { maxTokens: c.maxTokensPerTicket, maxCostUsd: c.maxCostUsdPerTicket },
    timeoutMs: c.timeoutMs,
  };
}
