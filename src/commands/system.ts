// The admin's safety net (issue 16): system backup create (alias db create backup), system
// backups, system restore from <backup_id|time>, system keys. Declared here; what they do is in
// system-run.ts, imported when one runs.
import type { DatabaseTarget, EnvName } from '../engine/environments.js';
import type { BackupManifest } from '../engine/backup.js';
import { defineCommand, type CommandContext } from './types.js';

const ENVS = ['staging', 'production'] as const;
const envFlag = { name: 'env', type: 'string', placeholder: 'NAME', values: ENVS, description: 'the environment whose database to back up: staging or production (default production)' } as const;
const heavy = () => import('./system-run.js');

const createDef = {
  summary: 'Back up an environment\'s database (data directory, or pg_dump of a server), the state database and the audit head, with sha256 checksums',
  group: 'admin' as const,
  risk: 'write' as const,
  flags: [envFlag],
  schema: (z: import('../config/zod-mini.js').ZodMini) => z.object({ env: z.optional(z.enum(ENVS)) }),
  async run(ctx: CommandContext, args: { env?: EnvName }) {
    return (await heavy()).systemBackupCreateRun(ctx, args);
  },
};

export const systemBackupCreate = defineCommand({
  name: 'system backup create',
  ...createDef,
  keywords: ['backup', 'back up', 'snapshot database'],
  examples: ['agent system backup create', 'agent system backup create --env staging'],
});

export const dbCreateBackup = defineCommand({
  name: 'db create backup',
  ...createDef,
  summary: 'Same as `agent system backup create`',
  group: 'database',
  keywords: ['db backup', 'create backup', 'database backup'],
  examples: ['agent db create backup', 'agent db create backup --env staging'],
});

export const systemBackups = defineCommand({
  name: 'system backups',
  summary: 'The backups under .agent/backups: id, environment, time, size, schema version, what each holds',
  group: 'admin',
  risk: 'read',
  idempotent: true,
  flags: [{ name: 'env', type: 'string', placeholder: 'NAME', values: ENVS, description: 'only this environment\'s backups' }],
  schema: (z) => z.object({ env: z.optional(z.enum(ENVS)) }),
  keywords: ['backups', 'list backups'],
  examples: ['agent system backups', 'agent system backups --env production --json'],
  async run(ctx, args) {
    return (await heavy()).systemBackupsRun(ctx, args);
  },
});

export const systemRestore = defineCommand({
  name: 'system restore from',
  summary: 'Restore an environment\'s database, the state database and the audit head from a backup (or the newest at or before a time); typed confirmation; backs up what it replaces first',
  group: 'admin',
  risk: 'destructive',
  policy: 'databaseDestructive',
  args: [{ name: 'backup', description: 'a backup id (BK-…) or a time: the newest backup at or before it (2026-12-02T15:00Z, 2026-12-02, 2h ago as 2h)', required: true, variadic: true }],
  flags: [{ name: 'env', type: 'string', placeholder: 'NAME', values: ENVS, description: 'with a time: whose backups to choose from (default production)' }],
  schema: (z) => z.object({ backup: z.string(), env: z.optional(z.enum(ENVS)) }),
  keywords: ['restore', 'point in time', 'recover database'],
  examples: ['agent system restore from BK-20261202-170512-042', 'agent system restore from 2026-12-02T15:00Z', 'agent system restore from 2h --env staging'],
  async run(ctx, args) {
    return (await heavy()).systemRestoreRun(ctx, args);
  },
});

export const systemKeys = defineCommand({
  name: 'system keys',
  summary: 'Which credentials are configured, where each comes from (environment or .env), masked (never the value), and when a health check last used it',
  group: 'admin',
  risk: 'read',
  idempotent: true,
  keywords: ['keys', 'credentials', 'secrets', 'api keys'],
  examples: ['agent system keys', 'agent system keys --json'],
  async run(ctx) {
    return (await heavy()).systemKeysRun(ctx);
  },
});

/**
 * The backup a production deploy takes first (config backups.beforeProductionDeploy, default on),
 * under the database's lock; deploy takes the lock again for itself right after.
 */
export async function backupBeforeDeploy(ctx: CommandContext, target: DatabaseTarget): Promise<BackupManifest | null> {
  return (await heavy()).backupBeforeDeploy(ctx, target);
}
