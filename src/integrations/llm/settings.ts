// Whether the agents reason with Claude, and with what limits. Cheap: no SDK, no zod.
import type { AgentConfig } from '../../config/config.js';
import { loadSecrets } from '../../config/secrets.js';

export interface LlmSettings {
  apiKey: string;
  baseURL: string | undefined;
  model: string;
  maxTurns: number;
  budget: { maxTokens: number; maxCostUsd: number };
  timeoutMs: number;
}

/** The model settings when ANTHROPIC_API_KEY is set (env or the project's .env), else null. */
export function llmSettings(root: string, config: AgentConfig, env: NodeJS.ProcessEnv = process.env): LlmSettings | null {
  const secrets = loadSecrets(root, env);
  const apiKey = secrets.get('ANTHROPIC_API_KEY');
  if (!apiKey) return null;
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
