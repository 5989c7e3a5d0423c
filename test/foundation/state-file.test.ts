// The state file is never silently new: an empty, garbage, damaged, read-only or missing
// .agent/state.db in a project with history is an error naming the file and the way back, and
// `health` reports it as a failing check. Real CLI calls on temp projects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject } from '../helpers.js';

const copies: string[] = [];
afterAll(() => {
  cleanupProjects();
  for (const d of copies) rmSync(d, { recursive: true, force: true });
});

const WAY_BACK = 'restore .agent/state.db from a backup (move it aside, copy state.db from the newest .agent/backups/<id>/ in its place, then `agent system restore from <id>` puts that backup\'s database and audit head back too); to start a new history on purpose, move it and .agent/audit.head aside';

/** A project with history: one ticket (so an audit head) and a staged change set. */
let base = '';
beforeAll(async () => {
  base = makeProject();
  expect((await agent(['create', 'ticket', 'Estimates fail to save'], { cwd: base })).code).toBe(0);
  mkdirSync(join(base, 'staged', '2026-01-02_10-00-00_bug-2026-001'), { recursive: true });
  writeFileSync(join(base, 'staged', '2026-01-02_10-00-00_bug-2026-001', 'manifest.json'), '{}');
});

function copyOfBase(): string {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-state-'));
  copies.push(parent);
  const dir = join(parent, 'p');
  cpSync(base, dir, { recursive: true });
  return dir;
}
const stateFile = (dir: string) => join(dir, '.agent', 'state.db');

/** Exit 1 and exactly one line on stderr, nothing on stdout. */
function expectOneLineFailure(r: { code: number | null; stdout: string; stderr: string }, line: string): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toEqual([line]);
}

describe('a state file that is not what it should be', () => {
  it('refuses an empty file while staged/ and the audit head show history, and leaves it as it is', async () => {
    const dir = copyOfBase();
    writeFileSync(stateFile(dir), '');
    const expected = `✗ .agent/state.db is empty (0 bytes), but staged/ holds 1 change set, .agent/audit.head records 1 audit entry: it is not started afresh; ${WAY_BACK}`;
    expectOneLineFailure(await agent(['status'], { cwd: dir }), expected);
    // No fresh database behind the admin's back: no new ticket id that collides with staged/.
    expectOneLineFailure(await agent(['create', 'ticket', 'Invoices fail to send'], { cwd: dir }), expected);
    expect(statSync(stateFile(dir)).size).toBe(0);
  });

  it('initialises an empty file when nothing else shows history', async () => {
    const dir = makeProject();
    mkdirSync(join(dir, '.agent'));
    writeFileSync(stateFile(dir), '');
    const r = await agent(['status'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(stateFile(dir)).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('refuses a file that is not SQLite, and health reports it as a failing check next to the others', async () => {
    const dir = copyOfBase();
    writeFileSync(stateFile(dir), 'this is not a database, just some text that replaced it\n'.repeat(100));
    const r = await agent(['health'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /✗ state database +failing: \.agent\/state\.db is not a SQLite database \(its first bytes are not SQLite's header\), and staged\/ holds 1 change set, \.agent\/audit\.head records 1 audit entry: restore/,
    );
    expect(r.stdout).toMatch(/✓ git repository +ok/);
  });

  it('names the file when SQLite finds it damaged mid-command', async () => {
    const dir = copyOfBase();
    const fd = openSync(stateFile(dir), 'r+');
    writeSync(fd, Buffer.alloc(4096 * 8, 0xff), 0, 4096 * 8, 4096 * 2);
    closeSync(fd);
    expectOneLineFailure(await agent(['tickets'], { cwd: dir }), `✗ .agent/state.db is damaged (SQLite: database disk image is malformed): ${WAY_BACK}`);
  });

  it('refuses a read-only file with how to make it writable', async () => {
    const dir = copyOfBase();
    chmodSync(stateFile(dir), 0o444);
    expectOneLineFailure(await agent(['status'], { cwd: dir }), '✗ .agent/state.db is read-only: make it writable again (chmod u+w .agent/state.db) and check that you own it');
  });

  it('refuses to start afresh when the file is gone but the audit head says entries were written', async () => {
    const dir = copyOfBase();
    unlinkSync(stateFile(dir));
    expectOneLineFailure(
      await agent(['audit', '--verify'], { cwd: dir }),
      `✗ .agent/state.db is missing, but staged/ holds 1 change set, .agent/audit.head records 1 audit entry: it is not started afresh; ${WAY_BACK}`,
    );
    expect(existsSync(stateFile(dir))).toBe(false);
  });
});
