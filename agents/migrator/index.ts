// The Migrator's API for the command layer: plain async functions that return data and print
// nothing (the caller renders). The pure modules are re-exported for callers that need one piece.
//
//   migrationStatus(projectRoot, db)        local files vs the applied history (like `supabase migration list`)
//   lintFiles(projectRoot, files?)          the safety linter over the migrations (or only the named ones)
//   planMigration(description, snapshot?)   description -> up/down SQL + slug + version, linted; or a refusal
//   writePlannedMigration(projectRoot, plan) writes supabase/migrations/<v>_<slug>.sql + supabase/rollbacks/<v>_<slug>.down.sql
//   dryRun(projectRoot, {templateCacheDir}) shadow run of the pending migrations with timings, row estimates, verified rollback
//   applyPending(projectRoot, db)           applies pending files to the target, recording history
//   scanSchema(db)                          schema lints over a live database
//   projectSchema / scanMigrations          the same over the schema the project's migrations build, in a shadow
import type { Pg, Queryable } from '../../src/integrations/postgres/types.js';
import type { MigrationFile, SkippedFile } from './files.js';
import { nextVersion, readMigrationFiles } from './files.js';
import { readHistory } from './history.js';
import { compareMigrations, type MigrationStatus } from './status.js';
import { lintMigrations, lintSql } from './linter/index.js';
import { approvalVerdict, requiresApproval, type ApprovalVerdict, type Finding, type LintFinding } from './finding.js';
import { planFromDescription, type PlannedMigration } from './sql-builder.js';
import type { SchemaSnapshot } from './schema-snapshot.js';
import { takeSnapshot } from './schema-snapshot.js';
import { isUserSchema, lintSchema, locatorFromFiles, userSchemas } from './schema-lints.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRollback, writeMigration } from './rollback-store.js';
import { replayInto, runShadow, type DryRunReport, type ShadowMigration } from './shadow.js';
import type { Diagnosis } from './run-sql.js';
import { applyPendingMigrations, type ApplyResult } from './apply.js';

export * from './finding.js';
export * from './files.js';
export * from './history.js';
export * from './status.js';
export * from './sql-split.js';
export { maskSql, normalizeStatement } from './sql-mask.js';
export * from './rollback-store.js';
export * from './intent-parser.js';
export * from './sql-builder.js';
export { lintSql, lintMigrations, tablesAfter, RULES, analyzeStatement, type RuleId, type RuleInfo, type LintOptions, type LintFile } from './linter/index.js';
export * from './schema-snapshot.js';
export * from './schema-diff.js';
export * from './schema-lints.js';
export * from './shadow.js';
export { diagnose, mustRunOutsideTransaction, MigrationFailure, type Diagnosis, type DiagnosisCause, type StatementRun } from './run-sql.js';
export * from './apply.js';

export async function migrationStatus(projectRoot: string, db: Queryable): Promise<MigrationStatus & { skipped: SkippedFile[] }> {
  const { files, skipped } = readMigrationFiles(projectRoot);
  return { ...compareMigrations(files, await readHistory(db)), skipped };
}

export interface LintReport {
  findings: LintFinding[];
  verdict: ApprovalVerdict;
  requiresApproval: boolean;
  skipped: SkippedFile[];
}

/**
 * Lints the project's migrations in order (each sees the tables the earlier ones created as existing).
 * `files`: file names or project-relative paths to report on; all files are still read for the table set.
 */
export async function lintFiles(projectRoot: string, files?: string[]): Promise<LintReport> {
  const { files: all, skipped } = readMigrationFiles(projectRoot);
  const wanted = files ? new Set(files.map((f) => f.replace(/^.*\//, ''))) : null;
  const findings = lintMigrations(all, { only: wanted ? (p) => wanted.has(p.replace(/^.*\//, '')) : undefined });
  return { findings, verdict: approvalVerdict(findings), requiresApproval: requiresApproval(findings), skipped };
}

export type PlanResult =
  | (PlannedMigration & { version: string; filename: string; rollbackFilename: string; findings: LintFinding[]; requiresApproval: boolean })
  | { type: 'refused'; understood: string; example: string; reason: string };

/** Description -> migration (or refusal), linted against the snapshot's tables. */
export async function planMigration(description: string, schemaSnapshot?: SchemaSnapshot, opts: { now?: Date; existingVersions?: string[] } = {}): Promise<PlanResult> {
  const plan = planFromDescription(description, schemaSnapshot);
  if (plan.type === 'refused') return plan;
  const version = nextVersion(opts.now ?? new Date(), opts.existingVersions ?? []);
  const filename = `${version}_${plan.slug}.sql`;
  const findings = lintSql(plan.up, { file: `supabase/migrations/${filename}`, knownTables: schemaSnapshot ? Object.keys(schemaSnapshot.tables) : undefined });
  return { ...plan, version, filename, rollbackFilename: `${version}_${plan.slug}.down.sql`, findings, requiresApproval: requiresApproval(findings) };
}

/** Writes a planned migration and its rollback into the project (never overwriting). */
export async function writePlannedMigration(projectRoot: string, plan: { version: string; slug: string; up: string; down: string }): Promise<{ migration: string; rollback: string }> {
  return writeMigration(projectRoot, { version: plan.version, name: plan.slug, up: plan.up, down: plan.down });
}

export interface DryRunOptions {
  /** Where the PGlite template is cached (built there once). */
  templateCacheDir: string;
  /**
   * The target database: its history decides what is pending, its statistics estimate rows.
   * Without a target: when `extra` is given, every local migration counts as applied and only the
   * extra ones are pending; otherwise every local migration is pending (as against a fresh database).
   */
  target?: Queryable;
  /** Migrations not in supabase/migrations yet (a staged change set), applied after the local pending ones. */
  extra?: Array<{ version: string; name: string; up: string; down?: string | null; path?: string }>;
}

export interface DryRun extends DryRunReport {
  findings: LintFinding[];
  requiresApproval: boolean;
  template: { path: string; built: boolean; ms: number };
  /** Applied versions with no local file: they cannot be replayed into the shadow. */
  missingLocally: string[];
  edited: string[];
  skipped: SkippedFile[];
}

export async function dryRun(projectRoot: string, opts: DryRunOptions): Promise<DryRun> {
  const { ensureTemplate, openShadowDatabase } = await import('../../src/integrations/postgres/template.js');
  const { files, skipped } = readMigrationFiles(projectRoot);
  const status = opts.target ? compareMigrations(files, await readHistory(opts.target)) : null;
  const pendingVersions = new Set(status ? status.pending.map((p) => p.version) : opts.extra?.length ? [] : files.map((f) => f.version));
  const toShadow = (f: MigrationFile): ShadowMigration => ({ version: f.version, name: f.name, path: f.path, sql: f.sql, down: readRollback(projectRoot, f.version) });
  const applied = files.filter((f) => !pendingVersions.has(f.version)).map(toShadow);
  const pending = files.filter((f) => pendingVersions.has(f.version)).map(toShadow);
  for (const e of opts.extra ?? []) {
    pending.push({ version: e.version, name: e.name, path: e.path ?? `staged/${e.version}_${e.name}.sql`, sql: e.up, down: e.down ? { path: (e.path ?? `staged/${e.version}_${e.name}.sql`).replace(/\.sql$/, '.down.sql'), sql: e.down } : null });
  }
  const template = await ensureTemplate(opts.templateCacheDir);
  const report = await runShadow({ open: (extensions) => openShadowDatabase({ cacheDir: opts.templateCacheDir, extensions }), applied, pending, target: opts.target });
  const pendingPaths = new Set(pending.map((p) => p.path));
  const findings = lintMigrations([...applied, ...pending], { only: (p) => pendingPaths.has(p) });
  return {
    ...report,
    findings,
    requiresApproval: requiresApproval(findings),
    template,
    missingLocally: status?.missingLocally.map((m) => m.version) ?? [],
    edited: status?.edited.map((e) => e.version) ?? [],
    skipped,
  };
}

export async function applyPending(projectRoot: string, db: Pg, opts: { includeAll?: boolean } = {}): Promise<ApplyResult> {
  return applyPendingMigrations(projectRoot, db, opts);
}

/** Pure: the user schemas the API serves, from supabase/config.toml's `[api] schemas` (public always). */
export function apiSchemas(configToml: string | null): string[] {
  const api = /^\[api\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(configToml ?? '')?.[1] ?? '';
  const list = /^\s*schemas\s*=\s*\[([^\]]*)\]/m.exec(api)?.[1] ?? '';
  const names = [...list.matchAll(/"([^"]+)"|'([^']+)'/g)].map((m) => (m[1] ?? m[2]) as string);
  return [...new Set(['public', ...names.filter(isUserSchema)])];
}

function readApiSchemas(projectRoot: string): string[] {
  try {
    return apiSchemas(readFileSync(join(projectRoot, 'supabase', 'config.toml'), 'utf8'));
  } catch {
    return ['public'];
  }
}

/**
 * Schema lints over a live database, every user schema (the RLS-exposure lints over the API's
 * schemas); with projectRoot, findings point at the migration that created or last changed the object.
 */
export async function scanSchema(db: Queryable, opts: { projectRoot?: string; schemas?: string[] } = {}): Promise<Finding[]> {
  const snapshot = await takeSnapshot(db);
  const locate = opts.projectRoot ? locatorFromFiles(readMigrationFiles(opts.projectRoot).files) : undefined;
  const schemas = opts.schemas ?? (opts.projectRoot ? readApiSchemas(opts.projectRoot) : undefined);
  // The advisor lints that depend on privileges and rows run on the database itself (./catalog-lints.ts).
  const { catalogLints } = await import('./catalog-lints.js');
  const catalog = (await catalogLints(db, { apiSchemas: schemas ?? ['public'] })).map((f) => {
    const fn = /^([^.(]+)\.([^(]+)\(/.exec(f.object);
    const at = locate?.(fn ? { function: `${fn[1]}.${fn[2]}` } : snapshot.tables[f.object] ? { table: f.object } : {});
    return at ? { ...f, file: at.file, line: at.line } : f;
  });
  return [...lintSchema(snapshot, { schemas, scanned: userSchemas(snapshot), locate }), ...catalog];
}

/** A replay diagnosis as a finding: a missing extension is a note ("not checked"), a statement that fails is an error. */
export function replayFinding(d: Diagnosis): Finding {
  if (d.cause === 'shadow-limitation') return { ruleId: 'not-checked', severity: 'info', file: d.file, line: d.line, object: d.extension ? `extension ${d.extension}` : d.statement, message: d.reason, fix: 'check this statement on a real Supabase database' };
  return { ruleId: 'replay-error', severity: d.cause === 'sql-error' ? 'error' : 'warning', file: d.file, line: d.line, object: d.statement, message: `could not replay: ${d.reason}`, fix: 'fix the statement so the migrations replay cleanly' };
}

/** The schema the project's migrations build, replayed into a shadow from the template. */
export async function projectSchema(projectRoot: string, opts: { templateCacheDir: string }): Promise<{ snapshot: SchemaSnapshot; diagnoses: Diagnosis[]; skipped: SkippedFile[] }> {
  const { openShadowDatabase } = await import('../../src/integrations/postgres/template.js');
  const { extensionsIn } = await import('../../src/integrations/postgres/extensions.js');
  const { files, skipped } = readMigrationFiles(projectRoot);
  const db = await openShadowDatabase({ cacheDir: opts.templateCacheDir, extensions: extensionsIn(files.map((f) => f.sql)) });
  try {
    const diagnoses = await replayInto(db, files);
    return { snapshot: await takeSnapshot(db), diagnoses, skipped };
  } finally {
    await db.close();
  }
}

/** `agent bugs scan`: schema lints over the replayed migrations, plus a finding per statement that would not replay. */
export async function scanMigrations(projectRoot: string, opts: { templateCacheDir: string; schemas?: string[] }): Promise<{ findings: Finding[]; snapshot: SchemaSnapshot; diagnoses: Diagnosis[] }> {
  const { snapshot, diagnoses } = await projectSchema(projectRoot, opts);
  const locate = locatorFromFiles(readMigrationFiles(projectRoot).files);
  const replay: Finding[] = diagnoses.map(replayFinding);
  return { findings: [...replay, ...lintSchema(snapshot, { schemas: opts.schemas ?? readApiSchemas(projectRoot), scanned: userSchemas(snapshot), locate })], snapshot, diagnoses };
}

