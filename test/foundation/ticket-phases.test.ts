// agent ticket <id> shows each agent's six phases: its checklist items with their evidence and the
// gate each phase passed or was blocked by, read from the state database the runs wrote (seed 6).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { StateDb } from '../../src/store/state-db.js';
import { defaultConfig } from '../../src/config/config.js';
import { Orchestrator, type AgentTask } from '../../src/engine/orchestrator.js';
import { item, type PhaseHandlers } from '../../src/engine/phases.js';
import { PHASES, type PhaseMetrics } from '../../src/engine/gates.js';
import { runGates } from '../../src/engine/run-gates.js';
import type { Reporter } from '../../src/commands/types.js';

afterAll(cleanupProjects);

const METRICS: Record<string, PhaseMetrics> = {
  understand: { confidence: 97 },
  analyze: { criticalCycles: 0 },
  plan: { scenarios: 2, mitigated: 1 }, // blocks: one scenario has no mitigation
  validate: { coverage: 90 },
  execute: { preconditions: 1, preconditionsMet: 1 },
  verify: { postErrors: 0 },
};

function task(type: string): AgentTask {
  const phases = {} as PhaseHandlers;
  for (const phase of PHASES) {
    phases[phase] = async () => ({
      items: phase === 'plan' ? [item('Failure scenario: a busy table', true, "set lock_timeout = '5s'"), item('Failure scenario: rows violate the key', false, 'no NOT VALID step')] : [item(`${phase} checked`, true, `${type} measured ${phase} at ${phase.length}`)],
      metrics: METRICS[phase]!,
    });
  }
  return { type, phases };
}

const quiet: Reporter = { json: false, color: false, line() {}, print() {}, spin: (_label, work) => work };

describe('agent ticket <id>', () => {
  it("lists each agent's phases with checklist evidence and gates, up to the gate that blocked", async () => {
    const dir = makeProject();
    const created = parseNdjson((await agent(['create', 'ticket', 'estimates lose their job link', '--json'], { cwd: dir })).stdout).at(-1) as { data: { ticket: { id: string } } };
    const id = created.data.ticket.id;
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    const orch = new Orchestrator(state, defaultConfig('t'), quiet, new AbortController().signal);
    let runId = '';
    await expect(
      orch.withRun({ command: `fix ticket ${id}`, ticketId: id }, async (run) => {
        runId = run.id;
        await orch.runAgent(run, task('Tester'));
      }),
    ).rejects.toThrow(/all-scenarios-mitigated/);
    orch.dispose();
    // What REVIEW.md is given: the gates decided so far, from the run's events.
    expect(runGates(state, runId).map((g) => `${g.phase}:${g.ok}`)).toEqual(['understand:true', 'analyze:true', 'plan:false']);
    state.close();

    const text = await agent(['ticket', id], { cwd: dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/RUN-\d+ fix ticket .* · tester-\d+ \(blocked\)/);
    expect(text.stdout).toMatch(/understand: gate passed understanding-confidence: confidence 97% >= 95%/);
    expect(text.stdout).toContain('✓ understand checked: Tester measured understand at 10');
    expect(text.stdout).toMatch(/plan: gate BLOCKED all-scenarios-mitigated: 1 of 2 failure scenarios have no mitigation/);
    expect(text.stdout).toContain('✗ Failure scenario: rows violate the key: no NOT VALID step');
    expect(text.stdout).not.toMatch(/validate:/); // the agent never reached it

    const json = parseNdjson((await agent(['ticket', id, '--json'], { cwd: dir })).stdout).at(-1) as { data: { agents: Array<{ agentId: string; phases: Array<{ phase: string; items: Array<{ ok: boolean; evidence: string }>; gate: { ok: boolean } | null }> }> } };
    const phases = json.data.agents[0]!.phases;
    expect(phases.map((p) => [p.phase, p.gate?.ok, p.items.length])).toEqual([['understand', true, 1], ['analyze', true, 1], ['plan', false, 2]]);
  });
});
