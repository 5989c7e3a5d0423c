// `npm test --silent` run without npm: the same output as npm gives, the package's bins on PATH,
// npm's lifecycle variables; npm itself whenever the shortcut could differ (hooks, other forms).
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directNpmScript } from '../../src/integrations/npm-script.js';
import { runShell } from '../../src/integrations/shell.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function pkg(scripts: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'crm-agent-npm-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop', version: '1.2.3', scripts }));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  // A package bin, as vitest or jest would be: prints its arguments and what npm would have set.
  const bin = join(dir, 'node_modules', '.bin', 'checker');
  writeFileSync(bin, '#!/bin/sh\necho "args:$*" "event:$npm_lifecycle_event" "name:$npm_package_name"\n');
  chmodSync(bin, 0o755);
  return dir;
}

describe('npm test without npm', () => {
  it('prints what npm prints, with the arguments after -- and the bins on PATH', async () => {
    const dir = pkg({ test: 'checker run' });
    // The same through npm itself (a form the shortcut leaves alone).
    const viaNpm = await runShell('npm --silent test -- "app/[id]/route.test.ts" b.test.ts', { cwd: dir });
    expect(directNpmScript('npm --silent test -- x', dir)).toBeNull();
    const direct = directNpmScript('npm test --silent -- "app/[id]/route.test.ts" b.test.ts', dir);
    expect(direct?.command).toBe('checker run "app/[id]/route.test.ts" b.test.ts');
    const shortcut = await runShell('npm test --silent -- "app/[id]/route.test.ts" b.test.ts', { cwd: dir });
    expect(shortcut).toMatchObject({ exitCode: 0, output: 'args:run app/[id]/route.test.ts b.test.ts event:test name:shop' });
    // npm, reached by a form the shortcut does not take (no --silent), prints the same line after its header.
    const npm = await runShell('npm test -- "app/[id]/route.test.ts" b.test.ts', { cwd: dir });
    expect(npm.output.trim().split('\n').at(-1)).toBe(shortcut.output);
    expect(viaNpm.output).toBe(shortcut.output);
  });

  it('leaves to npm what npm would do differently', () => {
    expect(directNpmScript('npm test --silent', pkg({ pretest: 'echo pre', test: 'checker' }))).toBeNull();
    expect(directNpmScript('npm test --silent', pkg({ test: 'checker', posttest: 'echo post' }))).toBeNull();
    expect(directNpmScript('npm test --silent', pkg({ lint: 'checker' }))).toBeNull();
    expect(directNpmScript('npm run lint --silent', pkg({ test: 'checker', lint: 'checker' }))).toBeNull();
    expect(directNpmScript('npm test', pkg({ test: 'checker' }))).toBeNull();
    const bare = mkdtempSync(join(tmpdir(), 'crm-agent-npm-'));
    dirs.push(bare);
    expect(directNpmScript('npm test --silent', bare)).toBeNull();
    expect(directNpmScript('npm run test -s', pkg({ test: 'checker' }))?.command).toBe('checker');
  });
});
