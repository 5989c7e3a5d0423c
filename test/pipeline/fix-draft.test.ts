// `fix ticket` starts the change's tests before BugHunter's type check is in: the agents' change is
// drafted from the analysis as it stands, and StageAgent takes that test run only when the agents
// hand it exactly the drafted files. Here the project's type check is made slow on purpose (type-
// level work in a file of its own, ~4 s of checking) so that it is still running when the schema
// scan and the suite are done. Real CLI, real git, the project's own tests, embedded Postgres.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { agent } from '../helpers.js';
import { makeDemoCopy } from '../../src/commands/demo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Valid types whose checking takes seconds: tuples built one element at a time, 120 lengths. */
function slowTypes(): string {
  const lines = ["type Build<N extends number, A extends unknown[] = []> = A['length'] extends N ? A : Build<N, [...A, A['length']]>;"];
  for (let i = 0; i < 120; i++) lines.push(`export type T${i} = Build<${600 + i}>;`, `export const v${i}: T${i}['length'] = ${600 + i};`);
  return `${lines.join('\n')}\n`;
}

function events(dir: string): Array<{ kind: string; agent: string | null; message: string }> {
  const db = new Database(join(dir, '.agent', 'state.db'), { readonly: true });
  try {
    return db.prepare('select kind, agent, message from events order by id').all() as Array<{ kind: string; agent: string | null; message: string }>;
  } finally {
    db.close();
  }
}

describe('fix ticket drafts the change while the type check runs', () => {
  it("starts the change's tests before BugHunter is done, and StageAgent takes that run for the same files", async () => {
    const parent = mkdtempSync(join(tmpdir(), 'crm-agent-draft-'));
    dirs.push(parent);
    const dir = await makeDemoCopy(join(parent, 'crm'));
    writeFileSync(join(dir, 'lib', 'slow-types.ts'), slowTypes());
    spawnSync('git', ['add', 'lib/slow-types.ts'], { cwd: dir });
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'slow types'], { cwd: dir });
    expect(spawnSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).stdout).toBe('');
    expect((await agent(['create', 'ticket', 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.'], { cwd: dir })).code).toBe(0);
    const r = await agent(['fix', 'ticket', 'BUG-2026-001'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const log = events(dir).filter((e) => e.kind === 'line');
    const drafted = log.findIndex((e) => e.message.startsWith("Drafted the change before BugHunter's type check was in"));
    const gathered = log.findIndex((e) => e.message.startsWith('Gathered in'));
    expect(drafted, log.map((e) => e.message).join('\n')).toBeGreaterThan(-1);
    // The draft came before BugHunter had its type check, and so before any agent after it started.
    expect(drafted).toBeLessThan(gathered);
    const draftedFiles = /\(([^)]*)\): its tests started/.exec(log[drafted]!.message)![1]!.split(', ').sort();
    // StageAgent took the run the draft started: the change it staged is the drafted one, file for file.
    const tested = log.find((e) => /^Tested in \d+ ms more \(the run started before StageAgent did\)/.test(e.message));
    expect(tested).toBeDefined();
    // The example's test script is `vitest run`: its vitest was started in the worktree while the suite ran.
    expect(tested!.message).toContain("the project's vitest was started ahead, in the worktree, and given the files");
    const set = readdirSync(join(dir, 'staged')).find((d) => /_bug-2026-001/.test(d))!;
    const manifest = JSON.parse(readFileSync(join(dir, 'staged', set, 'manifest.json'), 'utf8')) as { files: Array<{ path: string }>; tests: { passed: number; failed: number } };
    expect(manifest.files.map((f) => f.path).sort()).toEqual(draftedFiles);
    expect(manifest.tests).toMatchObject({ failed: 0 });
    expect(manifest.tests.passed).toBeGreaterThan(0);
  }, 120_000);
});
