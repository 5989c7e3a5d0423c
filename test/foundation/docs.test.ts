// README's command reference is generated from the registry; this keeps the two in step.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
// @ts-expect-error plain ESM script without types
import { updateReadme } from '../../scripts/docs.mjs';
import { COMMANDS } from '../../src/commands/registry.js';

describe('README', () => {
  it('lists exactly the registered commands (run `npm run docs` after changing the registry)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(updateReadme(readme, COMMANDS)).toBe(readme);
  });

  it('starts with the two set-up commands', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```sh\n([^\n]+)\n```/g)].map((m) => m[1]);
    expect(blocks[0]).toMatch(/^npm ci && npx agent /);
    expect(blocks[1]).toBe('npm ci && npm test');
  });
});
