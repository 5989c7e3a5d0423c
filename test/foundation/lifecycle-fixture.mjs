// A test program for agent-lifecycle.test.ts: the real CLI plus `sibling run`, a run of two
// agents in parallel where one agent's understand gate blocks while the other is still busy in
// its understand phase (what `fix ticket` does with CodeSmith and the Migrator).
import { runCli, defineCommand, Orchestrator, item } from '../../dist/index.js';

const PHASES = ['understand', 'analyze', 'plan', 'validate', 'execute', 'verify'];
const PASS = { understand: { confidence: 97 }, analyze: { criticalCycles: 0 }, plan: { scenarios: 1, mitigated: 1 }, validate: { coverage: 90 }, execute: { preconditions: 1, preconditionsMet: 1 }, verify: { postErrors: 0 } };

function agentOf(type, understand) {
  const phases = {};
  for (const phase of PHASES) {
    phases[phase] = async (ctx) => {
      const metrics = phase === 'understand' ? await understand(ctx) : PASS[phase];
      ctx.log('ok', `${phase} done`);
      return { items: [item(`${phase} checked`, true, `fixture measured ${JSON.stringify(metrics)}`)], metrics };
    };
  }
  return { type, phases };
}

const siblingRun = defineCommand({
  name: 'sibling run',
  summary: 'one agent blocks while its sibling is still at work',
  group: 'agents',
  hidden: true,
  args: [{ name: 'ticket', description: 'ticket id' }],
  schema: (z) => z.object({ ticket: z.optional(z.string()) }),
  async run(ctx, args) {
    const orch = new Orchestrator(ctx.state(), ctx.project.config(), ctx.out, ctx.signal);
    let busy;
    const siblingBusy = new Promise((r) => (busy = r));
    try {
      return await orch.withRun({ command: 'sibling run', ticketId: args.ticket ?? null }, async (run) => {
        await Promise.all([
          // Busy for a long time and deaf to cancellation, like a type check in progress.
          orch.runAgent(run, agentOf('Slow', async (c) => {
            c.log('info', 'slow agent at work');
            busy();
            await new Promise((r) => setTimeout(r, 60_000));
            return PASS.understand;
          })),
          orch.runAgent(run, agentOf('Blocker', async () => {
            await siblingBusy;
            return { confidence: 10 };
          })),
        ]);
        return { data: {} };
      });
    } finally {
      orch.dispose();
    }
  },
});

process.exit(await runCli(process.argv.slice(2), { extraCommands: [siblingRun] }));
