// `node bench/llm.mjs` (after `npm run build`): tokens sent to the model per ticket for the seed's
// example 4.1 (`agent fix ticket`: BugHunter, CodeSmith and the Migrator each with the model),
// played by the scripted Messages API of test/llm against the real CLI and SDK, per agent and in
// total, compared with sending the whole project (sum of its file sizes / 4). Context is chosen,
// not dumped: each agent pulls what it needs through its own tools. Never part of the tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentOf, example41AllBrain, startScriptedServer } from '../test/llm/scripted-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const { makeDemoCopy, openStateDb } = await import(join(root, 'dist', 'index.js')).catch(() => {
  throw new Error('dist/ is missing: run `npm run build` first');
});

// The seed's ticket (src/commands/demo.ts SEED_TICKET; the library entry does not export it).
const SEED_TICKET = 'AI estimates are generated but not persisting to database. Voice agent says success but no record created. Ticket: AI-EST-142';
const n = (x) => Math.round(x).toLocaleString('en-US');
const parent = mkdtempSync(join(tmpdir(), 'crm-agent-bench-llm-'));
const server = await startScriptedServer(example41AllBrain);
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
  const fixed = (await run('fix', 'ticket', id)).data;
  const ms = performance.now() - t0;

  const db = openStateDb(join(dir, '.agent', 'state.db'));
  const usage = db.getKv(`llm.usage.${id}`);
  db.close();
  if (!usage) throw new Error('the fix did not reach the scripted model (no usage recorded)');
  const sentOf = (t) => t.input + t.cacheWrite + t.cacheRead;
  const whole = projectBytes / 4;
  const t = usage.total;
  const sent = sentOf(t);
  const bodies = server.requests.reduce((s, q) => s + Buffer.byteLength(q.raw), 0);
  const agents = Object.keys(usage.byAgent);

  console.log(`\nexample 4.1 (${id}) fixed with the scripted model: ${server.requests.length} requests, ${fixed.rootCauses.length} verified root causes, ${fixed.changeSet.files.length} staged files, fix took ${n(ms)} ms`);
  console.log(`  ${'agent'.padEnd(12)} ${'calls'.padStart(5)} ${'sent'.padStart(8)} ${'fresh'.padStart(8)} ${'cache wr'.padStart(8)} ${'cache rd'.padStart(8)} ${'received'.padStart(8)} ${'prefix'.padStart(8)}  ${'cost'.padStart(8)}`);
  for (const a of agents) {
    const x = usage.byAgent[a];
    const first = server.requests.find((q) => agentOf(q.body) === a);
    const prefix = first ? Buffer.byteLength(JSON.stringify({ system: first.body.system, tools: first.body.tools })) / 4 : 0;
    console.log(`  ${a.padEnd(12)} ${String(x.calls).padStart(5)} ${n(sentOf(x)).padStart(8)} ${n(x.input).padStart(8)} ${n(x.cacheWrite).padStart(8)} ${n(x.cacheRead).padStart(8)} ${n(x.output).padStart(8)} ${n(prefix).padStart(8)}  ${('$' + x.costUsd.toFixed(4)).padStart(8)}`);
  }
  console.log(`  ${'ticket'.padEnd(12)} ${String(t.calls).padStart(5)} ${n(sent).padStart(8)} ${n(t.input).padStart(8)} ${n(t.cacheWrite).padStart(8)} ${n(t.cacheRead).padStart(8)} ${n(t.output).padStart(8)} ${''.padStart(8)}  ${('$' + t.costUsd.toFixed(4)).padStart(8)}  (${usage.model} list prices)`);
  console.log(`  (prefix: system prompt + tool definitions per request, cached after each agent's first call; cache reads cost a tenth)`);
  console.log(`  request bodies / 4                ${n(bodies / 4).padStart(8)}`);
  const largest = Math.max(...server.requests.map((q) => Buffer.byteLength(q.raw))) / 4;
  console.log(`  largest single request / 4        ${n(largest).padStart(8)}  (${(largest / (projectBytes / 4)).toFixed(2)}x the whole project: each turn carries what it chose, plus the turns before)`);
  console.log(`  whole project (${files.length} files, ${n(projectBytes)} bytes) / 4 ${n(whole).padStart(8)}  sent once, before any reasoning`);
  console.log(`  whole project in each of the ${server.requests.length} requests ${n(whole * server.requests.length).padStart(8)}  what dumping it into every agent's tool loop would send`);
  console.log(`  ratio sent / whole project once   ${(sent / whole).toFixed(2).padStart(8)}x  (fresh only: ${((t.input + t.cacheWrite) / whole).toFixed(2)}x)`);
  console.log(`  ratio sent / whole project in each request ${(sent / (whole * server.requests.length)).toFixed(2).padStart(5)}x`);
} finally {
  await server.close();
  rmSync(parent, { recursive: true, force: true });
}
