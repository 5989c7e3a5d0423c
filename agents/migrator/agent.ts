// The Migrator inside the ticket pipeline: turns missing-foreign-key findings into one migration
// with its rollback, dry-runs both on a shadow database (from the cached template), and proves the
// rollback restores the schema (snapshots compared with the migrator's schema differ).
import type { AgentTask } from '../../src/engine/orchestrator.js';
import { item, type PhaseOutcome } from '../../src/engine/phases.js';
import type { RootCause } from '../bug-hunter/root-cause.js';
import type { ChangeFile, StagedMigration } from '../stage-agent/change-set.js';
import { readMigrationFiles } from './files.js';
import { foreignKeyFixSql } from './schema-lints.js';
import { migrationPath, rollbackPath } from './rollback-store.js';
import { templateCacheDir } from '../../src/integrations/postgres/cache-dir.js';
import { replayInto, type ShadowDb } from './shadow.js';
import type { Diagnosis } from './run-sql.js';
import { takeSnapshot } from './schema-snapshot.js';
import { describeDifference, diffSchemas } from './schema-diff.js';
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
  /** @deprecated ignored: the shadow comes from the migrator's template (kept until the pipeline stops passing it). */
  now?: Date;
}


/** Pure: the key (NOT VALID, then VALIDATE) with a covering index, and its rollback. */
export function foreignKeySql(c: { table: string; column: string; target: string }): { up: string; down: string; constraint: string; index: string } {
  const constraint = `${c.table}_${c.column}_fkey`;
  const index = `${c.table}_${c.column}_idx`;
  const key = foreignKeyFixSql(`public.${c.table}`, c.column, `public.${c.target}`, 'id')
    .split('\n')
    .filter((l) => !/^set lock_timeout/i.test(l));
  return {
    constraint,
    index,
    up: [...key, `create index if not exists ${index} on public.${c.table} (${c.column});`].join('\n'),
    down: [`drop index if exists public.${index};`, `alter table public.${c.table} drop constraint if exists ${constraint};`].join('\n'),
  };
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
  const targets = causes
    .map((c) => /^public\.([a-z0-9_]+)\.([a-z0-9_]+)$/.exec(c.subject))
    .filter((m): m is RegExpExecArray => Boolean(m))
    .map((m) => ({ table: m[1]!, column: m[2]!, target: '' }));
  let up = '';
  let down = '';
  let migration: StagedMigration | null = null;
  let reasons = { up: 'adds the missing foreign keys (NOT VALID, then VALIDATE) with covering indexes', down: 'its rollback, kept in the repository beside the migrations' };
  let dryRun: { errors: string[]; ms: number; verified: boolean; difference: string[] } = { errors: [], ms: 0, verified: false, difference: [] };
  return {
    type: 'Migrator',
    priority: 5,
    resources: [...new Set(targets.map((t) => `table:public.${t.table}`))],
    phases: {
      async understand(ctx): Promise<PhaseOutcome> {
        ctx.log('info', 'Creating migration...');
        for (const t of targets) t.target = /refers to ([a-z0-9_]+) by name/.exec(causes.find((c) => c.subject === `public.${t.table}.${t.column}`)!.summary)?.[1] ?? '';
        const known = targets.filter((t) => t.target);
        return {
          items: targets.map((t) => item(`Mapped ${t.table}.${t.column}`, Boolean(t.target), t.target ? `references ${t.target}.id` : 'no referenced table found')),
          metrics: { confidence: targets.length ? Math.round((known.length / targets.length) * 100) : 100 },
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
            return got.outcome;
          }
        }
        const parts = targets.map((t) => foreignKeySql(t));
        up = [`-- Adds the foreign keys ${[...new Set(targets.map((t) => t.table))].join(', ')} was missing; checked without a long lock.`, "set lock_timeout = '5s';", ...parts.map((p) => p.up)].join('\n') + '\n';
        down = ['-- Rollback: removes the keys and indexes added by the migration of the same version.', ...[...parts].reverse().map((p) => p.down)].join('\n') + '\n';
        const version = versionOf(input.now ?? new Date());
        const tables = [...new Set(targets.map((t) => t.table))];
        const name = `add_${tables.join('_')}_foreign_keys`;
        migration = {
          version,
          name,
          upPath: migrationPath(version, name),
          downPath: rollbackPath(version, name),
          up,
          down,
          findings: [],
          destructive: false,
        };
        return {
          items: [
            item('Failure scenario: existing rows violate a key', true, 'NOT VALID then VALIDATE: the check runs without blocking writes, and a violation fails the migration atomically'),
            item('Failure scenario: a busy table blocks the ALTER', up.includes('lock_timeout'), "set lock_timeout = '5s'"),
            item('Planned rollback procedures', down.includes('drop constraint'), `${migration.downPath} drops ${parts.length} key(s) and index(es)`),
          ],
          metrics: { scenarios: 3, mitigated: [true, up.includes('lock_timeout'), down.includes('drop constraint')].filter(Boolean).length },
        };
      },
      async validate(ctx): Promise<PhaseOutcome> {
        const [{ openShadowDatabase }, { extensionsIn }] = await Promise.all([import('../../src/integrations/postgres/template.js'), import('../../src/integrations/postgres/extensions.js')]);
        const { files } = readMigrationFiles(input.root);
        const extensions = extensionsIn([...files.map((f) => f.sql), up]);
        const shared = input.shadow && extensions.every((e) => input.shadow!.extensions.includes(e)) ? input.shadow : null;
        input.shadow = undefined; // the dry run changes it: one use only
        const db = shared?.db ?? (await openShadowDatabase({ cacheDir: input.templateCacheDir ?? templateCacheDir(), extensions }));
        try {
          const replayErrors = shared ? shared.replayed : await replayInto(db, files);
          const before = await takeSnapshot(db);
          const started = performance.now();
          const errors: string[] = replayErrors.map((e) => `${e.file}:${e.line}: ${e.reason}`);
          try {
            await db.transaction((tx) => tx.exec(up));
          } catch (err) {
            errors.push(`up: ${(err as Error).message}`);
          }
          const applied = await takeSnapshot(db);
          try {
            await db.transaction((tx) => tx.exec(down));
          } catch (err) {
            errors.push(`down: ${(err as Error).message}`);
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
            metrics: { coverage: 100 /* the dry run runs every statement, up and down */, checksFailed: dryRun.verified ? [] : [`dry run failed: ${[...dryRun.errors, ...dryRun.difference][0] ?? 'the rollback was not verified'}`] },
          };
        } finally {
          if (!shared) await db.close();
        }
      },
      async execute(ctx): Promise<PhaseOutcome> {
        ctx.log('ok', `Created migration: ${migration!.version}_${migration!.name}.sql`);
        return { items: [item('Migration and rollback assembled', Boolean(migration), `${migration!.upPath} + ${migration!.downPath}`)], metrics: { preconditions: 1, preconditionsMet: dryRun.verified ? 1 : 0 } };
      },
      async verify(): Promise<PhaseOutcome> {
        const m = migration!;
        done({
          migrations: [m],
          files: [
            { path: m.upPath, content: m.up, reason: reasons.up, agent: 'MIGRATOR' },
            { path: m.downPath, content: m.down, reason: reasons.down, agent: 'MIGRATOR' },
          ],
        });
        return { items: [item('Zero post-execution errors', dryRun.errors.length === 0, `${dryRun.errors.length} dry-run errors`)], metrics: { postErrors: dryRun.errors.length } };
      },
    },
  };
}
