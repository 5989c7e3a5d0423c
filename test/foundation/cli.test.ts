// Every foundation command through the real CLI in a child process: happy path and bad input.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, expectUsageError, makeProject, parseNdjson } from '../helpers.js';

afterAll(cleanupProjects);

describe('create ticket', () => {
  it('creates BUG-<year>-001 from the seed text and persists it', async () => {
    const dir = makeProject();
    const r = await agent(['create', 'ticket', 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.'], { cwd: dir });
    const year = new Date().getUTCFullYear();
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`[ORCHESTRATOR] ✓ Ticket created: BUG-${year}-001`);
    const list = await agent(['tickets', '--json'], { cwd: dir });
    const result = parseNdjson(list.stdout).at(-1)!;
    expect((result.data as { tickets: Array<{ id: string; kind: string }> }).tickets).toEqual([expect.objectContaining({ id: `BUG-${year}-001`, kind: 'BUG' })]);
  });

  it('counts ids up per kind and year, infers kinds and honours --kind', async () => {
    const dir = makeProject();
    const year = new Date().getUTCFullYear();
    const ids: string[] = [];
    for (const args of [
      ['create', 'ticket', 'Add customer preferences table with JSONB column'],
      ['create', 'ticket', 'Checkout page crashes with an error'],
      ['create', 'ticket', 'Another bug: invoices fail to send'],
      ['create', 'ticket', '--kind', 'OPS', 'Rotate the staging certificate'],
      ['@agent', 'create', 'ticket', 'Customer portal login with oauth2 support'],
    ]) {
      const r = await agent(args, { cwd: dir });
      expect(r.code).toBe(0);
      ids.push(/Ticket created: (\S+)/.exec(r.stdout)![1]!);
    }
    expect(ids).toEqual([`MIG-${year}-001`, `BUG-${year}-001`, `BUG-${year}-002`, `OPS-${year}-001`, `FEAT-${year}-001`]);
  });

  it('rejects a bad --kind and a missing description without writing anything', async () => {
    const dir = makeProject();
    expectUsageError(await agent(['create', 'ticket', '--kind', 'BUGS', 'x y z'], { cwd: dir }), /--kind BUGS: expected one of BUG, FEAT, MIG, OPS/);
    expectUsageError(await agent(['create', 'ticket'], { cwd: dir }), /needs <description>/);
    expect(existsSync(join(dir, '.agent'))).toBe(false);
  });
});

describe('ticket and tickets', () => {
  it('shows a ticket with its history, filters the list, and refuses unknown ids', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir });
    await agent(['create', 'ticket', 'Add a notes column to jobs'], { cwd: dir });
    const year = new Date().getUTCFullYear();
    const show = await agent(['ticket', `BUG-${year}-001`], { cwd: dir });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Estimates fail to save');
    expect(show.stdout).toMatch(/History\n.*Ticket created: BUG-/);
    const migs = await agent(['tickets', '--kind', 'MIG', '--json'], { cwd: dir });
    const data = parseNdjson(migs.stdout).at(-1)!.data as { tickets: Array<{ id: string }> };
    expect(data.tickets.map((t) => t.id)).toEqual([`MIG-${year}-001`]);
    expectUsageError(await agent(['ticket', 'BUG-1999-999'], { cwd: dir }), /BUG-1999-999: no such ticket/);
    expectUsageError(await agent(['tickets', '--status', 'nope'], { cwd: dir }), /--status nope: expected one of/);
  });
});

describe('status', () => {
  it('prints the status block and the same facts as one JSON object', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir });
    const human = await agent(['status'], { cwd: dir });
    expect(human.code).toBe(0);
    for (const label of ['System Health:', 'Active Agents:     0/5', 'Queue Size:        0', 'Last Deployment:   none yet', 'Pending Approvals: 0', 'Recent Activity:']) {
      expect(human.stdout).toContain(label);
    }
    const json = await agent(['status', '--json'], { cwd: dir });
    const lines = json.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const obj = JSON.parse(lines[0]!);
    expect(obj).toMatchObject({ type: 'result', command: 'status', ok: true, exitCode: 0 });
    expect(obj.data).toMatchObject({ agents: { active: 0, max: 5 }, queue: { size: 0 }, lastDeployment: null, pendingApprovals: [], tickets: { open: 1, total: 1 } });
    expect(obj.data.recentActivity[0].message).toMatch(/Ticket created/);
  });

  it('reads maxConcurrent from agent.config.json and names the JSON path of a bad value', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ agents: { maxConcurrent: 3 } }));
    const ok = await agent(['status', '--json'], { cwd: dir });
    expect(JSON.parse(ok.stdout).data.agents.max).toBe(3);
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ gates: { testCoverage: 'eighty' } }));
    expectUsageError(await agent(['status'], { cwd: dir }), /agent\.config\.json: gates\.testCoverage: expected a number, got "eighty"/);
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ gatse: {} }));
    expectUsageError(await agent(['status'], { cwd: dir }), /unknown key "gatse"/);
    writeFileSync(join(dir, 'agent.config.json'), '{ nope');
    expectUsageError(await agent(['status'], { cwd: dir }), /agent\.config\.json: not valid JSON/);
  });

  it('refuses to run outside a git repository', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-nogit-'));
    expectUsageError(await agent(['status'], { cwd: dir }), /not inside a git repository/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('logs', () => {
  it('filters by ticket, level and age, and rejects bad values', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir });
    await agent(['create', 'ticket', 'Invoices fail to send'], { cwd: dir });
    const year = new Date().getUTCFullYear();
    const one = await agent(['logs', `BUG-${year}-002`], { cwd: dir });
    expect(one.code).toBe(0);
    expect(one.stdout.trim().split('\n')).toHaveLength(1);
    expect(one.stdout).toContain(`Ticket created: BUG-${year}-002`);
    const errors = await agent(['logs', '--level', 'error'], { cwd: dir });
    expect(errors.stdout).toBe('No events at error level or above\n');
    const recent = await agent(['logs', '--since', '1h', '--json'], { cwd: dir });
    const events = parseNdjson(recent.stdout);
    expect(events.filter((e) => e.type === 'event')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'result', data: { count: 2 } });
    const future = await agent(['logs', '--since', '2999-01-01'], { cwd: dir });
    expect(future.stdout).toBe('No events since 2999-01-01\n');
    expectUsageError(await agent(['logs', '--since', 'yesterday'], { cwd: dir }), /--since yesterday: expected a duration like 30s/);
    expectUsageError(await agent(['logs', '--level', 'loud'], { cwd: dir }), /--level loud: expected one of debug, info, warn, error/);
    expectUsageError(await agent(['logs', 'nobody-7'], { cwd: dir }), /nobody-7: no ticket, agent or run/);
  });
});

describe('help, version and routing', () => {
  it('generates help from the registry', async () => {
    const dir = makeProject();
    const main = await agent(['--help'], { cwd: dir });
    expect(main.code).toBe(0);
    for (const c of ['create ticket', 'status', 'logs', 'health', 'approvals', 'approve', 'reject', 'audit']) expect(main.stdout).toContain(`  ${c} `);
    expect(main.stdout).not.toContain('fixture');
    const one = await agent(['help', 'logs'], { cwd: dir });
    expect(one.stdout).toMatch(/^agent logs \[target\] \[--level debug\|info\|warn\|error\]/);
    const same = await agent(['logs', '--help'], { cwd: dir });
    expect(same.stdout).toBe(one.stdout);
    const version = await agent(['--version'], { cwd: dir });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expectUsageError(await agent(['help', 'stauts'], { cwd: dir }), /did you mean `agent help status`/);
  });

  it('answers typos and unknown flags with one clear line', async () => {
    const dir = makeProject();
    expectUsageError(await agent(['stauts'], { cwd: dir }), /unknown command "stauts"; did you mean `agent status`\?/);
    expectUsageError(await agent(['status', '--jsn'], { cwd: dir }), /unknown flag --jsn for `agent status`; did you mean --json\?/);
    expectUsageError(await agent(['status', 'extra'], { cwd: dir }), /takes no arguments; unexpected "extra"/);
  });

  it('runs a confident free-text match and suggests otherwise (exit 2)', async () => {
    const dir = makeProject();
    const r = await agent(['@agent', 'show', 'me', 'the', 'status', 'please'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Understood as `agent status`');
    expect(r.stdout).toContain('Active Agents:');
    const t = await agent(['please create a ticket: voice agent drops estimates silently'], { cwd: dir });
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/Ticket created: BUG-\d{4}-001/);
    expectUsageError(await agent(['make', 'the', 'coffee', 'strong'], { cwd: dir }), /not sure what "make the coffee strong" asks for/);
  });
});

describe('--project', () => {
  it('targets another repository and refuses a missing one', async () => {
    const dir = makeProject();
    const other = makeProject();
    const r = await agent(['--project', other, 'create', 'ticket', 'Jobs page is broken'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(existsSync(join(other, '.agent', 'state.db'))).toBe(true);
    expect(existsSync(join(dir, '.agent'))).toBe(false);
    expectUsageError(await agent(['--project', join(dir, 'missing'), 'status'], { cwd: dir }), /--project .*missing: no such directory/);
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});
