// What proves a change without running it: a new test that imports, by a relative path, a module
// only the change creates cannot load on HEAD. Anything else is run (test/stress/code-smith-*).
import { describe, expect, it } from 'vitest';
import { importsOnlyTheChangeCreates } from '../../agents/code-smith/proof.js';

const head = new Set(['app/api/customers/route.ts', 'lib/db.ts', 'supabase/functions/mcp-server/registry.ts']);
const atHead = (p: string) => head.has(p);

describe('a new test that cannot load without the change', () => {
  it('imports the route the change creates', () => {
    const test = { path: 'app/api/estimates/route.test.ts', content: "import { describe, it } from 'vitest';\nimport { memoryDb } from '../../../lib/db';\nimport { GET, POST } from './route';\n" };
    expect(importsOnlyTheChangeCreates(test, new Set(['app/api/estimates/route.ts']), atHead)).toEqual({ spec: './route', path: 'app/api/estimates/route.ts' });
  });

  it('is not proven when what it imports is already on HEAD (the registry), or is a package', () => {
    const test = { path: 'supabase/functions/mcp-server/tools/estimate_tools.test.ts', content: "import { expect, it } from 'vitest';\nimport { callTool } from '../registry';\nimport x from 'estimate_tools';\n" };
    expect(importsOnlyTheChangeCreates(test, new Set(['supabase/functions/mcp-server/tools/estimate_tools.ts']), atHead)).toBeNull();
  });

  it('is not proven when HEAD has the module under another extension', () => {
    const test = { path: 'lib/x.test.ts', content: "import { x } from './x.js';\n" };
    expect(importsOnlyTheChangeCreates(test, new Set(['lib/x.ts']), (p) => p === 'lib/x.js' || atHead(p))).toBeNull();
    expect(importsOnlyTheChangeCreates(test, new Set(['lib/x.ts']), atHead)).toEqual({ spec: './x.js', path: 'lib/x.ts' });
  });
});
