// The one approval policy the front doors share, and what MCP derives from each command's risk. Pure.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadZodMini } from '../../src/config/zod-mini.js';
import { defaultConfig } from '../../src/config/config.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { decideApproval, deploymentCategory, preApprovalCovers, purgeLogsRequest, rollbackRequest, stagedMigrationRequest, type ApprovalRequest } from '../../src/engine/approval-policy.js';
import { annotationsOf, exposedCommands, toolSpecs } from '../../src/mcp/tools.js';

beforeAll(() => loadZodMini());

const policy = defaultConfig('crm').approvals;
const dep = (target: string, status = 'succeeded') => ({ id: 'DEPLOY-2026-004', target, status, ticket_id: 'BUG-2026-001' });

describe('approvals decided once, for every front door', () => {
  it('a production rollback is a production deployment; a staging one follows the staging policy', () => {
    const prod = rollbackRequest(dep('production'), 'estimates page 500s')!;
    expect(prod).toMatchObject({
      category: 'productionDeployment',
      action: 'roll back DEPLOY-2026-004 (production, BUG-2026-001)',
      ticketId: 'BUG-2026-001',
      resume: { command: 'rollback', args: { id: 'DEPLOY-2026-004', reason: 'estimates page 500s' } },
    });
    expect(decideApproval(prod.category, policy)).toMatchObject({ type: 'ask-user', confirm: 'typed' });
    expect(rollbackRequest(dep('production'))!.resume!.args).toEqual({ id: 'DEPLOY-2026-004' });
    const staging = rollbackRequest(dep('staging'))!;
    expect(staging.category).toBe('stagingDeployment');
    expect(decideApproval(staging.category, policy).type).toBe('auto-approve');
    expect(rollbackRequest(dep('production', 'rolled_back'))).toBeNull();
    expect(deploymentCategory('production')).toBe('productionDeployment');
  });

  it('purging logs waits for a typed approval and resumes with the same cutoff', () => {
    const req = purgeLogsRequest('7d', Date.UTC(2026, 0, 1));
    expect(req).toMatchObject({ category: 'databaseDestructive', action: 'delete the events older than 7d (before 2026-01-01T00:00:00.000Z)', resume: { command: 'agents purge logs', args: { olderThan: '7d' } } });
    expect(decideApproval(req.category, policy)).toMatchObject({ type: 'ask-user', confirm: 'typed' });
  });

  it("a ticket's staged migration applied outside its deploy asks what that deploy asks; a ticketless set does not", () => {
    const set = { id: 'CS-1', ticket_id: 'BUG-2026-001' };
    const paths = ['staged/2026-01-01_00-00-00_x/migrations/20260101000000_x.up.sql'];
    expect(stagedMigrationRequest(set, 'embedded PGlite', paths, {})).toMatchObject({
      category: 'productionDeployment',
      action: "apply BUG-2026-001's staged migration(s) 20260101000000_x.up.sql to embedded PGlite outside its deploy",
      resume: { command: 'migrate execute', args: {} },
    });
    expect(stagedMigrationRequest(set, 'staging db', paths, { env: 'staging' }, 'staging')!.category).toBe('stagingDeployment');
    expect(stagedMigrationRequest({ id: 'CS-2', ticket_id: null }, 'embedded PGlite', paths, {})).toBeNull();
  });
});

describe('resuming under an approval', () => {
  const resume = { command: 'deploy', args: { target: 'production', id: 'BUG-2026-001' } };
  const req = (category: ApprovalRequest['category'], r: ApprovalRequest['resume'] = resume, ticketId = 'BUG-2026-001'): ApprovalRequest => ({ category, action: 'x', ticketId, resume: r, requestedBy: 'ORCHESTRATOR' });
  const approved = (category: string, r: unknown = resume, ticket_id: string | null = 'BUG-2026-001') => ({ category, resume: JSON.stringify(r), ticket_id });

  it('a destructive-change approval covers the deployment it is part of, so the two requests do not alternate for ever', () => {
    expect(preApprovalCovers(approved('productionDeployment'), req('productionDeployment'))).toBe(true);
    expect(preApprovalCovers(approved('productionDeployment'), req('databaseDestructive'))).toBe(false);
    expect(preApprovalCovers(approved('databaseDestructive'), req('productionDeployment'))).toBe(true);
    expect(preApprovalCovers(approved('databaseDestructive', { command: 'emergency deploy hotfix', args: { id: 'BUG-2026-001' } }), req('emergency', { command: 'emergency deploy hotfix', args: { id: 'BUG-2026-001' } }))).toBe(true);
  });

  it('but nothing else: another action, another ticket, or an approval of a weaker kind', () => {
    expect(preApprovalCovers(approved('databaseDestructive', { command: 'migrate execute', args: {} }), req('productionDeployment'))).toBe(false);
    expect(preApprovalCovers(approved('databaseDestructive', resume, 'BUG-2026-002'), req('productionDeployment'))).toBe(false);
    expect(preApprovalCovers(approved('databaseDestructive'), req('productionDeployment', { command: 'deploy', args: { target: 'production', id: 'BUG-2026-002' } }))).toBe(false);
    expect(preApprovalCovers(approved('stagingDeployment'), req('productionDeployment'))).toBe(false);
    expect(preApprovalCovers({ category: 'databaseDestructive', resume: null, ticket_id: 'BUG-2026-001' }, req('productionDeployment'))).toBe(false);
  });
});

describe('MCP from the declared risk', () => {
  it('every command declares a risk; read-only tools say so, deploy/destructive/emergency ones are destructive', () => {
    for (const c of COMMANDS) expect(['read', 'write', 'deploy', 'destructive', 'emergency'], c.name).toContain(c.risk);
    for (const c of exposedCommands(COMMANDS)) {
      const a = annotationsOf(c);
      expect(a.readOnlyHint, c.name).toBe(c.risk === 'read');
      expect(a.destructiveHint, c.name).toBe(['deploy', 'destructive', 'emergency'].includes(c.risk));
      if (c.risk !== 'read') expect(a.idempotentHint, c.name).toBe(Boolean(c.idempotent));
    }
    const byName = new Map(toolSpecs(COMMANDS).map((s) => [s.name, s]));
    expect(byName.get('rollback')!.annotations).toMatchObject({ title: 'Rollback', readOnlyHint: false, destructiveHint: true });
    expect(byName.get('tickets')!.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.get('migrate_execute')!.annotations).toMatchObject({ destructiveHint: true, idempotentHint: true });
  });

  it('a definition without a risk (plain JavaScript) promises nothing', () => {
    const bare = { ...COMMANDS.find((c) => c.name === 'status')!, risk: undefined } as unknown as (typeof COMMANDS)[number];
    expect(annotationsOf(bare)).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false });
  });

  it('demo and emergency access are shell-only, and no tool decides an approval', () => {
    const names = toolSpecs(COMMANDS).map((s) => s.command);
    for (const n of ['demo', 'emergency access', 'approve', 'reject', 'mcp', 'dashboard']) expect(names).not.toContain(n);
  });
});
