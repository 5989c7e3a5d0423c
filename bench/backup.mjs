// `agent system backup create` and `agent system restore from` of the example's embedded database,
// against copying its data directory with `cp -r`, interleaved in the same run (issue 16's target:
// within 1.5x). The example's staging database is made by `migrate execute --env staging`; the
// destructive-change approval is switched off in this scratch copy's config so restore runs at once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const runs = Number(process.env.BENCH_BACKUP_RUNS ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(argv, cwd) {
  // Each step starts with no dirty pages waiting: otherwise whichever step comes after a large
  // write pays for its writeback (cp -r of 40 MB took 41 ms or 1.3 s here, by that alone).
  spawnSync('sync');
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, stdout: r.stdout };
}

/** ms to sha256 every file under dir (read whole, as the CLI reads a data directory's files). */
function sha256Dir(dir) {
  const t0 = process.hrtime.bigint();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) createHash('sha256').update(readFileSync(join(e.parentPath ?? e.path, e.name))).digest();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** ms to open and close the database in a fresh process, as the CLI opens it (its module loaded first, not timed). */
function openMs(dir) {
  spawnSync('sync');
  const code = `const { openPglite } = await import(${JSON.stringify(join(root, 'dist', 'index.js'))}); const t = performance.now(); const db = await openPglite({ dataDir: ${JSON.stringify(dir)} }); await db.query('select 1'); await db.close(); console.log(performance.now() - t);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`opening ${dir} failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadBefore = load();
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
  // BENCH_BACKUP_ROWS=N grows the database by a table of N rows first (1.5M rows: ~340 MB more).
  const rows = Number(process.env.BENCH_BACKUP_ROWS ?? 0);
  if (rows > 0) timed(agent('db', 'sql', `create table public.bench_rows as select g as id, md5(g::text) as a, md5((g * 7)::text) as b from generate_series(1, ${rows}) g`, '--env', 'staging'), project);
  const dataDir = join(project, '.agent', 'pgdata', 'staging');
  const du = spawnSync('du', ['-sk', dataDir], { encoding: 'utf8' }).stdout.split(/\s+/)[0];

  const t = { node: [], cli: [], open: [], hash: [], cp: [], backup: [], restore: [], took: [] };
  for (let i = 0; i < runs + 1; i++) {
    const copy = join(work, `cp-${i}`);
    const node = timed([process.execPath, '-e', '0'], project).ms;
    const cli = timed(agent('system', 'backups', '--json'), project).ms;
    const open = openMs(dataDir);
    const hash = sha256Dir(dataDir);
    const cp = timed(['cp', '-r', dataDir, copy], project).ms;
    const made = timed(agent('system', 'backup', 'create', '--env', 'staging', '--json'), project);
    const id = JSON.parse(made.stdout.trim().split('\n').at(-1)).data.backup.id;
    const restored = timed(agent('system', 'restore', 'from', id, '--json'), project);
    const restore = restored.ms;
    const took = JSON.parse(restored.stdout.trim().split('\n').at(-1)).data.took;
    rmSync(copy, { recursive: true, force: true });
    if (i === 0) continue; // warms the file cache
    t.node.push(node);
    t.cli.push(cli);
    t.open.push(open);
    t.hash.push(hash);
    t.cp.push(cp);
    t.backup.push(made.ms);
    t.restore.push(restore);
    t.took.push(took);
  }
  const cp = median(t.cp);
  console.log(`\nBackup and restore of the example's embedded staging database (${du} KB; median and range of ${runs} interleaved runs; load average ${loadBefore} before, ${load()} after)`);
  const row = (name, xs, note = '') => {
    const ms = median(xs);
    const range = `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
    console.log(`  ${name.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms (${range.padStart(9)})  ${(ms / cp).toFixed(2)}x${note}`);
  };
  row('cp -r of the data directory', t.cp);
  row('node -e 0 (a process start, for scale)', t.node);
  row('agent system backups (the CLI, no database)', t.cli);
  row('open and close the database (PGlite, as the CLI does)', t.open);
  row('sha256 of every file, in this process', t.hash);
  row('agent system backup create --env staging', t.backup, `   target <= 1.5x: ${median(t.backup) <= 1.5 * cp ? 'met' : 'NOT met'}`);
  row('agent system restore from <id>', t.restore, `   target <= 1.5x: ${median(t.restore) <= 1.5 * cp ? 'met' : 'NOT met'}`);
  // Per run, against the cp of the same run: the spread of the ratio itself.
  const ratios = (xs) => xs.map((x, i) => x / t.cp[i]).sort((a, b) => a - b);
  const span = (xs) => `${ratios(xs)[0].toFixed(2)}–${ratios(xs).at(-1).toFixed(2)}x, median ${median(ratios(xs)).toFixed(2)}x`;
  console.log(`  per run against that run's cp: backup ${span(t.backup)}; restore ${span(t.restore)}`);
  console.log('  (restore checks every sha256, takes a pre-restore backup with a schema snapshot, copies the backup in, and opens the database again for the schema compare)');
  // The restore's own steps, from its --json (ms from the command's start): only the pre-restore
  // backup runs beside the copy in; the CLI's start, the checksums before it and the steps after the
  // database is in place (state, schema compare, audit) overlap nothing. The copy in may take less
  // or more than this run's cp (the disk's state moves), but the pre-restore backup is always made.
  const step = (k) => median(t.took.map((x) => x[k]));
  const pre = step('databaseInPlace') - step('checksums');
  const outside = median(t.cli) + step('checksums') + (step('auditVerified') - step('databaseInPlace'));
  console.log(`  restore's steps (median): checksums ${step('checksums')} ms; pre-restore backup beside the copy in ${pre} ms; state ${step('stateRestored') - step('databaseInPlace')} ms, schema compare ${step('schemaCompared') - step('stateRestored')} ms, audit --verify ${step('auditVerified') - step('schemaCompared')} ms after`);
  console.log(`  so a restore takes at least ${(outside + pre).toFixed(0)} ms (${outside.toFixed(0)} ms outside the copy with the CLI's start, plus the pre-restore backup), whatever the copy: within 1.5x only of a cp of ${((outside + pre) / 1.5).toFixed(0)} ms or more`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
