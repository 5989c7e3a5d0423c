// draftPhases (src/engine/phases.ts): an agent's understand, analyze and plan run silently, each gate
// decided as the run would; the plan's output when all pass, null when one would block.
import { describe, expect, it } from 'vitest';
import { draftPhases, item, type PhaseHandlers } from '../../src/engine/phases.js';
import { defaultConfig } from '../../src/config/config.js';

const config = defaultConfig('demo');

function agent(confidence: number, ran: string[]): PhaseHandlers {
  const phase = (name: string, outcome: () => Awaited<ReturnType<PhaseHandlers['plan']>>) => async () => {
    ran.push(name);
    return outcome();
  };
  const never = async () => {
    throw new Error('a draft runs no phase after plan');
  };
  return {
    understand: phase('understand', () => ({ items: [item('Understood', true, 'the ticket')], metrics: { confidence } })),
    analyze: phase('analyze', () => ({ items: [item('Graph', true, '3 modules')], metrics: { criticalCycles: 0 } })),
    plan: phase('plan', () => ({ items: [item('Planned a.ts', true, 'adds a')], metrics: { scenarios: 1, mitigated: 1 }, output: ['a.ts'] })),
    validate: never,
    execute: never,
    verify: never,
  };
}

describe('a draft of an agent', () => {
  it("gives the plan's output when its first three gates pass, and runs nothing after plan", async () => {
    const ran: string[] = [];
    expect(await draftPhases(agent(100, ran), { config, ticketId: 'BUG-1', signal: new AbortController().signal })).toEqual(['a.ts']);
    expect(ran).toEqual(['understand', 'analyze', 'plan']);
  });

  it('gives nothing when a gate would block the run, and stops there', async () => {
    const ran: string[] = [];
    expect(await draftPhases(agent(40, ran), { config, ticketId: 'BUG-1', signal: new AbortController().signal })).toBeNull();
    expect(ran).toEqual(['understand']);
  });
});
