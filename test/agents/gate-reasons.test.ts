// A blocked gate names what blocked it: the unmet checklist items and their evidence.
import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/engine/gates.js';
import { defaultConfig } from '../../src/config/config.js';

const gates = defaultConfig('demo').gates;

describe('gate reasons', () => {
  it('a count-based block names the unmet items with their evidence', () => {
    const items = [
      { item: 'Tests run', ok: false, evidence: 'the project has no test command (no "test" or "test:unit" script)' },
      { item: 'Type check clean', ok: true, evidence: '0 errors in 12 files' },
    ];
    expect(evaluateGate('execute', { preconditions: 2, preconditionsMet: 1 }, gates, items)).toEqual({
      type: 'block',
      gate: 'preconditions-met',
      reason: '1 of 2 preconditions not met; unmet: Tests run (the project has no test command (no "test" or "test:unit" script))',
    });
    const cycle = [{ item: 'Identified circular dependencies', ok: false, evidence: 'lib/a.ts -> lib/b.ts -> lib/a.ts' }];
    expect(evaluateGate('analyze', { criticalCycles: 1 }, gates, cycle)).toMatchObject({ reason: '1 critical circular dependencies (at most 0 allowed); unmet: Identified circular dependencies (lib/a.ts -> lib/b.ts -> lib/a.ts)' });
  });

  it('a pass, a failed check and an understand gate with its basis keep their own words', () => {
    const unmet = [{ item: 'x', ok: false, evidence: 'y' }];
    expect(evaluateGate('execute', { preconditions: 1, preconditionsMet: 1 }, gates, unmet).type).toBe('pass');
    expect(evaluateGate('validate', { coverage: 100, checksFailed: ['1 new type error(s)'] }, gates, unmet)).toMatchObject({ reason: '1 new type error(s)' });
    expect(evaluateGate('understand', { confidence: 0, confidenceBasis: 'no root cause found that explains this ticket' }, gates, unmet)).toMatchObject({
      gate: 'understanding-confidence',
      reason: `no root cause found that explains this ticket (confidence 0%, required ${gates.understandingConfidence}%)`,
    });
  });
});
