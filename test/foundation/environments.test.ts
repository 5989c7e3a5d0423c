// Pure decisions of the deploy path: which database an environment deploys to, and whether a
// rollback restored the schema.
import { describe, expect, it } from 'vitest';
import { resolveDatabase } from '../../src/engine/environments.js';
import { schemaRestored } from '../../src/engine/rollback-check.js';
import { defaultConfig, mergeConfig } from '../../src/config/config.js';
import { emptySnapshot, type SchemaSnapshot } from '../../agents/migrator/schema-snapshot.js';

const config = (environments: Record<string, { database?: string }> = {}) => mergeConfig(defaultConfig('crm'), { environments } as never, 'agent.config.json');
const secrets = (vars: Record<string, string>) => (name: string) => vars[name];

describe('resolveDatabase', () => {
  it('gives staging and production their own embedded databases by default', () => {
    const s = resolveDatabase('staging', config(), secrets({}));
    const p = resolveDatabase('production', config(), secrets({}));
    expect(s).toMatchObject({ kind: 'embedded', dataDir: '.agent/pgdata/staging' });
    expect(p).toMatchObject({ kind: 'embedded', dataDir: '.agent/pgdata/production' });
    expect(s.identity).not.toBe(p.identity);
  });

  it('takes DATABASE_URL as production alone; staging needs its own or --same-database', () => {
    const vars = secrets({ DATABASE_URL: 'postgres://crm:pw@db.example:6543/crm' });
    expect(resolveDatabase('production', config(), vars)).toMatchObject({ kind: 'url', identity: 'pg:db.example:6543/crm', description: 'DATABASE_URL (db.example:6543/crm)' });
    expect(() => resolveDatabase('staging', config(), vars)).toThrow(/DATABASE_URL is the production database and staging has none of its own/);
    const same = resolveDatabase('staging', config(), vars, { sameDatabase: true });
    expect(same).toMatchObject({ kind: 'url', sameDatabase: true });
    // One server, one lock: the same identity as production's.
    expect(same.identity).toBe(resolveDatabase('production', config(), vars).identity);
    expect(resolveDatabase('staging', config({ staging: { database: 'embedded' } }), vars)).toMatchObject({ kind: 'embedded', dataDir: '.agent/pgdata/staging' });
  });

  it('reads environments.<name>.database as a URL, an env var name or "embedded", and names what is wrong', () => {
    const c = config({ staging: { database: 'STAGING_DB' }, production: { database: 'postgres://u:p@prod.example/app' } });
    expect(resolveDatabase('production', c, secrets({}))).toMatchObject({ kind: 'url', identity: 'pg:prod.example:5432/app' });
    expect(() => resolveDatabase('staging', c, secrets({}))).toThrow('environments.staging.database names STAGING_DB, which is not set in the environment or .env');
    expect(resolveDatabase('staging', c, secrets({ STAGING_DB: 'postgresql://u:p@stg.example/app' }))).toMatchObject({ kind: 'url', description: 'STAGING_DB (stg.example:5432/app)' });
    expect(() => resolveDatabase('staging', c, secrets({ STAGING_DB: 'mysql://x' }))).toThrow('STAGING_DB (environments.staging.database) is not a postgres:// URL');
    expect(() => resolveDatabase('staging', config({ staging: { database: 'my staging db' } }), secrets({}))).toThrow(/use a postgres:\/\/ URL, the name of an environment variable holding one, or "embedded"/);
  });
});

describe('schemaRestored', () => {
  const withExt = (...names: string[]): SchemaSnapshot => ({ ...emptySnapshot(), extensions: Object.fromEntries(names.map((n) => [n, { schema: 'public', version: '1' }])) });

  it('passes when every object the deployments changed is back, and keeps later work apart', () => {
    const v = schemaRestored(withExt('a'), withExt('a', 'fk'), withExt('a', 'later'));
    expect(v).toEqual({ ok: true, remaining: [], unrelated: ['added extension later: 1 in public'], changed: 1 });
  });

  it('names what the deployments changed that is still changed', () => {
    const v = schemaRestored(withExt('a'), withExt('fk'), withExt());
    expect(v.ok).toBe(false);
    expect(v.remaining).toEqual(['removed extension a: 1 in public']);
    expect(v.changed).toBe(2);
  });
});
