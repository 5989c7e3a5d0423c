// What `fix ticket` asks for before it works, and what it tells a ticket that is no bug.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';

afterAll(cleanupProjects);

describe('fix ticket, and the commands that need what it stages', () => {
  it('asks for the approval before any agent runs, and exits 3', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ approvals: { codeGeneration: true } }));
    expect((await agent(['create', 'ticket', 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.'], { cwd: dir })).code).toBe(0);
    const r = await agent(['--json', 'fix', 'ticket', 'BUG-2026-001'], { cwd: dir });
    expect(r.code).toBe(3);
    const events = parseNdjson(r.stdout);
    expect(events.some((e) => /Approval required \(APR-1, low risk\): fix ticket BUG-2026-001/.test(String(e.message ?? '')))).toBe(true);
    expect(events.some((e) => e.agent === 'BUGHUNTER')).toBe(false);
    expect(existsSync(join(dir, 'staged'))).toBe(false);
    const pending = await agent(['--json', 'approvals'], { cwd: dir });
    expect(pending.stdout).toContain('fix ticket BUG-2026-001');
    // Words that ask for something else do not approve the one pending request.
    const other = await agent(['approve', 'BUG-2026-001', 'deploy', 'to', 'production'], { cwd: dir });
    expect([other.code, other.stderr.trim()]).toEqual([2, 'error: BUG-2026-001 has no pending approval for "deploy to production"; pending: APR-1 (fix ticket BUG-2026-001); name one with `agent approve <APR-id>`']);
    expect((await agent(['--json', 'approvals'], { cwd: dir })).stdout).toContain('"status":"pending"');
  });

  it('tells a migration ticket that blocks BugHunter which command makes the change', async () => {
    const dir = makeProject();
    expect((await agent(['create', 'ticket', '--kind', 'MIG', 'add column notes text to jobs'], { cwd: dir })).code).toBe(0);
    const r = await agent(['fix', 'ticket', 'MIG-2026-001'], { cwd: dir });
    expect(r.code).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('MIG-2026-001 asks for a schema change and names no failing behaviour: `agent migrate "add column notes text to jobs"` makes such a change');
    // Nothing was done: the ticket is open again, not left "analyzing".
    const tickets = parseNdjson((await agent(['--json', 'tickets'], { cwd: dir })).stdout).at(-1)!.data as { tickets: Array<{ id: string; status: string }> };
    expect(tickets.tickets.find((t) => t.id === 'MIG-2026-001')!.status).toBe('open');
  });

  it('says which ticket does not exist, and what to run when nothing is staged', async () => {
    const dir = makeProject();
    const nope = await agent(['review', 'NOPE-1'], { cwd: dir });
    expect([nope.code, nope.stderr.trim()]).toEqual([2, 'error: NOPE-1: no such ticket or change set; see `agent tickets` for ticket ids']);
    const none = await agent(['review'], { cwd: dir });
    expect([none.code, none.stderr.trim()]).toEqual([2, 'error: nothing is staged; stage a fix first (`agent fix ticket <id>`), then `agent review <id>`']);
    expect((await agent(['create', 'ticket', 'AI estimates are generated but not persisting to database.'], { cwd: dir })).code).toBe(0);
    const unstaged = await agent(['deploy', 'staging', 'BUG-2026-001'], { cwd: dir });
    expect([unstaged.code, unstaged.stderr.trim()]).toEqual([2, 'error: BUG-2026-001: nothing is staged for it; run `agent fix ticket BUG-2026-001` first']);
  });
});
