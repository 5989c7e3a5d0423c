// A foreign key a ticket names, read from the migrations: when it has no ON DELETE action, a delete
// of a referenced row fails with "violates foreign key constraint". Finds the key (named, or the
// name Postgres gives a column's `references`: <table>_<column>_fkey) and the code that deletes
// from the parent table. Pure.
import type { SourceFile } from '../shared/project-files.js';
import type { RootCause } from './root-cause.js';
import { isArchived } from './references.js';

export interface KeyDefinition {
  name: string;
  table: string;
  column: string;
  parent: string;
  onDelete: string | null;
  nullable: boolean;
  file: string;
  line: number;
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Every single-column foreign key the SQL files define inline in CREATE TABLE. */
export function foreignKeys(files: readonly SourceFile[]): KeyDefinition[] {
  const out: KeyDefinition[] = [];
  // Migrations first: a schema dump beside them (schema.sql) repeats the same keys.
  const sqlFiles = files.filter((f) => f.path.endsWith('.sql') && !isArchived(f.path)).sort((a, b) => Number(!/(^|\/)migrations\//.test(a.path)) - Number(!/(^|\/)migrations\//.test(b.path)));
  for (const f of sqlFiles) {
    const sql = f.content.replace(/--[^\n]*/g, (c) => ' '.repeat(c.length));
    for (const t of sql.matchAll(/create\s+table\s+(?:if\s+not\s+exists\s+)?(?:"?(\w+)"?\.)?"?(\w+)"?\s*\(/gi)) {
      const table = t[2]!;
      // The table body: up to the parenthesis that closes the one CREATE TABLE opened.
      let depth = 1;
      let i = t.index! + t[0].length;
      const start = i;
      for (; i < sql.length && depth; i++) depth += sql[i] === '(' ? 1 : sql[i] === ')' ? -1 : 0;
      const body = sql.slice(start, i - 1);
      let offset = 0;
      for (const part of body.split(/,(?![^(]*\))/)) {
        const col = /^\s*"?(\w+)"?\s+[^,]*?\breferences\s+(?:"?(\w+)"?\.)?"?(\w+)"?([^,]*)$/is.exec(part);
        const named = /^\s*constraint\s+"?(\w+)"?\s+foreign\s+key\s*\(\s*"?(\w+)"?\s*\)\s*references\s+(?:"?(\w+)"?\.)?"?(\w+)"?([^,]*)$/is.exec(part);
        const m = named ? { name: named[1]!, column: named[2]!, parent: `${named[3] ? `${named[3]}.` : ''}${named[4]}`, rest: named[5]! } : col && !/^\s*(constraint|primary|unique|check|foreign)\b/i.test(part) ? { name: `${table}_${col[1]}_fkey`, column: col[1]!, parent: `${col[2] ? `${col[2]}.` : ''}${col[3]}`, rest: col[4]! } : null;
        if (m && !out.some((k) => k.table === table && k.name === m.name.toLowerCase())) {
          const action = /on\s+delete\s+(cascade|set\s+null|set\s+default|restrict|no\s+action)/i.exec(`${part}`)?.[1]?.toLowerCase().replace(/\s+/g, ' ') ?? null;
          out.push({ name: m.name.toLowerCase(), table, column: m.column, parent: m.parent, onDelete: action, nullable: !/not\s+null/i.test(part) && !/primary\s+key/i.test(part), file: f.path, line: lineAt(sql, start + offset + (part.length - part.trimStart().length)) });
        }
        offset += part.length + 1;
      }
    }
  }
  return out;
}

/** Where code deletes rows of a table: `.from('prices').delete()`, DELETE FROM prices. */
export function deletesFrom(files: readonly SourceFile[], table: string): string[] {
  const re = new RegExp(`from\\(\\s*['"\`]${table}['"\`]\\s*\\)\\s*\\.\\s*delete\\b|delete\\s+from\\s+(?:\\w+\\.)?${table}\\b`, 'gi');
  const out: string[] = [];
  for (const f of files) {
    if (!/\.(ts|tsx|js|jsx|mjs|sql)$/.test(f.path) || /\.(test|spec)\./.test(f.path) || isArchived(f.path)) continue;
    for (const m of f.content.matchAll(re)) out.push(`${f.path}:${lineAt(f.content, m.index!)}`);
  }
  return out;
}

/** The causes behind a ticket that names a foreign key a delete violates. */
export function deleteBlockedByKey(files: readonly SourceFile[], ticketText: string): RootCause[] {
  if (!/violates\s+foreign\s+key|foreign\s+key\s+constraint/i.test(ticketText)) return [];
  const named = new Set((ticketText.match(/\b\w+_fkey\b/gi) ?? []).map((n) => n.toLowerCase()));
  const causes: RootCause[] = [];
  for (const k of foreignKeys(files)) {
    if (!named.has(k.name) || k.onDelete) continue;
    const parent = k.parent.replace(/^public\./, '');
    const deletes = deletesFrom(files, parent.split('.').pop()!);
    const action = k.nullable ? 'set null' : 'cascade';
    causes.push({
      id: `on-delete:${k.name}`,
      summary: `Foreign key ${k.name} (${k.table}.${k.column} -> ${parent}) has no ON DELETE action, so deleting a ${parent} row that ${k.table} still references fails`,
      fix: 'schema',
      subject: `public.${k.table}.${k.name}`,
      evidence: [`${k.file}:${k.line}: ${k.table}.${k.column} references ${parent} with no ON DELETE action`, ...deletes.slice(0, 3).map((d) => `${d}: deletes from ${parent}`)],
      confidence: 60,
      fixSql: `alter table public.${k.table} drop constraint ${k.name}, add constraint ${k.name} foreign key (${k.column}) references ${k.parent} on delete ${action} not valid;\nalter table public.${k.table} validate constraint ${k.name};`,
    });
  }
  return causes;
}
