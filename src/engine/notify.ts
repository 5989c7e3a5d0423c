// The emails the pipeline sends: a deployment notice and an incident report after a rollback.
import type { CommandContext } from '../commands/types.js';
import type { DeploymentRow } from '../store/rows.js';
import type { Manifest } from '../../agents/stage-agent/change-set.js';
import type { DeploymentData } from './deploy.js';

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
  return {
    subject: `[crm-agent] INCIDENT: ${dep.id} rolled back (${dep.target})`,
    text: [
      `Incident report for ${dep.id}${dep.ticket_id ? ` (${dep.ticket_id})` : ''}`,
      '',
      `What happened: ${reason}`,
      `Deployed: ${new Date(dep.started_at).toISOString()} to ${dep.target}, commit ${data.commit?.slice(0, 12) ?? '?'}`,
      `Rolled back: ${data.rollback?.at ?? new Date().toISOString()} in ${(durationMs / 1000).toFixed(1)} s (${data.rollback?.steps.join(', ') ?? ''})`,
      `Migrations reverted: ${data.appliedMigrations.length ? [...data.appliedMigrations].reverse().join(', ') : 'none'}`,
      data.mergedSha ? `Code: reverted merge ${data.mergedSha.slice(0, 12)} on ${data.mainBranch}` : `Code: branch ${data.branch} removed`,
      '',
      'Next: `agent logs ' + (dep.ticket_id ?? dep.id) + ' --level warn` for the timeline; `agent audit` for who did what.',
    ].join('\n'),
  };
}

/**
 * The deployment or rollback is done by the time its email goes out: a mail service that will not
 * take it must not turn that success into a failure (a script would retry a deploy that happened).
 * The message is kept in the outbox instead, with a warning.
 */
async function send(ctx: CommandContext, msg: { subject: string; text: string }, ticketId: string | null) {
  const { sendEmail, writeToOutbox } = await import('../integrations/email.js');
  const ids = { ticketId: ticketId ?? undefined };
  try {
    const sent = await sendEmail({ project: ctx.project, secrets: ctx.secrets, signal: ctx.signal }, msg);
    ctx.out.line('ORCHESTRATOR', 'ok', sent.via === 'resend' ? `Email sent via Resend (${sent.id})` : `Email written to the outbox: ${sent.path}`, ids);
    return sent;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const kept = writeToOutbox({ project: ctx.project }, msg);
    ctx.out.line('ORCHESTRATOR', 'warn', `Email not sent (${(err as Error).message}); kept in the outbox: ${kept.path}`, ids);
    return kept;
  }
}

export function notifyDeployment(ctx: CommandContext, dep: DeploymentRow, m: Manifest) {
  return send(ctx, deploymentEmail(dep, m, ctx.project.config().environments[dep.target as 'staging' | 'production']?.url), dep.ticket_id);
}

export function notifyIncident(ctx: CommandContext, dep: DeploymentRow, reason: string, durationMs: number) {
  return send(ctx, incidentEmail(dep, reason, durationMs), dep.ticket_id);
}
