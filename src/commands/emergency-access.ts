// `agent emergency access <user_id>` (seed 5.2, "impersonate any user"): a one-time sign-in link for
// a CRM user through the Supabase admin API, after a typed approval.
//
// Where the link goes: printed once, raw, on the admin's terminal, and nowhere else. It is
// registered with the redactor the moment it exists, so no progress line, event, audit entry,
// NDJSON object or error can carry it; only the one write below bypasses the chokepoint, and only
// when stdout is a terminal in human mode, in a shell (not the dashboard, not MCP). Email was
// considered and not chosen: the outbox is a file under .agent/, every email passes through the
// redactor, and a live sign-in link would sit in a mailbox until it expires.
//
// This module stays light (the registry imports it at every start): supabase-js, the audit chain
// and the admin client are imported when the command runs.
import { UsageError } from '../errors.js';
import { defineCommand, type CommandContext } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = 'emergency access';

/** Why the link cannot be shown here, or null when it can. Checked before the approval is asked or
 * spent (also by `agent approve`, before it records the decision), so none is used up for nothing. */
export function noTerminal(ctx: Pick<CommandContext, 'out'>): string | null {
  if (ctx.out.json) return 'this run writes NDJSON (--json), which is read by programs and often kept';
  if (!process.stdout.isTTY) return 'stdout is not a terminal (a pipe or a file would keep the link)';
  return null;
}

export const emergencyAccess = defineCommand({
  name: NAME,
  summary: "A one-time sign-in link as a CRM user (Supabase admin API) after a typed approval; shown once on the admin's terminal, stored nowhere",
  group: 'emergency',
  risk: 'emergency',
  policy: 'emergency',
  shellOnly: true,
  args: [{ name: 'user_id', description: 'the auth user id (a UUID, auth.users.id)', required: true }],
  schema: (z) => z.object({ user_id: z.string().check(z.regex(UUID, 'a user id (a UUID such as 3f2a…-…)')) }),
  keywords: ['impersonate', 'sign in as', 'log in as', 'login as'],
  examples: ['agent emergency access 7c9e6679-7425-40de-944b-e07fc1f90ae7'],
  async run(ctx, args) {
    const userId = args.user_id.toLowerCase();
    if (ctx.initiator !== 'admin') {
      // A model must never hold a sign-in link, and the dashboard has no raw terminal to show it on.
      throw new UsageError(`\`agent ${NAME}\` runs only from a shell, where the link is shown once (here: ${ctx.initiator})`);
    }
    const { adminCredentials, openSupabaseAdmin } = await import('../integrations/supabase-admin.js');
    const admin = await openSupabaseAdmin(adminCredentials(ctx.secrets), { signal: ctx.signal, timeoutMs: ctx.project.config().network.timeoutMs });
    const user = await ctx.out.spin('Looking the user up', admin.getUser(userId));
    if (!user.email) throw new UsageError(`auth user ${userId} has no email address, and a sign-in link needs one`);
    const who = `${user.email} (${user.id})`;
    const blocked = noTerminal(ctx);
    if (blocked) throw new UsageError(`no approval was asked and no link was generated: ${blocked}; run \`agent ${NAME} ${user.id}\` in a terminal (the link is shown there once)`);

    const approval = await ctx.requireApproval({
      category: 'emergency',
      action: `emergency sign-in link as user ${who}`,
      summary: `a one-time link that signs in as ${user.email}; shown once on the admin's terminal`,
      touches: [`auth user ${user.id}`],
      requestedBy: 'ORCHESTRATOR',
      resume: { command: NAME, args: { user_id: user.id } },
    });

    const { appendAudit } = await import('../engine/audit.js');
    const audit = (result: string) =>
      appendAudit(ctx.state(), { initiator: ctx.initiator, agent: 'ORCHESTRATOR', action: 'emergency.access', target: `auth user ${user.id}`, approval: approval?.id ?? null, result });

    let link: string;
    try {
      link = (await ctx.out.spin('Generating a one-time sign-in link', admin.magicLink(user.email))).actionLink;
    } catch (err) {
      audit(`failed: ${(err as Error).message}`);
      throw err;
    }
    audit('one-time sign-in link generated; shown once on the terminal, not stored');
    ctx.out.line('ORCHESTRATOR', 'ok', `One-time sign-in link as ${who}${approval ? ` (approved: ${approval.id})` : ''}:`);
    // The one deliberate write past the redactor: raw, to the terminal, once.
    process.stdout.write(`\n  ${link}\n\n`);
    ctx.out.line('ORCHESTRATOR', 'warn', 'It signs in as this user until it is used or expires: open it in a private window, share it with no one; it is stored nowhere');
    return { data: { userId: user.id, email: user.email, approvalId: approval?.id ?? null, delivered: 'terminal' } };
  },
});
