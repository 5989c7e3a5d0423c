// Every tool of `agent mcp`, through the MCP SDK's own client, in one server process on one prepared
// project: each result has the CLI's text and structured content valid against the tool's output
// schema, and every action that needs approval on the CLI answers approval_required over MCP and
// changes nothing (state rows, project files, git, the database's migrations before and after).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { agent, cleanupProjects, makeProject } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';
import { writeChangeSet } from '../../agents/stage-agent/writer.js';
import { closeClients, mcpClient, type TestClient } from './mcp-helpers.js';

const year = new Date().getUTCFullYear();
let dir = '';
let scratch = '';
let client: TestClient;
let tools: Tool[] = [];
const called = new Set<string>();
const validator = new AjvJsonSchemaValidator();

interface Output {
  status: 'ok' | 'failed' | 'approval_required' | 'error';
  exitCode: number;
  summary: string;
  warnings: string[];
  data: Record<string, any> | null;
  approval?: { id: string; action: string; category: string | null; confirm: string | null; command: string; reject: string };
  error?: { code: string; message: string; usage?: string };
}

beforeAll(async () => {
  dir = makeProject('crm-agent-mcp-tools-');
  writeFileSync(join(dir, 'README.md'), '# CRM\n');
  spawnSync('git', ['add', '-A'], { cwd: dir });
  spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-q', '-m', 'init'], { cwd: dir });
  // Temporary files of the server go here, so that anything left outside the project shows.
  scratch = mkdtempSync(join(tmpdir(), 'crm-agent-mcp-tmp-'));
  client = await mcpClient(dir, { env: { TMPDIR: scratch } });
  tools = (await client.listTools()).tools; // also makes the client check every result against its outputSchema
});

afterAll(async () => {
  await closeClients();
  cleanupProjects();
  rmSync(scratch, { recursive: true, force: true });
});

/** One tool call: the result's text is its summary, and its structured content fits the schema. */
async function call(name: string, args: Record<string, unknown> = {}): Promise<Output> {
  const tool = tools.find((t) => t.name === name);
  expect(tool, `tool ${name}`).toBeDefined();
  const result = await client.callTool({ name, arguments: args });
  called.add(name);
  const out = result.structuredContent as unknown as Output;
  const check = validator.getValidator(tool!.outputSchema as never)(out);
  expect(check.valid, `${name}: ${check.errorMessage}`).toBe(true);
  const content = result.content as Array<{ type: string; text: string }>;
  expect(content[0]!.type).toBe('text');
  expect(content[0]!.text.trim(), `${name} has a text summary`).not.toBe('');
  expect(out.summary).toBe(content[0]!.text);
  if (out.data !== null) expect(JSON.parse(content[1]!.text)).toEqual(out.data);
  expect(Boolean(result.isError), `${name} isError`).toBe(out.status === 'failed' || out.status === 'error');
  for (const w of out.warnings) expect(out.summary).toContain(w);
  return out;
}

type Rows = Record<string, unknown[]>;

function stateRows(): Rows {
  const db = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as Array<{ name: string }>;
    return Object.fromEntries(tables.map((t) => [t.name, db.prepare(`SELECT * FROM "${t.name}" ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

/** The project's files (not its state) by content hash, and git's refs. */
function projectFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const full = join(d, e);
      const rel = relative(dir, full);
      if (rel === '.agent' || rel === '.git') continue;
      if (statSync(full).isDirectory()) walk(full);
      else out[rel] = createHash('sha1').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  // The audit trail's anchor (refs/crm-agent/…) moves with every audit entry, the request's included.
  out['git refs'] = spawnSync('git', ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads', 'refs/tags', 'refs/notes'], { cwd: dir, encoding: 'utf8' }).stdout;
  out['git status'] = spawnSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).stdout;
  return out;
}

/**
 * An action that needs approval: over MCP it answers approval_required with the id and the command
 * the admin runs, and only the request itself is recorded; with `cli`, the same command on the CLI
 * exits 3 too (for the actions this policy newly holds; the others' exit 3 is tested elsewhere).
 * The database is checked once after all of them: reading its migrations opens it (~0.5 s).
 */
async function needsApproval(name: string, args: Record<string, unknown>, category: string, cli?: string[]): Promise<Output> {
  const before = stateRows();
  const files = projectFiles();
  const out = await call(name, args);
  expect(out.status, `${name}: ${out.summary}`).toBe('approval_required');
  expect(out.exitCode).toBe(3);
  const id = out.approval!.id;
  expect(out.approval).toMatchObject({ category, command: expect.stringMatching(new RegExp(`^agent approve ${id}( --confirm \\S+)?$`)), reject: `agent reject ${id}` });
  expect(out.summary).toMatch(new RegExp(`^Approval required: .*Nothing was done; the request is pending as ${id} .*\`${out.approval!.command}\`.*this tool cannot approve`, 's'));
  expect(out.warnings).toEqual(expect.arrayContaining([expect.stringContaining(`Approval required (${id}`)]));

  const after = stateRows();
  const changed = Object.keys(after).filter((t) => JSON.stringify(after[t]) !== JSON.stringify(before[t]));
  // An action run through the phase runner (migrate execute) also records its attempt: the run, which ends waiting for the approval, its agent and the checklist so far.
  expect(changed.filter((t) => !['approvals', 'audit', 'events', 'counters', 'runs', 'agents', 'checklist'].includes(t)), `${name} changed only its request`).toEqual([]);
  const runs = (after.runs ?? []) as Array<{ id: string; status: string }>;
  expect(runs.slice(((before.runs ?? []) as unknown[]).length).map((r) => r.status), `${name}'s run waits for the approval`).toEqual(changed.includes('runs') ? ['needs_approval'] : []);
  expect(after.approvals!.slice(0, before.approvals!.length)).toEqual(before.approvals);
  expect(after.approvals!.slice(before.approvals!.length)).toEqual([expect.objectContaining({ id, status: 'pending', category, decided_by: null })]);
  expect(after.audit!.slice(before.audit!.length)).toEqual([expect.objectContaining({ action: 'approval.requested', approval: id, initiator: 'mcp' })]);
  expect(projectFiles()).toEqual(files);

  if (cli) {
    const shell = await agent(cli, { cwd: dir });
    expect(shell.code, `agent ${cli.join(' ')}: ${shell.stdout}${shell.stderr}`).toBe(3);
    expect(shell.stderr).toMatch(/agent approve APR-\d+/);
  }
  return out;
}

describe('agent mcp: every tool', () => {
  it('no tool decides an approval: nothing named or shaped like approve, reject or confirm', () => {
    expect(tools.map((t) => t.name).filter((n) => /approve|reject|confirm|demo|dashboard|emergency_access/.test(n))).toEqual([]);
    for (const t of tools) expect(Object.keys(t.inputSchema.properties ?? {}), t.name).not.toContain('confirm');
  });

  it('answers every tool with text and valid structured content; what needs approval is only requested', async () => {
    // Reading, and the project's set-up.
    expect((await call('status')).summary).toMatch(/^CRM AGENT STATUS/);
    expect(await call('health')).toMatchObject({ status: 'ok', data: { checks: expect.any(Array) } });
    expect((await call('system_status')).data).toHaveProperty('checks');
    expect((await call('init')).data!.files.map((f: { path: string }) => f.path)).toContain('.mcp.json');
    expect((await call('agents_update_config')).summary).toMatch(/recorded as the baseline/);

    const created = await call('create_ticket', { description: 'Estimates are not saved when the voice agent creates them', kind: 'BUG' });
    const ticket = created.data!.ticket.id as string;
    expect(ticket).toBe(`BUG-${year}-001`);
    const listed = await call('tickets');
    // The text is what a person reads on the CLI.
    expect(listed.summary).toBe((await agent(['tickets'], { cwd: dir })).stdout.trim());
    expect((await call('ticket', { id: ticket })).data!.ticket.id).toBe(ticket);

    // The database exists (nothing to apply yet).
    expect(await call('migrate_execute')).toMatchObject({ status: 'ok', data: { applied: [] } });
    // Backups of it (issue 16): on disk with their manifest; a read-only statement runs.
    const bk = (await call('system_backup_create')).data!.backup as { id: string; path: string };
    expect(existsSync(join(bk.path, 'manifest.json')) && existsSync(join(bk.path, 'pgdata', 'PG_VERSION'))).toBe(true);
    // Staging has no database here: its backup holds the state database and says so.
    const alias = (await call('db_create_backup', { env: 'staging' })).data!.backup as { id: string; path: string; database: { kind: string } };
    expect(alias.database.kind).toBe('absent');
    expect(existsSync(join(alias.path, 'state.db'))).toBe(true);
    expect(((await call('system_backups')).data!.backups as Array<{ id: string }>).map((b) => b.id).sort()).toEqual([bk.id, alias.id].sort());
    expect((await call('db_sql', { statement: 'select 41 + 1 as n' })).data).toMatchObject({ writes: false, rows: [{ n: 42 }] });
    expect(((await call('system_keys')).data!.keys as Array<{ name: string; configured: boolean }>).find((k) => k.name === 'RESEND_API_KEY')).toMatchObject({ configured: false });
    expect((await call('db_analyze_performance', { noStage: true })).data).toMatchObject({ findings: [], unavailable: [expect.stringMatching(/PGlite has no pg_stat_statements/), expect.any(String)] });
    expect(await call('db_optimize_table', { name: 'jobs; drop table x' })).toMatchObject({ status: 'error', exitCode: 2, error: { code: 'usage' } });

    // The ticket's fix, staged with a migration, and a live production deployment of it.
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).stdout.trim();
    const [version, name] = ['20261201120000', 'create_estimate_notes'];
    const up = 'create table public.estimate_notes (id bigint primary key, body text);\n';
    const down = 'drop table public.estimate_notes;\n';
    const manifest = await writeChangeSet(dir, {
      ticket: { id: ticket, title: 'Estimates are not saved', kind: 'BUG' },
      title: 'estimate notes',
      summary: 'Adds the estimate_notes table',
      files: [
        { path: `supabase/migrations/${version}_${name}.sql`, content: up, reason: 'the table the fix writes', agent: 'MIGRATOR' },
        { path: `supabase/rollbacks/${version}_${name}.down.sql`, content: down, reason: 'its rollback', agent: 'MIGRATOR' },
      ],
      migrations: [{ version, name, upPath: `supabase/migrations/${version}_${name}.sql`, downPath: `supabase/rollbacks/${version}_${name}.down.sql`, up, down, findings: [], destructive: false }],
      gates: [],
      baseSha: head,
    });
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    state.insertChangeSet({ id: manifest.id, ticket_id: ticket, dir: manifest.dir, status: 'staged', requires_approval: 0, created_at: Date.now(), manifest: JSON.stringify(manifest) });
    state.insertDeployment({ id: `DEPLOY-${year}-001`, ticket_id: ticket, target: 'production', status: 'succeeded', started_at: Date.now() - 60_000, finished_at: Date.now() - 50_000, data: JSON.stringify({ branch: `agent/${ticket.toLowerCase()}` }), env: 'production' });
    state.close();
    expect((await call('review', { id: ticket })).summary).toContain(`supabase/migrations/${version}_${name}.sql`);
    const stagedUp = `${manifest.dir}/migrations/${version}_${name}.up.sql`;
    expect((await call('migrate_lint', { files: stagedUp })).data).toMatchObject({ files: [stagedUp], requiresApproval: false });

    // What needs the admin: asked, never done.
    await needsApproval('migrate_execute', {}, 'productionDeployment', ['migrate', 'execute']);
    await needsApproval('deploy', { target: 'production', id: ticket }, 'productionDeployment');
    await needsApproval('emergency_deploy_hotfix', { id: ticket }, 'emergency');
    await needsApproval('emergency_rollback', { what: `DEPLOY-${year}-001` }, 'emergency');
    // Right after the emergency rollback was held, the plain rollback is held too.
    await needsApproval('rollback', { id: `DEPLOY-${year}-001` }, 'productionDeployment', ['rollback', `DEPLOY-${year}-001`]);
    await needsApproval('emergency_stop_all', {}, 'emergency');
    await needsApproval('emergency_maintenance', { mode: 'on' }, 'emergency');
    const everything = await call('agents_purge_logs', { olderThan: '0d' });
    expect(everything).toMatchObject({ status: 'error', exitCode: 2, error: { code: 'usage', usage: 'agent agents purge logs [--older-than 30d]' } });
    expect(everything.summary).toMatch(/^Invalid arguments: --older-than 0d would delete the whole event log.*\nusage: agent agents purge logs/);
    await needsApproval('agents_purge_logs', {}, 'databaseDestructive', ['agents', 'purge', 'logs']);
    await needsApproval('db_sql', { statement: 'create table public.scratch_notes (id int)' }, 'databaseDestructive');
    await needsApproval('system_restore_from', { backup: bk.id }, 'databaseDestructive');
    await needsApproval('db_vacuum_full', {}, 'databaseDestructive');
    // The database holds no migration: the staged one was neither applied nor recorded.
    expect((await call('migrate_status')).data).toMatchObject({ rows: [], pending: [], missingLocally: [] });

    // The agents on this small project: quick refusals, each a tool error with its text.
    const analysis = await call('analyze_ticket', { id: ticket });
    expect(analysis.status === 'ok' || analysis.status === 'error').toBe(true);
    await call('fix_ticket', { id: `BUG-${year}-999` }).then((r) => expect(r).toMatchObject({ status: 'error', error: { code: 'usage' } }));
    expect(await call('generate', { kind: 'api', spec: 'estimates endpoint' })).toMatchObject({ status: 'error', error: { code: 'usage' } }); // no such table here
    expect((await call('migrate', { change: '   ' })).summary).toMatch(/^Invalid arguments: describe the change/);
    expect((await call('generate_migration', {})).summary).toMatch(/^Invalid arguments: generate_migration needs "change"[\s\S]*\nusage: agent generate migration <change\.\.\.>/);
    expect(await call('test')).toMatchObject({ status: 'error', error: { code: 'usage', usage: 'agent test [feature...]' } }); // no test command here
    expect((await call('bugs_scan')).data).toHaveProperty('findings');

    // A live deployment is not resumed; an intact set is re-sealed as it is.
    expect((await call('deploy_resume', { id: `DEPLOY-${year}-001` })).summary).toMatch(/^Invalid arguments: .*only an interrupted deployment/);
    await call('restage', { id: ticket });

    // The rest of the set.
    expect((await call('email', { message: 'Staging is green' })).summary).toMatch(/Email sent via outbox/);
    // The admin's own MCP server (issue 18): none is configured here, so both say what to set.
    expect(await call('mcp_tools')).toMatchObject({ status: 'error', exitCode: 2, error: { code: 'usage', message: expect.stringMatching(/no MCP server is configured: set mcp\.server/) } });
    expect(await call('mcp_call', { tool: 'list_jobs', json: '{}' })).toMatchObject({ status: 'error', exitCode: 2, error: { code: 'usage' } });
    expect((await call('logs', { target: ticket })).status).toBe('ok');
    expect((await call('system_logs', { level: 'warn' })).status).toBe('ok');
    expect((await call('metrics')).status).toBe('ok');
    expect((await call('audit')).data!.entries.length).toBeGreaterThan(0);
    expect((await call('audit_verify')).status).toBe('ok');
    expect((await call('agents_restart_all', { dryRun: true })).status).toBe('ok');

    // Nothing was approved, rejected or confirmed by a tool.
    const all = (await call('approvals', { all: true })).data!.approvals as Array<{ status: string; decidedBy: string | null }>;
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.every((a) => a.status === 'pending' && a.decidedBy === null)).toBe(true);
    expect(stateRows().audit!.filter((r) => /approval\.(approved|rejected)/.test((r as { action: string }).action))).toEqual([]);

    // A new command is a new tool: drive it here too (held for approval or not, as the CLI would).
    expect(tools.map((t) => t.name).filter((n) => !called.has(n)), 'tools this test does not drive yet').toEqual([]);
    await closeClients();
    expect(readdirSync(scratch), 'nothing left in the server\'s temp directory').toEqual([]);
  });
});
