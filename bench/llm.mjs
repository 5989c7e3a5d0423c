// `node bench/llm.mjs` (after `npm run build`): tokens sent to the model per ticket for the seed's
// example 4.1 (`agent fix ticket`: BugHunter, CodeSmith and the Migrator each with the model),
// played by the scripted Messages API of test/llm against the real CLI and SDK, compared with
// sending the whole project (sum of its file sizes / 4). The same scripted fix runs on the example
// as it is and on copies grown to several times its size (bench/grow-example.mjs: more tables,
// routes, tools, lib modules and tests in the example's style). Context is chosen, not dumped: the
// ticket's tokens should stay nearly flat while the project grows. Never part of the tests.
//   BENCH_LLM_SIZES=1,5,20 (default)   the project sizes, as multiples of the example
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentOf, example41AllBrain, startScriptedServer } from '../test/llm/scripted-server.mjs';
import { growExample } from './grow-example.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const { makeDemoCopy, openStateDb, SEED_TICKET } = await import(join(root, 'dist', 'index.js')).catch(() => {
  throw new Error('dist/ is missing: run `npm run build` first');
});
const sizes = (process.env.BENCH_LLM_SIZES ?? '1,5,20').split(',').map(Number).filter((x) => x >= 1);
const n = (x) => Math.round(x).toLocaleString('en-US');
const x2 = (r) => `${r.toFixed(2)}x`;
const sentOf = (t) => t.input + t.cacheWrite + t.cacheRead;
const tok = (s) => Buffer.byteLength(s) / 4;

/** Tokens of each tool's results in one conversation (its last request holds them all), by tool. */
function toolResultTokens(body) {
  const names = new Map();
  const out = {};
  for (const m of body.messages) {
    if (!Array.isArray(m.content)) continue;
    for (const b of m.content) {
      if (b.type === 'tool_use') names.set(b.id, b.name);
      if (b.type === 'tool_result') {
        const name = names.get(b.tool_use_id) ?? '?';
        out[name] = (out[name] ?? 0) + tok(typeof b.content === 'string' ? b.content : JSON.stringify(b.content));
      }
    }
  }
  return out;
}

async function fixAt(factor) {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-bench-llm-'));
  const server = await startScriptedServer(example41AllBrain);
  try {
    const dir = await makeDemoCopy(join(parent, 'crm'));
    if (factor > 1) {
      growExample(dir, factor);
      const git = (...a) => spawnSync('git', ['-C', dir, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...a], { encoding: 'utf8' });
      git('add', '-A');
      git('commit', '-q', '-m', `grown ${factor}x by bench/grow-example.mjs`);
    }
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', ANTHROPIC_API_KEY: 'sk-ant-bench-not-a-real-key-000000', ANTHROPIC_BASE_URL: server.url };
    // Asynchronous on purpose: the scripted server lives in this process and must keep answering.
    const run = (...args) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cli, ...args, '--json', '--model'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }); // --model: the key alone keeps the agents offline (issue 18)
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
    const agents = Object.keys(usage.byAgent);
    const byAgent = Object.fromEntries(
      agents.map((a) => {
        const mine = server.requests.filter((q) => agentOf(q.body) === a);
        const first = mine[0];
        return [a, { ...usage.byAgent[a], sent: sentOf(usage.byAgent[a]), prefix: first ? tok(JSON.stringify({ system: first.body.system, tools: first.body.tools })) : 0, results: mine.length ? toolResultTokens(mine.at(-1).body) : {} }];
      }),
    );
    return {
      factor,
      id,
      files: files.length,
      whole: projectBytes / 4,
      projectBytes,
      usage,
      byAgent,
      sent: sentOf(usage.total),
      requests: server.requests.length,
      largest: Math.max(...server.requests.map((q) => tok(q.raw))),
      rootCauses: fixed.rootCauses.length,
      staged: fixed.changeSet.files.length,
      ms,
    };
  } finally {
    await server.close();
    rmSync(parent, { recursive: true, force: true });
  }
}

function printRun(r) {
  const t = r.usage.total;
  console.log(`\nexample 4.1 (${r.id}) at ${r.factor}x the example (${n(r.files)} files, ${n(r.projectBytes)} bytes): ${r.requests} requests, ${r.rootCauses} verified root causes, ${r.staged} staged files, fix took ${n(r.ms)} ms`);
  console.log(`  ${'agent'.padEnd(12)} ${'calls'.padStart(5)} ${'sent'.padStart(8)} ${'fresh'.padStart(8)} ${'cache wr'.padStart(8)} ${'cache rd'.padStart(8)} ${'received'.padStart(8)} ${'prefix'.padStart(8)}  ${'cost'.padStart(8)}  tool results (tokens, once each)`);
  for (const [a, x] of Object.entries(r.byAgent)) {
    const results = Object.entries(x.results).sort((p, q) => q[1] - p[1]).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    console.log(`  ${a.padEnd(12)} ${String(x.calls).padStart(5)} ${n(x.sent).padStart(8)} ${n(x.input).padStart(8)} ${n(x.cacheWrite).padStart(8)} ${n(x.cacheRead).padStart(8)} ${n(x.output).padStart(8)} ${n(x.prefix).padStart(8)}  ${('$' + x.costUsd.toFixed(4)).padStart(8)}  ${results}`);
  }
  console.log(`  ${'ticket'.padEnd(12)} ${String(t.calls).padStart(5)} ${n(r.sent).padStart(8)} ${n(t.input).padStart(8)} ${n(t.cacheWrite).padStart(8)} ${n(t.cacheRead).padStart(8)} ${n(t.output).padStart(8)} ${''.padStart(8)}  ${('$' + t.costUsd.toFixed(4)).padStart(8)}  (${r.usage.model} list prices)`);
}

const runs = [];
for (const factor of sizes) {
  const r = await fixAt(factor);
  runs.push(r);
  printRun(r);
}
console.log('  (sent = fresh + cache writes + cache reads; prefix: system prompt + tool definitions per request, cached after each agent\'s first call; cache reads cost a tenth)');

const base = runs[0];
console.log(`\nTokens per ticket against the whole project, by project size (ratios against the ${base.factor}x run)`);
console.log(`  ${'size'.padEnd(5)} ${'files'.padStart(6)} ${'project'.padStart(9)} ${'vs base'.padStart(8)} ${'ticket sent'.padStart(12)} ${'vs base'.padStart(8)} ${'sent/project'.padStart(13)} ${'largest req'.padStart(12)} ${'/project'.padStart(9)} ${'cost'.padStart(9)}`);
for (const r of runs) {
  console.log(
    `  ${`${r.factor}x`.padEnd(5)} ${n(r.files).padStart(6)} ${n(r.whole).padStart(9)} ${x2(r.whole / base.whole).padStart(8)} ${n(r.sent).padStart(12)} ${x2(r.sent / base.sent).padStart(8)} ${x2(r.sent / r.whole).padStart(13)} ${n(r.largest).padStart(12)} ${x2(r.largest / r.whole).padStart(9)} ${('$' + r.usage.total.costUsd.toFixed(4)).padStart(9)}`,
  );
}
const last = runs.at(-1);
if (runs.length > 1) {
  console.log(`  project grew ${x2(last.whole / base.whole)}; the ticket's tokens grew ${x2(last.sent / base.sent)} (${n(last.sent - base.sent)} tokens), per agent: ${Object.keys(last.byAgent).map((a) => `${a} ${x2(last.byAgent[a].sent / (base.byAgent[a]?.sent || 1))}`).join(', ')}`);
}
console.log(`  (project = file sizes / 4, sent once; dumping it into each of the ${last.requests} requests at ${last.factor}x would send ${n(last.whole * last.requests)})`);
