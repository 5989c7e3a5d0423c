// THE command registry. The CLI, the dashboard prompt and the MCP server dispatch through it;
// help, completion and the README's command table are generated from it.
// Keep this module light: handlers import their heavy parts with import() when they run.
import type { CommandDef } from './types.js';
import { createTicket, listTickets, showTicket } from './tickets.js';
import { analyzeTicket, fixTicket, generateCmd } from './work.js';
import { demo } from './demo.js';
import { bugsScan, testCmd } from './quality.js';
import { deployCmd, deployResume, emergencyHotfix, emergencyRollback, metrics, review, rollbackCmd } from './pipeline.js';
import { health, logs, status } from './observe.js';
import { approvals, approve, reject } from './approvals.js';
import { audit, auditVerify } from './audit.js';
import { agentsPurgeLogs, agentsRestartAll, agentsUpdateConfig, emergencyMaintenance, emergencyStop, systemLogs, systemStatus } from './admin.js';
import { email, init, mcp } from './frontdoor.js';
import { dashboard } from './dashboard.js';
import { generateMigration, migrateChange, migrateExecute, migrateLint, migrateStatus } from './migrate.js';
import { emergencyAccess } from './emergency-access.js';
import { restage } from './restage.js';
import { mcpCall, mcpTools } from './mcp-client.js';
import { dbAnalyzePerformance, dbOptimizeTable, dbSql, dbVacuumFull } from './db.js';
import { dbCreateBackup, systemBackupCreate, systemBackups, systemKeys, systemRestore } from './system.js';

export const COMMANDS: CommandDef[] = [
  createTicket,
  listTickets,
  showTicket,
  analyzeTicket,
  fixTicket,
  generateCmd,
  generateMigration,
  migrateChange,
  migrateStatus,
  migrateLint,
  migrateExecute,
  bugsScan,
  testCmd,
  review,
  restage,
  deployCmd,
  deployResume,
  rollbackCmd,
  metrics,
  status,
  logs,
  health,
  approvals,
  approve,
  reject,
  audit,
  auditVerify,
  systemStatus,
  systemLogs,
  systemBackupCreate,
  systemBackups,
  systemRestore,
  systemKeys,
  dbCreateBackup,
  dbSql,
  dbAnalyzePerformance,
  dbOptimizeTable,
  dbVacuumFull,
  agentsUpdateConfig,
  agentsPurgeLogs,
  agentsRestartAll,
  emergencyStop,
  emergencyMaintenance,
  emergencyRollback,
  emergencyHotfix,
  emergencyAccess,
  email,
  init,
  mcp,
  mcpTools,
  mcpCall,
  dashboard,
  demo,
];

export const GROUP_TITLES: Record<string, string> = {
  tickets: 'Tickets',
  agents: 'Agents',
  review: 'Review and approval',
  database: 'Database',
  deploy: 'Deploy',
  observe: 'Observe',
  admin: 'Administration',
  emergency: 'Emergency',
  setup: 'Setup',
};
