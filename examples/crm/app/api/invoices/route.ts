import { getDb } from '../../../lib/db';
import { badRequest, json, readJson, serverError } from '../../../lib/http';
import { validate } from '../../../lib/validate';

interface NewInvoice {
  job_id: string;
  customer_id: string;
  amount_cents: number;
  due_on?: string;
}

export async function GET(req: Request): Promise<Response> {
  const jobId = new URL(req.url).searchParams.get('job_id');
  const { data, error } = await getDb().from('invoices').select(jobId ? { job_id: jobId } : {});
  if (error) return serverError(error.message);
  return json({ invoices: data });
}

export async function POST(req: Request): Promise<Response> {
  const input = validate<NewInvoice>(await readJson(req), {
    job_id: { type: 'uuid', required: true },
    customer_id: { type: 'uuid', required: true },
    amount_cents: { type: 'integer', required: true },
    due_on: { type: 'date' },
  });
  if (!input.ok) return badRequest(input.errors);
  const { data, error } = await getDb().from('invoices').insert({ ...input.value, status: 'open' });
  if (error) return serverError(error.message);
  return json({ invoice: data }, 201);
}
