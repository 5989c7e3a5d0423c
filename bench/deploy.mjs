// A staging deploy and its rollback on the example, with the environment lock and the step journal,
// against the same on the code from before them (BENCH_DEPLOY_BASELINE, default the last commit
// before the journaled deploys), built in a scratch worktree and run in the same interleaved loop.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const baselineRef = process.env.BENCH_DEPLOY_BASELINE ?? '657cc1e';
const runs = Number(process.env.BENCH_DEPLOY_RUNS ?? 3);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(cliPath, project, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cliPath, '--project', project, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`agent ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const work = mkdtempSync(join(tmpdir(), 'crm-agent-bench-deploy-'));
try {
  // The baseline CLI, built from its own sources with this checkout's dependencies.
  const base = join(work, 'baseline');
  const add = spawnSync('git', ['worktree', 'add', '-q', '--detach', base, baselineRef], { cwd: root, encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`cannot check out the baseline ${baselineRef}: ${add.stderr}`);
  symlinkSync(join(root, 'node_modules'), join(base, 'node_modules'), 'dir');
  const built = spawnSync(process.execPath, [join(base, 'scripts', 'build.mjs')], { cwd: base, encoding: 'utf8' });
  if (built.status !== 0 || !existsSync(join(base, 'dist', 'cli.js'))) throw new Error(`the baseline did not build: ${built.stderr}`);

  // One staged fix, copied for each side (each deploys and rolls back on its own copy).
  const project = join(work, 'crm');
  const { makeDemoCopy } = await import('../dist/index.js');
  await makeDemoCopy(project);
  timed(cli, project, ['create', 'ticket', 'AI estimates are generated but not persisting to database. Voice agent says success but no record created.']);
  const ticket = `BUG-${new Date().getUTCFullYear()}-001`;
  timed(cli, project, ['fix', 'ticket', ticket]);
  const sides = [
    ['before (no lock, no journal)', join(base, 'dist', 'cli.js'), join(work, 'a')],
    ['now (lock + journal + snapshots)', cli, join(work, 'b')],
  ];
  for (const [, , dir] of sides) cpSync(project, dir, { recursive: true });
  const times = sides.map(() => ({ deploy: [], rollback: [] }));
  for (let i = 0; i < runs; i++) {
    sides.forEach(([, cliPath, dir], s) => {
      times[s].deploy.push(timed(cliPath, dir, ['deploy', 'staging', ticket]));
      times[s].rollback.push(timed(cliPath, dir, ['rollback', ticket]));
    });
  }
  console.log(`\nStaging deploy and rollback on the example (median of ${runs} interleaved runs; baseline ${baselineRef})`);
  const [b] = times;
  sides.forEach(([name], s) => {
    const d = median(times[s].deploy);
    const r = median(times[s].rollback);
    console.log(`  ${name.padEnd(34)} deploy ${d.toFixed(0).padStart(6)} ms ${(d / median(b.deploy)).toFixed(2)}x   rollback ${r.toFixed(0).padStart(6)} ms ${(r / median(b.rollback)).toFixed(2)}x`);
  });
  const r = median(times[1].rollback);
  console.log(`  rollback target <= 2000 ms: ${r <= 2000 ? 'met' : 'NOT met'} (${r.toFixed(0)} ms)`);
} finally {
  spawnSync('git', ['worktree', 'remove', '--force', join(work, 'baseline')], { cwd: root });
  rmSync(work, { recursive: true, force: true });
}
