// The emails the pipeline sends: a deployment notice and an incident report after a rollback,
// each recorded in the outbox (outbox.ts) before it is sent.
import type { CommandContext } from '../commands/types.js';
import type { DeploymentRow } from '../store/rows.js';
import type { Manifest } from '../../agents/shared/change-set.js';
import type { DeploymentData } from './deploy.js';
import { prepareEmail } from '../integrations/email.js';
import { flushOutbox, queuedFor, queueEmail, reportMail } from './outbox.js';

export function deploymentEmail(dep: DeploymentRow, m: Manifest, url: string | undefined): { subject: string; text: string } {
  const data = JSON.parse(dep.data) as DeploymentData;
  const tests = data.tests ? `${data.tests.ok ? 'passing' : 'FAILING'}${data.tests.passed !== null ? ` (${data.tests.passed} passed)` : ''}: ${data.tests.command}` : 'not run';
  return {
    subject: `[crm-agent] ${dep.ticket_id ?? m.title} deployed to ${dep.target} (${dep.id})`,
    text: [
      `${dep.id}: ${dep.ticket_id ?? ''} ${m.title}`.trim(),
      `Target: ${dep.target}${url ? ` (${url})` : ''}`,
      `Branch: ${data.branch} @ ${data.commit?.slice(0, 12) ?? '?'}`,
      `Tests: ${tests}`,
      `Migrations applied: ${data.appliedMigrations.length ? data.appliedMigrations.join(', ') : 'none'}`,
      '',
      'Changes:',
      ...m.files.map((f) => `  - ${f.path} (${f.action})`),
      '',
      `Roll back with: agent rollback ${dep.id}`,
    ].join('\n'),
  };
}

export function incidentEmail(dep: DeploymentRow, reason: string, durationMs: number): { subject: string; text: string } {
  const data = JSON.parse(dep.data) as DeploymentData;
  // What the rollback itself reverted (it undoes all of the ticket's deployments to the environment).
  const rb = data.rollback;
  const reverted = rb?.reverted ?? [...data.appliedMigrations].reverse();
  const left = rb?.left ?? [];
  const migrations = reverted.filter((r) => !r.startsWith('merge '));
  const merges = reverted.filter((r) => r.startsWith('merge '));
  return {
    subject: `[crm-agent] INCIDENT: ${dep.id} ${left.length ? 'rollback INCOMPLETE' : 'rolled back'} (${dep.target})`,
    text: [
      `Incident report for ${dep.id}${dep.ticket_id ? ` (${dep.ticket_id})` : ''}`,
      '',
      `What happened: ${reason}`,
      `Deployed: ${new Date(dep.started_at).toISOString()} to ${dep.target}, commit ${data.commit?.slice(0, 12) ?? '?'}`,
      `Rolled back: ${rb?.at ?? new Date().toISOString()} in ${(durationMs / 1000).toFixed(1)} s (${rb?.steps.join(', ') ?? ''})${rb?.by && rb.by !== dep.id ? `, with ${rb.by}` : ''}`,
      `Migrations reverted: ${migrations.length ? migrations.join(', ') : 'none'}`,
      merges.length ? `Code: reverted ${merges.join(', ')} on ${data.mainBranch ?? 'the main branch'}` : data.mergeEmpty ? 'Code: nothing of its own to revert (its change was already merged)' : `Code: branch ${data.branch} removed`,
      ...(left.length ? ['', 'NOT rolled back:', ...left.map((l) => `  - ${l}`)] : []),
      '',
      'Next: `agent logs ' + (dep.ticket_id ?? dep.id) + ' --level warn` for the timeline; `agent audit` for who did what.',
    ].join('\n'),
  };
}

/**
 * The deployment or rollback is done by the time its email goes out: a mail service that will not
 * take it must not turn that success into a failure (a script would retry a deploy that happened),
 * nor hold the command longer than network.timeoutMs. The email is an outbox row first; what is not
 * sent now stays pending for the next command, with a warning.
 */
async function deliver(ctx: CommandContext, id: number, ticketId: string | null): Promise<Delivery> {
  const [r] = await flushOutbox(ctx, { ids: [id] });
  if (!r) return { via: 'pending', outboxId: id, detail: 'not found' };
  reportMail(ctx.out, r, { ticketId: ticketId ?? undefined });
  if (r.status === 'sent') return { via: 'resend', id: r.detail, outboxId: id };
  if (r.status === 'kept') return { via: 'outbox', path: r.detail, outboxId: id };
  if (r.status === 'failed') return r.file ? { via: 'outbox', path: r.file, outboxId: id } : { via: 'failed', outboxId: id, detail: r.detail };
  return { via: 'pending', outboxId: id, detail: r.detail };
}

export type Delivery =
  | { via: 'resend'; id: string; outboxId: number }
  | { via: 'outbox'; path: string; outboxId: number }
  /** Not sent yet (or another process is sending it): the next command tries again. */
  | { via: 'pending'; outboxId: number; detail: string }
  /** Given up, and its text could not be kept as a file either (`agent status` lists it). */
  | { via: 'failed'; outboxId: number; detail: string };

function queue(ctx: CommandContext, dep: DeploymentRow, msg: { subject: string; text: string }): number {
  const state = ctx.state();
  const prepared = prepareEmail(ctx.project.config().email, msg);
  return state.tx(() => queuedFor(state, dep.id, prepared) ?? queueEmail(state, prepared, { deploymentId: dep.id }));
}

const urlOf = (ctx: CommandContext, dep: DeploymentRow) => ctx.project.config().environments[dep.target as 'staging' | 'production']?.url;

/**
 * Records the deployment's email in the outbox (synchronous: call it inside the transaction that
 * records the deployment's result, so that no kill can separate the two). Returns the row id; once
 * queued, notifyDeployment() sends that row instead of queueing another.
 */
export function queueDeploymentEmail(ctx: CommandContext, dep: DeploymentRow, m: Manifest): number {
  return queue(ctx, dep, deploymentEmail(dep, m, urlOf(ctx, dep)));
}

/** The incident report's counterpart of queueDeploymentEmail(), for the rollback's final record. */
export function queueIncidentEmail(ctx: CommandContext, dep: DeploymentRow, reason: string, durationMs: number): number {
  return queue(ctx, dep, incidentEmail(dep, reason, durationMs));
}

export function notifyDeployment(ctx: CommandContext, dep: DeploymentRow, m: Manifest): Promise<Delivery> {
  return deliver(ctx, queueDeploymentEmail(ctx, dep, m), dep.ticket_id);
}

export function notifyIncident(ctx: CommandContext, dep: DeploymentRow, reason: string, durationMs: number): Promise<Delivery> {
  return deliver(ctx, queueIncidentEmail(ctx, dep, reason, durationMs), dep.ticket_id);
}
