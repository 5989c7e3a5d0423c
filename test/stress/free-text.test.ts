// All 10,000 generated free-text lines (and 10,000 more from another seed) through the real CLI
// in-process, against a pending typed approval, a pending y/n one, a staged set and a live
// deployment (~45 s here, so not in `npm test`; test/frontdoor/free-text.test.ts runs 250 of them).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.js';
import { cleanupProjects, makeProject } from '../helpers.js';
import { generate, localize, rowsOf, seedState } from '../frontdoor/free-text-lines.js';

afterAll(cleanupProjects);

describe('free text through the CLI', () => {
  it('changes no approval, deployment or change set in 20,000 lines; none asks for an approval', { timeout: 600_000 }, async () => {
    const dir = makeProject();
    const db = join(dir, '.agent', 'state.db');
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1' };
    const out: string[] = [];
    const sink = { out: (t: string) => void out.push(t), err: () => undefined, isTTY: false };
    for (const d of ['Estimates fail to save for AI-EST-142', 'Invoices are sent twice', 'Add a notes column to jobs']) {
      expect(await runCli(['create', 'ticket', d], { cwd: dir, env, sink })).toBe(0);
    }
    const tickets = out.join('').match(/Ticket created: (\S+)/g)!.map((m) => m.split(' ')[2]!) as [string, string, string];
    seedState(db, tickets);
    const before = rowsOf(db);
    const quiet = { out: () => undefined, err: () => undefined, isTTY: false };
    const codes: Record<number, number> = {};
    const lines = [...generate(10_000, 13), ...generate(10_000, 2026)];
    for (let i = 0; i < lines.length; i++) {
      const code = await runCli([localize(lines[i]!.text, i, tickets)], { cwd: dir, env, sink: quiet });
      codes[code] = (codes[code] ?? 0) + 1;
      if (i % 2000 === 0) expect(rowsOf(db)).toBe(before);
    }
    expect(rowsOf(db)).toBe(before);
    expect(codes[3] ?? 0).toBe(0);
    expect(codes[1] ?? 0).toBe(0);
    expect(codes[0]).toBeGreaterThan(2000); // the safe requests ran against this state
    expect(codes[2]).toBeGreaterThan(10_000);
  });
});
