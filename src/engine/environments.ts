// Which database each environment deploys to. Pure: the config and a secret lookup in, a target out.
//
// Staging and production are separate databases. `environments.<name>.database` names one (a URL,
// the name of an environment variable holding one, or "embedded"); without it an environment gets
// its own embedded data directory `.agent/pgdata/<name>`. DATABASE_URL is the single-target
// shorthand: it is production, and a staging deploy to it is refused unless the user says
// --same-database (a staging deploy needs no approval, so it must not reach production by default).
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { AgentConfig } from '../config/config.js';
import type { Secrets, CredentialName } from '../config/secrets.js';

export const ENVIRONMENTS = ['staging', 'production'] as const;
export type EnvName = (typeof ENVIRONMENTS)[number];

export const PGDATA_ROOT = join('.agent', 'pgdata');

export type DatabaseTarget =
  | { kind: 'embedded'; env: EnvName; dataDir: string; identity: string; description: string; source: string }
  | { kind: 'url'; env: EnvName; url: string; identity: string; description: string; source: string; sameDatabase?: boolean };

const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;
const URL_SHAPE = /^postgres(ql)?:\/\//i;

export function isEnvName(v: string): v is EnvName {
  return (ENVIRONMENTS as readonly string[]).includes(v);
}

/** Where a server lives, never with its credentials: the lock key and what the user sees. */
export function urlIdentity(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname && u.pathname !== '/' ? u.pathname : '/postgres'}`;
  } catch {
    throw new UsageError('a database URL could not be parsed; it should look like postgres://user:password@host:5432/dbname');
  }
}

export function embeddedTarget(env: EnvName, source: string): DatabaseTarget {
  const dataDir = join(PGDATA_ROOT, env);
  return { kind: 'embedded', env, dataDir, identity: `embedded:${env}`, description: `embedded PGlite (${dataDir})`, source };
}

function urlTarget(env: EnvName, url: string, source: string): DatabaseTarget & { kind: 'url' } {
  const identity = urlIdentity(url);
  return { kind: 'url', env, url, identity: `pg:${identity}`, description: `${source} (${identity})`, source };
}

export interface ResolveOptions {
  /** The user accepted that staging is DATABASE_URL's (production's) database. */
  sameDatabase?: boolean;
}

/** The database an environment deploys to; a UsageError (exit 2) says what to configure. */
export function resolveDatabase(env: EnvName, config: AgentConfig, secret: (name: string) => string | undefined, opts: ResolveOptions = {}): DatabaseTarget {
  const configured = config.environments[env].database?.trim();
  const key = `environments.${env}.database`;
  if (configured) {
    if (configured === 'embedded') return embeddedTarget(env, key);
    if (URL_SHAPE.test(configured)) return urlTarget(env, configured, key);
    if (ENV_VAR_NAME.test(configured)) {
      const url = secret(configured);
      if (!url) throw new UsageError(`${key} names ${configured}, which is not set in the environment or .env; set it to the ${env} database's URL`);
      if (!URL_SHAPE.test(url)) throw new UsageError(`${configured} (${key}) is not a postgres:// URL`);
      return urlTarget(env, url, configured);
    }
    throw new UsageError(`${key} in agent.config.json is "${configured}"; use a postgres:// URL, the name of an environment variable holding one, or "embedded"`);
  }
  const single = secret('DATABASE_URL');
  if (!single) return embeddedTarget(env, 'the embedded default');
  if (env === 'production') return urlTarget(env, single, 'DATABASE_URL');
  if (opts.sameDatabase) return { ...urlTarget(env, single, 'DATABASE_URL (--same-database)'), sameDatabase: true };
  throw new UsageError(
    `DATABASE_URL is the production database and staging has none of its own: set environments.staging.database in agent.config.json (a URL, an env var name, or "embedded"), or pass --same-database to let staging change DATABASE_URL's database`,
  );
}

/** resolveDatabase with a command's own config and credentials (env vars named in the config included). */
export function databaseFor(ctx: { project: { config(): AgentConfig }; secrets: Pick<Secrets, 'get'> }, env: EnvName, opts: ResolveOptions = {}): DatabaseTarget {
  return resolveDatabase(env, ctx.project.config(), (name) => ctx.secrets.get(name as CredentialName), opts);
}

/** The environments a project has, each with its target or the reason it has none. */
export function describeEnvironments(config: AgentConfig, secret: (name: string) => string | undefined): Array<{ env: EnvName; target: DatabaseTarget | null; problem: string | null }> {
  return ENVIRONMENTS.map((env) => {
    try {
      return { env, target: resolveDatabase(env, config, secret), problem: null };
    } catch (err) {
      return { env, target: null, problem: (err as Error).message };
    }
  });
}
