// The deploy stress loops' backends: the embedded databases, and a PostgreSQL server when
// TEST_DATABASE_URL names one (CI starts one on 127.0.0.1): each project copy gets two fresh
// databases, staging's and production's, through environment variables the config names.
import { foreignKeys } from '../pipeline/deploy-fixture.js';

export interface Backend {
  name: string;
  /** Committed into the project's agent.config.json. */
  config: Record<string, unknown>;
  /** The environment variables for one fresh copy (new databases where there is a server). */
  fresh: () => Promise<Record<string, string>>;
  fks: (dir: string, env: 'staging' | 'production', vars: Record<string, string>) => Promise<string[]>;
}

export const embedded: Backend = {
  name: 'PGlite',
  config: {},
  fresh: async () => ({}),
  fks: async (dir, env) => (await foreignKeys(dir, env)) ?? [],
};

const FK_SQL = `select conname from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace order by conname`;

async function withClient<T>(url: string, fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let seq = 0;

export function pgTargets(): Backend[] {
  const server = process.env.TEST_DATABASE_URL;
  if (!server) {
    console.warn('deploy stress: TEST_DATABASE_URL is not set; the PostgreSQL backend is skipped (PGlite only)');
    return [];
  }
  const dbUrl = (name: string) => {
    const u = new URL(server);
    u.pathname = `/${name}`;
    return u.toString();
  };
  return [
    {
      name: 'PostgreSQL',
      config: { environments: { staging: { database: 'STAGING_DATABASE_URL' }, production: { database: 'PRODUCTION_DATABASE_URL' } } },
      async fresh() {
        const tag = `crm_stress_${process.pid}_${++seq}`;
        await withClient(server, async (c) => {
          for (const env of ['staging', 'production']) {
            await c.query(`drop database if exists ${tag}_${env}`);
            await c.query(`create database ${tag}_${env}`);
          }
        });
        return { STAGING_DATABASE_URL: dbUrl(`${tag}_staging`), PRODUCTION_DATABASE_URL: dbUrl(`${tag}_production`) };
      },
      fks: (_dir, env, vars) => withClient(vars[env === 'staging' ? 'STAGING_DATABASE_URL' : 'PRODUCTION_DATABASE_URL']!, async (c) => (await c.query<{ conname: string }>(FK_SQL)).rows.map((r) => r.conname)),
    },
  ];
}
