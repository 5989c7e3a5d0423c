// `node bench/type-check-cache.mjs [runs]`: the type-check worker's first answer, from `new Worker`
// to the first check's result for the demo project, each run in a new process as a CLI command
// would start it. Three ways, interleaved:
//   plain  no cache directory: typescript.js is required and compiled as before;
//   cold   an empty cache directory: compiled, and the code cache written (first run on a machine);
//   warm   the code cache written by an earlier run.
// Needs dist/ (`npm run build`). Never part of the tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv[2] === '--one') {
  const [, , , project, cacheDir] = process.argv;
  const start = performance.now();
  const w = new Worker(join(root, 'agents', 'shared', 'type-check-worker.mjs'), {
    workerData: { typescript: createRequire(import.meta.url).resolve('typescript'), cacheDir: cacheDir || undefined },
  });
  w.once('message', (m) => {
    if (m.error) throw new Error(m.error);
    console.log(JSON.stringify({ ms: performance.now() - start, codeCache: m.codeCache, diagnostics: m.result.diagnostics.length }));
    void w.terminate();
  });
  w.postMessage({ id: 1, root: project, extraFiles: [] });
} else {
  const runs = Math.max(1, Number(process.argv[2] ?? 7));
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-bench-tscache-'));
  try {
    const project = join(parent, 'crm');
    await (await import(pathToFileURL(join(root, 'dist', 'index.js')).href)).makeDemoCopy(project);
    const warmDir = join(parent, 'warm');
    const one = (cacheDir) => {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', project, cacheDir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout);
    };
    one(warmDir); // writes the warm cache
    const times = { plain: [], cold: [], warm: [] };
    for (let i = 0; i < runs; i++) {
      times.plain.push(one(''));
      const coldDir = join(parent, `cold-${i}`);
      times.cold.push(one(coldDir));
      rmSync(coldDir, { recursive: true, force: true });
      times.warm.push(one(warmDir));
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    console.log(`type-check worker, new Worker -> first result (demo project, ${runs} interleaved runs, medians)`);
    for (const [name, rs] of Object.entries(times)) {
      const ms = rs.map((r) => r.ms);
      console.log(`  ${name.padEnd(6)} ${median(ms).toFixed(0).padStart(6)} ms   runs: ${ms.map((x) => x.toFixed(0)).join(' ')}   code cache: ${[...new Set(rs.map((r) => r.codeCache))].join('/')}`);
    }
    // Paired by round as well: the machine's load drifts between rounds more than within one.
    const gains = times.plain.map((r, i) => r.ms - times.warm[i].ms);
    console.log(`  warm vs plain: ${(median(times.plain.map((r) => r.ms)) - median(times.warm.map((r) => r.ms))).toFixed(0)} ms faster (median of the per-round gains: ${median(gains).toFixed(0)} ms)`);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}
