// Which programs a configured step starts, and which of them are not installed (issue 16).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPrograms, onPath, programsOf } from '../../src/engine/step-programs.js';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';

afterAll(cleanupProjects);

describe('step programs', () => {
  it('finds the program of each simple command, past assignments, builtins and quoted separators', () => {
    expect(programsOf('docker compose -p crm-staging up -d --build')).toEqual(['docker']);
    expect(programsOf('COMPOSE_PROJECT_NAME=crm-staging docker compose up -d && curl -fsS http://127.0.0.1:8080/health')).toEqual(['docker', 'curl']);
    expect(programsOf('cd app; npm run build | tee build.log')).toEqual(['npm', 'tee']);
    expect(programsOf("echo 'a && b; c' && ./scripts/deploy.sh")).toEqual(['./scripts/deploy.sh']);
    expect(programsOf('exit 7')).toEqual([]);
  });

  it('names the missing ones with the config key of their step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-agent-steps-'));
    try {
      writeFileSync(join(dir, 'deploy.sh'), '#!/bin/sh\n');
      chmodSync(join(dir, 'deploy.sh'), 0o755);
      const installed = onPath(dir, process.env.PATH);
      const steps = [
        { where: 'environments.staging.deploy[0]', command: 'sh -c true && ./deploy.sh' },
        { where: 'environments.staging.deploy[1]', command: 'crm-agent-no-such-program up' },
        { where: 'environments.staging.rollback[0]', command: './teardown.sh' },
      ];
      expect(missingPrograms(steps, installed)).toEqual([
        { where: 'environments.staging.deploy[1]', program: 'crm-agent-no-such-program', step: 'crm-agent-no-such-program up' },
        { where: 'environments.staging.rollback[0]', program: './teardown.sh', step: './teardown.sh' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('agents update config names a step whose program is not installed', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging: { deploy: ['docker-compose-that-is-not-here -p crm-staging up -d'], rollback: ['true'] } } }));
    const r = await agent(['agents', 'update', 'config'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('environments.staging.deploy[0]: `docker-compose-that-is-not-here` is not installed');
    const json = parseNdjson((await agent(['agents', 'update', 'config', '--json'], { cwd: dir })).stdout).at(-1) as { data: { missingPrograms: Array<{ program: string }> } };
    expect(json.data.missingPrograms.map((m) => m.program)).toEqual(['docker-compose-that-is-not-here']);
  });
});
