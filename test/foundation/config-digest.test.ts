// agent.config.json is validated once per content (src/config/config-digest.ts): a known-valid text
// skips zod, any other text is validated, and only a digest is kept.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configKnownValid, loadConfig } from '../../src/config/config.js';
import { loadZodMini } from '../../src/config/zod-mini.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(config: object | string): string {
  const root = mkdtempSync(join(tmpdir(), 'crm-agent-cfg-'));
  dirs.push(root);
  mkdirSync(join(root, '.agent'));
  writeFileSync(join(root, 'agent.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return root;
}

describe('config digest', () => {
  it('remembers a valid text by digest only, and validates any other text again', async () => {
    await loadZodMini();
    const secretish = 'postgres://admin:hunter2@db.example.com/prod';
    const root = project({ agents: { maxConcurrent: 3 }, environments: { production: { database: secretish } } });
    const text = readFileSync(join(root, 'agent.config.json'), 'utf8');
    expect(configKnownValid(root, text)).toBe(false);
    expect(loadConfig(root).agents.maxConcurrent).toBe(3);
    expect(configKnownValid(root, text)).toBe(true);
    const kept = readFileSync(join(root, '.agent', 'config-valid'), 'utf8');
    expect(kept).toMatch(/^[0-9a-f]{64}\n$/);
    expect(kept).not.toContain('hunter2');
    // The known text gives the same config as a validation does.
    const again = loadConfig(root);
    expect(again.agents.maxConcurrent).toBe(3);
    expect(again.environments.production.database).toBe(secretish);

    // An edit is validated again: a value out of range is refused, not taken from the digest.
    writeFileSync(join(root, 'agent.config.json'), JSON.stringify({ agents: { maxConcurrent: 0 } }));
    expect(() => loadConfig(root)).toThrow(/agents\.maxConcurrent/);
    expect(configKnownValid(root, JSON.stringify({ agents: { maxConcurrent: 0 } }))).toBe(false);
  });

  it('writes nothing in a project without .agent/', async () => {
    await loadZodMini();
    const root = project({ agents: { maxConcurrent: 2 } });
    rmSync(join(root, '.agent'), { recursive: true });
    expect(loadConfig(root).agents.maxConcurrent).toBe(2);
    expect(existsSync(join(root, '.agent'))).toBe(false);
  });
});
