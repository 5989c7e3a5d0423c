// Postgres extensions PGlite can load, by the name `create extension` uses. PGlite needs each
// extension's bundle at start-up, so a database is opened with the ones its SQL mentions.
// Pure apart from the loaders (dynamic imports, only called while opening a database).

type Loader = () => Promise<unknown>;

const LOADERS: Record<string, Loader> = {
  pgcrypto: async () => (await import('@electric-sql/pglite/contrib/pgcrypto')).pgcrypto,
  'uuid-ossp': async () => (await import('@electric-sql/pglite/contrib/uuid_ossp')).uuid_ossp,
  pg_trgm: async () => (await import('@electric-sql/pglite/contrib/pg_trgm')).pg_trgm,
  citext: async () => (await import('@electric-sql/pglite/contrib/citext')).citext,
  hstore: async () => (await import('@electric-sql/pglite/contrib/hstore')).hstore,
  ltree: async () => (await import('@electric-sql/pglite/contrib/ltree')).ltree,
  fuzzystrmatch: async () => (await import('@electric-sql/pglite/contrib/fuzzystrmatch')).fuzzystrmatch,
  unaccent: async () => (await import('@electric-sql/pglite/contrib/unaccent')).unaccent,
  btree_gin: async () => (await import('@electric-sql/pglite/contrib/btree_gin')).btree_gin,
  btree_gist: async () => (await import('@electric-sql/pglite/contrib/btree_gist')).btree_gist,
  cube: async () => (await import('@electric-sql/pglite/contrib/cube')).cube,
  earthdistance: async () => (await import('@electric-sql/pglite/contrib/earthdistance')).earthdistance,
  isn: async () => (await import('@electric-sql/pglite/contrib/isn')).isn,
  lo: async () => (await import('@electric-sql/pglite/contrib/lo')).lo,
  seg: async () => (await import('@electric-sql/pglite/contrib/seg')).seg,
  tablefunc: async () => (await import('@electric-sql/pglite/contrib/tablefunc')).tablefunc,
  intarray: async () => (await import('@electric-sql/pglite/contrib/intarray')).intarray,
  bloom: async () => (await import('@electric-sql/pglite/contrib/bloom')).bloom,
  moddatetime: async () => (await import('@electric-sql/pglite/contrib/moddatetime')).moddatetime,
  tcn: async () => (await import('@electric-sql/pglite/contrib/tcn')).tcn,
};

/** Extension names PGlite can provide. */
export const PGLITE_EXTENSIONS: readonly string[] = Object.keys(LOADERS);

/**
 * Pure: the extensions these SQL texts need loaded: those `create extension` names, plus the shims'
 * pgcrypto and uuid-ossp when their functions are called (loading a bundle costs ~50-150 ms).
 */
export function extensionsIn(sqlTexts: Iterable<string>): string[] {
  const found = new Set<string>();
  // Line-anchored, so commented-out lines do not count; a false hit only loads one bundle more.
  const re = /^[ \t]*create\s+extension\s+(?:if\s+not\s+exists\s+)?(?:"([^"]+)"|([a-z_][a-z0-9_]*))/gim;
  for (const text of sqlTexts) {
    for (const m of text.matchAll(re)) found.add((m[1] ?? m[2] ?? '').toLowerCase());
    // The shims install these two (as Supabase does); their bundles are needed only when called.
    if (/\buuid_generate_v[1345]|\buuid_nil\s*\(|\buuid_ns_\w+\s*\(/i.test(text)) found.add('uuid-ossp');
    if (/\b(crypt|gen_salt|digest|hmac|pgp_\w+|encrypt|decrypt|encrypt_iv|decrypt_iv|gen_random_bytes|armor|dearmor)\s*\(/i.test(text)) found.add('pgcrypto');
  }
  return [...found].sort();
}

/** PGlite's `extensions` option for these names; names PGlite lacks are left out (the SQL then fails and is diagnosed). */
export async function pgliteExtensions(names: Iterable<string>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of new Set(names)) {
    const load = LOADERS[name];
    if (load) out[name.replace(/-/g, '_')] = await load();
  }
  return out;
}
