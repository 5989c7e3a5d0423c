// The programmatic API: what the dashboard, the MCP server, test fixtures and embedders use.
export { runCli, VERSION, type RunOptions } from './cli/run.js';
export { COMMANDS } from './commands/registry.js';
export { createContext, runCommand, statePath } from './commands/dispatch.js';
export { defineCommand, type CommandDef, type CommandContext, type Reporter } from './commands/types.js';
export { StateDb, openStateDb } from './store/state-db.js';
export { Orchestrator, type AgentTask } from './engine/orchestrator.js';
export { item, runPhases, type PhaseHandlers, type PhaseOutcome } from './engine/phases.js';
export { openProject } from './config/project.js';
export { loadSecrets } from './config/secrets.js';
export { createReporter } from './cli/output.js';
export { makeStyle } from './cli/style.js';
export * from './errors.js';
export { makeDemoCopy, SEED_TICKET } from './commands/demo.js';
export { testWithChange } from '../agents/shared/verify-worktree.js';
export { openPglite } from './integrations/postgres/pglite.js';
