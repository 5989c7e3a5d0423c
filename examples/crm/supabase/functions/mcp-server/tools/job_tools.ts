import { validate } from '../../../../lib/validate';
import type { ToolDefinition } from './types';

export const jobTools: ToolDefinition[] = [
  {
    name: 'list_jobs',
    description: "List a customer's jobs.",
    inputSchema: {
      type: 'object',
      properties: { customer_id: { type: 'string', format: 'uuid' } },
      required: ['customer_id'],
    },
    async handler(args, { db }) {
      const input = validate<{ customer_id: string }>(args, { customer_id: { type: 'uuid', required: true } });
      if (!input.ok) throw new Error(input.errors.join('; '));
      const { data, error } = await db.from('jobs').select({ customer_id: input.value.customer_id });
      if (error) throw new Error(error.message);
      return { jobs: data };
    },
  },
  {
    name: 'create_job',
    description: 'Schedule a job for a customer.',
    inputSchema: {
      type: 'object',
      properties: {
        customer_id: { type: 'string', format: 'uuid' },
        title: { type: 'string' },
        scheduled_for: { type: 'string', format: 'date-time' },
      },
      required: ['customer_id', 'title'],
    },
    async handler(args, { db }) {
      const input = validate(args, {
        customer_id: { type: 'uuid', required: true },
        title: { type: 'string', required: true },
        scheduled_for: { type: 'date' },
      });
      if (!input.ok) throw new Error(input.errors.join('; '));
      const { data, error } = await db.from('jobs').insert({ ...input.value, status: 'scheduled' });
      if (error) throw new Error(error.message);
      return { job: data };
    },
  },
];
