// `node bench/llm.mjs` (after `npm run build`): tokens sent to the model per ticket for the seed's
// example 4.1, played by the scripted Messages API of test/llm against the real CLI and SDK,
// compared with sending the whole project (sum of its file sizes / 4). Context is chosen, not
// dumped: the model pulls what it needs through BugHunter's tools. Never part of the tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { example41Brain, startScriptedServer } from '../test/llm/scripted-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const { makeDemoCopy, openStateDb } = await import(join(root, 'dist', 'index.js')).catch(() => {
  throw new Error('dist/ is missing: run `npm run build` first');
});

// The seed's ticket (src/commands/demo.ts SEED_TICKET; the library entry does not export it).
const SEED_TICKET = 'AI estimates are generated but not persisting to database. Voice agent says success but no record created. Ticket: AI-EST-142';
const n = (x) => Math.round(x).toLocaleString('en-US');
const parent = mkdtempSync(join(tmpdir(), 'crm-agent-bench-llm-'));
const server = await startScriptedServer(example41Brain);
try {
  const dir = await makeDemoCopy(join(parent, 'crm'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', ANTHROPIC_API_KEY: 'sk-ant-bench-not-a-real-key-000000', ANTHROPIC_BASE_URL: server.url };
  // Asynchronous on purpose: the scripted server lives in this process and must keep answering.
  const run = (...args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args, '--json'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`agent ${args.join(' ')} exited ${code}: ${err}${out.slice(-2000)}`))));
    });
  // The project as it stands before the agents run: every tracked or untracked source file.
  const files = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: dir, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const projectBytes = files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  const id = (await run('create', 'ticket', SEED_TICKET)).data.ticket.id;
  const t0 = performance.now();
  const analysis = (await run('analyze', 'ticket', id)).data.analysis;
  const ms = performance.now() - t0;

  const db = openStateDb(join(dir, '.agent', 'state.db'));
  const usage = db.getKv(`llm.usage.${id}`);
  db.close();
  if (!usage) throw new Error('the analysis did not reach the scripted model (no usage recorded)');
  const t = usage.total;
  const sent = t.input + t.cacheWrite + t.cacheRead;
  const bodies = server.requests.reduce((s, q) => s + Buffer.byteLength(q.raw), 0);
  const whole = projectBytes / 4;
  const firstPrefix = Buffer.byteLength(JSON.stringify({ system: server.requests[0].body.system, tools: server.requests[0].body.tools })) / 4;

  console.log(`\nexample 4.1 (${id}) with the scripted model: ${server.requests.length} requests, ${analysis.rootCauses.length} verified root causes, analyze took ${n(ms)} ms`);
  console.log(`  tokens sent per ticket            ${n(sent).padStart(8)}  (fresh ${n(t.input)}, cache write ${n(t.cacheWrite)}, cache read ${n(t.cacheRead)})`);
  console.log(`  billed as fresh input             ${n(t.input + t.cacheWrite).padStart(8)}  (cache reads cost a tenth)`);
  console.log(`  of which system prompt + tools    ${n(firstPrefix).padStart(8)}  per request, cached after the first`);
  console.log(`  request bodies / 4                ${n(bodies / 4).padStart(8)}`);
  console.log(`  tokens received                   ${n(t.output).padStart(8)}`);
  console.log(`  estimated cost                    ${('$' + t.costUsd.toFixed(4)).padStart(8)}  (${usage.model} list prices)`);
  console.log(`  whole project (${files.length} files, ${n(projectBytes)} bytes) / 4 ${n(whole).padStart(8)}  sent once, before any reasoning`);
  console.log(`  whole project in each of the ${server.requests.length} requests ${n(whole * server.requests.length).padStart(8)}  what dumping it into a tool loop would send`);
  console.log(`  ratio sent / whole project        ${(sent / whole).toFixed(2).padStart(8)}x  (fresh only: ${((t.input + t.cacheWrite) / whole).toFixed(2)}x)`);
} finally {
  await server.close();
  rmSync(parent, { recursive: true, force: true });
}
