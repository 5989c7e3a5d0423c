// A small PostgREST-compatible HTTP handler on 127.0.0.1 over a real database (PGlite or a
// PostgreSQL server through the Queryable both share), standing in for a Supabase project's REST
// API in the issue 18 tests: supabase-js talks to it unchanged. It speaks the part of PostgREST
// those tests use: GET/HEAD /rest/v1/<table> with eq. filters, limit and Prefer: count=exact
// (Content-Range), POST inserts (Prefer: return=representation, the single-object Accept), the
// apikey/Bearer check, and PostgREST's error codes for an unknown table (PGRST205) and column (42703).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queryable } from '../../src/integrations/postgres/types.js';

export interface Postgrest {
  url: string;
  /** Every request as "METHOD /path?query". */
  requests: string[];
  close(): Promise<void>;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

export async function startPostgrest(db: Pick<Queryable, 'query'>, key: string): Promise<Postgrest> {
  const requests: string[] = [];
  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const columnsOf = async (table: string) => (await db.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = 'public' and table_name = $1`, [table])).rows.map((r) => r.column_name);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const u = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${u.pathname}${u.search}`);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.headers.apikey !== key && bearer !== key) return send(res, 401, { message: 'Invalid API key' });
    const table = /^\/rest\/v1\/([^/]+)$/.exec(u.pathname)?.[1];
    if (!table || !IDENT.test(table)) return send(res, 404, { code: 'PGRST125', message: `Invalid path ${u.pathname}` });
    const columns = await columnsOf(table);
    if (!columns.length) return send(res, 404, { code: 'PGRST205', message: `Could not find the table 'public.${table}' in the schema cache` });
    const prefer = String(req.headers.prefer ?? '');
    const single = String(req.headers.accept ?? '').includes('vnd.pgrst.object');

    if (req.method === 'GET' || req.method === 'HEAD') {
      const where: string[] = [];
      const params: unknown[] = [];
      for (const [col, value] of u.searchParams) {
        if (['select', 'limit', 'offset', 'order'].includes(col)) continue;
        if (!columns.includes(col)) return send(res, 400, { code: '42703', message: `column ${table}.${col} does not exist` });
        const eq = /^eq\.(.*)$/s.exec(value);
        if (!eq) return send(res, 400, { code: 'PGRST100', message: `unsupported filter ${value}` });
        params.push(eq[1]);
        where.push(`"${col}"::text = $${params.length}`);
      }
      const cond = where.length ? ` where ${where.join(' and ')}` : '';
      const limit = u.searchParams.get('limit');
      const rows = (await db.query(`select * from public."${table}"${cond}${limit ? ` limit ${Number(limit)}` : ''}`, params)).rows;
      const headers: Record<string, string> = {};
      if (/count=exact/.test(prefer)) {
        const total = Number((await db.query<{ n: string }>(`select count(*)::text as n from public."${table}"${cond}`, params)).rows[0]!.n);
        headers['content-range'] = rows.length ? `0-${rows.length - 1}/${total}` : `*/${total}`;
      }
      if (req.method === 'HEAD') return send(res, 200, undefined, headers);
      return send(res, 200, single ? rows[0] : rows, headers);
    }

    if (req.method === 'POST') {
      const body = JSON.parse(raw || '{}') as Record<string, unknown> | Array<Record<string, unknown>>;
      const inserted: unknown[] = [];
      for (const row of Array.isArray(body) ? body : [body]) {
        const cols = Object.keys(row);
        const unknown = cols.find((c) => !columns.includes(c));
        if (unknown) return send(res, 400, { code: 'PGRST204', message: `Could not find the '${unknown}' column of '${table}' in the schema cache` });
        const sql = cols.length
          ? `insert into public."${table}" (${cols.map((c) => `"${c}"`).join(', ')}) values (${cols.map((_, i) => `$${i + 1}`).join(', ')}) returning *`
          : `insert into public."${table}" default values returning *`;
        inserted.push(...(await db.query(sql, cols.map((c) => row[c]))).rows);
      }
      if (!/return=representation/.test(prefer)) return send(res, 201);
      return send(res, 201, single ? inserted[0] : inserted);
    }
    return send(res, 405, { message: `${req.method} is not supported here` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error & { code?: string }) => send(res, 400, { code: err.code ?? 'XX000', message: err.message }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
