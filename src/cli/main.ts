// The `agent` executable. Keep this path light: no ink, react, model SDK or PGlite at start.
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2));
process.exit(code);
