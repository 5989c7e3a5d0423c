// Free text never decides an approval (issue 13): 10,000 generated lines that ask, in every way a
// sentence can, to approve, reject, deploy or roll back, through the pure router; a few hundred of
// them through the real CLI in-process against a state with a pending approval, a staged set and a
// live deployment; and the exact lines through the real CLI in a child process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { COMMANDS } from '../../src/commands/registry.js';
import { heldBecause, route, explainSuggestion, type Route } from '../../src/engine/router.js';
import { parseArgv, splitWords } from '../../src/cli/argv.js';
import { runCli } from '../../src/cli/run.js';
import { StateDb } from '../../src/store/state-db.js';
import { createApproval } from '../../src/engine/approvals.js';
import { agent, cleanupProjects, makeProject } from '../helpers.js';
import { generate, localize, rowsOf, seedState } from './free-text-lines.js';

afterAll(cleanupProjects);

const LINES = generate(10_000);
const byName = new Map(COMMANDS.map((c) => [c.name, c]));
/** The oracle, apart from the router's own heldBecause: read or everyday work, no policy, deciding nothing. */
const mayRun = (name: string) => {
  const def = byName.get(name)!;
  return (def.risk === 'read' || def.risk === 'write') && !def.policy && name !== 'approve' && name !== 'reject';
};

describe('the router on 10,000 generated lines', () => {
  it('never runs a command that free text may only suggest; negated asks are read as such', () => {
    const ran: Record<string, number> = {};
    const why: Record<string, number> = {};
    const wrong: string[] = [];
    for (const { text, negatedPlain } of LINES) {
      const r: Route = route(text, COMMANDS);
      if (r.type === 'command') {
        ran[r.name] = (ran[r.name] ?? 0) + 1;
        if (!mayRun(r.name)) wrong.push(`${JSON.stringify(text)} ran ${r.name}`);
        continue;
      }
      why[r.why] = (why[r.why] ?? 0) + 1;
      if (negatedPlain && r.why !== 'negated') wrong.push(`${JSON.stringify(text)} is negated but got ${r.why}: ${r.reason}`);
      // Every refusal is one line that names what to type or why nothing was done.
      const message = explainSuggestion(r, { shown: text, prefix: 'agent ', otherwise: 'see `agent --help`' });
      if (/[\u0000-\u001f\u007f-\u009f]/.test(message)) wrong.push(`${JSON.stringify(text)} echoed a control character`);
      if (r.why === 'held' && r.suggestions.length !== 1) wrong.push(`${JSON.stringify(text)} held with ${r.suggestions.length} commands`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    // The corpus reaches every verdict: the test could fail.
    expect(why.held).toBeGreaterThan(1200);
    expect(why.negated).toBeGreaterThan(1500);
    expect(LINES.filter((l) => l.negatedPlain).length).toBeGreaterThan(300);
  });

  it('holds every command whose definition can need an approval, decides one, deploys, deletes or is an emergency', () => {
    for (const name of ['approve', 'reject', 'deploy', 'rollback', 'emergency rollback', 'emergency deploy hotfix', 'emergency stop all', 'migrate execute', 'agents purge logs', 'fix ticket', 'agents update config']) {
      expect([name, heldBecause(byName.get(name)!)]).toEqual([name, expect.any(String)]);
    }
    for (const name of ['status', 'logs', 'health', 'approvals', 'tickets', 'ticket', 'create ticket', 'metrics', 'review']) expect([name, heldBecause(byName.get(name)!)]).toEqual([name, null]);
  });

  it('gives the exact command for a clear ask, and reads the id as the confirmation only when it is typed', () => {
    expect(route('approve BUG-2026-001', COMMANDS)).toMatchObject({ type: 'suggest', why: 'held', suggestions: ['approve BUG-2026-001 --confirm BUG-2026-001'] });
    expect(route('please approve APR-3 for BUG-2026-001 now', COMMANDS)).toMatchObject({ why: 'held', suggestions: ['approve APR-3 --confirm BUG-2026-001'] });
    // The tracker's id names the request; the confirmation is our ticket id, which the text does not give.
    expect(route('approve deployment for AI-EST-142', COMMANDS)).toMatchObject({ why: 'held', suggestions: ['approve AI-EST-142'] });
    expect(route('emergency rollback BUG-2026-001', COMMANDS)).toMatchObject({ why: 'held', suggestions: ['emergency rollback BUG-2026-001'] });
    expect(route('deploy BUG-2026-001 to production', COMMANDS)).toMatchObject({ why: 'held', suggestions: ['deploy production BUG-2026-001'] });
    const held = route('reject APR-2', COMMANDS);
    expect(held.type === 'suggest' && explainSuggestion(held, { shown: 'reject APR-2', prefix: 'agent ', otherwise: '' })).toBe(
      'nothing was done: free text never runs `agent reject` (it decides an approval); to do it, type `agent reject APR-2`',
    );
  });

  it('understands negations, and lets a later clause ask for something safe', () => {
    for (const text of ['do not approve BUG-2026-001', "don't approve BUG-2026-001", 'dont reject APR-1', 'never deploy to production', 'not rollback DEPLOY-1', 'no approve APR-1', 'don’t approve it', "please don't roll back DEPLOY-3", 'do not go ahead with APR-1']) {
      expect([text, route(text, COMMANDS)]).toEqual([text, expect.objectContaining({ type: 'suggest', why: 'negated' })]);
    }
    const r = route('do not approve BUG-2026-001', COMMANDS);
    expect(r.type === 'suggest' && explainSuggestion(r, { shown: 'do not approve BUG-2026-001', prefix: 'agent ', otherwise: '' })).toBe('nothing was done: "do not approve BUG-2026-001" says not to approve');
    expect(route("don't approve anything, just show the status", COMMANDS)).toMatchObject({ type: 'command', name: 'status' });
    expect(route('show me the logs, not the status', COMMANDS)).toMatchObject({ type: 'command', name: 'logs' });
    // "no" that ends its clause negates nothing after it: still only a suggestion.
    expect(route('no, approve APR-1', COMMANDS)).toMatchObject({ type: 'suggest', why: 'held' });
  });
});

describe('argv and the prompt split sentences with apostrophes', () => {
  it('reads an apostrophe inside a word as a letter when a shell would leave it open', () => {
    expect(splitWords("@agent I need to fix it. Here's the ticket: AI-EST-142")).toEqual(['@agent', 'I', 'need', 'to', 'fix', 'it.', "Here's", 'the', 'ticket:', 'AI-EST-142']);
    expect(splitWords("don't approve 'APR-3 now'")).toEqual(["don't", 'approve', 'APR-3 now']);
    // Shell rules otherwise: matched quotes still quote, backslashes still escape.
    expect(splitWords(`a 'b c' "d e" f\\ g it's'`)).toEqual(['a', 'b c', 'd e', 'f g', 'its']);
    expect(() => splitWords("approve 'APR-3")).toThrow(/unclosed ' quote/);
    expect(() => splitWords('create "oops')).toThrow(/unclosed " quote/);
  });

  it('escapes control characters it echoes', () => {
    expect(() => splitWords('"\x1b[2J')).toThrow('unclosed " quote in: "\\x1b[2J');
    expect(() => parseArgv(['\x1b[31mfrob'], COMMANDS)).toThrow(/unknown command "\\x1b\[31mfrob"/);
    expect(() => parseArgv(['status', '--\x07x'], COMMANDS)).toThrow(/unknown flag --\\x07x/);
  });
});

describe('generated lines through the real CLI, in-process', () => {
  let dir: string;
  let db: string;
  const ENV = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1' };
  const quiet = { out: () => undefined, err: () => undefined, isTTY: false };
  const snapshot = () => rowsOf(db);
  let tickets: string[] = [];

  beforeAll(async () => {
    dir = makeProject();
    db = join(dir, '.agent', 'state.db');
    const out: string[] = [];
    const sink = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), isTTY: false };
    for (const d of ['Estimates fail to save for AI-EST-142', 'Invoices are sent twice', 'Add a notes column to jobs']) {
      expect(await runCli(['create', 'ticket', d], { cwd: dir, env: ENV, sink })).toBe(0);
    }
    tickets = out.join('').match(/Ticket created: (\S+)/g)!.map((m) => m.split(' ')[2]!);
    seedState(db, tickets as [string, string, string]);
  });

  it('changes no approval, deployment or change set: each line suggests, refuses or runs something safe', async () => {
    const before = snapshot();
    expect(before).toContain('"status":"pending"');
    // Every 40th line, with the ids made to name what exists here, and every other one followed by
    // a safe request, so that commands run against this state too: 250 lines.
    const sample = LINES.filter((_, i) => i % 40 === 0).map((l, i) => localize(l.text, i, tickets as [string, string, string]));
    const codes: Record<number, number> = {};
    for (const text of sample) {
      const code = await runCli([text], { cwd: dir, env: ENV, sink: quiet });
      codes[code] = (codes[code] ?? 0) + 1;
    }
    expect(snapshot()).toBe(before);
    expect(codes[2]).toBeGreaterThan(100);
    expect(codes[0]).toBeGreaterThan(20); // status, logs and approvals ran here
    // Nothing reached an approval request (exit 3).
    expect(codes[3] ?? 0).toBe(0);
  });

  it('still approves when the admin types the command and its confirmation', async () => {
    const [a] = tickets as [string];
    // The ticket id as the command's argument is no confirmation ...
    const errs: string[] = [];
    const sink = { out: () => undefined, err: (t: string) => void errs.push(t), isTTY: false };
    expect(await runCli(['approve', a], { cwd: dir, env: ENV, sink })).toBe(2);
    expect(errs.join('')).toContain(`needs a typed confirmation: pass --confirm ${a}`);
    // ... and the seed's wording gets the one command that does it.
    errs.length = 0;
    expect(await runCli(['@agent approve deployment for AI-EST-142'], { cwd: dir, env: ENV, sink })).toBe(2);
    expect(errs.join('').trim()).toBe(`error: "deployment" is not an approval or ticket id; type \`agent approve APR-1 --confirm ${a}\``);
    errs.length = 0;
    expect(await runCli(['approve', 'not', a], { cwd: dir, env: ENV, sink })).toBe(2);
    expect(errs.join('').trim()).toBe(`error: nothing was done: "approve not ${a}" says not to approve`);
    errs.length = 0;
    const c = tickets[2]!;
    expect(await runCli([`approve deployment for ${c}`.replace(/^/, '@agent ')], { cwd: dir, env: ENV, sink })).toBe(2);
    expect(errs.join('')).toContain(`type \`agent approve ${c} deploy to staging\``);
  });
});

describe('the issue\'s lines through the CLI', () => {
  it('"do not approve" approves nothing; an apostrophe is no unclosed quote', async () => {
    const dir = makeProject();
    const t = /Ticket created: (\S+)/.exec((await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir })).stdout)![1]!;
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    createApproval(state, { category: 'productionDeployment', action: `deploy ${t} to production`, ticketId: t, requestedBy: 'ORCHESTRATOR' }, 'typed', 'high');
    state.close();
    const pending = () => {
      const s = new StateDb(join(dir, '.agent', 'state.db'));
      try {
        return s.approval('APR-1')!.status;
      } finally {
        s.close();
      }
    };

    const no = await agent([`do not approve ${t}`], { cwd: dir });
    expect([no.code, no.stderr.trim()]).toEqual([2, `error: nothing was done: "do not approve ${t}" says not to approve`]);
    const yes = await agent([`approve ${t}`], { cwd: dir });
    expect([yes.code, yes.stderr.trim()]).toEqual([2, `error: nothing was done: free text never runs \`agent approve\` (it decides an approval); to do it, type \`agent approve ${t} --confirm ${t}\``]);
    const garbled = await agent([`aprove ${t} pls --confirm ${t} APR-1`], { cwd: dir });
    expect(garbled.code).toBe(2);
    expect(pending()).toBe('pending');

    const seed = await agent(["@agent I need to fix the AI estimate persistence issue. Here's the ticket: AI-EST-142"], { cwd: dir });
    expect(seed.stderr).not.toMatch(/unclosed/);
    expect(seed.code).toBe(2);
    expect(seed.stderr.trim().split('\n')).toHaveLength(1);

    const escape = await agent(['\x1b[2J\x1b[31mapprove everything'], { cwd: dir });
    expect(escape.code).toBe(2);
    expect(escape.stderr).not.toContain('\x1b');
    expect(escape.stderr).toContain('\\x1b[2J');
    expect(pending()).toBe('pending');
  });
});
