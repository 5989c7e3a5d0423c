// agent restage <ticket|change-set id>: re-seal a staged set edited after staging (the checks and
// the new seal are in src/engine/restage.ts, imported when the command runs).
import { UsageError } from '../errors.js';
import { findChangeSet } from './pipeline.js';
import { defineCommand } from './types.js';

const AGENT = 'STAGE';

export const restage = defineCommand({
  name: 'restage',
  summary: 'Re-seal a staged set edited after staging: lint, patch, types and a shadow dry run re-run, the approval policy recomputed',
  group: 'review',
  risk: 'write',
  policy: 'codeGeneration',
  args: [{ name: 'id', description: 'a ticket id or change-set id', required: true, complete: 'ticket' }],
  schema: (z) => z.object({ id: z.string() }),
  keywords: ['restage', 're-stage', 'reseal'],
  examples: ['agent restage BUG-2026-001'],
  async run(ctx, args) {
    const cs = findChangeSet(ctx, args.id, (id) => `agent restage ${id}`);
    if (cs.status !== 'staged' && cs.status !== 'approved') throw new UsageError(`${cs.dir} is ${cs.status}: only a set waiting for deploy is re-staged; stage the change again instead`);
    await ctx.requireApproval({ category: 'codeGeneration', action: `re-stage ${cs.dir}`, ticketId: cs.ticket_id ?? undefined, requestedBy: AGENT });
    const { restageChangeSet } = await import('../engine/restage.js');
    return restageChangeSet(ctx, cs);
  },
});

