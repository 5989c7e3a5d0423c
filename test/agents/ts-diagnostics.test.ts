// The incremental type check: successive overlays on one project must report exactly what a
// fresh check of that state would, including errors in files the overlay does not contain.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { typeCheck, type TypeCheckResult } from '../../agents/shared/ts-diagnostics.js';
import { cleanupProjects, makeProject } from '../helpers.js';

afterAll(cleanupProjects);

describe('typeCheck', () => {
  it('re-checks the importers of a changed file and forgets an overlay once it is gone', async () => {
    const root = makeProject();
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', skipLibCheck: true, types: [] }, include: ['*.ts'] }));
    writeFileSync(join(root, 'price.ts'), 'export function price(cents: number): string {\n  return (cents / 100).toFixed(2);\n}\n');
    writeFileSync(join(root, 'invoice.ts'), "import { price } from './price';\n\nexport const total: string = price(1250);\n");

    const clean = await typeCheck(root);
    expect(clean.diagnostics).toEqual([]);
    expect(clean.files).toBe(2);

    // The overlay changes price() only; the error it causes is in invoice.ts, which it does not touch.
    const changed = await typeCheck(root, new Map([['price.ts', 'export function price(cents: number): number {\n  return cents / 100;\n}\n']]));
    expect(changed.diagnostics.map((d) => `${d.path}:${d.line} TS${d.code}`)).toEqual(['invoice.ts:3 TS2322']);

    // A second overlay that fixes the importer and adds a file with its own error.
    const second = await typeCheck(
      root,
      new Map([
        ['price.ts', 'export function price(cents: number): number {\n  return cents / 100;\n}\n'],
        ['invoice.ts', "import { price } from './price';\n\nexport const total: number = price(1250);\n"],
        ['extra.ts', "import { total } from './invoice';\n\nexport const label: string = total;\n"],
      ]),
    );
    expect(second.diagnostics.map((d) => `${d.path}:${d.line} TS${d.code}`)).toEqual(['extra.ts:3 TS2322']);

    // An overlay identical to the disk (the plain check is memoised): clean again, extra.ts gone.
    const again = await typeCheck(root, new Map([['invoice.ts', "import { price } from './price';\n\nexport const total: string = price(1250);\n"]]));
    expect(again.diagnostics).toEqual([]);
    expect(again.files).toBe(2);
  });

  it('reports each state exactly when checks go back and forth between the disk and an overlay', async () => {
    const root = makeProject();
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['*.ts'] }));
    writeFileSync(join(root, 'a.ts'), 'export const a: number = 1;\n');
    writeFileSync(join(root, 'b.ts'), "import { a } from './a';\nexport const b: number = a;\n");
    const broken = new Map([['a.ts', "export const a: string = 'x';\n"]]);
    const seen: string[][] = [];
    for (const overlay of [new Map<string, string>(), broken, new Map<string, string>(), broken, new Map<string, string>()]) {
      seen.push((await typeCheck(root, overlay)).diagnostics.map((d) => `${d.path}:${d.line} TS${d.code}`));
    }
    expect(seen).toEqual([[], ['b.ts:2 TS2322'], [], ['b.ts:2 TS2322'], []]);
    // The disk changes between two plain checks: the second sees it, though the overlay's builder saw that text before.
    writeFileSync(join(root, 'a.ts'), "export const a: string = 'x';\n");
    utimesSync(join(root, 'a.ts'), new Date(), new Date(Date.now() + 5000));
    expect((await typeCheck(root)).diagnostics.map((d) => `${d.path}:${d.line} TS${d.code}`)).toEqual(['b.ts:2 TS2322']);
  });

  it('reads a file again once it changes on disk, even to text of the same length', async () => {
    const root = makeProject();
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['*.ts'] }));
    writeFileSync(join(root, 'a.ts'), 'export const a: number = 1;\n');
    const overlay = new Map([['b.ts', "import { a } from './a';\nexport const b = a;\n"]]);
    expect((await typeCheck(root, overlay)).diagnostics).toEqual([]);

    // Same length, new text and a new mtime: the worker's text cache must not answer for it.
    const before = 'export const a: number = 1;\n';
    const now = "export const a: number='1';\n";
    expect(now.length).toBe(before.length);
    writeFileSync(join(root, 'a.ts'), now);
    utimesSync(join(root, 'a.ts'), new Date(), new Date(Date.now() + 5000));
    const after = await typeCheck(root, overlay);
    expect(after.diagnostics.map((d) => `${d.path}:${d.line} TS${d.code}`)).toEqual(['a.ts:1 TS2322']);
  });
});

describe('the type-check worker', () => {
  // One check in a fresh worker, as a new process would run it.
  async function checkInNewWorker(cacheDir: string, root: string): Promise<{ result: TypeCheckResult; codeCache: string }> {
    const w = new Worker(new URL('../../agents/shared/type-check-worker.mjs', import.meta.url), {
      workerData: { typescript: createRequire(import.meta.url).resolve('typescript'), cacheDir },
    });
    try {
      return await new Promise((resolve, reject) => {
        w.once('message', (m: { result?: TypeCheckResult; error?: string; codeCache: string }) => (m.result ? resolve({ result: m.result, codeCache: m.codeCache }) : reject(new Error(m.error))));
        w.once('error', reject);
        w.postMessage({ id: 1, root, extraFiles: [] });
      });
    } finally {
      await w.terminate();
    }
  }

  it('loads TypeScript through a code cache it writes, and rewrites a corrupt one', async () => {
    const root = makeProject();
    const cacheDir = join(makeProject('crm-agent-cache-'), 'cache'); // does not exist yet
    // lib es5 alone: the smallest project that still checks (no DOM to parse in each worker).
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, lib: ['es5'], types: [] }, include: ['*.ts'] }));
    writeFileSync(join(root, 'a.ts'), "export const n: number = 'one';\n");
    const expected = ['a.ts:1 TS2322'];
    const found = (r: TypeCheckResult) => r.diagnostics.map((d) => `${d.path}:${d.line} TS${d.code}`);

    const first = await checkInNewWorker(cacheDir, root);
    expect([first.codeCache, found(first.result)]).toEqual(['missing', expected]);
    const files = readdirSync(cacheDir);
    expect(files).toEqual([expect.stringMatching(/^typescript-[0-9a-f]{16}\.v8cache$/)]); // no temporary file left
    const cacheFile = join(cacheDir, files[0]!);

    const second = await checkInNewWorker(cacheDir, root);
    expect([second.codeCache, found(second.result)]).toEqual(['accepted', expected]);

    const garbage = Buffer.alloc(4096, 'not a code cache ');
    writeFileSync(cacheFile, garbage);
    // Caches of other TypeScript or Node versions: one unused for a week goes when a cache is written.
    const stale = join(cacheDir, 'typescript-0000000000000000.v8cache');
    const recent = join(cacheDir, 'typescript-1111111111111111.v8cache');
    writeFileSync(stale, 'old');
    writeFileSync(recent, 'in use elsewhere');
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600_000);
    utimesSync(stale, eightDaysAgo, eightDaysAgo);
    const third = await checkInNewWorker(cacheDir, root);
    expect([third.codeCache, found(third.result)]).toEqual(['rejected', expected]);
    expect(readdirSync(cacheDir).sort()).toEqual([...files, 'typescript-1111111111111111.v8cache'].sort());
    rmSync(recent);
    const fourth = await checkInNewWorker(cacheDir, root);
    expect([fourth.codeCache, found(fourth.result)]).toEqual(['accepted', expected]);
  });
});
