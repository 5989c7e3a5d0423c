// `agent init` in real temp git repositories: what it writes, and what it leaves alone.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson, ROOT } from '../helpers.js';

afterAll(cleanupProjects);

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const FILES = ['.gitignore', 'agent.config.json', '.mcp.json', '.claude/commands/agent.md'];

describe('agent init', () => {
  it('sets up a fresh project, and a second run changes nothing', async () => {
    const dir = makeProject();
    const r = await agent(['init'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '[ORCHESTRATOR] ✓ Created .gitignore: ignores .agent/ and staged/*',
      '[ORCHESTRATOR] ✓ Created agent.config.json: the embedded defaults, ready to edit (approvals, gates, environments, email)',
      `[ORCHESTRATOR] ✓ Created .mcp.json: the crm-agent MCP server: Claude Code starts \`${process.execPath} ${join(ROOT, 'bin', 'agent.js')} mcp\``,
      '[ORCHESTRATOR] ✓ Created .claude/commands/agent.md: /agent <request> in Claude Code',
    ]);

    expect(read(dir, '.gitignore')).toBe('# crm-agent: local state and staged change sets\n.agent/\nstaged/*\n');
    const config = JSON.parse(read(dir, 'agent.config.json')) as Record<string, Record<string, unknown>>;
    expect(config).not.toHaveProperty('$schema');
    expect(config.approvals).toEqual({ databaseDestructive: true, productionDeployment: true, credentialChange: true, agentConfigChange: false, stagingDeployment: false, codeGeneration: false });
    expect(config.email).toEqual({ to: 'admin@localhost', from: 'crm-agent <agent@localhost>' });
    const slash = read(dir, '.claude/commands/agent.md');
    expect(slash).toMatch(/^---\ndescription: .+\nargument-hint: .+\n---\n/);
    expect(slash).toContain('$ARGUMENTS');
    expect(slash).toContain(`\`${process.execPath} ${join(ROOT, 'bin', 'agent.js')} <the request>\``);
    expect(slash).toMatch(/never run `agent approve` or `agent reject`/);
    // The written config is one the agent accepts.
    expect((await agent(['status'], { cwd: dir })).code).toBe(0);

    const before = FILES.map((f) => read(dir, f));
    const again = await agent(['init', '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    const files = (parseNdjson(again.stdout).at(-1)!.data as { files: Array<{ path: string; action: string }> }).files;
    expect(files.map((f) => [f.path, f.action])).toEqual(FILES.map((f) => [f, 'unchanged']));
    expect(FILES.map((f) => read(dir, f))).toEqual(before);
  });

  it('keeps the user\'s edits: adds missing keys and lines only, leaves edited or broken files alone', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ approvals: { stagingDeployment: true }, email: { to: 'me@example.com' } }));
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { other: { command: 'other-server' } } }));
    mkdirSync(join(dir, '.claude', 'commands'), { recursive: true });
    writeFileSync(join(dir, '.claude/commands/agent.md'), 'my own /agent command\n');
    writeFileSync(join(dir, '.gitignore'), 'node_modules\n/.agent');

    const r = await agent(['init'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ Updated .gitignore: ignores staged/*');
    expect(r.stdout).toMatch(/✓ Updated agent\.config\.json: added project, approvals\.databaseDestructive, .*email\.from/);
    expect(r.stdout).toContain('✓ Updated .mcp.json: added the crm-agent MCP server');
    expect(r.stdout).toContain('⚠ Left alone .claude/commands/agent.md: it differs from the template (your edits are kept)');

    expect(read(dir, '.gitignore')).toBe('node_modules\n/.agent\n\n# crm-agent: local state and staged change sets\nstaged/*\n');
    const config = JSON.parse(read(dir, 'agent.config.json')) as { approvals: Record<string, boolean>; email: Record<string, string>; gates: unknown };
    expect(config.approvals.stagingDeployment).toBe(true);
    expect(config.approvals.databaseDestructive).toBe(true);
    expect(config.email).toEqual({ to: 'me@example.com', from: 'crm-agent <agent@localhost>' });
    expect(config.gates).toBeDefined();
    const servers = (JSON.parse(read(dir, '.mcp.json')) as { mcpServers: Record<string, unknown> }).mcpServers;
    expect(Object.keys(servers)).toEqual(['other', 'crm-agent']);
    expect(servers.other).toEqual({ command: 'other-server' });
    expect(read(dir, '.claude/commands/agent.md')).toBe('my own /agent command\n');

    // A file that is not valid JSON is never overwritten.
    writeFileSync(join(dir, '.mcp.json'), '{ "mcpServers": ');
    const broken = await agent(['init'], { cwd: dir });
    expect(broken.code).toBe(0);
    expect(broken.stdout).toContain('⚠ Left alone .mcp.json: it is not the JSON Claude Code expects');
    expect(read(dir, '.mcp.json')).toBe('{ "mcpServers": ');
  });

  it('uses `npx agent mcp` when the project has crm-agent installed, and picks up its test script', async () => {
    const dir = makeProject();
    mkdirSync(join(dir, 'node_modules', 'crm-agent'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'crm-agent', 'package.json'), JSON.stringify({ name: 'crm-agent', bin: { agent: 'bin/agent.js' } }));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-crm', scripts: { test: 'vitest run' } }));
    const r = await agent(['init'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(read(dir, '.mcp.json'))).toEqual({ mcpServers: { 'crm-agent': { command: 'npx', args: ['agent', 'mcp'] } } });
    expect(read(dir, '.claude/commands/agent.md')).toContain('`npx agent <the request>`');
    expect((JSON.parse(read(dir, 'agent.config.json')) as { test: unknown }).test).toEqual({ command: 'npm test' });
  });
});
