// Test commands the dashboard tests add to the registry (the real ones stay as they are).
import { defineCommand } from '../../src/commands/types.js';
import { sleep } from '../../src/engine/orchestrator.js';

/** Waits until cancelled (Ctrl-C in the dashboard aborts its signal). */
export const waitCommand = defineCommand({
  name: 'test wait',
  summary: 'waits until cancelled',
  group: 'admin',
  risk: 'read',
  hidden: true,
  schema: (z) => z.object({}),
  async run(ctx) {
    ctx.out.line('TEST', 'info', 'waiting until cancelled');
    await ctx.out.spin('waiting…', sleep(60_000, ctx.signal));
    return {};
  },
});

/** Asks for an approval from the dashboard's own prompt, then carries on. */
export const guardedCommand = defineCommand({
  name: 'test guarded',
  summary: 'asks for an approval, then carries on',
  group: 'admin',
  risk: 'deploy',
  hidden: true,
  args: [{ name: 'ticket', description: 'ticket id', required: true, complete: 'ticket' }],
  flags: [{ name: 'category', type: 'string', description: 'approval category' }],
  schema: (z) => z.object({ ticket: z.string(), category: z.optional(z.string()) }),
  async run(ctx, args) {
    await ctx.requireApproval({
      category: (args.category ?? 'productionDeployment') as 'productionDeployment',
      action: `guarded action for ${args.ticket}`,
      ticketId: args.ticket,
      touches: ['app/api/jobs/route.ts'],
      requestedBy: 'TEST',
    });
    ctx.out.line('TEST', 'ok', `guarded action carried out for ${args.ticket}`, { ticketId: args.ticket });
    return {};
  },
});

/** A stand-in deploy command with a target argument, like the real one. */
export const fakeDeploy = defineCommand({
  name: 'deploy',
  summary: 'deploy (test stand-in)',
  group: 'deploy',
  risk: 'deploy',
  args: [{ name: 'target', description: 'staging or production', required: true, complete: ['staging', 'production'] }],
  schema: (z) => z.object({ target: z.enum(['staging', 'production']) }),
  async run(ctx, args) {
    ctx.out.line('DEPLOYER', 'ok', `fake deploy to ${args.target}`);
    return {};
  },
});

/** Dispatches `dashboard` from inside a command, as `agent demo` does. */
export const nestCommand = defineCommand({
  name: 'test nest',
  summary: 'dispatches the dashboard command',
  group: 'admin',
  risk: 'read',
  hidden: true,
  schema: (z) => z.object({}),
  async run(ctx) {
    return ctx.dispatch('dashboard', {});
  },
});
