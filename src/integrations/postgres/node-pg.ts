// node-postgres behind the Pg interface, for DATABASE_URL. Loaded with import() only here.
import type { Pg, Queryable, QueryResult } from './types.js';

export async function openNodePg(connectionString: string, description = 'DATABASE_URL'): Promise<Pg> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString });
  await client.connect();
  // A server-side error on an idle client must not crash the process; the next query reports it.
  client.on('error', () => {});
  const q: Queryable = {
    async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
      const r = await client.query(sql, params as unknown[] | undefined);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
  let inTx = false;
  return {
    kind: 'pg',
    description,
    ...q,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      if (inTx) throw new Error('nested transaction on one connection');
      inTx = true;
      await client.query('begin');
      try {
        const result = await fn(q);
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        inTx = false;
      }
    },
    close: () => client.end(),
  };
}
