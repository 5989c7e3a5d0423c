import { getDb } from '../../../../lib/db';
import { json, serverError } from '../../../../lib/http';

export async function GET(_req: Request, { params }: { params: { id: string } }): Promise<Response> {
  const { data, error } = await getDb().from('jobs').select({ id: params.id });
  if (error) return serverError(error.message);
  if (!data.length) return json({ error: 'job not found' }, 404);
  return json({ job: data[0] });
}
