import { getDb } from '../../../lib/db';
import { badRequest, json, readJson, serverError } from '../../../lib/http';
import { validate } from '../../../lib/validate';

interface NewJob {
  customer_id: string;
  title: string;
  scheduled_for?: string;
}

export async function GET(req: Request): Promise<Response> {
  const customerId = new URL(req.url).searchParams.get('customer_id');
  const { data, error } = await getDb().from('jobs').select(customerId ? { customer_id: customerId } : {});
  if (error) return serverError(error.message);
  return json({ jobs: data });
}

export async function POST(req: Request): Promise<Response> {
  const input = validate<NewJob>(await readJson(req), {
    customer_id: { type: 'uuid', required: true },
    title: { type: 'string', required: true },
    scheduled_for: { type: 'date' },
  });
  if (!input.ok) return badRequest(input.errors);
  const { data, error } = await getDb().from('jobs').insert({ ...input.value, status: 'scheduled' });
  if (error) return serverError(error.message);
  return json({ job: data }, 201);
}
