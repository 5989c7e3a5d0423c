// The MCP edge function: POST {tool, arguments} with the service-role bearer.
import { getDb } from '../../../lib/db';
import { dispatch, listTools } from './registry';

export async function handler(req: Request, serviceRoleKey: string): Promise<Response> {
  if (req.headers.get('authorization') !== `Bearer ${serviceRoleKey}`) {
    return Response.json({ error: 'unauthorized' }, { status: 401 });
  }
  if (req.method !== 'POST') return Response.json({ error: 'use POST' }, { status: 405 });
  const body = (await req.json().catch(() => null)) as { tool?: string; arguments?: Record<string, unknown> } | null;
  if (!body?.tool) return Response.json({ error: 'body must be {tool, arguments}' }, { status: 400 });
  if (body.tool === 'list_tools') return Response.json({ tools: listTools() });
  const outcome = await dispatch(body.tool, body.arguments ?? {}, { db: getDb() });
  return Response.json(outcome);
}
