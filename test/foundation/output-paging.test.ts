// Output that is never cut: `tickets --json` and `logs --json` of 5,000 rows into a reader that
// takes nothing until the command is done; counts from SQL with --limit/--offset paging; echoed
// input with its control characters escaped; the demo's lines recorded in the demo project.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, CLI, makeProject, parseNdjson, testEnv, waitFor } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';
import { printable, printableLines } from '../../src/cli/printable.js';
import { createReporter } from '../../src/cli/output.js';
import { recordingReporter } from '../../src/commands/demo.js';
import { makeStyle } from '../../src/cli/style.js';

afterAll(cleanupProjects);

const ROWS = 5000;
const STATUSES = ['open', 'in_progress', 'staged', 'deployed', 'closed'] as const;
let dir = '';

beforeAll(() => {
  dir = makeProject();
  const state = new StateDb(join(dir, '.agent', 'state.db'));
  const t0 = Date.UTC(2026, 0, 1);
  state.tx(() => {
    for (let i = 0; i < ROWS; i++) {
      const at = t0 + i * 1000;
      state.insertTicket({
        idPrefix: 'BUG', kind: 'BUG', year: 2026, title: `Ticket ${i}: estimates not saved for job ${i}`,
        description: `Ticket ${i}: estimates are not saved for job ${i}; the voice agent says "done" (${'detail '.repeat(20)})`,
        status: STATUSES[i % STATUSES.length]!, priority: 'normal', external_ref: null, created_by: 'admin', created_at: at, updated_at: at,
      });
      state.appendEvent({ ts: at, kind: 'line', level: i % 10 === 0 ? 'ok' : 'info', agent: 'BUGHUNTER', message: `Event ${i}: checked ${'a file, '.repeat(10)}done` });
    }
  });
  state.close();
});

/** Counts straight from the database the commands read. */
function fromDb<T>(fn: (s: StateDb) => T): T {
  const s = new StateDb(join(dir, '.agent', 'state.db'));
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

/**
 * Runs the CLI with a slow reader on its stdout: nothing is read until the command has closed its
 * state database (its SQLite -wal file comes and goes), by which time every byte it will print is
 * written or queued, and the pipe holds far less than that. Then the reader takes it all.
 */
async function slowRead(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const agentDir = join(dir, '.agent');
  const wal = join(agentDir, 'state.db-wal');
  expect(existsSync(wal)).toBe(false); // no other connection is open, so the command's close removes it
  let walSeen = false;
  const watcher = watch(agentDir, (_event, name) => {
    if (name === 'state.db-wal') walSeen = true;
  });
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  child.on('exit', () => (exited = true));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    await waitFor(() => exited || (walSeen && !existsSync(wal)), 30_000, `\`agent ${args.join(' ')}\` to finish its work`);
  } finally {
    watcher.close();
  }
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await closed;
  return { code, stdout: Buffer.concat(chunks).toString('utf8'), stderr };
}

describe('piped output of 5,000 rows into a slow reader', () => {
  it('tickets --json arrives whole: it parses and its counts match the database', async () => {
    const r = await slowRead(['tickets', '--json', '--limit', String(ROWS)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1_000_000); // far past any pipe buffer
    const result = JSON.parse(r.stdout.trim()) as { data: { tickets: Array<{ id: string }>; total: number; more: number } };
    const ids = fromDb((s) => (s.db.prepare('SELECT id FROM tickets ORDER BY created_at DESC, id DESC').all() as Array<{ id: string }>).map((t) => t.id));
    expect(ids).toHaveLength(ROWS);
    expect(result.data.tickets.map((t) => t.id)).toEqual(ids);
    expect(result.data).toMatchObject({ total: ROWS, more: 0 });
  });

  it('logs --json arrives whole: one parseable line per event, counts matching the database', async () => {
    const r = await slowRead(['logs', '--json', '--limit', String(ROWS)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = parseNdjson(r.stdout);
    const events = lines.filter((l) => l.type === 'event');
    const ids = fromDb((s) => s.events({ minLevel: 'info' }).map((e) => e.id));
    expect(ids).toHaveLength(ROWS);
    expect(events.map((e) => e.id)).toEqual(ids);
    expect(lines.at(-1)).toMatchObject({ type: 'result', ok: true, data: { count: ROWS, total: ROWS, more: 0 } });
  });
});

describe('counts from SQL and pages', () => {
  it('tickets: a default page of 1,000 says how many more and where they start; --offset pages on', async () => {
    const [json, human, page2, past] = await Promise.all([
      agent(['tickets', '--json'], { cwd: dir }),
      agent(['tickets'], { cwd: dir }),
      agent(['tickets', '--json', '--status', 'open', '--limit', '10', '--offset', '995'], { cwd: dir }),
      agent(['tickets', '--offset', String(ROWS)], { cwd: dir }),
    ]);
    const first = JSON.parse(json.stdout) as { data: { tickets: unknown[]; total: number; offset: number; limit: number; more: number } };
    expect(first.data).toMatchObject({ total: ROWS, offset: 0, limit: 1000, more: ROWS - 1000 });
    expect(first.data.tickets).toHaveLength(1000);
    expect(human.stdout.trimEnd().split('\n').at(-1)).toBe('… 4,000 more: --offset 1000');
    const open = fromDb((s) => s.tickets({ status: 'open', limit: 10, offset: 995 }).map((t) => t.id));
    const openTotal = ROWS / STATUSES.length;
    const p2 = JSON.parse(page2.stdout) as { data: { tickets: Array<{ id: string }>; total: number; more: number } };
    expect(p2.data.tickets.map((t) => t.id)).toEqual(open);
    expect(p2.data).toMatchObject({ total: openTotal, more: openTotal - 995 - 5 });
    expect(open).toHaveLength(5);
    expect(past.stdout).toContain(`No tickets past --offset ${ROWS} (there are 5,000).`);
  });

  it('logs: the last 200 by default, older pages with --offset, the count of what is left out', async () => {
    const [json, human] = await Promise.all([
      agent(['logs', '--json', '--limit', '3', '--offset', '2', '--level', 'warn'], { cwd: dir }),
      agent(['logs', '--limit', '10', '--offset', '5'], { cwd: dir }),
    ]);
    expect(parseNdjson(json.stdout).at(-1)).toMatchObject({ data: { count: 0, total: 0, more: 0 } });
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`… ${(ROWS - 15).toLocaleString('en-US')} older events: --offset 15`);
    const expected = fromDb((s) => s.events({ minLevel: 'info', tail: true, limit: 10, offset: 5 }).map((e) => e.message));
    expect(lines.slice(1).map((l) => l.replace(/^\S+ \[BUGHUNTER\] (✓ )?/, ''))).toEqual(expected);
    expect(expected[9]).toBe(`Event ${ROWS - 6}: checked ${'a file, '.repeat(10)}done`);
  });

  it('status counts every ticket, not the first 1,000', async () => {
    const r = await agent(['status', '--json'], { cwd: dir });
    const open = (ROWS * 3) / STATUSES.length; // open, in_progress, staged
    expect(JSON.parse(r.stdout).data.tickets).toEqual({ open, total: ROWS });
  });

  it('status counts queued runs and pending approvals past 1,000 too', async () => {
    const busy = makeProject();
    const state = new StateDb(join(busy, '.agent', 'state.db'));
    const now = Date.now();
    state.tx(() => {
      // Queued by this (live) process with a fresh heartbeat: nothing for recovery to take back.
      for (let i = 1; i <= 1100; i++) state.insertRun({ id: `RUN-${i}`, ticket_id: null, command: 'fix ticket', priority: 0, resources: [] });
      for (let i = 1; i <= 1050; i++) {
        state.insertApproval({
          id: `APR-${i}`, ticket_id: null, run_id: null, category: 'productionDeployment', action: `deploy change ${i} to production`, summary: '', risk: 'high',
          touches: '[]', gates: '[]', resume: null, confirm: null, status: 'pending', requested_by: 'admin', requested_at: now, decided_by: null, decided_at: null, reason: null,
        });
      }
    });
    state.close();
    const data = JSON.parse((await agent(['status', '--json'], { cwd: busy })).stdout).data as { queue: { size: number }; pendingApprovals: unknown[] };
    expect(data.queue.size).toBe(1100);
    expect(data.pendingApprovals).toHaveLength(1050);
  });

  it('refuses bad paging values with exit 2 and one line naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['tickets', '--limit', '0'], /^error: `agent tickets` --limit: expected a whole number from 1 to 999999, got "0"$/],
      [['tickets', '--offset', '-3'], /--offset/],
      [['logs', '--limit', '1e9'], /^error: `agent logs` --limit: expected a whole number from 1 to 999999, got "1e9"$/],
      [['logs', '--offset', 'ten'], /^error: `agent logs` --offset: expected a whole number, 0 or more, got "ten"$/],
      [['logs', '--follow', '--offset', '3'], /^error: --offset pages back through past events and --follow shows new ones; give one of them$/],
    ];
    const results = await Promise.all(cases.map(([args]) => agent(args, { cwd: dir })));
    results.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(cases[i]![1]);
    });
  });
});

describe('echoed input', () => {
  it('printable() shows control characters, escapes and bidi overrides instead of sending them', () => {
    expect(printable('a\x1b[2Jb\x07\r\n\t\x9b31m\u202ez\x7f')).toBe('a\\x1b[2Jb\\x07\\r\\n\\t\\x9b31m\\u202ez\\x7f');
    expect(printableLines('one\ntwo\x1b]0;title\x07')).toBe('one\ntwo\\x1b]0;title\\x07');
    expect(printable('plain text, ünïcode ✓')).toBe('plain text, ünïcode ✓');
  });

  it('usage errors that echo what was typed carry no raw control character', async () => {
    const evil = 'x\x1b[2J\x1b]0;pwned\x07\u202e';
    const runs = await Promise.all([
      agent(['logs', evil], { cwd: dir }),
      agent(['ticket', evil], { cwd: dir }),
      agent(['logs', '--since', evil], { cwd: dir }),
      agent(['tickets', '--limit', evil], { cwd: dir }),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
      expect(r.stderr).toMatch(/x(\\x1b|\\u001b)\[2J/);
    }
  });
});

describe('the demo records its lines', () => {
  it('in the demo project: `logs` and `status` there show them, and they still reach the screen', async () => {
    const demo = makeProject();
    const printed: string[] = [];
    const out = createReporter({ json: false, verbose: false, style: makeStyle(false), sink: { out: (t) => printed.push(t), err: () => {}, isTTY: false }, state: () => null });
    let state: StateDb | undefined;
    const rec = recordingReporter(out, () => (state ??= new StateDb(join(demo, '.agent', 'state.db'))));
    rec.line('ORCHESTRATOR', 'ok', 'Demo project ready: here');
    rec.line('BUGHUNTER', 'info', 'Analyzing issue...', { ticketId: 'BUG-2026-001' });
    rec.print('$ agent fix ticket BUG-2026-001');
    state!.close();
    expect(printed.join('')).toBe('[ORCHESTRATOR] ✓ Demo project ready: here\n[BUGHUNTER] Analyzing issue...\n$ agent fix ticket BUG-2026-001\n');
    const [logs, status] = await Promise.all([agent(['logs', '--json'], { cwd: demo }), agent(['status', '--json'], { cwd: demo })]);
    expect(parseNdjson(logs.stdout).filter((e) => e.type === 'event').map((e) => [e.agent, e.message, e.ticketId])).toEqual([
      ['ORCHESTRATOR', 'Demo project ready: here', null],
      ['BUGHUNTER', 'Analyzing issue...', 'BUG-2026-001'],
    ]);
    expect(JSON.parse(status.stdout).data.recentActivity.map((e: { message: string }) => e.message)).toEqual(['Demo project ready: here']);
  });
});
