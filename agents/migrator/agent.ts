// The Migrator inside the ticket pipeline: turns missing-foreign-key findings into one migration
// with its rollback, dry-runs both on a shadow database, and proves the rollback restores the schema.
import type { PGlite } from '@electric-sql/pglite';
import type { AgentTask } from '../../src/engine/orchestrator.js';
import { item, type PhaseOutcome } from '../../src/engine/phases.js';
import type { RootCause } from '../bug-hunter/root-cause.js';
import type { ChangeFile, StagedMigration } from '../stage-agent/change-set.js';
import { foreignKeySql, readMigrations, replay } from '../../src/integrations/pg/migrations.js';

export interface MigratorInput {
  root: string;
  causes: RootCause[];
  openShadow: () => Promise<PGlite>;
  now?: Date;
}

export interface MigratorOutput {
  files: ChangeFile[];
  migrations: StagedMigration[];
}

/** `20261125143022`: the Supabase CLI's UTC version stamp. */
export function versionOf(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const SNAPSHOT = `
  select 'constraint' as kind, conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) as def
    from pg_constraint where connamespace = 'public'::regnamespace
  union all
  select 'index', schemaname || '.' || indexname || ' ' || indexdef from pg_indexes where schemaname = 'public'
  union all
  select 'column', table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable from information_schema.columns where table_schema = 'public'
  order by 1, 2`;

async function snapshot(db: PGlite): Promise<string[]> {
  return (await db.query<{ kind: string; def: string }>(SNAPSHOT)).rows.map((r) => `${r.kind}: ${r.def}`);
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
        const { files } = readMigrations(input.root);
        return { items: [item('Read the migration history', files.length > 0, `${files.length} migrations in supabase/migrations`)], metrics: { criticalCycles: 0 } };
      },
      async plan(): Promise<PhaseOutcome> {
        const parts = targets.map((t) => foreignKeySql(t));
        up = [`-- Adds the foreign keys ${[...new Set(targets.map((t) => t.table))].join(', ')} was missing; checked without a long lock.`, "set lock_timeout = '5s';", ...parts.map((p) => p.up)].join('\n') + '\n';
        down = ['-- Rollback: removes the keys and indexes added by the migration of the same version.', ...[...parts].reverse().map((p) => p.down)].join('\n') + '\n';
        const version = versionOf(input.now ?? new Date());
        const tables = [...new Set(targets.map((t) => t.table))];
        const name = `add_${tables.join('_')}_foreign_keys`;
        migration = {
          version,
          name,
          upPath: `supabase/migrations/${version}_${name}.sql`,
          downPath: `supabase/migrations/rollback/${version}_${name}.down.sql`,
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
        const db = await input.openShadow();
        try {
          const replayErrors = await replay(db, readMigrations(input.root).files);
          const before = await snapshot(db);
          const started = performance.now();
          const errors: string[] = replayErrors.map((e) => `${e.file}: ${e.message}`);
          try {
            await db.transaction((tx) => tx.exec(up));
          } catch (err) {
            errors.push(`up: ${(err as Error).message}`);
          }
          const applied = await snapshot(db);
          try {
            await db.transaction((tx) => tx.exec(down));
          } catch (err) {
            errors.push(`down: ${(err as Error).message}`);
          }
          const after = await snapshot(db);
          const difference = [...before.filter((x) => !after.includes(x)).map((x) => `missing after rollback: ${x}`), ...after.filter((x) => !before.includes(x)).map((x) => `left behind by rollback: ${x}`)];
          dryRun = { errors, ms: Math.round(performance.now() - started), verified: difference.length === 0 && !errors.length, difference };
          const added = applied.filter((x) => !before.includes(x)).length;
          if (dryRun.verified) ctx.log('ok', `Validated migration safety: dry run applied ${added} schema object(s) in ${dryRun.ms} ms; rollback verified`);
          return {
            items: [
              item('Dry run on a shadow database', errors.length === 0, errors.length ? errors.join('; ') : `up applied in ${dryRun.ms} ms, ${added} object(s) added`),
              item('Rollback verified', dryRun.verified, difference.length ? difference.join('; ') : 'schema after rollback equals the schema before'),
            ],
            metrics: { coverage: dryRun.verified ? 100 : 0 },
          };
        } finally {
          await db.close();
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
            { path: m.upPath, content: m.up, reason: 'adds the missing foreign keys (NOT VALID, then VALIDATE) with covering indexes', agent: 'MIGRATOR' },
            { path: m.downPath, content: m.down, reason: 'its rollback, kept in the repository beside the migrations', agent: 'MIGRATOR' },
          ],
        });
        return { items: [item('Zero post-execution errors', dryRun.errors.length === 0, `${dryRun.errors.length} dry-run errors`)], metrics: { postErrors: dryRun.errors.length } };
      },
    },
  };
}
