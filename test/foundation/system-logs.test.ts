// `agent system logs`: the rows of the state database's events table it must show, and the ones
// each filter must leave out (level, age, agent, ticket, run, limit/offset), in the text and the
// --json output. Events are written straight into a real state database with known levels, times
// and owners, so a command that printed nothing, everything, or the wrong rows fails here.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { openStateDb } from '../../src/store/state-db.js';

afterAll(cleanupProjects);

const MIN = 60_000;

describe('system logs', () => {
  it('shows the events table filtered by level, age, agent, ticket, run and page; nothing else', async () => {
    const dir = makeProject();
    const made = await agent(['create', 'ticket', 'Invoices total is wrong', '--json'], { cwd: dir });
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const ticket = (parseNdjson(made.stdout).find((e) => e.type === 'result') as { data: { ticket: { id: string } } }).data.ticket.id;

    const now = Date.now();
    const state = openStateDb(join(dir, '.agent', 'state.db'));
    try {
      state.appendEvent({ ts: now - 180 * MIN, kind: 'log', level: 'info', agent: 'MIGRATOR', ticketId: ticket, message: 'old migrator note' });
      state.appendEvent({ ts: now - 10 * MIN, kind: 'log', level: 'error', agent: 'MIGRATOR', message: 'shadow replay failed' });
      state.appendEvent({ ts: now - 5 * MIN, kind: 'log', level: 'warn', agent: 'STAGEAGENT', runId: 'RUN-7', message: 'coverage below target' });
      state.appendEvent({ ts: now - 2 * MIN, kind: 'log', level: 'debug', agent: 'CODESMITH', message: 'debug chatter' });
      state.appendEvent({ ts: now - 1 * MIN, kind: 'log', level: 'info', agent: 'BUGHUNTER', ticketId: ticket, message: 'root cause found' });
      // One agent of a run, by its id (the seed's `logs <agent-id>`).
      state.insertRun({ id: 'RUN-7', ticket_id: null, command: 'fixture run', priority: 0, resources: [] });
      state.insertAgent({ id: 'stageagent-3', run_id: 'RUN-7', ticket_id: null, type: 'StageAgent' });
      state.appendEvent({ ts: now - 4 * MIN, kind: 'log', level: 'info', agent: 'STAGEAGENT', agentId: 'stageagent-3', runId: 'RUN-7', message: 'tests carried from HEAD' });
    } finally {
      state.close();
    }
    const mine = ['old migrator note', 'shadow replay failed', 'coverage below target', 'debug chatter', 'root cause found', 'tests carried from HEAD'];

    const messages = async (...args: string[]) => {
      const r = await agent(['system', 'logs', ...args, '--json'], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return parseNdjson(r.stdout).filter((e) => e.type === 'event') as Array<{ message: string; level: string; agent: string; ticketId: string | null; runId: string | null }>;
    };
    const ours = (rows: Array<{ message: string }>) => rows.map((e) => e.message).filter((m) => mine.includes(m));

    // Text: each row as a line with its agent, level mark and ticket, oldest first; debug left out.
    const text = await agent(['system', 'logs'], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [
      at(new RegExp(`\\[MIGRATOR\\] .*old migrator note {2}\\(${ticket}\\)$`)),
      at(/\[MIGRATOR\] ✗ shadow replay failed$/),
      at(/\[STAGEAGENT\] .*coverage below target$/),
      at(new RegExp(`\\[BUGHUNTER\\] .*root cause found {2}\\(${ticket}\\)$`)),
    ];
    expect(order.every((i) => i >= 0), text.stdout).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text.stdout).not.toContain('debug chatter');

    const all = await messages();
    expect(ours(all)).toEqual(['old migrator note', 'shadow replay failed', 'coverage below target', 'root cause found', 'tests carried from HEAD']);
    expect(ours(await messages('--level', 'debug'))).toEqual(mine);
    // --level is the lowest shown: warn shows the warning and the error, error only the error.
    expect((await messages('--level', 'warn')).map((e) => `${e.level} ${e.message}`)).toEqual(['error shadow replay failed', 'warn coverage below target']);
    expect((await messages('--level', 'error')).map((e) => e.message)).toEqual(['shadow replay failed']);
    // --since: the 3-hour-old note is out, the rest in.
    expect(ours(await messages('--since', '30m'))).toEqual(['shadow replay failed', 'coverage below target', 'root cause found', 'tests carried from HEAD']);
    // One agent by name, one ticket (its own creation events too), one run.
    expect((await messages('MIGRATOR')).map((e) => e.message)).toEqual(['old migrator note', 'shadow replay failed']);
    const ofTicket = await messages(ticket);
    expect(ofTicket.every((e) => e.ticketId === ticket)).toBe(true);
    expect(ours(ofTicket)).toEqual(['old migrator note', 'root cause found']);
    expect((await messages('RUN-7')).map((e) => `${e.agent} ${e.runId} ${e.message}`)).toEqual(['STAGEAGENT RUN-7 coverage below target', 'STAGEAGENT RUN-7 tests carried from HEAD']);
    expect((await messages('stageagent-3')).map((e) => e.message)).toEqual(['tests carried from HEAD']);
    // Pages from the newest: the last two shown, then the two before them.
    expect((await messages('--limit', '2')).map((e) => e.message)).toEqual(['root cause found', 'tests carried from HEAD']);
    expect((await messages('--limit', '2', '--offset', '2')).map((e) => e.message)).toEqual(['shadow replay failed', 'coverage below target']);
    // A target that is none of these is bad input, not an empty list.
    const unknown = await agent(['system', 'logs', 'NOBODY-9'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/NOBODY-9: no ticket, agent or run by that id/);
    // An empty result says so, naming the filters that emptied it (silence reads as a hang).
    const none = await agent(['system', 'logs', '--level', 'error', '--since', '30s'], { cwd: dir });
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('No events at error level or above since 30s');
  });
});
