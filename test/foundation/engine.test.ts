// The engine through real processes: concurrency, crashes, the audit chain, gates, approvals.
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { agent, cleanupProjects, FIXTURE, makeProject, parseNdjson, startAgent, waitFor } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';
import { createAgentStore } from '../../src/store/store.js';
import { defaultConfig } from '../../src/config/config.js';

afterAll(cleanupProjects);

const fixture = (args: string[], cwd: string, env?: Record<string, string>) => agent(args, { cwd, script: FIXTURE, env });
const year = new Date().getUTCFullYear();

describe('state database', () => {
  it('loses no event when two processes append 1,000 each at once', async () => {
    const dir = makeProject();
    await agent(['status'], { cwd: dir }); // creates the schema first, like any earlier command would
    const [a, b] = await Promise.all([fixture(['fixture', 'append', '1000'], dir), fixture(['fixture', 'append', '1000'], dir)]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const db = new StateDb(join(dir, '.agent', 'state.db'));
    const rows = db.events({ agent: 'FIXTURE' });
    db.close();
    expect(rows).toHaveLength(2000);
    expect(new Set(rows.map((r) => r.message)).size).toBe(2000);
  });

  it('shows another process its events on the next poll', async () => {
    const dir = makeProject();
    await agent(['status'], { cwd: dir });
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    const store = createAgentStore(state, defaultConfig('t'), dir);
    store.getState().sync();
    const before = store.getState().eventsSeen;
    expect(store.getState().sync()).toBe(0); // nothing new: the poll is a cheap no-op
    const child = await agent(['create', 'ticket', 'Jobs page is broken'], { cwd: dir });
    expect(child.code).toBe(0);
    // The other process has committed; the very next poll (the dashboard polls every 150 ms, well
    // inside 0.5 s) brings its event in. No waiting, no timing: one sync() must see it.
    expect(store.getState().sync()).toBeGreaterThan(0);
    expect(store.getState().events.some((e) => /Ticket created/.test(e.message))).toBe(true);
    expect(store.getState().eventsSeen).toBeGreaterThan(before);
    state.close();
  });

  it('keeps events append-only', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Jobs page is broken'], { cwd: dir });
    const db = new Database(join(dir, '.agent', 'state.db'));
    expect(() => db.prepare("UPDATE events SET message = 'rewritten'").run()).toThrow(/append-only/);
    db.close();
  });
});

describe('orchestrator', () => {
  it('runs an agent through the six phases with checklist evidence', async () => {
    const dir = makeProject();
    const r = await fixture(['fixture', 'run', '--json'], dir);
    expect(r.code).toBe(0);
    const lines = parseNdjson(r.stdout);
    expect(lines.filter((l) => l.type === 'event').map((l) => l.message)).toEqual([
      'understand done', 'analyze done', 'plan done', 'validate done', 'execute done', 'verify done',
    ]);
    const result = lines.at(-1) as { data: { agents: Array<{ id: string; phases: string[] }> } };
    expect(result.data.agents[0]!.phases).toHaveLength(6);
    const db = new StateDb(join(dir, '.agent', 'state.db'));
    const items = db.checklist({ agentId: result.data.agents[0]!.id });
    expect(items.map((i) => i.phase)).toEqual(['understand', 'analyze', 'plan', 'validate', 'execute', 'verify']);
    expect(items.every((i) => i.evidence.startsWith('fixture measured'))).toBe(true);
    expect(db.agent(result.data.agents[0]!.id)!.state).toBe('done');
    db.close();
  });

  it('stops on a blocked gate with exit 4 and names the gate', async () => {
    const dir = makeProject();
    const r = await fixture(['fixture', 'run', '--block', 'validate'], dir);
    expect(r.code).toBe(4);
    expect(r.stderr.trim()).toBe('✗ Quality gate "test-coverage" blocked the validate phase: test coverage 12% is below the required 80%; to unblock: add a test that runs the changed lines (`agent generate test <file>`), or lower gates.testCoverage in agent.config.json');
    expect(r.stdout).toContain('plan done');
    expect(r.stdout).not.toContain('validate done\n[TESTAGENT] ✓ execute');
    const status = JSON.parse((await agent(['status', '--json'], { cwd: dir })).stdout);
    expect(status.data.agents.active).toBe(0);
  });

  it('lets a configured threshold pass what the default blocks', async () => {
    const dir = makeProject();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ gates: { testCoverage: 10 } }));
    expect((await fixture(['fixture', 'run', '--block', 'validate'], dir)).code).toBe(0);
  });

  it('serialises two runs that lock the same resource and limits concurrency', async () => {
    const dir = makeProject();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ agents: { maxConcurrent: 2 } }));
    await agent(['status'], { cwd: dir });
    const [a, b] = await Promise.all([
      fixture(['fixture', 'run', '--resource', 'table:public.estimates', '--phase-ms', '40'], dir),
      fixture(['fixture', 'run', '--resource', 'table:public.estimates', '--phase-ms', '40'], dir),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const db = new StateDb(join(dir, '.agent', 'state.db'));
    // The run that had to wait finished its agent only after the other run's agent was done.
    const waitedEvent = db.events({}).find((e) => /Waiting for RUN-\d+ to release table:public\.estimates/.test(e.message));
    expect(waitedEvent).toBeDefined();
    const [waiter] = db.agents({ runId: waitedEvent!.run_id! });
    const [holder] = db.agents().filter((ag) => ag.run_id !== waitedEvent!.run_id);
    expect(waiter!.finished_at!).toBeGreaterThanOrEqual(holder!.finished_at!);
    const holderStart = db.events({ agentId: holder!.id }).find((e) => e.kind === 'agent.started')!.ts;
    const waiterStart = db.events({ agentId: waiter!.id }).find((e) => e.kind === 'agent.started')!.ts;
    expect(waiterStart).toBeGreaterThanOrEqual(db.events({ agentId: holder!.id }).find((e) => e.kind === 'agent.finished')!.ts);
    expect(waiterStart).toBeGreaterThan(holderStart);
    // Three agents with a limit of two: never more than two between agent.started and agent.finished.
    const three = await fixture(['fixture', 'run', '--agents', '3', '--phase-ms', '30', '--json'], dir);
    expect(three.code).toBe(0);
    const runId = (parseNdjson(three.stdout).find((l) => l.type === 'event') as { runId: string }).runId;
    const marks = db
      .events({ runId })
      .filter((e) => e.kind === 'agent.started' || e.kind === 'agent.finished')
      .map((e) => ({ id: e.id, delta: e.kind === 'agent.started' ? 1 : -1 }));
    let running = 0;
    let peak = 0;
    for (const m of marks.sort((x, y) => x.id - y.id)) peak = Math.max(peak, (running += m.delta));
    expect(marks.length).toBe(6);
    expect(peak).toBe(2);
    db.close();
  });

  it('shows a run whose process was killed as interrupted, with what it completed', async () => {
    const dir = makeProject();
    await agent(['status'], { cwd: dir });
    const child = startAgent(['fixture', 'run', 'BUG-X', '--phase-ms', '400'], { cwd: dir, script: FIXTURE });
    await waitFor(() => /analyze done/.test(child.output()), 15_000, 'the analyze phase');
    child.kill('SIGKILL');
    await child.closed;
    const s = await agent(['status', '--json'], { cwd: dir });
    const data = JSON.parse(s.stdout).data;
    expect(data.interruptedRuns).toHaveLength(1);
    expect(data.interruptedRuns[0].completed).toEqual(expect.arrayContaining([expect.stringMatching(/:understand$/), expect.stringMatching(/:analyze$/)]));
    expect(data.interruptedRuns[0].error).toMatch(/process \d+ is gone/);
    expect(data.agents.active).toBe(0);
    const human = await agent(['status'], { cwd: dir });
    expect(human.stdout).toMatch(/Interrupted Runs:\n\s+⚠ RUN-1 fixture run: completed testagent-1:understand, testagent-1:analyze/);
  });
});

describe('approvals', () => {
  it('exits 3 unattended, names the approval, and carries the action out once approved', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir });
    const ticket = `BUG-${year}-001`;
    const r = await fixture(['fixture', 'run', ticket, '--approval', 'productionDeployment'], dir);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(`⚠ Approval required for fixture action for ${ticket}: run \`agent approve APR-1 --confirm ${ticket}\` (or \`agent reject APR-1\`)`);
    const list = await agent(['approvals', '--json'], { cwd: dir });
    const pending = (parseNdjson(list.stdout).at(-1)!.data as { approvals: Array<Record<string, unknown>> }).approvals;
    expect(pending).toEqual([expect.objectContaining({ id: 'APR-1', status: 'pending', risk: 'high', confirm: ticket, touches: ['app/api/estimates/route.ts'] })]);
    // A production deploy wants the ticket id typed: an approval id alone is not enough.
    const noConfirm = await fixture(['approve', 'APR-1'], dir);
    expect(noConfirm.code).toBe(2);
    expect(noConfirm.stderr.trim()).toBe(`error: APR-1 (productionDeployment) needs a typed confirmation: pass --confirm ${ticket}`);
    const ok = await fixture(['approve', 'APR-1', '--confirm', ticket], dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('✓ Approved APR-1');
    expect(ok.stdout).toContain(`[TESTAGENT] ✓ Finished approved action for ${ticket}`);
    const again = await fixture(['approve', 'APR-1', '--confirm', ticket], dir);
    expect(again.stderr.trim()).toBe('error: APR-1 is already approved by admin');
    expect(again.code).toBe(2);
  });

  it('does not ask for what the policy allows, and records rejections', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir });
    const ticket = `BUG-${year}-001`;
    const staging = await fixture(['fixture', 'run', ticket, '--approval', 'stagingDeployment'], dir);
    expect(staging.code).toBe(0);
    expect(staging.stdout).toContain('Approved action carried out');
    const destructive = await fixture(['fixture', 'run', ticket, '--approval', 'databaseDestructive'], dir);
    expect(destructive.code).toBe(3);
    const rej = await agent(['reject', ticket, '--reason', 'not during business hours'], { cwd: dir });
    expect(rej.code).toBe(0);
    expect(rej.stdout).toContain('⚠ Rejected APR-1');
    expect((await agent(['reject', 'APR-9'], { cwd: dir })).code).toBe(2);
    const audit = parseNdjson((await agent(['audit', '--json'], { cwd: dir })).stdout).at(-1)!.data as { entries: Array<{ action: string; result: string }> };
    expect(audit.entries.map((e) => `${e.action}:${e.result}`)).toEqual(['ticket.create:created', 'approval.requested:pending', 'approval.rejected:rejected']);
  });

  it('waits while a dashboard is attached and continues when another process approves', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir });
    const ticket = `BUG-${year}-001`;
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    state.touchSession('test-dashboard', 'dashboard');
    const beat = setInterval(() => state.touchSession('test-dashboard', 'dashboard'), 500);
    try {
      const child = startAgent(['fixture', 'run', ticket, '--approval', 'agentConfigChange'], { cwd: dir, script: FIXTURE });
      // agentConfigChange does not need approval by default: it must not wait.
      await child.closed;
      expect(child.exitCode).toBe(0);
      const waiting = startAgent(['fixture', 'run', ticket, '--approval', 'credentialChange'], { cwd: dir, script: FIXTURE });
      await waitFor(() => /Waiting for APR-1/.test(waiting.output()), 15_000, 'the waiting line');
      const ok = await agent(['approve', 'APR-1'], { cwd: dir });
      expect(ok.code).toBe(0);
      await waiting.closed;
      expect(waiting.exitCode).toBe(0);
      expect(waiting.output()).toContain('Approved APR-1 by admin');
      expect(waiting.output()).toContain('Approved action carried out');
    } finally {
      clearInterval(beat);
      state.close();
    }
  });
});

describe('audit', () => {
  it('verifies the chain and names the first edited entry', async () => {
    const dir = makeProject();
    for (const t of ['Estimates fail to save', 'Invoices fail to send', 'Jobs page is broken']) await agent(['create', 'ticket', t], { cwd: dir });
    const ok = await agent(['audit', '--verify'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe('[AUDIT] ✓ Audit chain intact: 3 entries verified, ending at the head recorded outside (#3; git checkpoint #3) — SHA-256, no AGENT_AUDIT_KEY');
    const db = new Database(join(dir, '.agent', 'state.db'));
    db.exec('DROP TRIGGER audit_append_only_update'); // as anyone with the file could
    db.prepare("UPDATE audit SET result = 'deleted' WHERE seq = 2").run();
    db.close();
    const bad = await agent(['audit', 'verify'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout.trim()).toBe('[AUDIT] ✗ Audit chain broken at entry #2: entry #2 was modified after it was written (hash mismatch) — SHA-256, no AGENT_AUDIT_KEY');
  });
});

describe('cancellation and following', () => {
  it('stops a run on Ctrl-C with exit 130 and records it as cancelled', async () => {
    const dir = makeProject();
    await agent(['status'], { cwd: dir });
    const child = startAgent(['fixture', 'run', '--phase-ms', '300'], { cwd: dir, script: FIXTURE });
    await waitFor(() => /understand done/.test(child.output()), 15_000, 'the first phase');
    child.kill('SIGINT');
    const code = await child.closed;
    expect(code).toBe(130);
    const db = new StateDb(join(dir, '.agent', 'state.db'));
    const [run] = db.runs();
    const [ag] = db.agents();
    db.close();
    expect(run!.status).toBe('cancelled');
    expect(ag!.state).toBe('cancelled');
  });

  it('follows new events of a ticket as another process writes them', async () => {
    const dir = makeProject();
    await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: dir });
    const ticket = `BUG-${year}-001`;
    const follower = startAgent(['logs', ticket, '--follow'], { cwd: dir });
    await waitFor(() => /Ticket created/.test(follower.output()), 10_000, 'the existing event');
    await fixture(['fixture', 'run', ticket], dir);
    await waitFor(() => /verify done/.test(follower.output()), 10_000, 'the followed events');
    follower.kill('SIGINT');
    await follower.closed;
    expect(follower.output()).toMatch(/understand done[\s\S]*verify done/);
  });
});
