// `fix ticket` writes code, so approvals.codeGeneration applies to it as it does to generate.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';

afterAll(cleanupProjects);

describe('fix ticket under approvals.codeGeneration', () => {
  it('asks for the approval before any agent runs, and exits 3', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ approvals: { codeGeneration: true } }));
    expect((await agent(['create', 'ticket', 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.'], { cwd: dir })).code).toBe(0);
    const r = await agent(['--json', 'fix', 'ticket', 'BUG-2026-001'], { cwd: dir });
    expect(r.code).toBe(3);
    const events = parseNdjson(r.stdout);
    expect(events.some((e) => /Approval required \(APR-1, low risk\): fix ticket BUG-2026-001/.test(String(e.message ?? '')))).toBe(true);
    expect(events.some((e) => e.agent === 'BUGHUNTER')).toBe(false);
    expect(existsSync(join(dir, 'staged'))).toBe(false);
    const pending = await agent(['--json', 'approvals'], { cwd: dir });
    expect(pending.stdout).toContain('fix ticket BUG-2026-001');
  });
});
