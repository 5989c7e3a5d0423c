// `node bench/migrator.mjs [runs]`: the Migrator's dry run at scale. A project with 100 migrations
// (tables, columns, indexes, views, functions, policies) is replayed into a shadow database started
// from the cached template, one more migration is applied and timed, rolled back, and the schema
// compared with the one before it. Target: under 1 s. Reported beside a fresh PGlite initdb
// measured in the same run (the cost a shadow would pay without the template), as ratios.
//
// The migrator is TypeScript; esbuild (a dev dependency) bundles its API once into
// node_modules/.cache so plain `node` can run it. Never part of the tests.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Math.max(1, Number(process.argv[2] ?? 3));
const TARGET_MS = 1000;

const outDir = join(root, 'node_modules', '.cache', 'crm-agent-bench');
const pkg = (await import(pathToFileURL(join(root, 'package.json')), { with: { type: 'json' } })).default;
await build({
  entryPoints: { migrator: join(root, 'agents', 'migrator', 'index.ts') },
  outdir: outDir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  splitting: true,
  external: Object.keys(pkg.dependencies).flatMap((n) => [n, `${n}/*`]),
  logLevel: 'warning',
});
const m = await import(pathToFileURL(join(outDir, 'migrator.js')).href);
const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'crm-agent');

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
const ms = (x) => `${Math.round(x)} ms`;

try {
  const template = await m.dryRun(project, { templateCacheDir: cacheDir, extra }); // warms the template (built once per machine)
  if (!template.ok || !template.rollbackVerified) throw new Error(`warm-up dry run failed: ${JSON.stringify(template.diagnoses.concat(template.rollback.flatMap((r) => r.differences)))}`);
  const { PGlite } = await import('@electric-sql/pglite');
  const dry = [];
  const open = [];
  const replay = [];
  const initdb = [];
  for (let r = 0; r < runs; r++) {
    // interleaved, so machine noise hits both alike
    let t = performance.now();
    const report = await m.dryRun(project, { templateCacheDir: cacheDir, extra });
    dry.push(performance.now() - t);
    open.push(report.shadow.openMs);
    replay.push(report.shadow.replayMs);
    if (report.replayed.count !== 100 || report.pending.length !== 1 || !report.rollbackVerified) throw new Error('the dry run did not replay 100, apply 1 and verify its rollback');
    t = performance.now();
    const fresh = await PGlite.create();
    await fresh.query('select 1');
    initdb.push(performance.now() - t);
    await fresh.close();
  }
  const d = median(dry);
  const i = median(initdb);
  console.log(`migrator dry run: replay 100 migrations + apply 1 + roll back + verify (median of ${runs}, template ${template.template.built ? 'built in this run' : 'cached'})`);
  console.log(`  dry run total      ${ms(d).padStart(8)}   target < ${TARGET_MS} ms: ${d < TARGET_MS ? 'MET' : 'MISSED'}`);
  console.log(`    shadow open      ${ms(median(open)).padStart(8)}   (from the cached template)`);
  console.log(`    replay 100       ${ms(median(replay)).padStart(8)}`);
  console.log(`  fresh PGlite initdb ${ms(i).padStart(7)}   (baseline, same run)`);
  console.log(`  ratio dry run / initdb: ${(d / i).toFixed(2)}x; shadow open / initdb: ${(median(open) / i).toFixed(2)}x`);
  process.exitCode = d < TARGET_MS ? 0 : 1;
} finally {
  rmSync(project, { recursive: true, force: true });
}
