// The `agent` executable. Keep this path light: no ink, react, model SDK or PGlite at start.
import { runCli } from './run.js';
import { flushStdio } from './output.js';

const code = await runCli(process.argv.slice(2));
// Exit only once a slow pipe reader has everything (exit() does not wait for pending writes).
await flushStdio();
process.exit(code);
