// agent.config.json: its schema, the embedded defaults, and errors that name the JSON path.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as z from 'zod/mini';
import { zodMiniIfLoaded, type ZodMini } from './zod-mini.js';
import { UsageError } from '../errors.js';
import { formatIssue } from './zod-issue.js';
import { configDigest, knownValid, rememberValid } from './config-digest.js';

export const CONFIG_FILE = 'agent.config.json';

// Built from zod/mini on first use: `agent status` in a project without a config file never loads zod.
function buildSchema(z: ZodMini) {
  const percent = z.number().check(z.minimum(0), z.maximum(100));
  const count = z.int().check(z.minimum(0));
  const httpUrl = z.string().check(z.regex(/^https?:\/\/\S+$/, 'an http(s) URL'));

  // issue 18: the admin's tool server: a URL (protocol found by the handshake) or a stdio command
  // like an entry of .mcp.json, whose env names the variables it gets (names only, never a value).
  const mcpServer = z.strictObject({
    url: z.optional(httpUrl),
    protocol: z.optional(z.enum(['streamable-http', 'edge-function'])),
    server: z.optional(
      z.strictObject({
        command: z.string().check(z.minLength(1)),
        args: z.optional(z.array(z.string())),
        env: z.optional(z.array(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name')))),
      }),
    ),
  });
  const varName = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name'));

  const environment = z.strictObject({
    // issue 18: this environment's own tool server and Supabase project (url: an http URL or a
    // variable holding one; serviceRoleKey: the variable holding the key). StageAgent verifies a
    // deployed fix there; BugHunter calls a write tool only on staging's.
    mcp: z.optional(mcpServer),
    supabase: z.optional(z.strictObject({ url: z.string().check(z.minLength(1)), serviceRoleKey: varName })),
    /** A postgres:// URL, the name of an environment variable holding one, or "embedded". */
    database: z.optional(z.string().check(z.minLength(1))),
    url: z.optional(httpUrl),
    healthUrl: z.optional(httpUrl),
    deploy: z.optional(z.array(z.string().check(z.minLength(1)))),
    /** Commands `agent rollback` runs after reverting the code and migrations (tear down what deploy started). */
    rollback: z.optional(z.array(z.string().check(z.minLength(1)))),
    maintenance: z.optional(
      z.strictObject({ on: z.optional(z.array(z.string().check(z.minLength(1)))), off: z.optional(z.array(z.string().check(z.minLength(1)))) }),
    ),
  });

  return z.strictObject({
    $schema: z.optional(z.string()),
    project: z.optional(z.strictObject({ name: z.optional(z.string().check(z.minLength(1))) })),
    agents: z.optional(
      z.strictObject({
        maxConcurrent: z.optional(z.int().check(z.minimum(1), z.maximum(50))),
        heartbeatMs: z.optional(z.int().check(z.minimum(100), z.maximum(60_000))),
        staleAfterMs: z.optional(z.int().check(z.minimum(1_000), z.maximum(3_600_000))),
      }),
    ),
    gates: z.optional(
      z.strictObject({
        understandingConfidence: z.optional(percent),
        maxCriticalCycles: z.optional(count),
        requireMitigations: z.optional(z.boolean()),
        testCoverage: z.optional(percent),
        requirePreconditions: z.optional(z.boolean()),
        maxPostErrors: z.optional(count),
      }),
    ),
    approvals: z.optional(
      z.strictObject({
        databaseDestructive: z.optional(z.boolean()),
        productionDeployment: z.optional(z.boolean()),
        credentialChange: z.optional(z.boolean()),
        agentConfigChange: z.optional(z.boolean()),
        stagingDeployment: z.optional(z.boolean()),
        codeGeneration: z.optional(z.boolean()),
        waitForDashboardMs: z.optional(z.int().check(z.minimum(0), z.maximum(3_600_000))),
      }),
    ),
    environments: z.optional(z.strictObject({ staging: z.optional(environment), production: z.optional(environment) })),
    mcp: z.optional(mcpServer),
    email: z.optional(z.strictObject({ to: z.optional(z.string()), from: z.optional(z.string()) })),
    test: z.optional(z.strictObject({ command: z.optional(z.string().check(z.minLength(1))) })),
    health: z.optional(z.strictObject({ timeoutMs: z.optional(z.int().check(z.minimum(100), z.maximum(60_000))) })),
    // llm (issue 6): Claude as the agents' mind when ANTHROPIC_API_KEY is set.
    llm: z.optional(
      z.strictObject({
        model: z.optional(z.string().check(z.minLength(1))),
        maxTurns: z.optional(z.int().check(z.minimum(1), z.maximum(100))),
        maxTokensPerTicket: z.optional(z.int().check(z.minimum(1_000))),
        maxCostUsdPerTicket: z.optional(z.number().check(z.minimum(0))),
        timeoutMs: z.optional(z.int().check(z.minimum(100), z.maximum(600_000))),
        // issue 18: model mode is chosen here (or by --model), never by the key's mere presence.
        enabled: z.optional(z.boolean()),
      }),
    ),
    // issue 13: how long any network call (Resend, Supabase admin, the MCP client) may take.
    network: z.optional(z.strictObject({ timeoutMs: z.optional(z.int().check(z.minimum(100), z.maximum(600_000))) })),
    // issue 16: backups under .agent/backups (a production deploy takes one first), kept by count and age.
    backups: z.optional(
      z.strictObject({
        beforeProductionDeploy: z.optional(z.boolean()),
        keep: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
        maxAgeDays: z.optional(z.int().check(z.minimum(1), z.maximum(3650))),
      }),
    ),
  });
}

let schema: ReturnType<typeof buildSchema> | undefined;

/** The schema of agent.config.json (zod/mini must be loaded: openProject() does it when the file exists). */
export function configSchema(): ReturnType<typeof buildSchema> {
  if (schema) return schema;
  const zm = zodMiniIfLoaded();
  if (!zm) throw new Error('zod/mini is not loaded: await loadZodMini() (openProject does) before parsing agent.config.json');
  return (schema = buildSchema(zm));
}

export type ConfigFile = z.infer<ReturnType<typeof buildSchema>>;
type EnvironmentFile = NonNullable<NonNullable<ConfigFile['environments']>['staging']>;

export interface EnvironmentConfig {
  /** The environment's database: a URL, an env var name holding one, or "embedded" (default: its own embedded data dir). */
  database?: string;
  url?: string;
  healthUrl?: string;
  deploy: string[];
  /** Commands `agent rollback` runs last, after the migrations and code are reverted (e.g. `docker compose down`). */
  rollback?: string[];
  /** Commands that take the app offline and bring it back (`emergency maintenance on|off`). */
  maintenance?: { on?: string[]; off?: string[] };
  /** issue 18: this environment's tool server and Supabase project (the key: a variable's name). */
  mcp?: McpConfig;
  supabase?: { url: string; serviceRoleKey: string };
}

/** protocol absent: found by the handshake; server: a stdio command (issue 18). */
export type McpConfig = { url?: string; protocol?: 'streamable-http' | 'edge-function'; server?: { command: string; args?: string[]; env?: string[] } };

/** The config every command sees: the file merged over these embedded defaults. */
export interface AgentConfig {
  source: string | null;
  project: { name: string };
  agents: { maxConcurrent: number; heartbeatMs: number; staleAfterMs: number };
  gates: {
    understandingConfidence: number;
    maxCriticalCycles: number;
    requireMitigations: boolean;
    testCoverage: number;
    requirePreconditions: boolean;
    maxPostErrors: number;
  };
  approvals: {
    databaseDestructive: boolean;
    productionDeployment: boolean;
    credentialChange: boolean;
    agentConfigChange: boolean;
    stagingDeployment: boolean;
    codeGeneration: boolean;
    waitForDashboardMs: number;
  };
  environments: { staging: EnvironmentConfig; production: EnvironmentConfig };
  mcp: McpConfig;
  email: { to: string; from: string };
  test: { command?: string };
  health: { timeoutMs: number };
  /** issue 6: model name, turns, per-ticket token and cost budget, per-call timeout. */
  llm: { enabled: boolean; model: string; maxTurns: number; maxTokensPerTicket: number; maxCostUsdPerTicket: number; timeoutMs: number };
  /** issue 13: per network call (Resend, Supabase admin, MCP client); a finished deploy waits on its email no longer. */
  network: { timeoutMs: number };
  /** issue 16: a backup before each production deploy; retention keeps the newest `keep` and none older than `maxAgeDays` (pre-restore backups count too). */
  backups: { beforeProductionDeploy: boolean; keep: number; maxAgeDays: number };
}

export function defaultConfig(projectName: string): AgentConfig {
  return {
    source: null,
    project: { name: projectName },
    agents: { maxConcurrent: 5, heartbeatMs: 1000, staleAfterMs: 15_000 },
    // Seed section 6.3.
    gates: {
      understandingConfidence: 95,
      maxCriticalCycles: 0,
      requireMitigations: true,
      testCoverage: 80,
      requirePreconditions: true,
      maxPostErrors: 0,
    },
    // Seed section 7.2.
    approvals: {
      databaseDestructive: true,
      productionDeployment: true,
      credentialChange: true,
      agentConfigChange: false,
      stagingDeployment: false,
      codeGeneration: false,
      waitForDashboardMs: 600_000,
    },
    environments: { staging: { deploy: [] }, production: { deploy: [] } },
    mcp: {},
    email: { to: 'admin@localhost', from: 'crm-agent <agent@localhost>' },
    test: {},
    health: { timeoutMs: 3000 },
    llm: { enabled: false, model: 'claude-sonnet-4-6', maxTurns: 12, maxTokensPerTicket: 200_000, maxCostUsdPerTicket: 1, timeoutMs: 60_000 },
    network: { timeoutMs: 30_000 },
    backups: { beforeProductionDeploy: true, keep: 10, maxAgeDays: 30 },
  };
}

export function parseConfig(text: string, projectName: string, source = CONFIG_FILE): AgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source}: not valid JSON (${(err as Error).message}); fix the syntax or delete the file to use the defaults`);
  }
  const parsed = configSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${source}: ${formatIssue(issue, raw)}`);
  }
  return mergeConfig(defaultConfig(projectName), parsed.data, source);
}

export function mergeConfig(base: AgentConfig, file: ConfigFile, source: string): AgentConfig {
  const env = (b: EnvironmentConfig, f?: EnvironmentFile) => ({
    ...b,
    ...f,
    deploy: f?.deploy ?? b.deploy,
  });
  return {
    source,
    project: { name: file.project?.name ?? base.project.name },
    agents: { ...base.agents, ...file.agents },
    gates: { ...base.gates, ...file.gates },
    approvals: { ...base.approvals, ...file.approvals },
    environments: {
      staging: env(base.environments.staging, file.environments?.staging),
      production: env(base.environments.production, file.environments?.production),
    },
    mcp: { ...base.mcp, ...file.mcp },
    email: { ...base.email, ...file.email },
    test: { ...base.test, ...file.test },
    health: { ...base.health, ...file.health },
    llm: { ...base.llm, ...file.llm },
    network: { ...base.network, ...file.network },
    backups: { ...base.backups, ...file.backups },
  };
}

/** The project's config file's text, or null when it has none. */
export function readConfigText(root: string): string | null {
  const path = join(root, CONFIG_FILE);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** Whether `text` passed validation before under this build's schema (then zod need not load). */
export function configKnownValid(root: string, text: string): boolean {
  return knownValid(join(root, '.agent'), configDigest(text, import.meta.url));
}

/** `text`: the file as openProject read it (default: read now). */
export function loadConfig(root: string, text: string | null = readConfigText(root)): AgentConfig {
  const name = root.split(/[\\/]/).filter(Boolean).pop() ?? 'project';
  if (text === null) return defaultConfig(name);
  const agentDir = join(root, '.agent');
  const digest = configDigest(text, import.meta.url);
  // The schema is pure validation (strict objects, no defaults or transforms), so a text known
  // valid parses to exactly what the schema would return.
  if (knownValid(agentDir, digest)) return mergeConfig(defaultConfig(name), JSON.parse(text) as ConfigFile, CONFIG_FILE);
  const config = parseConfig(text, name);
  rememberValid(agentDir, digest);
  return config;
}
