// The incremental type check: successive overlays on one project must report exactly what a
// fresh check of that state would, including errors in files the overlay does not contain.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { typeCheck } from '../../agents/bug-hunter/ts-diagnostics.js';
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
});
