// The Migrator's offline fixes for BugHunter's schema causes (fix kind 'schema'), read against the
// schema the project's migrations build (a snapshot of the shadow database). Pure.
//
//   index:<schema.table.key>->…   an unindexed foreign key: deletes on the parent scan the table.
//                                  Fix: `create index concurrently if not exists` on the key's
//                                  columns, one statement per file (CONCURRENTLY cannot run in a
//                                  transaction, and the Supabase CLI runs each file in one).
//   on-delete:<key>                a key with no ON DELETE action that the ticket's delete violates.
//                                  Fix: the key re-created with an action, NOT VALID under a
//                                  lock_timeout, VALIDATE in a file of its own, then its index.
//
// The ON DELETE action: `set null` for a nullable column (the child row stays, without its parent).
// For a NOT NULL column the only action that lets the delete succeed is `cascade`, which deletes the
// child rows with their parent: that is data loss, so the migration is marked destructive (deploying
// it needs the admin's approval) and says the alternative (keep NO ACTION and stop deleting referenced
// rows in the code). RESTRICT is never staged: it fails the same delete, so it would fix nothing.
import type { RootCause } from '../shared/causes.js';
import type { StagedMigration } from '../shared/change-set.js';
import type { SchemaSnapshot, TableSnapshot } from './schema-snapshot.js';
import { migrationPath, rollbackPath } from './rollback-store.js';
import { objectName, quoteIdent, quoteQualified } from './sql-names.js';

export interface IndexFix {
  kind: 'index';
  causeId: string;
  /** `schema.table` */
  table: string;
  columns: string[];
  /** The foreign key the index covers. */
  constraint: string;
  /** The new index's name (free in the table's schema). */
  index: string;
}

export interface OnDeleteFix {
  kind: 'on-delete';
  causeId: string;
  table: string;
  constraint: string;
  columns: string[];
  references: { table: string; columns: string[] };
  /** Every column of the key is nullable. */
  nullable: boolean;
  action: 'set null' | 'cascade';
  /** The key's definition before the fix (pg_get_constraintdef), for the rollback. */
  original: string;
}

export type SchemaFix = IndexFix | OnDeleteFix;

export interface SchemaFixPlan {
  fixes: SchemaFix[];
  /** Causes the Migrator was given but cannot fix offline, with the reason. */
  unplanned: Array<{ causeId: string; reason: string }>;
}

/** Pure: the causes the Migrator writes a schema fix for. */
export const isSchemaFixCause = (c: Pick<RootCause, 'fix' | 'id'>): boolean => c.fix === 'schema' && /^(index|on-delete):/.test(c.id);

/** The table and key a cause is about: `schema.table.key`, or BugHunter's `public.<table>.<key>` for a key in another schema. */
function findKey(snapshot: SchemaSnapshot, subject: string): { key: string; table: TableSnapshot; name: string } | null {
  const parts = subject.split('.');
  const name = parts.pop()!;
  const qualified = parts.join('.');
  const direct = snapshot.tables[qualified];
  if (direct?.constraints[name]?.type === 'foreign key') return { key: qualified, table: direct, name };
  const tableName = parts[parts.length - 1];
  const found = Object.entries(snapshot.tables).filter(([, t]) => t.name === tableName && t.constraints[name]?.type === 'foreign key');
  return found.length === 1 ? { key: found[0]![0], table: found[0]![1], name } : null;
}

/** Whether a valid index of the table starts with these columns (in any order). */
function covered(t: TableSnapshot, columns: readonly string[]): boolean {
  const want = [...columns].sort().join(',');
  return Object.values(t.indexes).some((i) => i.valid && i.columns.length >= columns.length && [...i.columns.slice(0, columns.length)].sort().join(',') === want);
}

/** Pure: which fixes the causes call for, deduplicated (one index per table and columns). */
export function planSchemaFixes(causes: readonly RootCause[], snapshot: SchemaSnapshot): SchemaFixPlan {
  const fixes: SchemaFix[] = [];
  const unplanned: SchemaFixPlan['unplanned'] = [];
  const taken = new Set(Object.values(snapshot.tables).flatMap((t) => Object.keys(t.indexes).map((i) => `${t.schema}.${i}`)));
  const addIndex = (causeId: string, key: string, t: TableSnapshot, constraint: string, columns: string[]) => {
    if (covered(t, columns) || fixes.some((f) => f.kind === 'index' && f.table === key && f.columns.join(',') === columns.join(','))) return;
    let index = objectName(t.name, ...columns, 'idx');
    for (let n = 2; taken.has(`${t.schema}.${index}`); n++) index = objectName(t.name, ...columns, `idx${n}`);
    taken.add(`${t.schema}.${index}`);
    fixes.push({ kind: 'index', causeId, table: key, columns, constraint, index });
  };
  // The key changes first, so its index follows it in the staged order.
  const ordered = [...causes].filter(isSchemaFixCause).sort((a, b) => Number(a.id.startsWith('index:')) - Number(b.id.startsWith('index:')));
  for (const c of ordered) {
    const subject = c.subject;
    const found = findKey(snapshot, subject);
    if (!found) {
      unplanned.push({ causeId: c.id, reason: `no foreign key ${subject} in the schema the migrations build` });
      continue;
    }
    const k = found.table.constraints[found.name]!;
    if (c.id.startsWith('on-delete:')) {
      if (!k.references) {
        unplanned.push({ causeId: c.id, reason: `${found.name} has no referenced table in the schema` });
        continue;
      }
      if (/\bon\s+delete\b/i.test(k.definition)) {
        unplanned.push({ causeId: c.id, reason: `${found.name} already has an ON DELETE action (${/on delete (\w+(?: \w+)?)/i.exec(k.definition)![1]!.toLowerCase()})` });
        continue;
      }
      const nullable = k.columns.every((col) => found.table.columns[col]?.nullable !== false);
      fixes.push({ kind: 'on-delete', causeId: c.id, table: found.key, constraint: found.name, columns: k.columns, references: k.references, nullable, action: nullable ? 'set null' : 'cascade', original: k.definition });
    }
    addIndex(c.id, found.key, found.table, found.name, k.columns);
  }
  return { fixes, unplanned };
}

/** `version` plus n seconds, in the same stamp format. */
export function versionPlus(version: string, n: number): string {
  const d = new Date(Date.UTC(+version.slice(0, 4), +version.slice(4, 6) - 1, +version.slice(6, 8), +version.slice(8, 10), +version.slice(10, 12), +version.slice(12, 14)) + n * 1000);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const cols = (c: readonly string[]) => c.map(quoteIdent).join(', ');

/** What follows `REFERENCES t(c)` in a key's definition (ON UPDATE, MATCH, DEFERRABLE), minus any ON DELETE. */
function definitionTail(definition: string): string {
  const tail = /\breferences\s+(?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?\s*\([^)]*\)(.*)$/is.exec(definition)?.[1] ?? '';
  return tail.replace(/\bon\s+delete\s+(set\s+null|set\s+default|cascade|restrict|no\s+action)(\s*\([^)]*\))?/i, '').replace(/\bnot\s+valid\b/i, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Pure: the key's definition with an ON DELETE action (or, for the rollback, with none). */
export function keyDefinition(f: Pick<OnDeleteFix, 'columns' | 'references' | 'original'>, action: string | null): string {
  const tail = definitionTail(f.original);
  return `foreign key (${cols(f.columns)}) references ${quoteQualified(f.references.table)} (${cols(f.references.columns)})${tail ? ` ${tail}` : ''}${action ? ` on delete ${action}` : ''}`;
}

/** Pure: the rows VALIDATE would reject (child rows pointing at no parent row). */
export function orphanWhere(f: Pick<OnDeleteFix, 'table' | 'columns' | 'references'>, alias = 'c'): string {
  const notNull = f.columns.map((c) => `${alias}.${quoteIdent(c)} is not null`).join(' and ');
  const match = f.columns.map((c, i) => `p.${quoteIdent(f.references.columns[i] ?? 'id')} = ${alias}.${quoteIdent(c)}`).join(' and ');
  return `${notNull} and not exists (select 1 from ${quoteQualified(f.references.table)} p where ${match})`;
}

export const orphanCountQuery = (f: Pick<OnDeleteFix, 'table' | 'columns' | 'references'>): string => `select count(*) from ${quoteQualified(f.table)} c where ${orphanWhere(f)};`;

/** Pure: the staged migrations for the fixes, in order from `version`: each key (NOT VALID, then VALIDATE), then each index in a file of its own. */
export function schemaFixMigrations(fixes: readonly SchemaFix[], version: string): Array<StagedMigration & { reason: string }> {
  const out: Array<StagedMigration & { reason: string }> = [];
  const mk = (name: string, up: string, down: string, reason: string, destructive = false) => {
    const v = versionPlus(version, out.length);
    out.push({ version: v, name, upPath: migrationPath(v, name), downPath: rollbackPath(v, name), up, down, findings: [], destructive, reason });
  };
  for (const f of fixes) {
    if (f.kind !== 'on-delete') continue;
    const table = quoteQualified(f.table);
    const key = quoteIdent(f.constraint);
    const parent = f.references.table;
    const why =
      f.action === 'set null'
        ? `-- ${f.columns.join(', ')} ${f.columns.length === 1 ? 'is' : 'are'} nullable: deleting a ${parent} row now sets it to null in ${f.table} instead of failing.`
        : [
            `-- ${f.columns.join(', ')} ${f.columns.length === 1 ? 'is' : 'are'} NOT NULL, so the only action that lets the delete succeed is CASCADE: deleting a ${parent} row now DELETES its ${f.table} rows.`,
            '-- That loses data, so this migration needs the admin\'s approval. The reviewer\'s alternative: keep the key as it is',
            `-- and change the code so it never deletes a ${parent} row that ${f.table} still references (RESTRICT would fail the same delete).`,
          ].join('\n');
    mk(
      `${objectName(f.constraint, 'on_delete', f.action.replace(' ', '_'))}`,
      [
        `-- Re-creates ${f.constraint} with ON DELETE ${f.action.toUpperCase()}: it had no ON DELETE action, so deleting a ${parent} row that ${f.table} still references failed.`,
        why,
        '-- NOT VALID: no scan under the lock the drop takes; the next migration validates the existing rows.',
        "set lock_timeout = '5s';",
        `alter table ${table} drop constraint ${key}, add constraint ${key} ${keyDefinition(f, f.action)} not valid;`,
      ].join('\n') + '\n',
      [
        `-- Rollback: ${f.constraint} as it was (no ON DELETE action). Every row the new key accepts the old one accepts too,`,
        '-- so the check finds nothing to reject; it runs in the same statement, under the lock the drop takes (a rollback, rarely run).',
        "set lock_timeout = '5s';",
        `alter table ${table} drop constraint ${key}, add constraint ${key} ${keyDefinition(f, null)};`,
      ].join('\n') + '\n',
      `re-creates ${f.constraint} with ON DELETE ${f.action.toUpperCase()} (NOT VALID: no scan under the lock)`,
      f.action === 'cascade',
    );
    mk(
      objectName('validate', f.constraint),
      [
        `-- Checks the existing rows against ${f.constraint} in a transaction of its own: VALIDATE holds SHARE UPDATE EXCLUSIVE, so reads and writes go on while it scans.`,
        '-- It fails on rows that point at nothing. Their count on a database:',
        `--   ${orphanCountQuery(f)}`,
        "set lock_timeout = '5s';",
        `alter table ${table} validate constraint ${key};`,
      ].join('\n') + '\n',
      [
        `-- Rollback: ${f.constraint} back to NOT VALID, as the previous migration left it (a key is unvalidated only by re-creating it; no scan).`,
        "set lock_timeout = '5s';",
        `alter table ${table} drop constraint ${key}, add constraint ${key} ${keyDefinition(f, f.action)} not valid;`,
      ].join('\n') + '\n',
      `validates ${f.constraint} in a transaction of its own (no write-blocking lock)`,
    );
  }
  for (const f of fixes) {
    if (f.kind !== 'index') continue;
    const [schema] = f.table.split('.');
    mk(
      f.index,
      `create index concurrently if not exists ${quoteIdent(f.index)} on ${quoteQualified(f.table)} (${cols(f.columns)});\n`,
      `drop index concurrently if exists ${quoteQualified(`${schema}.${f.index}`)};\n`,
      `indexes ${f.table} (${f.columns.join(', ')}) for ${f.constraint}, CONCURRENTLY in a file of its own (deletes on the parent stop scanning ${f.table})`,
    );
  }
  return out;
}
