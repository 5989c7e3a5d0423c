// From an intent to migration SQL: the up SQL, its rollback (down) and a name slug, written the
// way the safety linter asks for (lock_timeout first; indexes CONCURRENTLY alone in their own file;
// constraints NOT VALID then VALIDATE; SET NOT NULL behind a validated check; new tables with RLS).
// With a schema snapshot it checks the objects exist (or do not) and writes exact rollbacks
// (a dropped column comes back with its type, default, indexes and constraints); whatever it
// cannot write with confidence is refused. Pure.
import type { ColumnSpec, Intent } from './intent-parser.js';
import { EXAMPLES, parseIntent } from './intent-parser.js';
import type { SchemaSnapshot, TableSnapshot } from './schema-snapshot.js';
import { objectName, quoteIdent, quoteQualified } from './sql-names.js';
import { ownerPolicySql } from './schema-lints.js';

export interface PlannedMigration {
  type: 'ok';
  intent: Intent;
  /** Lowercase `[a-z0-9_]+`, for `<version>_<slug>.sql`. */
  slug: string;
  up: string;
  down: string;
  /** False when the up SQL must run outside a transaction (CONCURRENTLY). */
  transactional: boolean;
  /** Things the admin should know about this migration. */
  notes: string[];
}

export type BuildResult = PlannedMigration | { type: 'refused'; understood: string; example: string; reason: string };

const LOCK_TIMEOUT = "set lock_timeout = '5s';";
const q = quoteQualified;
const id = quoteIdent;
const bare = (table: string) => table.split('.').pop() as string;
const slugify = (...parts: string[]) => parts.join('_').replace(/[^a-z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '').slice(0, 80);

function refuse(intent: Intent, understood: string, reason: string): BuildResult {
  return { type: 'refused', understood, example: EXAMPLES[intent.kind], reason };
}

function columnSql(c: ColumnSpec): string {
  const parts = [id(c.name), c.type];
  if (c.primaryKey) parts.push('primary key');
  else if (!c.nullable) parts.push('not null');
  if (c.default !== undefined) parts.push(`default ${c.default}`);
  if (c.unique) parts.push('unique');
  if (c.references) {
    parts.push(`references ${q(c.references.table)} (${id(c.references.column ?? 'id')})`);
    if (c.references.onDelete) parts.push(`on delete ${c.references.onDelete}`);
  }
  return parts.join(' ');
}

/** Types as the catalog prints them, for comparing a column with a referenced key. */
function canonicalType(t: string): string {
  const map: Record<string, string> = { timestamptz: 'timestamp with time zone', timestamp: 'timestamp without time zone', int: 'integer', int4: 'integer', int8: 'bigint', bool: 'boolean', varchar: 'character varying', time: 'time without time zone' };
  return map[t] ?? t.replace(/^varchar/, 'character varying');
}

function singleColumnKey(t: TableSnapshot): string | null {
  const pk = Object.values(t.constraints).find((c) => c.type === 'primary key');
  return pk && pk.columns.length === 1 ? (pk.columns[0] as string) : null;
}

export function buildMigration(input: Intent, snapshot?: SchemaSnapshot): BuildResult {
  const intent = structuredClone(input);
  const s = snapshot;
  const tableOf = (name: string) => s?.tables[name];
  const needTable = (name: string): string | null => (s && !tableOf(name) ? `table ${name} does not exist` : null);
  const needColumn = (table: string, column: string): string | null => needTable(table) ?? (s && !tableOf(table)?.columns[column] ? `column ${table}.${column} does not exist` : null);

  switch (intent.kind) {
    case 'create-table': {
      const t = intent.table;
      if (s && (s.tables[t] || s.views[t])) return refuse(intent, `create table ${t}`, `${t} already exists`);
      const notes: string[] = [];
      const columns = [...intent.columns];
      for (const c of columns) {
        if (!c.references) continue;
        const ref = c.references;
        const target = tableOf(ref.table);
        if (s && !target) return refuse(intent, `create table ${t} with ${c.name} referencing ${ref.table}`, `table ${ref.table} does not exist`);
        if (!ref.column) {
          if (!target) return refuse(intent, `create table ${t} with ${c.name} referencing ${ref.table}`, `name the referenced column ("references ${bare(ref.table)}(id)") or give me the schema to look up its primary key`);
          const key = singleColumnKey(target);
          if (!key) return refuse(intent, `create table ${t}`, `${ref.table} has no single-column primary key to reference; name the column`);
          ref.column = key;
        }
      }
      // A name that starts with an existing table's singular belongs to it: customer_preferences -> customers.
      const first = bare(t).split('_')[0] as string;
      const parentKey = [`public.${first}s`, `public.${first}es`, first.endsWith('y') ? `public.${first.slice(0, -1)}ies` : ''].find((k) => k && k !== t && s?.tables[k]);
      const parentFk = `${first}_id`;
      if (parentKey && bare(t) !== first && !columns.some((c) => c.name === parentFk)) {
        const parent = s?.tables[parentKey] as TableSnapshot;
        const key = singleColumnKey(parent);
        if (key && parent.columns[key]) {
          columns.unshift({ name: parentFk, type: parent.columns[key].type === 'timestamp with time zone' ? 'timestamptz' : parent.columns[key].type, nullable: false, references: { table: parentKey, column: key, onDelete: 'cascade' } });
          notes.push(`${parentFk} references ${parentKey} (${key}) because the table's name starts with "${first}"; rows go when their ${first} does (on delete cascade)`);
        }
      }
      if (!columns.some((c) => c.primaryKey) && !columns.some((c) => c.name === 'id')) columns.unshift({ name: 'id', type: 'uuid', nullable: false, primaryKey: true, default: 'gen_random_uuid()' });
      if (!columns.some((c) => c.name === 'created_at')) columns.push({ name: 'created_at', type: 'timestamptz', nullable: false, default: 'now()' });
      const fkIndexes = columns.filter((c) => c.references && !c.primaryKey && !c.unique).map((c) => `create index if not exists ${id(objectName(bare(t), c.name, 'idx'))} on ${q(t)} (${id(c.name)});`);
      const up = [
        LOCK_TIMEOUT,
        `create table if not exists ${q(t)} (\n${columns.map((c) => `  ${columnSql(c)}`).join(',\n')}\n);`,
        ...fkIndexes,
        `alter table ${q(t)} enable row level security;`,
      ].join('\n');
      notes.push(`${t} has row level security on and no policy yet: the API returns no rows until a policy is added (e.g. "enable RLS on ${bare(t)} with owner policy on <column>")`);
      return { type: 'ok', intent, slug: slugify('create', bare(t)), up, down: `drop table if exists ${q(t)};`, transactional: true, notes };
    }

    case 'add-column': {
      const { table: t, column: c } = intent;
      const missing = needTable(t);
      if (missing) return refuse(intent, `add column ${c.name} to ${t}`, missing);
      if (s && tableOf(t)?.columns[c.name]) return refuse(intent, `add column ${c.name} to ${t}`, `${t}.${c.name} already exists`);
      if (c.unique) return refuse(intent, `add column ${c.name} to ${t} (unique)`, `a unique column on an existing table builds its index under an exclusive lock: add the column, then "add unique index on ${bare(t)}(${c.name})"`);
      if (!c.nullable && c.default === undefined) return refuse(intent, `add column ${c.name} ${c.type} not null to ${t}`, `a NOT NULL column without a default fails on existing rows: give it a default, or add it nullable and then "make ${bare(t)}.${c.name} not null"`);
      const volatile = c.default !== undefined && /\(\)$/.test(c.default) && !/^now\(\)$/.test(c.default);
      const notes: string[] = [];
      const up = [LOCK_TIMEOUT];
      if (volatile) {
        if (!c.nullable) return refuse(intent, `add column ${c.name} to ${t} with default ${c.default}`, `a volatile default on a NOT NULL column rewrites the whole table; add it nullable, backfill in batches, then make it not null`);
        up.push(`alter table ${q(t)} add column if not exists ${columnSql({ ...c, default: undefined })};`);
        up.push(`alter table ${q(t)} alter column ${id(c.name)} set default ${c.default};`);
        notes.push(`existing rows keep ${c.name} null: a volatile default (${c.default}) applies to new rows only, to avoid rewriting ${t}`);
      } else up.push(`alter table ${q(t)} add column if not exists ${columnSql(c)};`);
      if (c.references) {
        const target = tableOf(c.references.table);
        if (s && !target) return refuse(intent, `add column ${c.name} referencing ${c.references.table}`, `table ${c.references.table} does not exist`);
        if (!c.references.column) c.references.column = target ? singleColumnKey(target) : null;
        if (!c.references.column) return refuse(intent, `add column ${c.name} referencing ${c.references.table}`, target ? `${c.references.table} has no single-column primary key; name the column` : `name the referenced column ("references ${bare(c.references.table)}(id)")`);
        up[up.length - 1] = `alter table ${q(t)} add column if not exists ${columnSql(volatile ? { ...c, default: undefined } : c)};`;
      }
      if (c.references) notes.push(`${c.name} has no index yet: "add index on ${bare(t)}(${c.name})" as its own migration`);
      return { type: 'ok', intent, slug: slugify('add', c.name, 'to', bare(t)), up: up.join('\n'), down: `alter table ${q(t)} drop column if exists ${id(c.name)};`, transactional: true, notes };
    }

    case 'drop-column': {
      const { table: t, column } = intent;
      if (!s) return refuse(intent, `drop column ${column} from ${t}`, 'I need the current schema to write the rollback that restores the column');
      const missing = needColumn(t, column);
      if (missing) return refuse(intent, `drop column ${column} from ${t}`, missing);
      const table = tableOf(t) as TableSnapshot;
      const col = table.columns[column] as NonNullable<TableSnapshot['columns'][string]>;
      if (col.generated || col.identity) return refuse(intent, `drop column ${column} from ${t}`, `${t}.${column} is ${col.generated ? 'generated' : 'an identity column'}; write that rollback by hand`);
      const notes = [`dropping ${t}.${column} destroys its data: this migration needs approval, and the rollback restores the column, not its values`];
      const restore = [`alter table ${q(t)} add column if not exists ${id(column)} ${col.type}${col.default !== null ? ` default ${col.default}` : ''}${!col.nullable && col.default !== null ? ' not null' : ''};`];
      if (!col.nullable && col.default === null) notes.push(`the rollback restores ${column} as nullable: it was NOT NULL without a default, and its values are gone`);
      for (const [name, c] of Object.entries(table.constraints)) if (c.columns.includes(column)) restore.push(`alter table ${q(t)} add constraint ${id(name)} ${c.definition}${c.validated ? '' : ' not valid'};`);
      for (const [name, i] of Object.entries(table.indexes)) if (i.columns.includes(column) && !table.constraints[name]) restore.push(`${i.definition};`);
      return { type: 'ok', intent, slug: slugify('drop', column, 'from', bare(t)), up: [LOCK_TIMEOUT, `alter table ${q(t)} drop column if exists ${id(column)};`].join('\n'), down: [LOCK_TIMEOUT, ...restore].join('\n'), transactional: true, notes };
    }

    case 'rename-column': {
      const { table: t, from, to } = intent;
      const missing = needColumn(t, from);
      if (missing) return refuse(intent, `rename ${t}.${from} to ${to}`, missing);
      if (s && tableOf(t)?.columns[to]) return refuse(intent, `rename ${t}.${from} to ${to}`, `${t}.${to} already exists`);
      return {
        type: 'ok', intent, slug: slugify('rename', bare(t), from, 'to', to),
        up: [LOCK_TIMEOUT, `alter table ${q(t)} rename column ${id(from)} to ${id(to)};`].join('\n'),
        down: [LOCK_TIMEOUT, `alter table ${q(t)} rename column ${id(to)} to ${id(from)};`].join('\n'),
        transactional: true,
        notes: [`clients that still read or write ${from} break when this runs: ship the code change that uses ${to} together with it`],
      };
    }

    case 'add-index': {
      const { table: t, columns, unique } = intent;
      for (const c of columns) {
        const missing = needColumn(t, c);
        if (missing) return refuse(intent, `an index on ${t} (${columns.join(', ')})`, missing);
      }
      const name = objectName(bare(t), ...columns, unique ? 'key' : 'idx');
      const existing = tableOf(t);
      if (existing?.indexes[name]) return refuse(intent, `an index on ${t} (${columns.join(', ')})`, `index ${name} already exists`);
      const same = existing && Object.entries(existing.indexes).find(([, i]) => i.columns.join(',') === columns.join(',') && (i.unique || !unique) && i.predicate === null);
      if (same) return refuse(intent, `an index on ${t} (${columns.join(', ')})`, `${same[0]} already covers (${columns.join(', ')})`);
      const schema = t.split('.')[0] as string;
      return {
        type: 'ok', intent, slug: slugify('add', unique ? 'unique' : '', 'index', bare(t), ...columns),
        up: `create ${unique ? 'unique ' : ''}index concurrently if not exists ${id(name)} on ${q(t)} (${columns.map(id).join(', ')});`,
        down: `drop index concurrently if exists ${q(`${schema}.${name}`)};`,
        transactional: false,
        notes: ['CREATE INDEX CONCURRENTLY does not block writes but cannot run in a transaction: it is alone in its migration file, and a failed build leaves an invalid index to drop before retrying'],
      };
    }

    case 'add-foreign-key': {
      const { table: t, column, refTable } = intent;
      const missing = needColumn(t, column) ?? needTable(refTable);
      if (missing) return refuse(intent, `a foreign key from ${t}.${column} to ${refTable}`, missing);
      let refColumn = intent.refColumn;
      const target = tableOf(refTable);
      if (!refColumn) {
        if (!target) return refuse(intent, `a foreign key from ${t}.${column} to ${refTable}`, `name the referenced column (${refTable}.id?) or give me the schema to look up its primary key`);
        refColumn = singleColumnKey(target);
        if (!refColumn) return refuse(intent, `a foreign key from ${t}.${column} to ${refTable}`, `${refTable} has no single-column primary key; name the referenced column`);
      }
      if (target && !target.columns[refColumn]) return refuse(intent, `a foreign key from ${t}.${column} to ${refTable}.${refColumn}`, `column ${refTable}.${refColumn} does not exist`);
      const from = tableOf(t)?.columns[column];
      const to = target?.columns[refColumn];
      if (from && to && canonicalType(from.type) !== canonicalType(to.type)) return refuse(intent, `a foreign key from ${t}.${column} to ${refTable}.${refColumn}`, `${t}.${column} is ${from.type} but ${refTable}.${refColumn} is ${to.type}`);
      const constraint = objectName(bare(t), column, 'fkey');
      if (tableOf(t)?.constraints[constraint]) return refuse(intent, `a foreign key from ${t}.${column}`, `constraint ${constraint} already exists`);
      const notes = ['Supabase applies a migration file in one transaction, so VALIDATE runs under the lock the ADD took; for a large, busy table move the VALIDATE line into a later migration', 'rows that point nowhere make VALIDATE fail: the dry run shows it before anything is applied'];
      const indexed = tableOf(t) && Object.values((tableOf(t) as TableSnapshot).indexes).some((i) => i.columns[0] === column);
      if (s && !indexed) notes.push(`${t}.${column} has no index: follow with "add index on ${bare(t)}(${column})"`);
      return {
        type: 'ok', intent, slug: slugify('add_fk', bare(t), column),
        up: [
          LOCK_TIMEOUT,
          `alter table ${q(t)} add constraint ${id(constraint)} foreign key (${id(column)}) references ${q(refTable)} (${id(refColumn)})${intent.onDelete ? ` on delete ${intent.onDelete}` : ''} not valid;`,
          `alter table ${q(t)} validate constraint ${id(constraint)};`,
        ].join('\n'),
        down: [LOCK_TIMEOUT, `alter table ${q(t)} drop constraint if exists ${id(constraint)};`].join('\n'),
        transactional: true,
        notes,
      };
    }

    case 'enable-rls': {
      const t = intent.table;
      const missing = needTable(t);
      if (missing) return refuse(intent, `enable RLS on ${t}`, missing);
      const table = tableOf(t);
      let owner = intent.ownerColumn;
      if (intent.ownerPolicy && !owner) {
        const candidates = table ? ['owner_id', 'user_id'].filter((c) => table.columns[c]) : [];
        if (candidates.length !== 1) return refuse(intent, `enable RLS on ${t} with an owner policy`, 'name the column that holds the owner\'s user id ("… with owner policy on owner_id")');
        owner = candidates[0] as string;
      }
      if (owner) {
        const col = table?.columns[owner];
        if (s && !col) return refuse(intent, `enable RLS on ${t} with an owner policy on ${owner}`, `column ${t}.${owner} does not exist`);
        if (col && col.type !== 'uuid') return refuse(intent, `enable RLS on ${t} with an owner policy on ${owner}`, `${t}.${owner} is ${col.type}; auth.uid() is a uuid`);
      }
      const policyName = `${bare(t)} owner can do everything`;
      if (owner && table?.policies[policyName]) return refuse(intent, `an owner policy on ${t}`, `policy "${policyName}" already exists`);
      const wasOn = table?.rls === true;
      if (wasOn && !owner) return refuse(intent, `enable RLS on ${t}`, `row level security is already on for ${t}`);
      const up = [LOCK_TIMEOUT];
      if (!wasOn) up.push(`alter table ${q(t)} enable row level security;`);
      if (owner) up.push(ownerPolicySql(t, owner));
      const down = [LOCK_TIMEOUT];
      if (owner) down.push(`drop policy if exists "${policyName}" on ${q(t)};`);
      if (!wasOn) down.push(`alter table ${q(t)} disable row level security;`);
      const notes = owner ? [`signed-in users see and change only rows whose ${owner} is their user id; the service role bypasses RLS`] : [`with RLS on and no policy, the API returns no rows of ${t}: add policies`];
      if (!s && !owner) notes.push('without the current schema I could not check whether RLS was already on');
      return { type: 'ok', intent, slug: slugify('enable_rls', bare(t), owner ? 'owner_policy' : ''), up: up.join('\n'), down: down.join('\n'), transactional: true, notes };
    }

    case 'set-not-null': {
      const { table: t, column } = intent;
      const missing = needColumn(t, column);
      if (missing) return refuse(intent, `make ${t}.${column} not null`, missing);
      if (tableOf(t)?.columns[column]?.nullable === false) return refuse(intent, `make ${t}.${column} not null`, `${t}.${column} is already NOT NULL`);
      const check = objectName(bare(t), column, 'nn_check');
      return {
        type: 'ok', intent, slug: slugify(bare(t), column, 'not_null'),
        up: [
          LOCK_TIMEOUT,
          `alter table ${q(t)} add constraint ${id(check)} check (${id(column)} is not null) not valid;`,
          `alter table ${q(t)} validate constraint ${id(check)};`,
          `alter table ${q(t)} alter column ${id(column)} set not null;`,
          `alter table ${q(t)} drop constraint ${id(check)};`,
        ].join('\n'),
        down: [LOCK_TIMEOUT, `alter table ${q(t)} alter column ${id(column)} drop not null;`].join('\n'),
        transactional: true,
        notes: [`existing rows with ${column} null make VALIDATE fail: the dry run shows it; fill them first`],
      };
    }

    case 'drop-not-null': {
      const { table: t, column } = intent;
      const missing = needColumn(t, column);
      if (missing) return refuse(intent, `make ${t}.${column} nullable`, missing);
      if (tableOf(t)?.columns[column]?.nullable === true) return refuse(intent, `make ${t}.${column} nullable`, `${t}.${column} is already nullable`);
      return {
        type: 'ok', intent, slug: slugify(bare(t), column, 'nullable'),
        up: [LOCK_TIMEOUT, `alter table ${q(t)} alter column ${id(column)} drop not null;`].join('\n'),
        down: [LOCK_TIMEOUT, `alter table ${q(t)} alter column ${id(column)} set not null;`].join('\n'),
        transactional: true,
        notes: ['the rollback fails if rows with nulls were written in between'],
      };
    }
  }
}

/** Description -> migration, or the parser's / builder's refusal. Pure. */
export function planFromDescription(description: string, snapshot?: SchemaSnapshot): BuildResult {
  const parsed = parseIntent(description);
  if (parsed.type === 'refused') return parsed;
  return buildMigration(parsed.intent, snapshot);
}
