// agent dashboard: the full-screen control room. This module stays light (the registry imports
// it for every command); ink, react and the components are loaded with import() only here.
import { UsageError } from '../errors.js';
import { defineCommand } from './types.js';

/** One dashboard per process: it owns the terminal (the demo command dispatches here too). */
let open = false;

export const dashboard = defineCommand({
  name: 'dashboard',
  summary: 'Full-screen control room: live agents, activity and logs, a command prompt, approval dialogs',
  group: 'observe',
  risk: 'read',
  keywords: ['dashboard', 'control room', 'live', 'monitor', 'screen'],
  examples: ['agent dashboard'],
  async run(ctx) {
    if (open || ctx.initiator === 'dashboard') throw new UsageError('the dashboard is already open in this terminal');
    if (ctx.out.json) throw new UsageError('`agent dashboard` is a full-screen view with no --json form; run `agent status --json` instead');
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new UsageError('`agent dashboard` needs a terminal (stdin and stdout a TTY); for a machine-readable snapshot run `agent status --json`');
    }
    open = true;
    try {
      const { runDashboard } = await importUi();
      return await runDashboard(ctx);
    } finally {
      open = false;
    }
  },
});

/**
 * React picks its development or production build from NODE_ENV when it is first imported, and
 * the development build costs the dashboard about twice the time per frame. Unless the admin set
 * NODE_ENV, the UI is imported as production; the variable is put back at once, so the commands
 * the dashboard runs (and the project test commands they start) see the environment unchanged.
 */
async function importUi(): Promise<typeof import('../../components/main.js')> {
  const saved = process.env.NODE_ENV;
  if (saved === undefined) process.env.NODE_ENV = 'production';
  try {
    return await import('../../components/main.js');
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV;
  }
}
