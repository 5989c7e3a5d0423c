// `node bench/migrator.mjs [runs] [base]`: the Migrator's dry run at scale. A project with 100
// migrations (tables, columns, indexes, views, functions, policies) is replayed into a shadow
// database started from the cached template, one more migration is applied and timed, rolled back,
// and the schema compared with the one before it. Target: ≤ 1 s.
//
// Measured in one run, interleaved so machine noise hits all alike:
// - the dry run of the working tree and of `base` (default: the last commit whose shadow was a
//   copy of the template directory opened from disk), in this process (PGlite's module already
//   loaded) and each in a fresh `node` process (what one `agent migrate dry-run` pays);
// - a fresh PGlite initdb, the cost a shadow would pay without the template.
// Each figure: median, min–max. The load average is printed before and after: the 2 cores here are
// shared, and the spread is wide when something else runs.
//
// Both versions are bundled with esbuild (a dev dependency) into node_modules/.cache; the earlier
// one from `git archive` of that commit. Never part of the tests.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Math.max(1, Number(process.argv[2] ?? 5));
const base = process.argv[3] ?? '1084e0a';
const TARGET_MS = 1000;
const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'crm-agent');
const pkg = (await import(pathToFileURL(join(root, 'package.json')), { with: { type: 'json' } })).default;

async function bundle(srcRoot, name) {
  const outDir = join(root, 'node_modules', '.cache', 'crm-agent-bench', name);
  await build({
    entryPoints: { migrator: join(srcRoot, 'agents', 'migrator', 'index.ts'), template: join(srcRoot, 'src', 'integrations', 'postgres', 'template.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    splitting: true,
    external: Object.keys(pkg.dependencies).flatMap((n) => [n, `${n}/*`]),
    logLevel: 'error',
  });
  return join(outDir, 'migrator.js');
}

const old = mkdtempSync(join(tmpdir(), 'crm-agent-bench-base-'));
execFileSync('sh', ['-c', `git -C "${root}" archive ${base} agents src | tar -x -C "${old}"`]);
const bundles = { now: await bundle(root, 'migrator-now'), [base]: await bundle(old, `migrator-${base}`) };
rmSync(old, { recursive: true, force: true });
const versions = {};
for (const [label, file] of Object.entries(bundles)) versions[label] = await import(pathToFileURL(file).href);
const template = await import(pathToFileURL(join(dirname(bundles.now), 'template.js')).href);

// ── a project with 100 migrations ──────────────────────────────────────────────────────────────
const project = mkdtempSync(join(tmpdir(), 'crm-agent-bench-migrator-'));
mkdirSync(join(project, 'supabase', 'migrations'), { recursive: true });
const version = (i) => {
  const d = new Date(Date.UTC(2025, 0, 1) + i * 3_600_000);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
};
for (let i = 0; i < 100; i++) {
  const t = `t${Math.floor(i / 5)}`;
  const sql = [
    `create table public.${t} (id bigint generated always as identity primary key, owner_id uuid not null default gen_random_uuid(), name text not null, created_at timestamptz not null default now());\nalter table public.${t} enable row level security;`,
    `alter table public.${t} add column status text not null default 'new';\nalter table public.${t} add column amount numeric(12,2);`,
    `create index ${t}_owner_idx on public.${t} (owner_id);\ncreate index ${t}_status_idx on public.${t} (status) where status <> 'done';`,
    `create policy "${t} owner" on public.${t} for all to authenticated using (owner_id = auth.uid()) with check (owner_id = auth.uid());`,
    `create or replace view public.${t}_open as select id, name, amount from public.${t} where status <> 'done';\ncreate or replace function public.${t}_total() returns numeric language sql stable set search_path = '' as $$ select coalesce(sum(amount), 0) from public.${t} $$;`,
  ][i % 5];
  writeFileSync(join(project, 'supabase', 'migrations', `${version(i)}_step_${i}.sql`), `${sql}\n`);
}
const extra = [
  {
    version: version(100),
    name: 'create_customer_preferences',
    up: `set lock_timeout = '5s';\ncreate table if not exists public.customer_preferences (\n  id uuid primary key default gen_random_uuid(),\n  t0_id bigint not null references public.t0 (id) on delete cascade,\n  preferences jsonb not null default '{}'::jsonb\n);\ncreate index if not exists customer_preferences_t0_id_idx on public.customer_preferences (t0_id);\nalter table public.customer_preferences enable row level security;\n`,
    down: 'drop table if exists public.customer_preferences;\n',
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${`${Math.round(median(xs))} ms`.padStart(8)}  (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function check(label, report) {
  if (!report.ok || report.replayed.count !== 100 || report.pending.length !== 1 || !report.rollbackVerified) {
    throw new Error(`${label}: the dry run did not replay 100, apply 1 and verify its rollback: ${JSON.stringify(report.diagnoses.concat(report.rollback.flatMap((r) => r.differences)))}`);
  }
}

// One dry run in a fresh node process: its own time from the import of the migrator, and the wall time of the process.
const CHILD = `const t0 = performance.now(); const m = await import(process.argv[1]); const r = await m.dryRun(process.argv[2], { templateCacheDir: process.argv[3], extra: JSON.parse(process.argv[4]) });
if (!r.ok || !r.rollbackVerified || r.replayed.count !== 100) { console.error('dry run failed'); process.exit(1); }
console.log(JSON.stringify({ ms: performance.now() - t0, openMs: r.shadow.openMs }));`;
function freshProcess(file) {
  const t = performance.now();
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, pathToFileURL(file).href, project, cacheDir, JSON.stringify(extra)], { encoding: 'utf8' });
  const wall = performance.now() - t;
  if (res.status !== 0) throw new Error(`fresh process exited ${res.status}: ${res.stderr}`);
  return { wall, ...JSON.parse(res.stdout.trim().split('\n').pop()) };
}

try {
  const loadBefore = load();
  for (const [label, m] of Object.entries(versions)) check(label, await m.dryRun(project, { templateCacheDir: cacheDir, extra })); // warm: template and image built once per machine
  const { PGlite } = await import('@electric-sql/pglite');
  const t = {};
  const push = (k, v) => (t[k] ??= []).push(v);
  for (let r = 0; r < runs; r++) {
    for (const [label, m] of Object.entries(versions)) {
      const t0 = performance.now();
      const report = await m.dryRun(project, { templateCacheDir: cacheDir, extra });
      push(`${label} total`, performance.now() - t0);
      check(label, report);
      for (const [k, v] of Object.entries(report.shadow)) push(`${label} ${k}`, v);
      const child = freshProcess(bundles[label]);
      push(`${label} fresh`, child.ms);
      push(`${label} fresh open`, child.openMs);
      push(`${label} fresh wall`, child.wall);
    }
    let t1 = performance.now();
    await template.ensureTemplateImage(cacheDir);
    push('image', performance.now() - t1);
    t1 = performance.now();
    const fresh = await PGlite.create();
    await fresh.query('select 1');
    push('initdb', performance.now() - t1);
    await fresh.close();
  }
  const loadAfter = load();
  console.log(`migrator dry run: replay 100 migrations + apply 1 + roll back + verify; median (min–max) of ${runs}, interleaved`);
  console.log(`  load average before ${loadBefore}, after ${loadAfter} (2 cores, shared)`);
  for (const label of Object.keys(versions)) {
    const shadow = Object.keys(t).filter((k) => k.startsWith(`${label} `) && k.endsWith('Ms'));
    const accounted = t[`${label} total`].map((total, i) => total - shadow.reduce((s, k) => s + t[k][i], 0));
    console.log(`  ${label === 'now' ? 'working tree' : `${base} (before)`}`);
    console.log(`    dry run, in process       ${spread(t[`${label} total`])}`);
    for (const k of shadow) {
      console.log(`      ${k.slice(label.length + 1).replace(/Ms$/, '').padEnd(24)}${spread(t[k])}`);
      if (label === 'now' && k.endsWith('openMs')) console.log(`        ${'of it: image read+check'.padEnd(22)}${spread(t.image)}   (the rest: PGlite's WebAssembly compile and Postgres start)`);
    }
    console.log(`      ${(shadow.some((k) => k.endsWith('applyMs')) ? 'read, lint, the rest' : 'apply, rollback, lint, rest').padEnd(24)}${spread(accounted)}`);
    console.log(`    dry run, fresh process    ${spread(t[`${label} fresh`])}   (shadow open ${Math.round(median(t[`${label} fresh open`]))} ms; process wall ${Math.round(median(t[`${label} fresh wall`]))} ms)`);
  }
  const i = median(t.initdb);
  const now = median(t['now total']);
  const nowFresh = median(t['now fresh']);
  console.log(`  fresh PGlite initdb           ${spread(t.initdb)}   (baseline)`);
  console.log(`  ratios: now/before ${(now / median(t[`${base} total`])).toFixed(2)}x in process, ${(nowFresh / median(t[`${base} fresh`])).toFixed(2)}x fresh; now/initdb ${(now / i).toFixed(2)}x`);
  const met = now <= TARGET_MS && nowFresh <= TARGET_MS;
  console.log(`  target ≤ ${TARGET_MS} ms (in process and fresh): ${met ? 'MET' : 'MISSED'}`);
  process.exitCode = met ? 0 : 1;
} finally {
  rmSync(project, { recursive: true, force: true });
}
