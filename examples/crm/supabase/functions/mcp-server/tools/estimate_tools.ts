import { validate } from '../../../../lib/validate';
import type { ToolDefinition } from './types';

export const estimateTools: ToolDefinition[] = [
  {
    name: 'list_estimates',
    description: 'List the estimates written for a job.',
    inputSchema: {
      type: 'object',
      properties: { job_id: { type: 'string', format: 'uuid' } },
      required: ['job_id'],
    },
    async handler(args, { db }) {
      const input = validate<{ job_id: string }>(args, { job_id: { type: 'uuid', required: true } });
      if (!input.ok) throw new Error(input.errors.join('; '));
      const { data, error } = await db.from('estimates').select({ job_id: input.value.job_id });
      if (error) throw new Error(error.message);
      return { estimates: data };
    },
  },
];
