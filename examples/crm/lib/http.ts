// JSON responses with the status codes the app's clients expect.
export function json(data: unknown, status = 200): Response {
  return new Response(JSON.stringify(data), { status, headers: { 'content-type': 'application/json' } });
}

export function badRequest(errors: string[]): Response {
  return json({ error: 'invalid request', details: errors }, 400);
}

export function serverError(message: string): Response {
  return json({ error: message }, 500);
}

export async function readJson(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    return undefined;
  }
}
