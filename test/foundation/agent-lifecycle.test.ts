// Agents end with their run: a run that ends early (a gate blocks one agent while its sibling is
// still at work, Ctrl-C, the process exits) leaves no agent "running", rows left by dead processes
// never count as busy, and a command waiting for an agent slot waits instead of exiting.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, FIXTURE, makeProject, parseNdjson, startAgent, waitFor } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';
import { defaultConfig } from '../../src/config/config.js';
import { Orchestrator, type AgentTask } from '../../src/engine/orchestrator.js';
import { item, type PhaseContext, type PhaseHandlers } from '../../src/engine/phases.js';
import { PHASES, type PhaseMetrics } from '../../src/engine/gates.js';
import { readStatus } from '../../src/engine/status.js';
import { GateBlockedError, InterruptedError } from '../../src/errors.js';
import type { Reporter } from '../../src/commands/types.js';

afterAll(cleanupProjects);

const PASS: Record<string, PhaseMetrics> = {
  understand: { confidence: 97 },
  analyze: { criticalCycles: 0 },
  plan: { scenarios: 1, mitigated: 1 },
  validate: { coverage: 90 },
  execute: { preconditions: 1, preconditionsMet: 1 },
  verify: { postErrors: 0 },
};

function task(type: string, understand: (ctx: PhaseContext) => Promise<PhaseMetrics>): AgentTask {
  const phases = {} as PhaseHandlers;
  for (const phase of PHASES) {
    phases[phase] = async (ctx) => {
      const metrics = phase === 'understand' ? await understand(ctx) : PASS[phase]!;
      return { items: [item(`${phase} checked`, true, `measured ${JSON.stringify(metrics)}`)], metrics };
    };
  }
  return { type, phases };
}

const quiet: Reporter = { json: false, color: false, line() {}, print() {}, spin: (_label, work) => work };
const stateOf = (dir: string) => new StateDb(join(dir, '.agent', 'state.db'));

describe('a run that ends early', () => {
  it('cancels and stops the sibling still at work when a gate blocks one agent', async () => {
    const dir = makeProject();
    const state = stateOf(dir);
    const config = defaultConfig('t');
    const orch = new Orchestrator(state, config, quiet, new AbortController().signal);
    let started!: () => void;
    const slowStarted = new Promise<void>((r) => (started = r));
    let release!: () => void;
    let slowSignal: AbortSignal | undefined;
    let slow: Promise<unknown> | undefined;
    const blocked = orch.withRun({ command: 'fix ticket BUG-1', ticketId: 'BUG-1' }, async (run) => {
      slow = orch.runAgent(run, task('Slow', async (ctx) => {
        slowSignal = ctx.signal;
        started();
        await new Promise<void>((r) => (release = r));
        return PASS.understand!;
      }));
      slow.catch(() => {}); // awaited below, after the run has ended
      await orch.runAgent(run, task('Blocker', async () => (await slowStarted, { confidence: 10 })));
    });
    await expect(blocked).rejects.toBeInstanceOf(GateBlockedError);

    const slowRow = state.agents().find((a) => a.type === 'Slow')!;
    expect(state.run('RUN-1')!.status).toBe('blocked');
    expect(slowRow.state).toBe('cancelled');
    expect(slowRow.finished_at).not.toBeNull();
    expect(slowSignal!.aborted).toBe(true);
    const why = state.events({ runId: 'RUN-1' }).find((e) => e.kind === 'agent.cancelled');
    expect(why?.message).toMatch(/^Slow agent slow-1 cancelled in its understand phase: run RUN-1 ended blocked: .*confidence 10%/);
    expect(readStatus(state, config, dir).agents.active).toBe(0);
    expect(state.runningAgentsElsewhere(-1)).toBe(0);

    // Its phase finishing late moves it nowhere: no further phase, still cancelled.
    release();
    await expect(slow).rejects.toBeInstanceOf(InterruptedError);
    expect(state.agent(slowRow.id)!.state).toBe('cancelled');
    expect(state.checklist({ agentId: slowRow.id }).map((c) => c.phase)).toEqual(['understand']);
    orch.dispose();
    state.close();
  });

  it('leaves no agent running after the CLI exits 4, and a second blocked run adds none', async () => {
    const dir = makeProject();
    await agent(['status'], { cwd: dir });
    for (let i = 1; i <= 2; i++) {
      const r = await agent(['sibling', 'run', 'BUG-X'], { cwd: dir, script: FIXTURE });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/understanding-confidence/);
      const status = JSON.parse((await agent(['status', '--json'], { cwd: dir })).stdout).data;
      expect(status.agents.active).toBe(0);
      expect(status.agents.list).toEqual([]);
    }
    const state = stateOf(dir);
    expect(state.agents().filter((a) => a.type === 'Slow').map((a) => a.state)).toEqual(['cancelled', 'cancelled']);
    expect(state.runs().map((r) => r.status)).toEqual(['blocked', 'blocked']);
    state.close();
  });

  it('records the run and its agent as cancelled when a second Ctrl-C exits the process mid-phase', async () => {
    const dir = makeProject();
    await agent(['status'], { cwd: dir });
    const child = startAgent(['fixture', 'run', '--phase-ms', '5000'], { cwd: dir, script: FIXTURE });
    await waitFor(() => {
      const s = stateOf(dir);
      const running = s.agents({ state: ['running'] }).length;
      s.close();
      return running;
    }, 15_000, 'the agent to start its first phase');
    child.kill('SIGINT'); // cancels; the fixture's phase does not listen, so the run stays open
    await new Promise((r) => setTimeout(r, 300)); // two signals at once may arrive as one
    child.kill('SIGINT'); // exits at once
    expect(await child.closed).toBe(130);
    const state = stateOf(dir); // read directly: no recovery pass in between
    expect(state.run('RUN-1')!.status).toBe('cancelled');
    expect(state.run('RUN-1')!.error).toBe('the process exited before the run finished');
    expect(state.agents().map((a) => a.state)).toEqual(['cancelled']);
    state.close();
  });
});

describe('rows left by ended runs and dead processes', () => {
  it('never counts them as busy, and `agents restart all` cleans them up', async () => {
    const dir = makeProject();
    const state = stateOf(dir);
    const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    try {
      // As the orchestrator used to leave them: a blocked run of a live process (a dashboard)
      // with a sibling still "running", and a running run whose process is gone.
      const leftover = (runId: string, status: string, pid: number, agentId: string) => {
        // Not a command `restart all` runs again: only the clean-up is under test here.
        state.insertRun({ id: runId, ticket_id: 'BUG-1', command: 'fixture run', priority: 0, resources: [] });
        state.db.prepare('UPDATE runs SET status = ?, pid = ? WHERE id = ?').run(status, pid, runId);
        state.insertAgent({ id: agentId, run_id: runId, ticket_id: 'BUG-1', type: agentId.split('-')[0]! });
        state.updateAgent(agentId, { state: 'running', phase: 'understand' });
      };
      leftover('RUN-1', 'blocked', alive.pid!, 'codesmith-1');
      leftover('RUN-2', 'running', gone, 'migrator-1');
      expect(state.runningAgentsElsewhere(process.pid)).toBe(0);
      expect(state.liveAgents(['running', 'starting'])).toEqual([]);

      const r = await agent(['agents', 'restart', 'all', '--json'], { cwd: dir });
      expect(r.code).toBe(0);
      const lines = parseNdjson(r.stdout);
      expect(lines.some((l) => /Cancelled 1 agent\(s\) left unfinished by runs that had ended: codesmith-1 \(RUN-1\)/.test(String(l.message)))).toBe(true);
      const result = lines.at(-1) as { data: { recovered: string[]; cancelledAgents: string[] } };
      expect(result.data.recovered).toEqual(['RUN-2']);
      expect(result.data.cancelledAgents).toEqual(['codesmith-1']);
      expect(state.agent('codesmith-1')!.state).toBe('cancelled');
      expect(state.agent('migrator-1')!.state).toBe('interrupted');
      const status = JSON.parse((await agent(['status', '--json'], { cwd: dir })).stdout).data;
      expect(status.agents.active).toBe(0);
    } finally {
      alive.kill();
      state.close();
    }
  });
});

describe('waiting for an agent slot', () => {
  it('waits in the queue, says so once, and then runs to completion', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ agents: { maxConcurrent: 1 } }));
    await agent(['status'], { cwd: dir });
    const first = startAgent(['fixture', 'run', '--phase-ms', '800'], { cwd: dir, script: FIXTURE });
    await waitFor(() => /understand done/.test(first.output()), 15_000, 'the first run to hold the slot');
    const second = await agent(['fixture', 'run', '--json'], { cwd: dir, script: FIXTURE });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const lines = parseNdjson(second.stdout);
    expect(lines.filter((l) => /Waiting for an agent slot/.test(String(l.message))).map((l) => l.message)).toEqual(['Waiting for an agent slot (1/1 busy)']);
    expect(lines.filter((l) => l.type === 'event').at(-1)!.message).toBe('verify done');
    expect(lines.at(-1)).toMatchObject({ type: 'result', ok: true, exitCode: 0 });
    expect(await first.closed).toBe(0);
  });

  it('cancels with exit 130 on Ctrl-C while waiting', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ agents: { maxConcurrent: 1 } }));
    await agent(['status'], { cwd: dir });
    const first = startAgent(['fixture', 'run', '--phase-ms', '2000'], { cwd: dir, script: FIXTURE });
    try {
      await waitFor(() => /understand done/.test(first.output()), 15_000, 'the first run to hold the slot');
      const second = startAgent(['fixture', 'run'], { cwd: dir, script: FIXTURE });
      await waitFor(() => /Waiting for an agent slot \(1\/1 busy\)/.test(second.output()), 15_000, 'the second run to queue');
      second.kill('SIGINT');
      expect(await second.closed).toBe(130);
      const state = stateOf(dir);
      expect(state.run('RUN-2')!.status).toBe('cancelled');
      expect(state.agents({ runId: 'RUN-2' }).map((a) => a.state)).toEqual(['cancelled']);
      state.close();
    } finally {
      first.kill('SIGINT');
      await first.closed;
    }
  });
});
