import { getDb } from '../../../lib/db';
import { badRequest, json, readJson, serverError } from '../../../lib/http';
import { validate } from '../../../lib/validate';

interface NewCustomer {
  name: string;
  email?: string;
  phone?: string;
  address?: string;
}

export async function GET(): Promise<Response> {
  const { data, error } = await getDb().from('customers').select();
  if (error) return serverError(error.message);
  return json({ customers: data });
}

export async function POST(req: Request): Promise<Response> {
  const input = validate<NewCustomer>(await readJson(req), {
    name: { type: 'string', required: true },
    email: { type: 'email' },
    phone: { type: 'string' },
    address: { type: 'string' },
  });
  if (!input.ok) return badRequest(input.errors);
  const { data, error } = await getDb().from('customers').insert(input.value);
  if (error) return serverError(error.message);
  return json({ customer: data }, 201);
}
