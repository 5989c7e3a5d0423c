// Each agent depends on agents/shared and the engine, never on a sibling agent's folder (issue 15).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const AGENTS = resolve(__dirname, '../../agents');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|tsx|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** `agents/<folder>/…` of every relative import in the file that lands in another agent's folder. */
function crossings(file: string, text = readFileSync(file, 'utf8')): string[] {
  const own = relative(AGENTS, file).split('/')[0]!;
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.flatMap((spec) => {
    const target = relative(AGENTS, resolve(file, '..', spec));
    if (target.startsWith('..')) return []; // the engine, src/
    const folder = target.split('/')[0]!;
    return folder === own || folder === 'shared' || !target.includes('/') ? [] : [`${relative(AGENTS, file)} imports ${spec}`];
  });
}

describe('agent boundaries', () => {
  it('no agent imports another agent’s folder', () => {
    const files = readdirSync(AGENTS, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'shared')
      .flatMap((e) => sources(join(AGENTS, e.name)));
    expect(files.length).toBeGreaterThan(20);
    expect(files.flatMap((f) => crossings(f))).toEqual([]);
  });

  it('the check sees a crossing when there is one', () => {
    const file = join(AGENTS, 'migrator', 'agent.ts');
    const text = "import { a } from '../shared/causes.js';\nimport { b } from '../code-smith/component.js';\nconst c = await import('../bug-hunter/index.js');\nimport { d } from '../../src/engine/phases.js';\n";
    expect(crossings(file, text)).toEqual(['migrator/agent.ts imports ../code-smith/component.js', 'migrator/agent.ts imports ../bug-hunter/index.js']);
  });
});
