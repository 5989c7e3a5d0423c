// The full zod, loaded from node_modules at run time rather than bundled. Bundling it would put
// zod's core into the chunks that every one-shot command loads (the CLI bundles only zod/mini),
// and cold start is a budget. Only the MCP server and the model's tools use it.
import { createRequire } from 'node:module';
import type * as Zod from 'zod';

export const z: typeof Zod = createRequire(import.meta.url)('zod');
export type { Zod };
