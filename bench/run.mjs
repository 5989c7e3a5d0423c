// `npm run bench`: cold-start and throughput figures, each against a baseline in the same run.
// Prints ratios; never part of the tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const only = process.argv.slice(2);
const want = (name) => only.length === 0 || only.includes(name);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs the commands interleaved (so machine noise hits all alike) and returns median ms each. */
function timeCommands(cmds, runs, opts) {
  const times = cmds.map(() => []);
  for (let r = 0; r < runs + 2; r++) {
    cmds.forEach(([, argv], i) => {
      const t = process.hrtime.bigint();
      const res = spawnSync(process.execPath, argv, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (res.status !== 0) throw new Error(`${argv.join(' ')} exited ${res.status}: ${res.stderr}`);
      if (r >= 2) times[i].push(ms); // the first two runs warm the file cache
    });
  }
  return times.map(median);
}

function report(title, rows, target) {
  console.log(`\n${title}`);
  const base = rows[0][1];
  for (const [name, ms] of rows) console.log(`  ${name.padEnd(36)} ${ms.toFixed(1).padStart(7)} ms  ${(ms / base).toFixed(2)}x`);
  if (target) console.log(`  target: ${target}`);
}

const benches = {
  async 'cold-start'() {
    const project = mkdtempSync(join(tmpdir(), 'crm-agent-bench-'));
    spawnSync('git', ['init', '-q', project]);
    spawnSync(process.execPath, [cli, 'create', 'ticket', 'bench ticket for status'], { cwd: project });
    // The same project with an agent.config.json: validating it loads zod, which the bare one skips.
    const configured = mkdtempSync(join(tmpdir(), 'crm-agent-bench-'));
    spawnSync('git', ['init', '-q', configured]);
    writeFileSync(join(configured, 'agent.config.json'), JSON.stringify({ agents: { maxConcurrent: 4 }, environments: { staging: { deploy: ['true'] } } }));
    spawnSync(process.execPath, [cli, 'create', 'ticket', 'bench ticket for status'], { cwd: configured });
    try {
      const [base, status, withConfig, version] = timeCommands(
        [
          ['node -e 0', ['-e', '0']],
          ['agent status --json', [cli, 'status', '--json']],
          ['agent status --json (agent.config.json)', [cli, '--project', configured, 'status', '--json']],
          ['agent --version', [cli, '--version']],
        ],
        Number(process.env.BENCH_RUNS ?? 25),
        { cwd: project },
      );
      report(
        'Cold start (median of interleaved runs)',
        [['node -e 0', base], ['agent status --json', status], ['  … with agent.config.json', withConfig], ['agent --version', version]],
        'agent status --json <= 1.6x node -e 0',
      );
    } finally {
      rmSync(project, { recursive: true, force: true });
      rmSync(configured, { recursive: true, force: true });
    }
  },
};

/** Where `fix ticket` spent its time, from the events it recorded in the project's state.db. */
async function fixPhases(project) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(project, '.agent', 'state.db'), { readonly: true });
  try {
    const run = db.prepare("select run_id from events where kind = 'run.started' and message like '%fix ticket%' order by id desc limit 1").get()?.run_id;
    const at = (kind, agent, like = '%') => db.prepare('select ts from events where run_id = ? and kind = ? and coalesce(agent, \'\') like ? and message like ? order by id').all(run, kind, agent, like).map((r) => r.ts);
    const span = (agent) => [Math.min(...at('agent.started', agent)), Math.max(...at('agent.finished', agent))];
    const [bh0, bh1] = span('BUGHUNTER');
    const [st0, st1] = span('STAGE');
    const tests = [at('line', 'STAGE', 'Running%')[0], at('line', 'STAGE', '%passing%')[0] ?? at('line', 'STAGE', 'No new test failures%')[0]];
    return [
      ['BugHunter (analysis)', bh1 - bh0],
      ['CodeSmith and Migrator', st0 - bh1],
      ['StageAgent', st1 - st0],
      ['  … the test run with the change', tests[1] - tests[0]],
    ].filter(([, ms]) => Number.isFinite(ms));
  } finally {
    db.close();
  }
}

/** Wall and CPU (user + system, with children) of a shell command, from sh's `times`. */
function timeShell(command, cwd, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `${command} >/dev/null 2>&1; times`], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  const secs = (r.stdout.trim().split('\n').at(-1) ?? '').split(/\s+/).map((v) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(v);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  });
  return { wall, cpu: (secs[0] + secs[1]) * 1000 };
}

function medianBy(runs, key) {
  return median(runs.map((r) => r[key]));
}

/**
 * What the project's own tools take alone on the same copy: the test suite at HEAD, the staged
 * change's tests, and tsc. `fix ticket` has to run each (BugHunter the suite and the type check,
 * StageAgent the change's tests after the fix exists), so these bound it from below whatever
 * crm-agent does. `npm test --silent` runs as crm-agent runs it: the package's script, npm left out.
 */
function ownTools(project, runs = 3) {
  const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  const env = { PATH: `${join(project, 'node_modules', '.bin')}:${process.env.PATH}` };
  const script = (command) => command.replace(/^npm test --silent(?: --)?/, pkg.scripts.test);
  const dir = readdirSync(join(project, 'staged')).sort().at(-1);
  const manifest = JSON.parse(readFileSync(join(project, 'staged', dir, 'manifest.json'), 'utf8'));
  const wt = mkdtempSync(join(tmpdir(), 'crm-agent-bench-wt-'));
  try {
    spawnSync('git', ['worktree', 'add', '-q', '--detach', join(wt, 'wt'), 'HEAD'], { cwd: project });
    symlinkSync(join(project, 'node_modules'), join(wt, 'wt', 'node_modules'), 'dir');
    spawnSync('git', ['apply', join(project, 'staged', dir, 'changes.patch')], { cwd: join(wt, 'wt') });
    const times = (command, cwd) => Array.from({ length: runs }, () => timeShell(command, cwd, env));
    const suite = times(script('npm test --silent'), project);
    // No test file reached the change (or no test command): nothing runs after the fix.
    const focused = manifest.tests?.command || null;
    const change = focused ? times(script(focused), join(wt, 'wt')) : [{ wall: 0, cpu: 0 }];
    const tsc = times('tsc --noEmit -p .', project);
    return {
      suite: { wall: medianBy(suite, 'wall'), cpu: medianBy(suite, 'cpu') },
      change: { wall: medianBy(change, 'wall'), cpu: medianBy(change, 'cpu') },
      tsc: { wall: medianBy(tsc, 'wall'), cpu: medianBy(tsc, 'cpu') },
      files: focused ? focused.split(' -- ')[1]?.split(' ').length ?? null : 0,
    };
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', join(wt, 'wt')], { cwd: project });
    rmSync(wt, { recursive: true, force: true });
  }
}

benches['example-4.1'] = async () => {
  // Ticket -> staged set, and the rollback of its staging deploy, offline, on a fresh copy.
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-bench-'));
  const project = join(parent, 'crm');
  const run = (...args) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [cli, '--project', project, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`agent ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  try {
    const { makeDemoCopy } = await import('../dist/index.js');
    await makeDemoCopy(project);
    const base = timeCommands([['node -e 0', ['-e', '0']]], 5, {})[0];
    run('create', 'ticket', 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.');
    const ticket = `BUG-${new Date().getUTCFullYear()}-001`;
    const staged = run('fix', 'ticket', ticket);
    run('deploy', 'staging', ticket);
    const rolledBack = run('rollback', ticket);
    console.log('\nExample 4.1, offline (one run each)');
    console.log(`  node -e 0                            ${base.toFixed(1).padStart(8)} ms  1.00x`);
    // The issue's targets are absolute; DESIGN.md's machine (node -e 0 = 50 ms) makes them 100x and
    // 40x node -e 0, which is what a slower machine can be compared against.
    console.log(`  ticket -> staged set (fix ticket)    ${staged.toFixed(0).padStart(8)} ms  ${(staged / base).toFixed(0)}x   target < 5000 ms: ${staged < 5000 ? 'met' : 'NOT met'} (< 100x on a 50 ms machine: ${staged / base < 100 ? 'met' : 'NOT met'})`);
    for (const [name, ms] of await fixPhases(project)) console.log(`    ${name.padEnd(34)} ${ms.toFixed(0).padStart(8)} ms`);
    const own = ownTools(project);
    const cores = availableParallelism();
    // The suite and tsc can share the cores; the change's tests can only start once the fix exists.
    const floor = Math.max(own.suite.wall, own.tsc.wall, (own.suite.cpu + own.tsc.cpu) / cores) + own.change.wall;
    const row = (name, ms, cpu) => console.log(`    ${name.padEnd(34)} ${ms.toFixed(0).padStart(8)} ms${cpu === undefined ? '' : `  (${(cpu / 1000).toFixed(1)} s of CPU)`}`);
    console.log("  the project's own tools alone, on the same copy (median of 3)");
    row('its test suite at HEAD', own.suite.wall, own.suite.cpu);
    row(`its tests with the change (${own.files ?? 'all'} files)`, own.change.wall, own.change.cpu);
    row('tsc --noEmit', own.tsc.wall, own.tsc.cpu);
    row(`lower bound for fix on ${cores} cores`, floor);
    console.log(`      (the suite and tsc sharing the cores, then the change's tests: fix ticket is ${(staged / floor).toFixed(2)}x it${floor >= 5000 ? ', and the bound alone misses the 5000 ms target' : ''})`);
    console.log(`  rollback of the staging deploy       ${rolledBack.toFixed(0).padStart(8)} ms  ${(rolledBack / base).toFixed(0)}x   target < 2000 ms: ${rolledBack < 2000 ? 'met' : 'NOT met'} (< 40x on a 50 ms machine: ${rolledBack / base < 40 ? 'met' : 'NOT met'})`);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
};

for (const name of ['dashboard', 'migrator', 'llm', 'deploy', 'backup', 'fix-ticket']) {
  if (!existsSync(join(root, 'bench', `${name}.mjs`))) continue;
  benches[name] = async () => {
    const r = spawnSync(process.execPath, [join(root, 'bench', `${name}.mjs`)], { stdio: 'inherit' });
    // A bench reports; a missed target is in its output, not a reason to stop the others.
    if (r.status !== 0) console.log(`  (bench/${name}.mjs exited ${r.status})`);
  };
}


for (const [name, fn] of Object.entries(benches)) if (want(name)) await fn();
