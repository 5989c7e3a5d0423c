// `agent system backup create` and `agent system restore from` of the example's embedded database,
// against copying its data directory with `cp -r`, interleaved in the same run (issue 16's target:
// within 1.5x). The example's staging database is made by `migrate execute --env staging`; the
// destructive-change approval is switched off in this scratch copy's config so restore runs at once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const runs = Number(process.env.BENCH_BACKUP_RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(argv, cwd) {
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, stdout: r.stdout };
}

const work = mkdtempSync(join(tmpdir(), 'crm-agent-bench-backup-'));
try {
  const project = join(work, 'crm');
  const { makeDemoCopy } = await import('../dist/index.js');
  await makeDemoCopy(project);
  const configFile = join(project, 'agent.config.json');
  let config = {};
  try {
    config = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch {
    // the example may have none
  }
  writeFileSync(configFile, JSON.stringify({ ...config, approvals: { ...config.approvals, databaseDestructive: false }, backups: { keep: 1000 } }, null, 2));
  const agent = (...args) => [process.execPath, cli, '--project', project, ...args];
  timed(agent('migrate', 'execute', '--env', 'staging'), project);
  const dataDir = join(project, '.agent', 'pgdata', 'staging');
  const du = spawnSync('du', ['-sk', dataDir], { encoding: 'utf8' }).stdout.split(/\s+/)[0];

  const t = { node: [], cp: [], backup: [], restore: [] };
  for (let i = 0; i < runs + 1; i++) {
    const copy = join(work, `cp-${i}`);
    const node = timed([process.execPath, '-e', '0'], project).ms;
    const cp = timed(['cp', '-r', dataDir, copy], project).ms;
    const made = timed(agent('system', 'backup', 'create', '--env', 'staging', '--json'), project);
    const id = JSON.parse(made.stdout.trim().split('\n').at(-1)).data.backup.id;
    const restore = timed(agent('system', 'restore', 'from', id, '--json'), project).ms;
    rmSync(copy, { recursive: true, force: true });
    if (i === 0) continue; // warms the file cache
    t.node.push(node);
    t.cp.push(cp);
    t.backup.push(made.ms);
    t.restore.push(restore);
  }
  const cp = median(t.cp);
  const node = median(t.node);
  console.log(`\nBackup and restore of the example's embedded staging database (${du} KB; median of ${runs} interleaved runs)`);
  const row = (name, ms, note = '') => console.log(`  ${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / cp).toFixed(2)}x${note}`);
  row('cp -r of the data directory', cp);
  row('node -e 0 (a process start, for scale)', node);
  row('agent system backup create --env staging', median(t.backup), `   target <= 1.5x: ${median(t.backup) <= 1.5 * cp ? 'met' : 'NOT met'}`);
  row('agent system restore from <id>', median(t.restore), `   target <= 1.5x: ${median(t.restore) <= 1.5 * cp ? 'met' : 'NOT met'}`);
  console.log('  (restore takes a pre-restore backup first, checks every sha256, and opens the database for the schema compare)');
} finally {
  rmSync(work, { recursive: true, force: true });
}
