// Supabase advisor lints that depend on privileges and rows, not only on the schema's shape, so they
// run as catalog queries on the database itself (the shadow the migrations were replayed into, or a
// real one) instead of over a snapshot. Same names as splinter's lints (kebab-case), same
// conditions (supabase/splinter lints/0017, 0019, 0023, 0025-0029; 0005 apart, see unusedIndexes):
//
//   foreign-table-in-api                          (warning) foreign table anon/authenticated can SELECT in an API schema
//   insecure-queue-exposed-in-api                 (error)   pgmq queue table without RLS that the API roles can read, pgmq_public exposed
//   sensitive-columns-exposed                     (error)   API table without RLS, readable by anon/authenticated, with a column named like a secret or PII
//   public-bucket-allows-listing                  (warning) public storage bucket with a broad SELECT policy on storage.objects
//   pg-graphql-anon-table-exposed                 (warning) pg_graphql installed and anon can SELECT the table/view
//   pg-graphql-authenticated-table-exposed        (warning) the same for authenticated
//   anon-security-definer-function-executable     (warning) SECURITY DEFINER function anon can EXECUTE
//   authenticated-security-definer-function-executable (warning) the same for authenticated
//   unused-index                                  (info)    unusedIndexes(): an index a PostgreSQL server never scanned; run
//                                                           by `agent db analyze performance` on a pg target, the only place
//                                                           with usage statistics (the shadow and PGlite keep none)
//
// The shadow is built from the migrations, so its privileges are the ones they grant (and Postgres'
// defaults: EXECUTE to PUBLIC on every new function), as they would be on a fresh Supabase project.
import type { Queryable } from '../../src/integrations/postgres/types.js';
import type { Finding } from './finding.js';
import { MANAGED_SCHEMAS } from './schema-lints.js';
import { quoteQualified, sqlString } from './sql-names.js';

export interface CatalogLintOptions {
  /** The schemas the API serves (config.toml's [api] schemas; public always). */
  apiSchemas: readonly string[];
}

/** splinter's list of schemas these lints never look at. */
const SKIPPED = [...new Set([...MANAGED_SCHEMAS, 'pg_catalog', 'information_schema', 'extensions', 'graphql', 'graphql_public', 'net', 'pgmq', 'cron', 'vault', 'pgsodium', 'pgsodium_masks', 'realtime', 'storage', 'auth', 'supabase_functions', 'supabase_migrations'])];

/** splinter 0023's column names (compared lower-case, '-' as '_'). */
export const SENSITIVE_COLUMNS: ReadonlySet<string> = new Set(
  ('password passwd pwd passphrase secret secret_key private_key api_key apikey auth_key token jwt access_token refresh_token oauth_token session_token bearer_token auth_code ' +
    'session_id session_key session_secret recovery_code backup_code verification_code otp two_factor 2fa_secret 2fa_code ssn social_security social_security_number ' +
    'driver_license drivers_license license_number passport_number passport_id national_id tax_id credit_card card_number cvv cvc cvn bank_account account_number ' +
    'routing_number iban swift_code bic health_record medical_record patient_id insurance_number health_insurance medical_insurance treatment mac_address macaddr imei ' +
    'device_uuid pgp_key gpg_key ssh_key certificate license_key activation_key facial_recognition').split(' '),
);

/** Pure: a storage policy's USING that lets a role list a whole bucket (none, true, 1=1, or only `bucket_id = '<id>'`). */
export function broadBucketPolicy(qual: string | null, bucketId: string): boolean {
  if (qual === null) return true;
  const flat = qual.toLowerCase().replace(/\s+/g, '');
  if (['true', '(true)', '1=1', '(1=1)'].includes(flat)) return true;
  const m = /^\s*\(*\s*bucket_id\s*=\s*('(?:[^']|'')*')(\s*::\s*[\w.]+)?\s*\)*\s*$/i.exec(qual);
  return Boolean(m && m[1] === sqlString(bucketId));
}

const roleExists = async (db: Queryable, role: string) => (await db.query<{ n: number }>('select count(*)::int as n from pg_roles where rolname = $1', [role])).rows[0]!.n > 0;

/** The advisor lints over a database; roles, extensions or tables that are not there make a lint silent, never an error. */
export async function catalogLints(db: Queryable, opts: CatalogLintOptions): Promise<Finding[]> {
  const out: Finding[] = [];
  const api = [...opts.apiSchemas];
  const roles = (await Promise.all(['anon', 'authenticated'].map(async (r) => ((await roleExists(db, r)) ? r : null)))).filter((r): r is string => r !== null);
  const readable = roles.length ? `(${roles.map((r) => `pg_catalog.has_table_privilege('${r}', c.oid, 'SELECT')`).join(' or ')})` : 'false';
  const notExtension = `not exists (select 1 from pg_catalog.pg_depend d where d.objid = c.oid and d.deptype = 'e')`;

  // 0017 foreign tables in the API
  for (const r of (await db.query<{ s: string; t: string }>(`select n.nspname as s, c.relname as t from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relkind = 'f' and ${readable} and n.nspname = any($1) and ${notExtension} order by 1, 2`, [api])).rows) {
    out.push({ ruleId: 'foreign-table-in-api', severity: 'warning', object: `${r.s}.${r.t}`, message: `foreign table ${r.s}.${r.t} is readable over the API, and foreign tables have no row level security`, fix: 'move it to a schema the API does not serve, or revoke SELECT from anon and authenticated', fixSql: `revoke select on ${quoteQualified(`${r.s}.${r.t}`)} from anon, authenticated;` });
  }

  // 0019 pgmq queues exposed through pgmq_public
  if (api.includes('pgmq_public')) {
    for (const r of (await db.query<{ t: string }>(`select c.relname as t from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p') and not c.relrowsecurity and ${readable} and n.nspname = 'pgmq' and c.relname like 'q\\_%' order by 1`)).rows) {
      out.push({ ruleId: 'insecure-queue-exposed-in-api', severity: 'error', object: `pgmq.${r.t}`, message: `queue table pgmq.${r.t} has no row level security while pgmq_public is exposed: anyone with the anon or a user key can read and pop its messages`, fix: 'enable row level security on the queue table and add policies for who may use it', fixSql: `alter table ${quoteQualified(`pgmq.${r.t}`)} enable row level security;` });
    }
  }

  // 0023 sensitive columns on API tables without RLS
  const sensitive = await db.query<{ s: string; t: string; col: string }>(
    `select n.nspname as s, c.relname as t, a.attname as col from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where c.relkind = 'r' and not c.relrowsecurity and ${readable} and n.nspname = any($1) and not (n.nspname = any($2)) and replace(lower(a.attname), '-', '_') = any($3) order by 1, 2, 3`,
    [api, SKIPPED, [...SENSITIVE_COLUMNS]],
  );
  const byTable = new Map<string, string[]>();
  for (const r of sensitive.rows) byTable.set(`${r.s}.${r.t}`, [...(byTable.get(`${r.s}.${r.t}`) ?? []), r.col]);
  for (const [t, cols] of byTable) {
    out.push({ ruleId: 'sensitive-columns-exposed', severity: 'error', object: t, message: `${t} is readable over the API without row level security and has potentially sensitive column(s): ${cols.join(', ')}`, fix: 'enable row level security with policies, or move the columns out of the API', fixSql: `alter table ${quoteQualified(t)} enable row level security;` });
  }

  // 0025 public buckets whose objects anyone may list
  const hasBuckets = (await db.query<{ n: number }>(`select count(*)::int as n from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = 'storage' and c.relname = 'buckets' and c.relkind in ('r', 'p')`)).rows[0]!.n > 0;
  if (hasBuckets) {
    const buckets = (await db.query<{ id: string; name: string }>('select id::text as id, name::text as name from storage.buckets where public = true order by id')).rows;
    const policies = (await db.query<{ name: string; qual: string | null }>(`select policyname as name, qual from pg_catalog.pg_policies where schemaname = 'storage' and tablename = 'objects' and cmd in ('SELECT', 'ALL') and permissive = 'PERMISSIVE' and roles && array['public', 'anon', 'authenticated']::name[] order by 1`)).rows;
    for (const b of buckets) {
      const broad = policies.filter((p) => broadBucketPolicy(p.qual, b.id)).map((p) => p.name);
      if (broad.length) out.push({ ruleId: 'public-bucket-allows-listing', severity: 'warning', object: `storage.buckets.${b.name}`, message: `public bucket ${b.name} has ${broad.length} broad SELECT ${broad.length === 1 ? 'policy' : 'policies'} on storage.objects (${broad.join(', ')}), so clients can list every file in it; a public bucket serves object URLs without one`, fix: 'drop the broad SELECT policy, or narrow it to the rows a user may list' });
    }
  }

  // 0026/0027 pg_graphql introspection
  // Installed, or its stand-in in the shadow (PGlite has no pg_graphql: the migrations' `create extension` made graphql_public.graphql).
  const graphql = (await db.query<{ n: number }>(`select (select count(*) from pg_catalog.pg_extension where extname = 'pg_graphql') + (select count(*) from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace where n.nspname = 'graphql_public' and p.proname = 'graphql') as n`)).rows[0]!.n > 0;
  if (graphql) {
    for (const role of roles) {
      const kinds = { r: 'table', p: 'table', v: 'view', m: 'materialized view' } as Record<string, string>;
      const rows = (await db.query<{ s: string; t: string; k: string }>(`select n.nspname as s, c.relname as t, c.relkind::text as k from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'm') and pg_catalog.has_table_privilege('${role}', c.oid, 'SELECT') and not (n.nspname = any($1)) order by 1, 2`, [SKIPPED])).rows;
      for (const r of rows) {
        out.push({ ruleId: `pg-graphql-${role}-table-exposed`, severity: 'warning', object: `${r.s}.${r.t}`, message: `pg_graphql is installed and ${role} can SELECT ${kinds[r.k] ?? 'relation'} ${r.s}.${r.t}: its name, columns and relationships show in /graphql/v1 introspection${role === 'anon' ? ' to anyone with the anon key' : ' to every signed-in user'}, even with row level security`, fix: `revoke SELECT from ${role} if it is not meant to be discoverable${role === 'anon' ? ' without signing in' : ''}` });
      }
    }
  }

  // 0028/0029 SECURITY DEFINER functions the API roles can execute
  for (const role of roles) {
    const rows = (await db.query<{ s: string; f: string; args: string; trig: boolean }>(
      `select n.nspname as s, p.proname as f, pg_catalog.pg_get_function_identity_arguments(p.oid) as args, p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype as trig from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and pg_catalog.has_function_privilege('${role}', p.oid, 'EXECUTE') and not (n.nspname = any($1))
          and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e') order by 1, 2, 3`,
      [SKIPPED],
    )).rows;
    for (const r of rows) {
      const fn = `${quoteQualified(`${r.s}.${r.f}`)}(${r.args})`;
      // Supabase's advisor flags trigger functions too, but PostgREST cannot call one (a function
      // returning trigger runs only as a trigger, which never checks EXECUTE): the grant is needless, not an open door.
      if (r.trig) {
        out.push({
          ruleId: `${role}-security-definer-function-executable`,
          severity: 'warning',
          object: `${r.s}.${r.f}(${r.args})`,
          message: `SECURITY DEFINER trigger function ${r.s}.${r.f}(${r.args}) is executable by ${role}: /rest/v1/rpc cannot call a trigger function, so nothing is open today, but the grant is needless (Supabase's advisor lists it)`,
          fix: `revoke EXECUTE from public and ${role}: triggers fire without it`,
          fixSql: `revoke execute on function ${fn} from public, ${role};`,
        });
        continue;
      }
      out.push({
        ruleId: `${role}-security-definer-function-executable`,
        severity: 'warning',
        object: `${r.s}.${r.f}(${r.args})`,
        message: `SECURITY DEFINER function ${r.s}.${r.f}(${r.args}) is executable by ${role}: it runs with its owner's privileges and bypasses row level security, and ${role === 'anon' ? 'anyone with the anon key' : 'every signed-in user'} can call it at /rest/v1/rpc/${r.f}`,
        fix: role === 'anon' ? 'revoke EXECUTE from public and anon (new functions are executable by PUBLIC), and grant it back to the roles that need it' : 'make it SECURITY INVOKER, or revoke EXECUTE from authenticated if only the server calls it',
        ...(role === 'anon' ? { fixSql: `revoke execute on function ${fn} from public, anon;\ngrant execute on function ${fn} to authenticated, service_role;` } : {}),
      });
    }
  }

  return out;
}


/**
 * splinter 0005: indexes a server has never scanned since its statistics were last reset (not
 * unique, not a primary key: those enforce something). Only a PostgreSQL server's statistics mean
 * this: a shadow was just built and PGlite keeps no usage statistics, so there every index would
 * look unused. `since` is when the statistics were reset, when the server says.
 */
export async function unusedIndexes(db: Queryable): Promise<Array<Finding & { since: string | null }>> {
  const since = (await db.query<{ at: string | null }>(`select pg_catalog.pg_stat_get_db_stat_reset_time(d.oid)::text as at from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()`)).rows[0]?.at ?? null;
  const rows = (await db.query<{ s: string; t: string; i: string }>(
    `select s.schemaname as s, s.relname as t, s.indexrelname as i from pg_catalog.pg_stat_user_indexes s join pg_catalog.pg_index x on x.indexrelid = s.indexrelid
      where s.idx_scan = 0 and not x.indisunique and not x.indisprimary and not (s.schemaname = any($1)) order by 1, 2, 3`,
    [SKIPPED],
  )).rows;
  const window = since ? `since statistics were reset (${since})` : 'since statistics began (never reset)';
  return rows.map((r) => ({ ruleId: 'unused-index', severity: 'info' as const, object: `${r.s}.${r.i}`, since, message: `index ${r.s}.${r.i} on ${r.s}.${r.t} has not been scanned ${window}: every write still maintains it`, fix: 'drop it if nothing needs it (judge after representative traffic)', fixSql: `drop index concurrently if exists ${quoteQualified(`${r.s}.${r.i}`)};` }));
}
