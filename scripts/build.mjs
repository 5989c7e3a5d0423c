// Builds dist/. Only zod/mini, zustand and execa are bundled; every other dependency stays
// external and is loaded with import() by the commands that need it.
//
// The CLI is bundled by Rollup, TypeScript transpiled per file by esbuild. Rollup because of
// one thing esbuild's code splitting cannot express: everything the CLI loads at start-up goes
// into ONE chunk. esbuild gives each module shared with a lazily imported module a chunk of its
// own (~20 files at start, ~10 ms of ESM linking in a ~100 ms `agent status`); Rollup's
// manualChunks can put the whole static graph together, and lazy modules simply import from it.
// The library entry (dist/index.js) has no start-up budget and stays a plain esbuild build.
import { build, transform } from 'esbuild';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const bundled = new Set(['zod', 'zustand']);
const external = Object.keys(pkg.dependencies).filter((name) => !bundled.has(name));
const define = { __AGENT_VERSION__: JSON.stringify(pkg.version) };
// Built beside dist/ and swapped in when complete: chunk names carry content hashes, so a build
// into dist/ itself would leave the last build's chunks behind, and an emptied dist/ would fail
// every agent started while it builds.
const out = `dist.building-${process.pid}`;
process.on('exit', () => rmSync(resolve(root, out), { recursive: true, force: true })); // a failed build leaves nothing

// execa is ~100 modules: importing them one by one took ~115 ms of the main thread in every
// command that runs a shell (the `fix ticket` suite run waited for it); as one chunk, ~25 ms.
// esbuild bundles it first (some of its dependencies are CommonJS, which Rollup alone does not
// read), and Rollup takes that file as the module `execa`, in a lazily loaded chunk of its own.
const vendored = { execa: '.vendor/execa.js' };
async function buildVendored() {
  for (const [name, file] of Object.entries(vendored)) {
    await build({
      stdin: { contents: `export * from ${JSON.stringify(name)};`, resolveDir: root, loader: 'js' },
      outfile: resolve(root, out, file),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      minifySyntax: true,
      minifyWhitespace: true,
      legalComments: 'eof',
      logLevel: 'warning',
      // The CommonJS parts require Node's built-ins.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
  }
}

async function buildCli() {
  const entry = resolve(root, 'src/cli/main.ts');
  const typescript = {
    name: 'typescript',
    // Sources import each other as './x.js' (NodeNext style); the files are .ts or .tsx.
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.')) return null;
      const base = resolve(dirname(importer), source);
      for (const file of [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), base]) if (existsSync(file)) return file;
      return null;
    },
    async transform(code, id) {
      if (!/\.tsx?$/.test(id)) return null;
      const out = await transform(code, { loader: id.endsWith('.tsx') ? 'tsx' : 'ts', jsx: 'automatic', format: 'esm', target: 'node20', define, sourcefile: id });
      return { code: out.code, map: null };
    },
    async renderChunk(code) {
      const out = await transform(code, { format: 'esm', target: 'node20', minifySyntax: true, minifyWhitespace: true, legalComments: 'none' });
      return { code: out.code, map: null };
    },
  };

  let startup;
  const manualChunks = (id, { getModuleInfo }) => {
    if (!startup) {
      startup = new Set();
      const queue = [entry];
      while (queue.length) {
        const id = queue.pop();
        if (startup.has(id)) continue;
        startup.add(id);
        const info = getModuleInfo(id);
        if (info && !info.isExternal) queue.push(...info.importedIds.filter((dep) => !getModuleInfo(dep)?.isExternal));
      }
    }
    return startup.has(id) && id !== entry ? 'startup' : undefined;
  };

  const vendor = {
    name: 'vendor',
    resolveId(source) {
      return vendored[source] ? resolve(root, out, vendored[source]) : null;
    },
  };
  const bundle = await rollup({
    input: { cli: entry },
    external: (id) => id.startsWith('node:') || external.some((name) => !vendored[name] && (id === name || id.startsWith(`${name}/`))),
    plugins: [vendor, typescript, nodeResolve({ exportConditions: ['node', 'import'] })],
    onwarn(warning, warn) {
      // zod's sources carry esbuild-specific @__PURE__ placements Rollup drops (harmlessly); the
      // sources' import cycles are ordinary ESM cycles, all through functions called later.
      if (warning.code === 'INVALID_ANNOTATION' || warning.code === 'CIRCULAR_DEPENDENCY') return;
      warn(warning);
    },
  });
  await bundle.write({ dir: resolve(root, out), format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', manualChunks });
  await bundle.close();
}

await buildVendored();
await Promise.all([
  buildCli(),
  build({
    entryPoints: { index: 'src/index.ts' },
    outdir: out,
    chunkNames: 'lib/[name]-[hash]',
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
    define,
    logLevel: 'warning',
    absWorkingDir: root,
  }),
]);

rmSync(resolve(root, out, '.vendor'), { recursive: true, force: true });

// Worker and server scripts are plain JavaScript started with `new URL('./x.mjs', import.meta.url)`: they go
// next to every chunk that may start them.
const workers = ['agents/shared/type-check-worker.mjs', 'src/integrations/vitest-server.mjs'];
for (const dir of [out, `${out}/chunks`, `${out}/lib`]) {
  mkdirSync(resolve(root, dir), { recursive: true });
  for (const file of workers) copyFileSync(resolve(root, file), resolve(root, dir, file.split('/').pop()));
}

const old = `dist.old-${process.pid}`;
if (existsSync(resolve(root, 'dist'))) renameSync(resolve(root, 'dist'), resolve(root, old));
renameSync(resolve(root, out), resolve(root, 'dist'));
rmSync(resolve(root, old), { recursive: true, force: true });
