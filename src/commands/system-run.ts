// What the backup, restore and keys commands do when they run (issue 16); src/commands/system.ts
// declares them and imports this module only then. The disk work is integrations/backup-files.ts,
// the decisions engine/backup.ts; both are loaded with import() too.
import { join } from 'node:path';
import { UsageError, WorkFailedError } from '../errors.js';
import type { CredentialName } from '../config/secrets.js';
import type { DatabaseTarget, EnvName } from '../engine/environments.js';
import type { BackupManifest, BackupReason } from '../engine/backup.js';
import type { CommandContext, CommandResult } from './types.js';

const AGENT = 'ORCHESTRATOR';
const ENVS = ['staging', 'production'] as const;
let holderSeq = 0;

const files = () => import('../integrations/backup-files.js');
const logic = () => import('../engine/backup.js');

async function targetOf(ctx: CommandContext, env: EnvName): Promise<DatabaseTarget> {
  const { databaseFor } = await import('../engine/environments.js');
  return databaseFor(ctx, env);
}

/** Holds the environment's database lock while `fn` runs: no deploy, rollback or migrate meanwhile. */
async function underLock<T>(ctx: CommandContext, target: DatabaseTarget, fn: () => Promise<T>): Promise<T> {
  const { holdLocks, databaseLock } = await import('../engine/locks.js');
  const release = await holdLocks(ctx.state(), `BACKUP-${process.pid}-${++holderSeq}`, [databaseLock(target.identity)], {
    signal: ctx.signal,
    announce: (held) => ctx.out.line(AGENT, 'info', `Waiting for ${held.join(', ')} to finish with the ${target.env} database`),
  });
  try {
    return await fn();
  } finally {
    release();
  }
}

async function backupNow(ctx: CommandContext, target: DatabaseTarget, reason: BackupReason): Promise<BackupManifest> {
  const { createBackup } = await files();
  return createBackup({ root: ctx.project.root, state: ctx.state(), target, reason, by: `${ctx.initiator} (${reason})`, log: (m) => ctx.out.line(AGENT, 'info', m), deferDataDir: reason === 'pre-restore' });
}

function describeCopy(m: BackupManifest, fmt: (n: number) => string): string {
  const db =
    m.database.kind === 'embedded' ? `the data directory (${m.database.source})` : m.database.kind === 'pg_dump' ? `a ${m.database.tool} custom-format dump of ${m.database.source}` : m.database.kind === 'logical' ? `a logical dump through the driver of ${m.database.source} (pg_dump is not installed here: tables, sequences, rows, constraints and indexes only)` : `no database: ${m.database.note}`;
  return `${db}, the state database (schema step ${m.stateSchema}) and the audit head #${m.audit?.seq ?? 0}; ${m.files.length} files, ${fmt(m.bytes)}, sha256 in manifest.json`;
}

/** Retention by count and age (config `backups`); never the backups named in `protect`. */
async function applyRetention(ctx: CommandContext, protect: string[]): Promise<string[]> {
  const [{ listBackups, removeBackup }, { retentionPlan }] = await Promise.all([files(), logic()]);
  const policy = ctx.project.config().backups;
  const plan = retentionPlan(listBackups(ctx.project.root).backups, policy, new Date(), new Set(protect));
  for (const r of plan) {
    await removeBackup(ctx.project.root, r.id);
    ctx.out.line(AGENT, 'info', `Removed backup ${r.id} (${r.why}; config backups.keep ${policy.keep}, backups.maxAgeDays ${policy.maxAgeDays})`);
  }
  return plan.map((r) => r.id);
}

function manifestView(m: BackupManifest, root: string) {
  return {
    id: m.id,
    env: m.env,
    createdAt: m.createdAt,
    reason: m.reason,
    by: m.by,
    database: m.database,
    schemaVersion: m.schemaVersion,
    stateSchema: m.stateSchema,
    auditHead: m.audit,
    files: m.files.length,
    bytes: m.bytes,
    ms: m.ms,
    path: join(root, '.agent', 'backups', m.id),
  };
}

export async function systemBackupCreateRun(ctx: CommandContext, args: { env?: EnvName }): Promise<CommandResult> {
  const env = args.env ?? 'production';
  const target = await targetOf(ctx, env);
  const { formatBytes } = await logic();
  const m = await ctx.out.spin(`Backing up ${env} (${target.description}) and the state database…`, underLock(ctx, target, () => backupNow(ctx, target, 'manual')));
  const { appendAudit } = await import('../engine/audit.js');
  appendAudit(ctx.state(), { initiator: ctx.initiator, agent: AGENT, action: 'system.backup', approval: ctx.approvalIds(), target: `${env} (${target.description})`, files: [`.agent/backups/${m.id}`], result: `${m.id}: ${m.files.length} files, ${m.bytes} bytes` });
  ctx.out.line(AGENT, 'ok', `Backup ${m.id} of ${env} in ${(m.ms / 1000).toFixed(1)} s: ${describeCopy(m, formatBytes)}`);
  ctx.out.line(AGENT, 'info', `Restore it with \`agent system restore from ${m.id}\``);
  const removed = await applyRetention(ctx, [m.id]);
  return { data: { backup: manifestView(m, ctx.project.root), removed } };
}

/** Which backup `ref` names: an id, or a time (the newest backup of the environment at or before it). */
async function pickBackup(ctx: CommandContext, ref: string, env: EnvName | undefined): Promise<BackupManifest> {
  const [{ listBackups }, { isBackupId, parseAt, backupAtOrBefore }] = await Promise.all([files(), logic()]);
  const { backups, unreadable } = listBackups(ctx.project.root);
  if (isBackupId(ref)) {
    const m = backups.find((b) => b.id === ref);
    if (m) return m;
    const bad = unreadable.find((u) => u.id === ref);
    if (bad) throw new WorkFailedError(`${ref} cannot be restored: ${bad.why}`);
    throw new UsageError(`${ref}: no such backup; \`agent system backups\` lists them`);
  }
  const at = parseAt(ref, new Date());
  if (!at) throw new UsageError(`"${ref}" is neither a backup id (BK-20261202-170512-042) nor a time (2026-12-02T15:00Z, 2026-12-02, 2h); \`agent system backups\` lists the backups`);
  const found = backupAtOrBefore(backups, env ?? 'production', at);
  if (found.type === 'none') throw new UsageError(`no backup to restore ${env ?? 'production'} to ${at.toISOString()}: ${found.reason}`);
  ctx.out.line(AGENT, 'info', `Point in time ${at.toISOString()}: the newest ${found.backup.env} backup at or before it is ${found.backup.id} (${found.backup.createdAt})${found.newer ? `; ${found.newer} newer backup(s) are after that time` : ''}`);
  return found.backup;
}

export async function systemBackupsRun(ctx: CommandContext, args: { env?: EnvName }): Promise<CommandResult> {
  const [{ listBackups }, { sortNewestFirst, describeHoldings, formatBytes }, { table, makeStyle }] = await Promise.all([files(), logic(), import('../cli/style.js')]);
  const listed = listBackups(ctx.project.root);
  const all = sortNewestFirst(listed.backups.filter((m) => !args.env || m.env === args.env));
  if (!all.length) ctx.out.print(`No backups${args.env ? ` of ${args.env}` : ''} yet: \`agent system backup create\``);
  else
    ctx.out.print(
      table(
        ['ID', 'ENV', 'TIME (UTC)', 'SIZE', 'SCHEMA', 'WHY', 'HOLDS'],
        all.map((m) => [m.id, m.env, m.createdAt.slice(0, 19).replace('T', ' '), formatBytes(m.bytes), m.schemaVersion ?? '-', m.reason, describeHoldings(m)]),
        makeStyle(ctx.out.color),
      ),
    );
  for (const u of listed.unreadable) ctx.out.line(AGENT, 'warn', `.agent/backups/${u.id} is not a backup that can be restored: ${u.why}`);
  return { data: { backups: all.map((m) => manifestView(m, ctx.project.root)), unreadable: listed.unreadable } };
}

export async function systemRestoreRun(ctx: CommandContext, args: { backup: string; env?: EnvName }): Promise<CommandResult> {
  const root = ctx.project.root;
  const m = await pickBackup(ctx, args.backup.trim(), args.env);
  if (args.env && args.env !== m.env) throw new UsageError(`${m.id} is a backup of ${m.env}, not ${args.env}`);
  const target = await targetOf(ctx, m.env);
  const kinds = target.kind === 'embedded' ? ['embedded', 'absent'] : ['pg_dump', 'logical'];
  if (!kinds.includes(m.database.kind)) throw new UsageError(`${m.id} holds ${m.database.kind === 'embedded' ? 'an embedded data directory' : 'a dump of a server'} of ${m.env}, but ${m.env} is now ${target.description}; set environments.${m.env}.database back to what it was, or restore a backup taken since`);
  const B = await files();
  const L = await logic();
  // Where the restore spends its time (ms from here), in --json: bench/backup.mjs reads it.
  const t0 = performance.now();
  const took: Record<string, number> = {};
  const mark = (step: string) => (took[step] = Math.round(performance.now() - t0));
  const sums = await ctx.out.spin(`Checking ${m.id}'s ${m.files.length} files against their sha256…`, B.verifyBackupFiles(root, m));
  if (!sums.ok) throw new WorkFailedError(`${m.id} does not match its manifest: ${L.describeChecksumFailure(sums)}; nothing was restored`);
  mark('checksums');
  ctx.out.line(AGENT, 'ok', `${m.id}: ${m.files.length} files match their sha256 (${L.formatBytes(m.bytes)})`);
  await ctx.requireApproval({
    category: 'databaseDestructive',
    action: `restore ${m.env} (${target.description}), the state database and the audit trail from ${m.id} (${m.createdAt})`,
    touches: [target.kind === 'embedded' ? target.dataDir : target.description, '.agent/state.db', '.agent/audit.head'],
    summary: `What ${m.env}'s database, the tickets, approvals, deployments and the audit trail hold now is replaced by ${m.id}; a backup of it is taken first.`,
    requestedBy: AGENT,
    resume: { command: 'system restore from', args: { backup: m.id } },
  });
  const state = ctx.state();
  const [audit, { takeSnapshot }, { diffSchemas, describeDifference }, { openEnvironmentDatabase, forgetEmbedded }, { rmSync, existsSync, readFileSync, renameSync }] = await Promise.all([
    import('../engine/audit.js'),
    import('../../agents/migrator/schema-snapshot.js'),
    import('../../agents/migrator/schema-diff.js'),
    import('../integrations/env-database.js'),
    import('node:fs'),
  ]);
  const approval = ctx.approvalIds();
  const dir = join(B.backupsRoot(root), m.id);
  const outcome = await underLock(ctx, target, async () => {
    // The backup's directory is copied in beside the live one (cp on the other core) while the
    // pre-restore backup opens and hashes the live one: the two read and write different files.
    const copying = target.kind === 'embedded' && m.database.kind === 'embedded' ? B.copyIncoming(root, m, target) : null;
    let pre: BackupManifest;
    try {
      pre = await backupNow(ctx, target, 'pre-restore');
      mark('preRestoreBackup');
    } catch (err) {
      const incoming = await copying?.catch(() => null);
      if (incoming) rmSync(incoming, { recursive: true, force: true });
      throw err;
    }
    ctx.out.line(AGENT, 'ok', `Backed up what the restore replaces: ${pre.id} (${L.formatBytes(pre.bytes)})`);
    if (target.kind === 'embedded') {
      if (copying) {
        try {
          const incoming = await copying;
          mark('copiedIn');
          await B.swapInEmbedded(root, incoming, target, pre);
        } catch (err) {
          // The live directory was not moved: the pre-restore backup (listing its files) is incomplete.
          if (pre.database.kind === 'embedded' && !existsSync(join(B.backupsRoot(root), pre.id, 'pgdata'))) await B.removeBackup(root, pre.id);
          throw err;
        }
      } else {
        // The backup is from before the database existed: the live one goes into the pre-restore backup.
        if (pre.database.kind === 'embedded') renameSync(join(root, target.dataDir), join(B.backupsRoot(root), pre.id, 'pgdata'));
        else rmSync(join(root, target.dataDir), { recursive: true, force: true });
        forgetEmbedded(state, m.env);
      }
    } else {
      await B.restoreServer(root, m, target, async () => (await openEnvironmentDatabase(root, state, target, { create: false, by: 'restore' }))!);
    }
    ctx.out.line(AGENT, 'ok', `Restored ${m.env}'s database from ${m.id} (${m.database.kind === 'absent' ? 'it had none: removed' : m.database.kind === 'embedded' ? 'data directory copied beside and renamed into place' : m.database.kind})`);
    mark('databaseInPlace');
    const restored = B.restoreStateDb(state, join(dir, B.STATE_FILE));
    if (m.database.kind === 'absent') forgetEmbedded(state, m.env);
    B.writeAuditHead(audit.headFileOf(state)!, m.audit);
    B.resetGitCheckpoint(root, m.audit, audit.GIT_HEAD_REF);
    ctx.out.line(AGENT, 'ok', `Restored the state database (${restored.rows} rows in ${restored.tables} tables; locks, sessions and scratch kept as they are now) and the audit head #${m.audit?.seq ?? 0}`);
    audit.appendAudit(state, { initiator: ctx.initiator, agent: AGENT, action: 'system.restore', approval, target: `${m.env} from ${m.id}`, files: [target.kind === 'embedded' ? target.dataDir : target.description, '.agent/state.db'], result: `restored ${m.id} (${m.createdAt}); what it replaced is ${pre.id}` });
    audit.flushGitCheckpoints();
    mark('stateRestored');
    // The schema now against the snapshot taken with the backup.
    let schema: { ok: boolean; differences: string[] } | null = null;
    const snapFile = join(dir, B.SCHEMA_FILE);
    if (existsSync(snapFile)) {
      let db: Awaited<ReturnType<typeof B.openCatalog>> = null;
      let unopened = `${target.description} cannot be opened after the restore`;
      try {
        db = await B.openCatalog(root, state, target, 'restore');
      } catch (err) {
        unopened = (err as Error).message;
      }
      if (!db) schema = { ok: false, differences: [unopened] };
      else {
        try {
          const now = await takeSnapshot(db);
          const differences = diffSchemas(JSON.parse(readFileSync(snapFile, 'utf8')), now).map(describeDifference);
          schema = { ok: differences.length === 0, differences };
        } finally {
          await db.close();
        }
      }
    }
    mark('schemaCompared');
    return { pre, restored, schema };
  });
  const { relative } = await import('node:path');
  const report = audit.verifyAudit(state.audit(), audit.readAnchors(state, relative(root, audit.headFileOf(state)!)), audit.auditKey(root));
  let failed = false;
  if (outcome.schema) {
    if (outcome.schema.ok) ctx.out.line(AGENT, 'ok', `Schema matches the snapshot taken with ${m.id}`);
    else {
      failed = true;
      ctx.out.line(AGENT, 'error', `Schema differs from the snapshot taken with ${m.id}: ${outcome.schema.differences.slice(0, 5).join('; ')}${outcome.schema.differences.length > 5 ? '; …' : ''}`);
    }
  } else ctx.out.line(AGENT, 'info', `${m.id} holds no schema snapshot (${m.env} had no database then): nothing to compare`);
  if (report.exitCode === 0) ctx.out.line('AUDIT', 'ok', `agent audit --verify: ${report.message}`);
  else {
    failed = true;
    ctx.out.line('AUDIT', 'error', `agent audit --verify fails after the restore: ${report.message}`);
  }
  ctx.out.line(AGENT, failed ? 'error' : 'ok', `${failed ? 'Restore finished with problems' : 'Restore complete'}: ${m.env} and the state database are as of ${m.createdAt}; what they held before is backup ${outcome.pre.id} (\`agent system restore from ${outcome.pre.id}\` undoes this)`);
  return {
    data: {
      restored: manifestView(m, root),
      preRestoreBackup: manifestView(outcome.pre, root),
      state: outcome.restored,
      schema: outcome.schema,
      audit: { ok: report.exitCode === 0, message: report.message, problem: report.problem ?? null },
      took: { ...took, auditVerified: Math.round(performance.now() - t0) },
    },
    exitCode: failed ? 1 : 0,
  };
}

/**
 * The backup a production deploy takes first (config backups.beforeProductionDeploy, default on),
 * under the database's lock; deploy takes the lock again for itself right after.
 */
export async function backupBeforeDeploy(ctx: CommandContext, target: DatabaseTarget): Promise<BackupManifest | null> {
  if (target.env !== 'production' || !ctx.project.config().backups.beforeProductionDeploy) return null;
  const { formatBytes } = await logic();
  let m: BackupManifest;
  try {
    m = await underLock(ctx, target, () => backupNow(ctx, target, 'before-production-deploy'));
  } catch (err) {
    if (!(err instanceof WorkFailedError)) throw err;
    throw new WorkFailedError(`the backup before the production deploy failed: ${err.message}; nothing was deployed (to deploy without one, set backups.beforeProductionDeploy to false in agent.config.json)`);
  }
  ctx.out.line(AGENT, 'ok', `Backup ${m.id} of production before the deploy (${formatBytes(m.bytes)}; \`agent system restore from ${m.id}\`)`);
  await applyRetention(ctx, [m.id]);
  return m;
}

/** Which health check (`agent health`, kept in the state's health table) exercises each credential. */
const VERIFIED_BY: Record<string, string> = {
  SUPABASE_URL: 'supabase',
  SUPABASE_SERVICE_ROLE_KEY: 'supabase',
  RESEND_API_KEY: 'resend',
  ANTHROPIC_API_KEY: 'anthropic',
  MCP_SERVER_URL: 'mcp server',
};

/** Pure: a credential shown without its value: its length and, for a URL, where it points (no user or password). */
export function maskCredential(name: string, value: string): string {
  if (/URL$/.test(name)) {
    try {
      const u = new URL(value);
      return `${u.protocol}//${u.username || u.password ? '***@' : ''}${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
    } catch {
      // not a URL: masked like a key
    }
  }
  return `*** (${value.length} characters)`;
}

export async function systemKeysRun(ctx: CommandContext): Promise<CommandResult> {
  const [{ CREDENTIALS }, { table, makeStyle }, { auditKey }] = await Promise.all([import('../config/secrets.js'), import('../cli/style.js'), import('../engine/audit.js')]);
  const { existsSync } = await import('node:fs');
  const health = existsSync(join(ctx.project.agentDir, 'state.db')) ? new Map(ctx.state().health().map((h) => [h.name, h])) : new Map();
  const envDb = ctx.project.config().environments;
  const names: string[] = [...CREDENTIALS];
  for (const env of ENVS) {
    const ref = envDb[env].database?.trim();
    if (ref && /^[A-Z_][A-Z0-9_]*$/.test(ref) && !names.includes(ref)) names.push(ref);
  }
  const rows = names.map((name) => {
    const value = ctx.secrets.get(name as CredentialName);
    const check = VERIFIED_BY[name] ? health.get(VERIFIED_BY[name]) : undefined;
    return {
      name,
      configured: Boolean(value),
      source: value ? ctx.secrets.source(name as CredentialName) : null,
      masked: value ? maskCredential(name, value) : null,
      lastVerified: check && value ? { at: new Date(check.checked_at).toISOString(), check: check.name, status: check.status } : null,
    };
  });
  const key = auditKey(ctx.project.root);
  rows.push({ name: 'AGENT_AUDIT_KEY', configured: Boolean(key), source: key ? (process.env.AGENT_AUDIT_KEY ? 'env' : '.env') : null, masked: key ? maskCredential('AGENT_AUDIT_KEY', key) : null, lastVerified: null });
  ctx.out.print(
    table(
      ['NAME', 'CONFIGURED', 'FROM', 'VALUE', 'LAST VERIFIED'],
      rows.map((r) => [r.name, r.configured ? 'yes' : 'no', r.source ?? '-', r.masked ?? '-', r.lastVerified ? `${r.lastVerified.at.slice(0, 16).replace('T', ' ')} (${r.lastVerified.check}: ${r.lastVerified.status})` : r.configured && VERIFIED_BY[r.name] ? 'never (`agent health`)' : '-']),
      makeStyle(ctx.out.color),
    ),
  );
  ctx.out.line(AGENT, 'ok', `${rows.filter((r) => r.configured).length} of ${rows.length} credentials configured; values are never shown`);
  return { data: { keys: rows } };
}
