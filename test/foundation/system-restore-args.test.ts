// system restore from <id|time>: what it refuses before anything is opened (exit 2, one line).
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, expectUsageError, makeProject } from '../helpers.js';

afterAll(cleanupProjects);

describe('system restore from: refusals', () => {
  it('an unknown id, a time with no backup before it, and words that are neither are bad input; nothing is written', async () => {
    const dir = makeProject();
    expectUsageError(await agent(['system', 'restore', 'from', 'BK-20261202-170512-042'], { cwd: dir }), /BK-20261202-170512-042: no such backup; `agent system backups` lists them/);
    expectUsageError(await agent(['system', 'restore', 'from', '2h'], { cwd: dir }), /no backup to restore production to .*: there is no production backup/);
    expectUsageError(await agent(['system', 'restore', 'from', 'last', 'tuesday'], { cwd: dir }), /"last tuesday" is neither a backup id .* nor a time/);
    expect(existsSync(join(dir, '.agent', 'backups'))).toBe(false);
    const listed = await agent(['system', 'backups'], { cwd: dir });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/No backups yet: `agent system backup create`/);
  });
});
