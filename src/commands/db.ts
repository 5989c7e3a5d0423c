// The database commands (issue 16, seed 5.1 and 5.2): db sql, db analyze performance, db optimize
// table, db vacuum full. Declared here; what they do is in db-run.ts, imported when one runs.
import { defineCommand } from './types.js';

const ENVS = ['staging', 'production'] as const;
const heavy = () => import('./db-run.js');

export const dbSql = defineCommand({
  name: 'db sql',
  summary: 'Run SQL on an environment\'s database: read-only statements run; one that writes needs the destructive-change approval, runs in a transaction with lock_timeout, and is audited',
  group: 'database',
  risk: 'destructive',
  policy: 'databaseDestructive',
  args: [{ name: 'statement', description: 'the SQL (quote it); several statements separated by ; run in one transaction', required: true, variadic: true }],
  flags: [{ name: 'env', type: 'string', placeholder: 'NAME', values: ENVS, description: 'staging or production (default production)' }],
  schema: (z) => z.object({ statement: z.string(), env: z.optional(z.enum(ENVS)) }),
  keywords: ['sql', 'query', 'select from'],
  examples: ['agent db sql "select count(*) from customers" --env staging', 'agent db sql "drop table old_imports" --env production'],
  async run(ctx, args) {
    return (await heavy()).dbSqlRun(ctx, args);
  },
});

export const dbAnalyzePerformance = defineCommand({
  name: 'db analyze performance',
  summary: 'Unindexed foreign keys (each fix staged as a migration), duplicate indexes; on a server also the slowest statements, sequential scans, dead rows and cache hit ratio',
  group: 'database',
  risk: 'write',
  policy: 'codeGeneration',
  flags: [
    { name: 'env', type: 'string', placeholder: 'NAME', values: ENVS, description: 'staging or production (default production)' },
    { name: 'no-stage', type: 'boolean', description: 'only report; stage no migration' },
  ],
  schema: (z) => z.object({ env: z.optional(z.enum(ENVS)), noStage: z.optional(z.boolean()) }),
  keywords: ['performance', 'slow queries', 'missing index', 'analyze database'],
  examples: ['agent db analyze performance', 'agent db analyze performance --env staging --no-stage'],
  async run(ctx, args) {
    return (await heavy()).dbAnalyzePerformanceRun(ctx, args);
  },
});

export const dbOptimizeTable = defineCommand({
  name: 'db optimize table',
  summary: 'VACUUM (ANALYZE) a table, then REINDEX CONCURRENTLY where its dead rows say the indexes are bloated (server only); sizes before and after',
  group: 'database',
  risk: 'write',
  idempotent: true,
  args: [{ name: 'name', description: 'the table (schema.table, default schema public)', required: true }],
  flags: [{ name: 'env', type: 'string', placeholder: 'NAME', values: ENVS, description: 'staging or production (default production)' }],
  schema: (z) => z.object({ name: z.string(), env: z.optional(z.enum(ENVS)) }),
  keywords: ['optimize table', 'vacuum analyze', 'reindex'],
  examples: ['agent db optimize table estimates', 'agent db optimize table public.jobs --env staging'],
  async run(ctx, args) {
    return (await heavy()).dbOptimizeTableRun(ctx, args);
  },
});

export const dbVacuumFull = defineCommand({
  name: 'db vacuum full',
  summary: 'VACUUM FULL a table (or the whole database): rewrites it under an ACCESS EXCLUSIVE lock; destructive-change approval with typed confirmation; shows the lock and size first',
  group: 'database',
  risk: 'destructive',
  policy: 'databaseDestructive',
  args: [{ name: 'table', description: 'the table (default: every table of the database)' }],
  flags: [{ name: 'env', type: 'string', placeholder: 'NAME', values: ENVS, description: 'staging or production (default production)' }],
  schema: (z) => z.object({ table: z.optional(z.string()), env: z.optional(z.enum(ENVS)) }),
  keywords: ['vacuum full', 'reclaim space'],
  examples: ['agent db vacuum full estimates', 'agent db vacuum full --env staging'],
  async run(ctx, args) {
    return (await heavy()).dbVacuumFullRun(ctx, args);
  },
});
