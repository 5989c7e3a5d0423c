// agent demo without a directory reuses one demo directory, made afresh each run (each run used to
// leave ~41 MB in the temp directory); refused while the demo that made it still runs there.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDemoDir, freshDefaultDemo } from '../../src/commands/demo.js';

const parent = mkdtempSync(join(tmpdir(), 'crm-agent-demo-dir-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('the default demo directory', () => {
  it('is one directory, replaced by the next run; refused while its demo runs or when crm-agent did not make it', async () => {
    const dest = defaultDemoDir(parent);
    await freshDefaultDemo(dest);
    expect(readdirSync(parent)).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dest, '.agent', 'demo.json'), 'utf8')).pid).toBe(process.pid);
    // What the last run left (a database, a staged set) is gone after the next one.
    mkdirSync(join(dest, '.agent', 'pgdata', 'staging'), { recursive: true });
    writeFileSync(join(dest, '.agent', 'pgdata', 'staging', 'PG_VERSION'), '17\n');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dest, '.agent', 'demo.json'), JSON.stringify({ pid: Number(dead) }));
    await freshDefaultDemo(dest);
    expect(readdirSync(parent)).toEqual([dest.split('/').pop()]);
    expect(existsSync(join(dest, '.agent', 'pgdata'))).toBe(false);
    expect(spawnSync('git', ['-C', dest, 'log', '--oneline'], { encoding: 'utf8' }).stdout.trim().split('\n')).toHaveLength(1);

    // Still running (a live process's pid): left alone, exit 2.
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dest, '.agent', 'demo.json'), JSON.stringify({ pid: live.pid }));
      await expect(freshDefaultDemo(dest)).rejects.toThrow(new RegExp(`a demo is still running in .* \\(process ${live.pid}\\)`));
    } finally {
      live.kill();
    }
    expect(existsSync(join(dest, 'package.json'))).toBe(true);

    rmSync(join(dest, '.agent', 'demo.json'));
    await expect(freshDefaultDemo(dest)).rejects.toThrow(/is not a demo copy crm-agent made/);
    expect(existsSync(join(dest, 'package.json'))).toBe(true);
  });
});
