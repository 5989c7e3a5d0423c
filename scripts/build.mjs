// Bundles the CLI with esbuild. Only zod/mini and zustand are bundled into the one-shot path;
// everything heavy stays external and is loaded with import() by the commands that need it.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bundled = new Set(['zod', 'zustand']);
const external = Object.keys(pkg.dependencies).filter((name) => !bundled.has(name));

const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...external, ...external.map((name) => `${name}/*`)],
  jsx: 'automatic',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  define: { __AGENT_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};
// Two builds, so the CLI's static graph is one file (one module to load at start) and only what
// commands import() lazily lives in chunks. The library entry gets its own copy.
await build({ ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', chunkNames: 'chunks/[name]-[hash]' });
await build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist', chunkNames: 'lib/[name]-[hash]' });
