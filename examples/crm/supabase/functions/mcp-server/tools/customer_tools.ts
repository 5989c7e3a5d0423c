import { validate } from '../../../../lib/validate';
import type { ToolDefinition } from './types';

export const customerTools: ToolDefinition[] = [
  {
    name: 'find_customer',
    description: 'Find customers by exact name or email.',
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } },
    },
    async handler(args, { db }) {
      const match: Record<string, unknown> = {};
      if (typeof args.name === 'string') match.name = args.name;
      if (typeof args.email === 'string') match.email = args.email;
      const { data, error } = await db.from('customers').select(match);
      if (error) throw new Error(error.message);
      return { customers: data };
    },
  },
  {
    name: 'create_customer',
    description: 'Create a customer record.',
    inputSchema: {
      type: 'object',
      properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' }, phone: { type: 'string' } },
      required: ['name'],
    },
    async handler(args, { db }) {
      const input = validate(args, { name: { type: 'string', required: true }, email: { type: 'email' }, phone: { type: 'string' } });
      if (!input.ok) throw new Error(input.errors.join('; '));
      const { data, error } = await db.from('customers').insert(input.value);
      if (error) throw new Error(error.message);
      return { customer: data };
    },
  },
];
