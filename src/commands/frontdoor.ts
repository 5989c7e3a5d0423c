// mcp, init, email: Claude Code as the front door, and notifications to the admin.
// Handlers import their heavy parts (the MCP SDK, resend) with import() when they run.
import { UsageError, WorkFailedError } from '../errors.js';
import { appendAudit } from '../engine/audit.js';
import { redact } from '../config/redact.js';
import { defineCommand } from './types.js';

export const mcp = defineCommand({
  name: 'mcp',
  summary: "Serve this project's commands as MCP tools over stdio, for Claude Code (`agent init` registers it)",
  group: 'setup',
  risk: 'read',
  examples: ['agent mcp', 'claude mcp add crm-agent -- npx agent mcp'],
  async run(ctx) {
    // A person at a terminal (or free text the router sent here) would just see a silent wait.
    if (process.stdin.isTTY) {
      throw new UsageError('`agent mcp` speaks MCP over a pipe and is started by Claude Code (`agent init` registers it); `agent health` checks your own MCP server');
    }
    const [{ serveStdio }, { COMMANDS }, { VERSION }] = await Promise.all([import('../mcp/server.js'), import('./registry.js'), import('../cli/run.js')]);
    await serveStdio({ project: ctx.project, secrets: ctx.secrets, commands: COMMANDS, version: VERSION, signal: ctx.signal });
  },
});

export const init = defineCommand({
  name: 'init',
  summary: 'Set up this project: agent.config.json, Claude Code\'s .mcp.json and /agent command, .gitignore lines; never overwrites your edits',
  group: 'setup',
  risk: 'write', idempotent: true,
  keywords: ['init', 'initialize', 'initialise', 'set up', 'setup'],
  examples: ['agent init'],
  async run(ctx) {
    const { chooseLaunch, initProject } = await import('../mcp/setup.js');
    const launch = chooseLaunch(ctx.project.root);
    const files = initProject({ root: ctx.project.root, projectName: ctx.project.root.split(/[\\/]/).filter(Boolean).pop() ?? 'project', launch });
    const verb = { created: 'Created', updated: 'Updated', unchanged: 'Unchanged', 'left alone': 'Left alone' } as const;
    for (const f of files) {
      const level = f.action === 'created' || f.action === 'updated' ? 'ok' : f.action === 'left alone' ? 'warn' : 'info';
      ctx.out.line('ORCHESTRATOR', level, `${verb[f.action]} ${f.path}: ${f.detail}`);
    }
    const changed = files.filter((f) => f.action === 'created' || f.action === 'updated');
    if (changed.length) {
      appendAudit(ctx.state(), { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'project.init', files: changed.map((f) => f.path), result: 'written' });
    }
    ctx.out.line('ORCHESTRATOR', 'info', 'In Claude Code: approve the crm-agent server when asked (or `/mcp`), then type `/agent <request>`');
    return { data: { files, launch: { command: launch.command, args: launch.args, kind: launch.kind } } };
  },
});

const ADDRESS = /^(?:[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/;

export const email = defineCommand({
  name: 'email',
  summary: 'Send a notification email (Resend when RESEND_API_KEY is set, otherwise a .eml file in .agent/outbox/)',
  group: 'admin',
  risk: 'write',
  args: [{ name: 'message', description: 'the text of the email', required: true, variadic: true }],
  flags: [
    { name: 'to', type: 'string', placeholder: 'ADDR', description: 'recipient (default: email.to in agent.config.json)' },
    { name: 'subject', type: 'string', placeholder: 'TEXT', description: 'subject line (default: the start of the message)' },
  ],
  schema: (z) => z.object({
    message: z.string().check(z.minLength(1), z.maxLength(100_000)),
    to: z.optional(z.string().check(z.regex(ADDRESS, 'an email address'))),
    subject: z.optional(z.string().check(z.minLength(1), z.maxLength(300))),
  }),
  keywords: ['email', 'e-mail', 'mail', 'notify', 'send an email'],
  examples: ['agent email "Staging is green for BUG-2026-001"', 'agent email --to ops@example.com --subject "Deploy done" "BUG-2026-001 is live"'],
  async run(ctx, args) {
    const config = ctx.project.config();
    // A model driving the MCP tools may notify the admin, not write to anyone it likes.
    if (ctx.initiator === 'mcp' && args.to && args.to.trim().toLowerCase() !== config.email.to.trim().toLowerCase()) {
      throw new UsageError(`over MCP, email goes only to the admin (email.to in agent.config.json); leave "to" out, or run \`agent email --to ${args.to} …\` in a shell`);
    }
    // Redact before clipping: a clipped secret would no longer be recognised as one.
    const subject = args.subject ?? subjectOf(redact(args.message), config.project.name);
    // The email is an outbox row before it is sent: a send cut short (a timeout, a kill) is retried
    // by the next command instead of lost, and a repeated `agent email` is not needed.
    const [{ prepareEmail }, { flushOutbox, queueEmail, reportMail }] = await Promise.all([import('../integrations/email.js'), import('../engine/outbox.js')]);
    const state = ctx.state();
    const prepared = prepareEmail(config.email, { to: args.to, subject, text: args.message });
    const target = prepared.to;
    const id = queueEmail(state, prepared);
    const [r] = await ctx.out.spin('Sending email…', flushOutbox(ctx, { ids: [id] }));
    if (!r || r.status === 'failed') {
      const why = r?.detail ?? 'the outbox row is gone';
      appendAudit(state, { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'email.send', target, result: 'failed', detail: { subject, error: why, outboxId: id } });
      throw new WorkFailedError(why.startsWith('Resend') ? why : `email not sent: ${why}`);
    }
    const via = r.status === 'sent' ? 'resend' : r.status === 'kept' ? 'outbox' : 'pending';
    appendAudit(state, {
      initiator: ctx.initiator,
      agent: 'ORCHESTRATOR',
      action: 'email.send',
      target,
      files: via === 'outbox' ? [r.detail] : [],
      result: via === 'pending' ? 'queued (not sent yet)' : `sent via ${via}`,
      detail: { subject: r.subject, outboxId: id, ...(via === 'resend' ? { id: r.detail } : {}), ...(via === 'pending' ? { error: r.detail } : {}) },
    });
    const data = via === 'resend' ? { via, id: r.detail, to: target, subject: r.subject, outboxId: id } : via === 'outbox' ? { via, path: r.detail, to: target, subject: r.subject, outboxId: id } : { via, to: target, subject: r.subject, outboxId: id, error: r.detail };
    if (via === 'pending') reportMail(ctx.out, r, { via, to: target });
    else ctx.out.line('ORCHESTRATOR', 'ok', via === 'outbox' ? `Email sent via outbox: ${r.detail}` : `Email sent via Resend (id ${r.detail})`, { via, to: target });
    return { data };
  },
});

/** A subject from the message: its first line, or its first sentence, or its start clipped at a word. */
export function subjectOf(message: string, projectName: string): string {
  const first = message.trim().split(/\r?\n/)[0]!.trim();
  if (!first) return `crm-agent notification (${projectName})`;
  if (first.length <= 78) return first;
  const sentence = /^.{10,77}?[.!?](?=\s)/.exec(first)?.[0];
  if (sentence) return sentence;
  const cut = first.slice(0, 76);
  return `${cut.includes(' ') ? cut.slice(0, cut.lastIndexOf(' ')) : cut}…`;
}
