// The Migrator inside the ticket pipeline: turns missing-foreign-key findings into migrations that
// are safe on a table holding rows (keys NOT VALID, VALIDATE in its own file, indexes CONCURRENTLY
// one per file), each with its rollback, dry-runs both on a shadow database (from the cached template), and proves the
// rollback restores the schema (snapshots compared with the migrator's schema differ).
import type { AgentTask } from '../../src/engine/orchestrator.js';
import { item, type PhaseOutcome } from '../../src/engine/phases.js';
import type { RootCause } from '../shared/causes.js';
import type { ChangeFile, StagedMigration } from '../shared/change-set.js';
import { readMigrationFiles } from './files.js';
import { foreignKeyFixSql } from './schema-lints.js';
import { migrationPath, rollbackPath } from './rollback-store.js';
import { templateCacheDir } from '../../src/integrations/postgres/cache-dir.js';
import { replayInto, type ShadowDb } from './shadow.js';
import { runFile, type Diagnosis } from './run-sql.js';
import { splitSql } from './sql-split.js';
import { analyzeStatement, columnDefinitions } from './linter/statement.js';
import { takeSnapshot } from './schema-snapshot.js';
import { describeDifference, diffSchemas } from './schema-diff.js';
import { describeOrphans, withOrphanCleanup, type KeyCheck, type OrphanProbe } from './orphans.js';
import { isSchemaFixCause, planSchemaFixes, schemaFixMigrations, versionPlus as stampPlus, type SchemaFix } from './schema-fix.js';
import type { TicketRow } from '../../src/store/rows.js';
import { llmSettings } from '../../src/integrations/llm/settings.js'; // issue 6 (LLM)

/** A shadow database at the state the project's migrations build, and what replaying them said. */
export interface ReplayedShadow {
  db: ShadowDb;
  extensions: readonly string[];
  replayed: Diagnosis[];
}

export interface MigratorInput {
  root: string;
  causes: RootCause[];
  /** Where the PGlite template is cached; default the machine's cache (`~/.cache/crm-agent`). */
  templateCacheDir?: string;
  /** issue 6 (LLM): the ticket being fixed; with it and ANTHROPIC_API_KEY, Claude writes the SQL (./model.ts). */
  ticket?: TicketRow;
  /**
   * A shadow database the project's migrations were already replayed into (BugHunter's schema
   * scan): the dry run uses it once, when it has the extensions the new SQL needs, instead of
   * loading the template and replaying again. Its owner closes it.
   */
  shadow?: ReplayedShadow;
  /**
   * Counts the rows each staged VALIDATE would reject in every environment's database it can reach
   * (./orphans.ts environmentOrphanProbe); when some have them, their cleanup is staged as a
   * destructive migration before the VALIDATE. Without it nothing is counted (said in the plan).
   */
  orphans?: OrphanProbe;
  /** Called with the migrations once the plan's gate has passed (the dry run does not alter them): the fix pipeline starts StageAgent's test run then. */
  onPlanned?: (out: MigratorOutput) => void;
  /** When the migrations' versions are stamped (default: when the plan runs); a draft and the run it predicts share it. */
  now?: Date;
}


/** Pure: the key (NOT VALID, then VALIDATE) with a covering index, and its rollback. */
/**
 * Pure: whether the project's migrations leave `public.<table>.<column>` nullable (its definition in
 * the create table or add column without NOT NULL or PRIMARY KEY, and no later SET NOT NULL); null when not found.
 */
export function columnNullable(files: Array<{ sql: string }>, table: string, column: string): boolean | null {
  let nullable: boolean | null = null;
  const qualified = `public.${table}`;
  for (const f of files) {
    for (const st of splitSql(f.sql)) {
      const info = analyzeStatement(st.sql);
      if (info.kind === 'create-table' && info.table === qualified) {
        const def = columnDefinitions(info.columnsText, info.columnsOffset).find((c) => c.column === column);
        nullable = def ? !/\b(not\s+null|primary\s+key)\b/.test(def.definition) : nullable;
      } else if (info.kind === 'alter-table' && info.table === qualified) {
        for (const a of info.actions) {
          if (a.kind === 'add-column' && a.column === column) nullable = !/\b(not\s+null|primary\s+key)\b/.test(a.definition);
          else if (a.kind === 'set-not-null' && a.column === column) nullable = false;
          else if (a.kind === 'drop-not-null' && a.column === column) nullable = true;
        }
      }
    }
  }
  return nullable;
}

export function foreignKeySql(c: { table: string; column: string; target: string; nullable?: boolean | null }): { up: string; down: string; constraint: string; index: string; add: string; validate: string; createIndex: string; dropIndex: string; dropConstraint: string } {
  const constraint = `${c.table}_${c.column}_fkey`;
  const index = `${c.table}_${c.column}_idx`;
  // A nullable column: ON DELETE SET NULL, so deleting a parent keeps working as it did without the key.
  const [add, validate] = foreignKeyFixSql(`public.${c.table}`, c.column, `public.${c.target}`, 'id', c.nullable ? 'set null' : undefined)
    .split('\n')
    .filter((l) => !/^set lock_timeout/i.test(l)) as [string, string];
  const createIndex = `create index concurrently if not exists ${index} on public.${c.table} (${c.column});`;
  const dropIndex = `drop index concurrently if exists public.${index};`;
  const dropConstraint = `alter table public.${c.table} drop constraint if exists ${constraint};`;
  return {
    constraint,
    index,
    add,
    validate,
    createIndex,
    dropIndex,
    dropConstraint,
    up: [add, validate, createIndex].join('\n'),
    down: [dropIndex, dropConstraint].join('\n'),
  };
}

/** Pure: the query counting the rows of `table` whose `column` points at no row of `target` (what VALIDATE would reject). */
export function orphanCountSql(t: { table: string; column: string; target: string }): string {
  return `select count(*) from public.${t.table} c where c.${t.column} is not null and not exists (select 1 from public.${t.target} p where p.id = c.${t.column});`;
}

/** Pure: the cleanup of those rows: SET NULL for a nullable column, otherwise DELETE (both destructive: proposed, never run unapproved). */
export function orphanCleanupSql(t: { table: string; column: string; target: string; nullable?: boolean | null }): string {
  const where = `where ${t.column} is not null and not exists (select 1 from public.${t.target} p where p.id = ${t.table}.${t.column})`;
  return t.nullable ? `update public.${t.table} set ${t.column} = null ${where};` : `delete from public.${t.table} ${where};`;
}

/** `version` plus n seconds, in the same stamp format. */
function versionPlus(version: string, n: number): string {
  const d = new Date(Date.UTC(+version.slice(0, 4), +version.slice(4, 6) - 1, +version.slice(6, 8), +version.slice(8, 10), +version.slice(10, 12), +version.slice(12, 14)) + n * 1000);
  return versionOf(d);
}

/**
 * Pure: the foreign-key fix as migrations that are safe on a table holding rows, applied in order:
 * the keys NOT VALID under a lock_timeout (a short ACCESS EXCLUSIVE lock, no scan), then VALIDATE in
 * its own file (its own transaction: the scan holds only SHARE UPDATE EXCLUSIVE, writes go on), then
 * each covering index CONCURRENTLY, one per file (it cannot run in a transaction).
 */
export function foreignKeyMigrations(targets: Array<{ table: string; column: string; target: string; nullable?: boolean | null }>, version: string): StagedMigration[] {
  const parts = targets.map((t) => foreignKeySql(t));
  const tables = [...new Set(targets.map((t) => t.table))];
  const mk = (n: number, name: string, up: string, down: string): StagedMigration => {
    const v = versionPlus(version, n);
    return { version: v, name, upPath: migrationPath(v, name), downPath: rollbackPath(v, name), up, down, findings: [], destructive: false };
  };
  const out = [
    mk(0, `add_${tables.join('_')}_foreign_keys`,
      [`-- Adds the foreign keys ${tables.join(', ')} ${tables.length === 1 ? 'was' : 'were'} missing, NOT VALID: existing rows are checked by the next migration.`, "set lock_timeout = '5s';", ...parts.map((p) => p.add)].join('\n') + '\n',
      ['-- Rollback: removes the keys added by the migration of the same version.', ...[...parts].reverse().map((p) => p.dropConstraint)].join('\n') + '\n'),
    mk(1, `validate_${tables.join('_')}_foreign_keys`,
      [
        '-- Checks the existing rows against the new keys in a transaction of its own: VALIDATE holds SHARE UPDATE EXCLUSIVE, so reads and writes go on while it scans.',
        '-- It fails on rows that point at nothing. Count them first on each database:',
        ...targets.map((t) => `--   ${orphanCountSql(t)}`),
        '-- and clean them up with the admin\'s approval (destructive), e.g.:',
        ...targets.map((t) => `--   ${orphanCleanupSql(t)}`),
        "set lock_timeout = '5s';",
        ...parts.map((p) => p.validate),
      ].join('\n') + '\n',
      // Each rollback restores the schema its migration started from (what `migrate execute --dry-run` checks file by file).
      ['-- Rollback: the keys back to NOT VALID, as the previous migration left them (a key is unvalidated only by re-creating it; no scan).', "set lock_timeout = '5s';", ...parts.flatMap((p) => [p.dropConstraint, p.add])].join('\n') + '\n'),
  ];
  parts.forEach((p, i) => out.push(mk(2 + i, p.index, `${p.createIndex}\n`, `${p.dropIndex}\n`)));
  return out;
}

export interface MigratorOutput {
  files: ChangeFile[];
  migrations: StagedMigration[];
}

/** `20261125143022`: the Supabase CLI's UTC version stamp. */
export function versionOf(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function migrator(input: MigratorInput, done: (out: MigratorOutput) => void): AgentTask {
  const causes = input.causes.filter((c) => c.fix === 'foreign-key');
  // BugHunter's schema causes this ticket names (an unindexed key, a key with no ON DELETE action); never the "also found" ones, which the pipeline does not pass.
  const schemaCauses = input.causes.filter(isSchemaFixCause);
  let schemaFixes: SchemaFix[] = [];
  /** Why each staged file exists, by migration name. */
  const reasonOf = new Map<string, string>();
  let orphanItem: ReturnType<typeof item> | null = null;
  const targets = causes
    .map((c) => /^public\.([a-z0-9_]+)\.([a-z0-9_]+)$/.exec(c.subject))
    .filter((m): m is RegExpExecArray => Boolean(m))
    .map((m) => ({ table: m[1]!, column: m[2]!, target: '', nullable: null as boolean | null }));
  let up = '';
  let down = '';
  let migration: StagedMigration | null = null;
  let migrations: StagedMigration[] = [];
  let reasons = { up: 'adds the missing foreign keys (NOT VALID, then VALIDATE) with covering indexes', down: 'its rollback, kept in the repository beside the migrations' };
  let dryRun: { errors: string[]; ms: number; verified: boolean; difference: string[] } = { errors: [], ms: 0, verified: false, difference: [] };
  const output = (): MigratorOutput => ({
    migrations,
    files: migrations.flatMap((m, i) => [
      { path: m.upPath, content: m.up, reason: reasonOf.get(m.name) ?? (i === 0 ? reasons.up : i === 1 ? 'validates the new keys in a transaction of its own (no write-blocking lock)' : 'the covering index, built CONCURRENTLY in a file of its own'), agent: 'MIGRATOR' as const },
      { path: m.downPath, content: m.down, reason: reasons.down, agent: 'MIGRATOR' as const },
    ]),
  });
  return {
    type: 'Migrator',
    priority: 5,
    resources: [...new Set([...targets.map((t) => `table:public.${t.table}`), ...schemaCauses.map((c) => `table:${c.subject.split('.').slice(0, -1).join('.')}`)])],
    phases: {
      async understand(ctx): Promise<PhaseOutcome> {
        ctx.log('info', 'Creating migration...');
        for (const t of targets) t.target = /refers to ([a-z0-9_]+) by name/.exec(causes.find((c) => c.subject === `public.${t.table}.${t.column}`)!.summary)?.[1] ?? '';
        const known = targets.filter((t) => t.target);
        const { files } = readMigrationFiles(input.root);
        for (const t of targets) t.nullable = columnNullable(files, t.table, t.column);
        const action = (t: (typeof targets)[number]) => (t.nullable ? 'on delete set null (nullable column)' : 'no ON DELETE action: deleting a referenced row fails while rows point at it');
        const schemaItems = [];
        if (schemaCauses.length) {
          // The keys as the migrations build them: BugHunter's shadow when it replayed one, else a replay here.
          const snapshot = await schemaSnapshot(input, files);
          const plan = planSchemaFixes(schemaCauses, snapshot);
          schemaFixes = plan.fixes;
          for (const f of plan.fixes) {
            if (f.kind === 'on-delete') {
              schemaItems.push(item(`Mapped ${f.table}.${f.constraint}`, true, `references ${f.references.table} (${f.references.columns.join(', ')}); ${f.action === 'set null' ? `on delete set null (${f.columns.join(', ')} nullable)` : `on delete cascade (${f.columns.join(', ')} NOT NULL: deletes the child rows, so deploying it needs approval; the alternative, keeping the key and not deleting referenced rows, is the reviewer's call)`}`));
              ctx.log('info', `${f.constraint}: on delete ${f.action}${f.action === 'cascade' ? ' (NOT NULL column: destructive, needs approval)' : ` (${f.columns.join(', ')} is nullable)`}`);
            } else schemaItems.push(item(`Mapped ${f.table} (${f.columns.join(', ')})`, true, `index ${f.index} for ${f.constraint}`));
          }
          for (const u of plan.unplanned) schemaItems.push(item(`Mapped ${u.causeId}`, false, u.reason));
        }
        const mapped = targets.length + schemaCauses.length;
        const mappedOk = known.length + schemaItems.filter((i) => i.ok).length;
        return {
          items: [...targets.map((t) => item(`Mapped ${t.table}.${t.column}`, Boolean(t.target), t.target ? `references ${t.target}.id; ${action(t)}` : 'no referenced table found')), ...schemaItems],
          metrics: { confidence: mapped ? Math.round((Math.min(mappedOk, mapped) / mapped) * 100) : 100 },
        };
      },
      async analyze(ctx): Promise<PhaseOutcome> {
        ctx.log('ok', 'Analyzing current schema');
        const { files } = readMigrationFiles(input.root);
        return { items: [item('Read the migration history', files.length > 0, `${files.length} migrations in supabase/migrations`)], metrics: { criticalCycles: 0 } };
      },
      async plan(ctx): Promise<PhaseOutcome> {
        // issue 6 (LLM): Claude writes the SQL with the Migrator's own tools (its proposals are dry-run
        // with a verified rollback); validate below then dry-runs it again like the offline SQL.
        const llm = input.ticket && targets.length ? llmSettings(input.root, ctx.config) : null;
        if (llm) {
          const { proposeWithModel } = await import('./model.js');
          const got = await proposeWithModel({ root: input.root, ticket: input.ticket!, causes, version: versionOf(input.now ?? new Date()), templateCacheDir: input.templateCacheDir ?? templateCacheDir() }, llm, ctx);
          if (got) {
            ({ migration, reasons } = got);
            ({ up, down } = got.migration);
            migrations = [got.migration];
            return got.outcome;
          }
        }
        const version = versionOf(input.now ?? new Date());
        migrations = targets.length ? foreignKeyMigrations(targets, version) : [];
        migrations.forEach((m, i) => reasonOf.set(m.name, i === 0 ? reasons.up : i === 1 ? 'validates the new keys in a transaction of its own (no write-blocking lock)' : 'the covering index, built CONCURRENTLY in a file of its own'));
        if (schemaFixes.length) {
          const fixes = schemaFixMigrations(schemaFixes, stampPlus(version, migrations.length));
          for (const { reason, ...m } of fixes) {
            reasonOf.set(m.name, reason);
            migrations.push(m);
          }
        }
        // Rows the VALIDATE migrations would reject, on the databases this machine can reach.
        const keys: KeyCheck[] = [
          ...targets.filter((t) => t.target).map((t) => ({ table: `public.${t.table}`, constraint: `${t.table}_${t.column}_fkey`, columns: [t.column], references: { table: `public.${t.target}`, columns: ['id'] }, nullable: t.nullable === true })),
          ...schemaFixes.flatMap((f) => (f.kind === 'on-delete' ? [{ table: f.table, constraint: f.constraint, columns: f.columns, references: f.references, nullable: f.nullable }] : [])),
        ];
        if (keys.length && input.orphans) {
          const found = await input.orphans(keys, ctx.signal);
          for (const e of found) for (const line of describeOrphans(e)) ctx.log(e.counts.some((c) => c.count) && !/no row of/.test(line) ? 'warn' : 'info', `Orphans: ${line}`);
          const cleaned = withOrphanCleanup(migrations, found);
          migrations = cleaned.migrations.map((m) => {
            if ('reason' in m) {
              const { reason, ...rest } = m;
              reasonOf.set(rest.name, reason);
              return rest;
            }
            return m;
          });
          const counted = found.filter((e) => !e.skipped);
          for (const c of cleaned.cleanups) ctx.log('warn', `Proposed cleanup of ${c.table} (${c.nullable ? `set ${c.columns.join(', ')} to null` : 'delete the rows'}) staged before VALIDATE ${c.constraint}: destructive, deploying it needs approval`);
          orphanItem = item(
            'Orphans counted before staging',
            true,
            `${counted.length ? counted.map((e) => `${e.env}: ${e.counts.reduce((n, c) => n + c.count, 0)}`).join(', ') : 'no environment database to count in'}${found.some((e) => e.skipped) ? `; not counted: ${found.filter((e) => e.skipped).map((e) => `${e.env} (${e.skipped})`).join(', ')}` : ''}${cleaned.cleanups.length ? `; cleanup staged for approval: ${cleaned.cleanups.map((c) => c.constraint).join(', ')}` : ''}`,
          );
        } else if (keys.length) orphanItem = item('Orphans counted before staging', true, 'no environment database was given to count in: VALIDATE fails on a database holding orphans (the count query is in its migration)');
        migration = migrations[0] ?? null;
        if (!targets.length) {
          const o = schemaPlanOutcome(schemaFixes, migrations);
          return { ...o, items: orphanItem ? [...o.items, orphanItem] : o.items, output: output() };
        }
        ({ up, down } = migration!);
        return {
          items: [
            ...(orphanItem ? [orphanItem] : []),
            item('Failure scenario: existing rows violate a key', true, 'NOT VALID, then VALIDATE in its own migration: the scan blocks no writes, and a violating row fails only that migration'),
            item('Failure scenario: a busy table blocks the ALTER', up.includes('lock_timeout'), "set lock_timeout = '5s'"),
            item('Indexes built without blocking writes', migrations.filter((m) => /^create index/m.test(m.up)).every((m) => /concurrently/.test(m.up)), `${migrations.filter((m) => /^create index/m.test(m.up)).length} index(es) CONCURRENTLY, one per file`),
            item('Planned rollback procedures', down.includes('drop constraint'), `${migrations.length} rollbacks: ${migration!.downPath} drops ${targets.length} key(s), each index has its own`),
          ],
          metrics: { scenarios: 4, mitigated: [true, up.includes('lock_timeout'), true, down.includes('drop constraint')].filter(Boolean).length },
          output: output(),
        };
      },
      async validate(ctx): Promise<PhaseOutcome> {
        if (migrations.length) input.onPlanned?.(output());
        const [{ openShadowDatabase }, { extensionsIn }] = await Promise.all([import('../../src/integrations/postgres/template.js'), import('../../src/integrations/postgres/extensions.js')]);
        const { files } = readMigrationFiles(input.root);
        const extensions = extensionsIn([...files.map((f) => f.sql), ...migrations.map((m) => m.up)]);
        const shared = input.shadow && extensions.every((e) => input.shadow!.extensions.includes(e)) ? input.shadow : null;
        input.shadow = undefined; // the dry run changes it: one use only
        const db = shared?.db ?? (await openShadowDatabase({ cacheDir: input.templateCacheDir ?? templateCacheDir(), extensions }));
        try {
          const replayErrors = shared ? shared.replayed : await replayInto(db, files);
          const before = await takeSnapshot(db);
          const started = performance.now();
          // An extension the shadow lacks (or its stand-in) is a limitation of the dry run, said once, never a failure of the fix.
          const errors: string[] = replayErrors.filter((e) => e.cause !== 'shadow-limitation').map((e) => `${e.file}:${e.line}: ${e.reason}`);
          const notChecked = [...new Set(replayErrors.filter((e) => e.cause === 'shadow-limitation').map((e) => e.extension ?? e.statement))].sort();
          if (notChecked.length) ctx.log('warn', `Not checked in the shadow database: ${notChecked.join(', ')} (PGlite lacks ${notChecked.length === 1 ? 'it' : 'them'}; check on a real Supabase database)`);
          // Each file as the CLI runs it: session reset, one transaction (CONCURRENTLY alone outside).
          for (const m of migrations) {
            const run = await runFile(db, m.upPath, m.up, { keepGoing: true, standIns: true });
            errors.push(...run.diagnoses.filter((d) => d.cause !== 'shadow-limitation').map((d) => `up: ${d.file}:${d.line}: ${d.reason}`));
          }
          const applied = await takeSnapshot(db);
          for (const m of [...migrations].reverse()) {
            const run = await runFile(db, m.downPath, m.down, { keepGoing: true, standIns: true });
            errors.push(...run.diagnoses.filter((d) => d.cause !== 'shadow-limitation').map((d) => `down: ${d.file}:${d.line}: ${d.reason}`));
          }
          const after = await takeSnapshot(db);
          const difference = diffSchemas(before, after).map((d) => `after rollback: ${describeDifference(d)}`);
          dryRun = { errors, ms: Math.round(performance.now() - started), verified: difference.length === 0 && !errors.length, difference };
          const added = diffSchemas(before, applied).length;
          if (dryRun.verified) ctx.log('ok', `Validated migration safety: dry run applied ${added} schema object(s) in ${dryRun.ms} ms; rollback verified`);
          else ctx.log('error', `Dry run failed: ${[...errors, ...difference].join('; ')}`);
          return {
            items: [
              item('Dry run on a shadow database', errors.length === 0, errors.length ? errors.join('; ') : `up applied in ${dryRun.ms} ms, ${added} object(s) added`),
              item('Rollback verified', dryRun.verified, difference.length ? difference.join('; ') : 'schema after rollback equals the schema before'),
            ],
            // No code line to cover: what was measured instead is each statement applied and reverted in the shadow.
            metrics: { coverage: null, ...(dryRun.verified ? { coverageInstead: `no code line changed; the shadow dry run applied the ${migrations.length} migration(s) (${added} schema object(s)) and reverted them; the schema after the rollback equals the one before` } : { coverageBasis: 'the dry run did not pass' }), checksFailed: dryRun.verified ? [] : [`dry run failed: ${[...dryRun.errors, ...dryRun.difference][0] ?? 'the rollback was not verified'}`] },
          };
        } finally {
          if (!shared) await db.close();
        }
      },
      async execute(ctx): Promise<PhaseOutcome> {
        if (!migration) return { items: [item('Migrations and rollbacks assembled', false, 'no migration was planned')], metrics: { preconditions: 1, preconditionsMet: 0 } };
        ctx.log('ok', `Created migration: ${migration.version}_${migration.name}.sql`);
        if (migrations.length > 1) ctx.log('ok', `Then: ${migrations.slice(1).map((m) => `${m.version}_${m.name}.sql`).join(', ')}`);
        return { items: [item('Migrations and rollbacks assembled', migrations.length > 0, migrations.map((m) => `${m.upPath} + ${m.downPath}`).join('; '))], metrics: { preconditions: 1, preconditionsMet: dryRun.verified ? 1 : 0 } };
      },
      async verify(): Promise<PhaseOutcome> {
        done(output());
        return { items: [item('Zero post-execution errors', dryRun.errors.length === 0, `${dryRun.errors.length} dry-run errors`)], metrics: { postErrors: dryRun.errors.length } };
      },
    },
  };
}

/** The schema the project's migrations build: a snapshot of BugHunter's shadow when there is one (read only), else of a replay into a fresh shadow. */
async function schemaSnapshot(input: MigratorInput, files: Array<{ path: string; sql: string }>) {
  if (input.shadow) return takeSnapshot(input.shadow.db);
  const [{ openShadowDatabase }, { extensionsIn }] = await Promise.all([import('../../src/integrations/postgres/template.js'), import('../../src/integrations/postgres/extensions.js')]);
  const db = await openShadowDatabase({ cacheDir: input.templateCacheDir ?? templateCacheDir(), extensions: extensionsIn(files.map((f) => f.sql)) });
  try {
    await replayInto(db, files);
    return await takeSnapshot(db);
  } finally {
    await db.close();
  }
}

/** The plan phase's checklist for schema fixes: keys NOT VALID then VALIDATE apart, indexes CONCURRENTLY one per file, each with a rollback. */
function schemaPlanOutcome(fixes: readonly SchemaFix[], migrations: readonly StagedMigration[]): PhaseOutcome {
  const keys = migrations.filter((m) => /\bnot valid;/.test(m.up));
  const validates = migrations.filter((m) => /\bvalidate constraint\b/.test(m.up));
  const indexes = migrations.filter((m) => /^create index concurrently/m.test(m.up));
  const checks = [
    item('Failure scenario: existing rows violate a key', keys.length === validates.length && validates.every((m) => !/\bnot valid;/.test(m.up)), keys.length ? `${keys.length} key(s) NOT VALID, VALIDATE in ${validates.length} migration(s) of their own` : 'no key changes'),
    item('Failure scenario: a busy table blocks the ALTER', [...keys, ...validates].every((m) => m.up.includes('lock_timeout')), keys.length ? "set lock_timeout = '5s' before each ALTER" : 'no ALTER TABLE: index builds only'),
    item('Indexes built without blocking writes', indexes.every((m) => m.up.trim().split('\n').length === 1), `${indexes.length} index(es) CONCURRENTLY, one statement per file`),
    item('Planned rollback procedures', migrations.length > 0 && migrations.every((m) => m.down.trim().length > 0), `${migrations.length} migration(s), each with its rollback`),
    item('Only the causes that explain the ticket', fixes.length > 0, `${fixes.length} fix(es): ${fixes.map((f) => (f.kind === 'index' ? f.index : `${f.constraint} on delete ${f.action}`)).join(', ')}`),
  ];
  return { items: checks, metrics: { scenarios: checks.length, mitigated: checks.filter((c) => c.ok).length } };
}
