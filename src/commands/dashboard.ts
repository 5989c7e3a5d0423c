// agent dashboard: the full-screen control room. This module stays light (the registry imports
// it for every command); ink, react and the components are loaded with import() only here.
import * as z from 'zod/mini';
import { UsageError } from '../errors.js';
import { defineCommand } from './types.js';

export const dashboard = defineCommand({
  name: 'dashboard',
  summary: 'Full-screen control room: live agents, activity and logs, a command prompt, approval dialogs',
  group: 'observe',
  schema: z.object({}),
  keywords: ['dashboard', 'control room', 'live', 'monitor', 'screen'],
  examples: ['agent dashboard'],
  async run(ctx) {
    if (ctx.out.json) throw new UsageError('`agent dashboard` is a full-screen view with no --json form; run `agent status --json` instead');
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new UsageError('`agent dashboard` needs a terminal (stdin and stdout a TTY); for a machine-readable snapshot run `agent status --json`');
    }
    const { runDashboard } = await import('../../components/main.js');
    return runDashboard(ctx);
  },
});
