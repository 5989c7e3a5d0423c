// `node bench/migrator-realworld.mjs [runs] [base ...]`: the Migrator on the real projects of
// ../shared/realworld (issue 14) beside the code of earlier commits (default: 19e0a10, before issue
// 14's replay changes, and 1084e0a, the last whose shadow was a copy of the template directory
// opened from disk), interleaved in one run so machine noise hits all alike. For each project: the
// replay into a shadow from the cached template (ms, replay errors) and the schema findings over it;
// then `bench/migrator.mjs`'s 100-migration dry run. Median and min–max; the load average is
// printed, since the 2 cores here are shared.
//
// Both versions are bundled with esbuild (a dev dependency) into node_modules/.cache; the earlier
// one from `git archive` of that commit. Never part of the tests.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Math.max(1, Number(process.argv[2] ?? 3));
const bases = process.argv.length > 3 ? process.argv.slice(3) : ['19e0a10', '1084e0a'];
const realworld = process.env.REALWORLD_DIR ?? join(root, '..', 'shared', 'realworld');
const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'crm-agent');
const pkg = (await import(pathToFileURL(join(root, 'package.json')), { with: { type: 'json' } })).default;

async function bundle(srcRoot, name) {
  const outDir = join(root, 'node_modules', '.cache', 'crm-agent-bench', name);
  await build({
    entryPoints: { migrator: join(srcRoot, 'agents', 'migrator', 'index.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    splitting: true,
    external: Object.keys(pkg.dependencies).flatMap((n) => [n, `${n}/*`]),
    logLevel: 'error',
  });
  return import(pathToFileURL(join(outDir, 'migrator.js')).href);
}

const versions = {};
const olds = [];
for (const base of bases) {
  const old = mkdtempSync(join(tmpdir(), 'crm-agent-bench-base-'));
  olds.push(old);
  execFileSync('sh', ['-c', `git -C "${root}" archive ${base} agents src | tar -x -C "${old}"`]);
  versions[base] = await bundle(old, `migrator-${base}`);
}
versions.now = await bundle(root, 'migrator-now');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();

// The 100-migration project of bench/migrator.mjs.
const hundred = mkdtempSync(join(tmpdir(), 'crm-agent-bench-100-'));
mkdirSync(join(hundred, 'supabase', 'migrations'), { recursive: true });
const version = (i) => new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
for (let i = 0; i < 100; i++) {
  const t = `t${Math.floor(i / 5)}`;
  const sql = [
    `create table public.${t} (id bigint generated always as identity primary key, owner_id uuid not null default gen_random_uuid(), name text not null, created_at timestamptz not null default now());\nalter table public.${t} enable row level security;`,
    `alter table public.${t} add column status text not null default 'new';\nalter table public.${t} add column amount numeric(12,2);`,
    `create index ${t}_owner_idx on public.${t} (owner_id);\ncreate index ${t}_status_idx on public.${t} (status) where status <> 'done';`,
    `create policy "${t} owner" on public.${t} for all to authenticated using (owner_id = auth.uid()) with check (owner_id = auth.uid());`,
    `create or replace view public.${t}_open as select id, name, amount from public.${t} where status <> 'done';\ncreate or replace function public.${t}_total() returns numeric language sql stable set search_path = '' as $$ select coalesce(sum(amount), 0) from public.${t} $$;`,
  ][i % 5];
  writeFileSync(join(hundred, 'supabase', 'migrations', `${version(i)}_step_${i}.sql`), `${sql}\n`);
}
const extra = [{ version: version(100), name: 'prefs', up: "set lock_timeout = '5s';\ncreate table if not exists public.prefs (id uuid primary key default gen_random_uuid(), t0_id bigint not null references public.t0 (id));\ncreate index if not exists prefs_t0_id_idx on public.prefs (t0_id);\nalter table public.prefs enable row level security;\n", down: 'drop table if exists public.prefs;\n' }];

const projects = ['basejump', 'nextjs-subscription-payments'].filter((p) => existsSync(join(realworld, p)));
const rows = [];
try {
  for (const [label, m] of Object.entries(versions)) await m.dryRun(hundred, { templateCacheDir: cacheDir, extra }); // warm both
  const times = {};
  for (let r = 0; r < runs; r++) {
    for (const [label, m] of Object.entries(versions)) {
      for (const p of projects) {
        const t = performance.now();
        const { findings, diagnoses } = await m.scanMigrations(join(realworld, p), { templateCacheDir: cacheDir });
        const ms = performance.now() - t;
        (times[`${p} ${label}`] ??= []).push(ms);
        if (r === 0) {
          const schemas = [...new Set(findings.filter((f) => f.ruleId !== 'replay-error').map((f) => f.object.split('.')[0]))].sort();
          rows.push(`${p.padEnd(30)} ${label.padEnd(8)} replay errors ${String(diagnoses.filter((d) => d.cause === 'sql-error').length).padStart(3)}, findings ${String(findings.length).padStart(3)} (unindexed fk ${findings.filter((f) => f.ruleId === 'unindexed-foreign-key').length}, search_path ${findings.filter((f) => f.ruleId === 'function-search-path-mutable').length}) in schemas ${schemas.join(', ')}`);
        }
      }
      const t = performance.now();
      const dry = await m.dryRun(hundred, { templateCacheDir: cacheDir, extra });
      (times[`100-migration dry run ${label}`] ??= []).push(performance.now() - t);
      if (!dry.rollbackVerified) throw new Error(`${label}: the 100-migration dry run did not verify its rollback`);
    }
  }
  console.log(`Migrator on ../shared/realworld, ${bases.join(', ')} (before) vs the working tree (now), median (min–max) of ${runs}, interleaved`);
  console.log(`  load average before ${loadBefore}, after ${load()} (2 cores, shared)`);
  for (const r of rows) console.log(`  ${r}`);
  for (const [k, xs] of Object.entries(times)) console.log(`  ${k.padEnd(40)} ${`${Math.round(median(xs))} ms`.padStart(8)}  (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`);
  const dry = median(times['100-migration dry run now']);
  console.log(`  100-migration dry run now ≤ 1000 ms: ${dry <= 1000 ? 'MET' : 'MISSED'}`);
} finally {
  rmSync(hundred, { recursive: true, force: true });
  for (const old of olds) rmSync(old, { recursive: true, force: true });
}
