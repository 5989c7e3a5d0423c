// The fix pipeline's one slot for StageAgent's early test run (src/engine/proof-slot.ts): a draft's
// run goes on when the agents hand on the same files, and is ended when they hand on others.
import { describe, expect, it } from 'vitest';
import { proofSlot } from '../../src/engine/proof-slot.js';
import { changeKey, type ChangeProof } from '../../agents/stage-agent/index.js';
import type { ChangeFile } from '../../agents/shared/change-set.js';

const file = (path: string, content: string): ChangeFile => ({ path, content, reason: 'r', agent: 'CODESMITH' });

/** A run that ends when cancelled (as startProof's does: its process tree is killed). */
function fakeStart(log: string[]) {
  return (files: readonly ChangeFile[]): ChangeProof => {
    const name = files.map((f) => f.path).join('+');
    let end!: () => void;
    const run = new Promise<null>((r) => (end = () => r(null)));
    log.push(`start ${name}`);
    return { key: changeKey(files), patch: Promise.resolve(''), baseSha: Promise.resolve(null), plan: Promise.resolve(null), run, cancel: () => (log.push(`cancel ${name}`), end()) };
  };
}

describe('the early test run of a fix', () => {
  it('keeps the run under way for the same files, whatever their order', () => {
    const log: string[] = [];
    const slot = proofSlot(changeKey, fakeStart(log));
    const first = slot.propose([file('a.ts', '1'), file('b.ts', '2')]);
    expect(slot.propose([file('b.ts', '2'), file('a.ts', '1')])).toBe(first);
    expect(slot.current).toBe(first);
    expect(log).toEqual(['start a.ts+b.ts']);
  });

  it('ends a draft whose files differ from the change handed on, and starts that change', async () => {
    const log: string[] = [];
    const slot = proofSlot(changeKey, fakeStart(log));
    const draft = slot.propose([file('a.ts', '1')]);
    const final = slot.propose([file('a.ts', '1 changed')]);
    expect(final).not.toBe(draft);
    expect(slot.current).toBe(final);
    expect(log).toEqual(['start a.ts', 'cancel a.ts', 'start a.ts']);
    await expect(draft.run).resolves.toBeNull();
  });

  it('ends every run it started, and waits for them', async () => {
    const log: string[] = [];
    const slot = proofSlot(changeKey, fakeStart(log));
    slot.propose([file('a.ts', '1')]);
    slot.propose([file('b.ts', '1')]);
    await slot.endAll();
    expect(log).toEqual(['start a.ts', 'cancel a.ts', 'start b.ts', 'cancel a.ts', 'cancel b.ts']);
  });
});
