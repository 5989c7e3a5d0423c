// `agent init`: makes a project ready for the agent and for Claude Code as its front door.
// Idempotent and polite: creates what is missing, adds missing JSON keys and .gitignore lines,
// and never changes a value or a file the user wrote.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE, defaultConfig } from '../config/config.js';

export type FileAction = 'created' | 'updated' | 'unchanged' | 'left alone';
export interface FileOutcome {
  path: string;
  action: FileAction;
  detail: string;
}

/** How Claude Code (and the /agent command's shell fallback) starts this agent. */
export interface Launch {
  command: string;
  args: string[];
  /** 'project': `npx agent` finds the package in the project; 'absolute': this install's bin. */
  kind: 'project' | 'absolute';
}

export const SERVER_NAME = 'crm-agent';
export const GITIGNORE_LINES = ['.agent/', 'staged/*'] as const;
export const MCP_FILE = '.mcp.json';
export const SLASH_FILE = '.claude/commands/agent.md';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The embedded defaults worth editing, as plain JSON. */
export function configTemplate(projectName: string, testCommand?: string): Json {
  const d = defaultConfig(projectName);
  const { waitForDashboardMs: _wait, ...approvals } = d.approvals;
  return {
    project: { name: projectName },
    approvals,
    gates: d.gates,
    agents: { maxConcurrent: d.agents.maxConcurrent },
    environments: { staging: { deploy: [] }, production: { deploy: [] } },
    ...(testCommand ? { test: { command: testCommand } } : {}),
    email: d.email,
    mcp: {}, // issue 18: the protocol is found by the handshake unless named
  };
}

/** Adds the keys of `wanted` that `existing` lacks, recursively; never changes a present value. */
export function mergeMissing(existing: Json, wanted: Json, at = ''): { value: Json; added: string[] } {
  const value: Json = { ...existing };
  const added: string[] = [];
  for (const [key, want] of Object.entries(wanted)) {
    const path = at ? `${at}.${key}` : key;
    if (!(key in value)) {
      value[key] = want;
      added.push(path);
    } else if (isObject(value[key]) && isObject(want)) {
      const inner = mergeMissing(value[key] as Json, want, path);
      value[key] = inner.value;
      added.push(...inner.added);
    }
  }
  return { value, added };
}

export function mcpServerEntry(launch: Launch): { command: string; args: string[] } {
  return { command: launch.command, args: [...launch.args, 'mcp'] };
}

export function shellCommand(launch: Launch): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [launch.command, ...launch.args].map(q).join(' ');
}

export function slashCommandText(launch: Launch): string {
  return `---
description: Ask crm-agent (tickets, status, logs, health, fixes, deploys) through its MCP tools
argument-hint: <command or request, e.g. create ticket "estimates are not saved">
---
Carry out this crm-agent request: $ARGUMENTS

- If it is a crm-agent command (\`create ticket …\`, \`tickets\`, \`status\`, \`logs …\`, \`health\`, …), call the
  matching tool of the \`${SERVER_NAME}\` MCP server: the command's words joined by \`_\` (\`create_ticket\`,
  \`status\`, \`migrate_status\`), with its arguments and flags as the tool's arguments.
- If no tool fits, or the \`${SERVER_NAME}\` MCP server is not connected, run it in the shell instead, quoting
  the text as a shell needs: \`${shellCommand(launch)} <the request>\`, and show what it printed.
- When a tool answers "approval required" (\`status: approval_required\`), tell me the approval id and
  the command it names for me (\`agent approve APR-…\`), and stop there. Never approve or reject
  anything yourself and never run \`agent approve\` or \`agent reject\`: approvals are mine.
- Read each tool's text (or \`summary\` and \`warnings\`): warnings such as "continuing offline" matter.
- End with a short summary: ticket ids, approval ids, anything that failed and why.
`;
}

/** The .gitignore lines still missing (`/.agent`, `.agent` and `.agent/` all count as present). */
export function missingIgnoreLines(text: string): string[] {
  const norm = (line: string) => line.trim().replace(/^\//, '').replace(/\/(\*)?$/, '');
  const present = new Set(text.split(/\r?\n/).map(norm));
  return GITIGNORE_LINES.filter((line) => !present.has(norm(line)));
}

/** The root of the installed crm-agent package (where its package.json is). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): { root: string; name: string; bin: string } {
  let dir = from;
  for (;;) {
    const pkgPath = join(dir, 'package.json');
    if (existsSync(pkgPath)) {
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: string; bin?: Record<string, string> };
      if (pkg.bin?.agent) return { root: dir, name: pkg.name ?? SERVER_NAME, bin: join(dir, pkg.bin.agent) };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the crm-agent package.json above ' + from);
    dir = parent;
  }
}

/**
 * `npx agent` when the project itself has crm-agent (in node_modules, or it is crm-agent);
 * otherwise this very install by absolute paths: npx would fetch an unrelated package named
 * "agent" from the registry, and the node that ran init is the one better-sqlite3 was built for.
 */
export function chooseLaunch(projectRoot: string, pkg = packageRoot(), nodePath = process.execPath): Launch {
  const own = readJson(join(projectRoot, 'package.json'));
  const installed = existsSync(join(projectRoot, 'node_modules', pkg.name, 'package.json')) || (isObject(own) && own.name === pkg.name);
  if (installed) return { command: 'npx', args: ['agent'], kind: 'project' };
  return { command: nodePath, args: [pkg.bin], kind: 'absolute' };
}

export function detectTestCommand(projectRoot: string): string | undefined {
  const pkg = readJson(join(projectRoot, 'package.json'));
  const test = isObject(pkg) && isObject(pkg.scripts) ? pkg.scripts.test : undefined;
  if (typeof test !== 'string' || /no test specified/.test(test)) return undefined;
  return 'npm test';
}

export interface InitOptions {
  root: string;
  projectName: string;
  launch: Launch;
}

/** Writes what is missing; returns one outcome per file, in the order handled. */
export function initProject(opts: InitOptions): FileOutcome[] {
  return [initGitignore(opts.root), initConfig(opts), initMcpJson(opts), initSlashCommand(opts)];
}

function initGitignore(root: string): FileOutcome {
  const path = join(root, '.gitignore');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const missing = missingIgnoreLines(text ?? '');
  if (!missing.length) return { path: '.gitignore', action: 'unchanged', detail: `already ignores ${GITIGNORE_LINES.join(' and ')}` };
  const block = `# crm-agent: local state and staged change sets\n${missing.join('\n')}\n`;
  const sep = !text ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  writeFileSync(path, (text ?? '') + sep + block);
  return { path: '.gitignore', action: text === null ? 'created' : 'updated', detail: `ignores ${missing.join(' and ')}` };
}

function initConfig(opts: InitOptions): FileOutcome {
  const wanted = configTemplate(opts.projectName, detectTestCommand(opts.root));
  return mergeJsonFile(opts.root, CONFIG_FILE, wanted, {
    created: 'the embedded defaults, ready to edit (approvals, gates, environments, email)',
    added: (keys) => `added ${keys.join(', ')}`,
  });
}

function initMcpJson(opts: InitOptions): FileOutcome {
  const path = join(opts.root, MCP_FILE);
  const entry = mcpServerEntry(opts.launch);
  const how = `Claude Code starts \`${shellCommand({ ...opts.launch, args: entry.args })}\``;
  if (!existsSync(path)) {
    writeFileSync(path, JSON.stringify({ mcpServers: { [SERVER_NAME]: entry } }, null, 2) + '\n');
    return { path: MCP_FILE, action: 'created', detail: `the ${SERVER_NAME} MCP server: ${how}` };
  }
  const existing = readJson(path);
  const servers = isObject(existing) ? (existing.mcpServers ?? {}) : null;
  if (!isObject(existing) || !isObject(servers)) {
    return { path: MCP_FILE, action: 'left alone', detail: 'it is not the JSON Claude Code expects (fix it, or delete it and rerun `agent init`)' };
  }
  if (SERVER_NAME in servers) return { path: MCP_FILE, action: 'unchanged', detail: `already has a ${SERVER_NAME} server (kept as it is)` };
  writeFileSync(path, JSON.stringify({ ...existing, mcpServers: { ...servers, [SERVER_NAME]: entry } }, null, 2) + '\n');
  return { path: MCP_FILE, action: 'updated', detail: `added the ${SERVER_NAME} MCP server: ${how}` };
}

function initSlashCommand(opts: InitOptions): FileOutcome {
  const path = join(opts.root, SLASH_FILE);
  const text = slashCommandText(opts.launch);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return { path: SLASH_FILE, action: 'created', detail: '/agent <request> in Claude Code' };
  }
  if (readFileSync(path, 'utf8') === text) return { path: SLASH_FILE, action: 'unchanged', detail: 'up to date' };
  return { path: SLASH_FILE, action: 'left alone', detail: 'it differs from the template (your edits are kept); delete it and rerun `agent init` for a fresh one' };
}

function mergeJsonFile(
  root: string,
  rel: string,
  wanted: Json,
  say: { created: string; added: (keys: string[]) => string },
): FileOutcome {
  const path = join(root, rel);
  if (!existsSync(path)) {
    writeFileSync(path, JSON.stringify(wanted, null, 2) + '\n');
    return { path: rel, action: 'created', detail: say.created };
  }
  const existing = readJson(path);
  if (!isObject(existing)) {
    return { path: rel, action: 'left alone', detail: 'it is not a JSON object (fix it, or delete it and rerun `agent init`)' };
  }
  const { value, added } = mergeMissing(existing, wanted);
  if (!added.length) return { path: rel, action: 'unchanged', detail: 'nothing missing' };
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
  return { path: rel, action: 'updated', detail: say.added(added) };
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
