// migrate status | lint | "<change>" | execute [--dry-run], generate migration "<change>": declared
// here; what they do is in migrate-run.ts (status, lint, execute) and engine/migrate-change.ts (the
// Migrator's six phases on a description), imported when one runs.
import type { ZodMini } from '../config/zod-mini.js';
import { defineCommand } from './types.js';

const ENVS = ['staging', 'production'] as const;
const envFlag = { name: 'env', type: 'string', placeholder: 'NAME', values: ENVS, description: "the environment whose database to use: staging or production (default production: DATABASE_URL's, or the embedded .agent/pgdata/production)" } as const;
const heavy = () => import('./migrate-run.js');

// ── migrate status | lint ─────────────────────────────────────────────────────────────────────

export const migrateStatus = defineCommand({
  name: 'migrate status',
  summary: 'Local migrations vs the applied history (LOCAL │ REMOTE │ TIME): pending, missing locally, edited after applying',
  group: 'database',
  risk: 'read',
  flags: [envFlag],
  schema: (z) => z.object({ env: z.optional(z.enum(ENVS)) }),
  keywords: ['migrations', 'migration status', 'pending migrations'],
  examples: ['agent migrate status', 'agent migrate status --env staging', 'agent migrate status --json'],
  async run(ctx, args) {
    return (await heavy()).migrateStatusRun(ctx, args);
  },
});

export const migrateLint = defineCommand({
  name: 'migrate lint',
  summary: 'Safety linter over migration files (default: the pending ones); exit 1 on an error-level finding',
  group: 'database',
  risk: 'read',
  args: [{ name: 'files', description: 'migration files (default: pending migrations and the newest staged set)', variadic: true }],
  flags: [envFlag],
  schema: (z) => z.object({ files: z.optional(z.string()), env: z.optional(z.enum(ENVS)) }),
  keywords: ['lint', 'migration safety', 'squawk'],
  examples: ['agent migrate lint', 'agent migrate lint supabase/migrations/20251104090000_create_invoices.sql --json'],
  async run(ctx, args) {
    return (await heavy()).migrateLintRun(ctx, args);
  },
});

// ── migrate "<change>" / generate migration "<change>" ────────────────────────────────────────

const changeArg = [{ name: 'change', description: 'the change in plain words: "add column notes text to jobs"', required: true, variadic: true }] as const;
const changeSchema = (z: ZodMini) => z.object({ change: z.string() });

export const migrateChange = defineCommand({
  name: 'migrate',
  summary: 'SQL from a plain description (offline): migration + rollback, linted, rollback checked in a shadow, staged for review',
  group: 'database',
  risk: 'write',
  policy: 'codeGeneration',
  args: changeArg,
  schema: changeSchema,
  keywords: ['migrate', 'migration', 'schema change', 'add column', 'create table'],
  examples: ['agent migrate "Add customer preferences table with JSONB column"', 'agent migrate "add index on estimates(job_id)"'],
  run: async (ctx, args) => (await import('../engine/migrate-change.js')).migrateChange(ctx, args.change),
});

export const generateMigration = defineCommand({
  name: 'generate migration',
  summary: 'Same as `agent migrate "<change>"`: a staged migration and its rollback from a plain description',
  group: 'database',
  risk: 'write',
  policy: 'codeGeneration',
  args: changeArg,
  schema: changeSchema,
  examples: ['agent generate migration "add column notes text to jobs"'],
  run: async (ctx, args) => (await import('../engine/migrate-change.js')).migrateChange(ctx, args.change),
});

// ── migrate execute [--dry-run] ───────────────────────────────────────────────────────────────

export const migrateExecute = defineCommand({
  name: 'migrate execute',
  summary: 'Apply the pending migrations (and the newest staged set) to the target; --dry-run tries them in a shadow with a verified rollback',
  group: 'database',
  risk: 'deploy', idempotent: true,
  policy: 'databaseDestructive',
  flags: [
    { name: 'dry-run', type: 'boolean', description: 'shadow database: replay, apply and time, estimate rows, roll back and compare' },
    { name: 'include-all', type: 'boolean', description: 'also apply pending files older than the newest applied one' },
    envFlag,
    { name: 'with-data', type: 'boolean', description: "with --dry-run: also try the pending migrations on the environment's rows (embedded: a copy of its data directory; Postgres: a transaction rolled back, lock_timeout 5s)" },
    { name: 'recreate', type: 'boolean', description: 'rebuild a missing or damaged embedded database from the migrations (a damaged one is moved aside first; its rows are lost)' },
  ],
  schema: (z) => z.object({ dryRun: z.optional(z.boolean()), includeAll: z.optional(z.boolean()), env: z.optional(z.enum(ENVS)), recreate: z.optional(z.boolean()), withData: z.optional(z.boolean()) }),
  keywords: ['execute migration', 'apply migrations', 'dry run', 'db push'],
  examples: ['agent migrate execute --dry-run', 'agent migrate execute', 'agent migrate execute --env staging'],
  async run(ctx, args) {
    return (await heavy()).migrateExecuteRun(ctx, args);
  },
});
