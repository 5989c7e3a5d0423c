// Pure diff of two schema snapshots into human-readable differences, in a stable order. Used to
// verify a rollback: the schema before a migration against the schema after migrating and rolling
// back. "added" means present only in `after`, "removed" only in `before`.
import type { ColumnSnapshot, SchemaSnapshot, TableSnapshot } from './schema-snapshot.js';

export type ObjectType = 'table' | 'column' | 'constraint' | 'index' | 'policy' | 'trigger' | 'row level security' | 'view' | 'function' | 'enum' | 'extension';

export interface SchemaDifference {
  change: 'added' | 'removed' | 'changed';
  objectType: ObjectType;
  /** e.g. `public.jobs.notes`, `public.jobs_customer_id_idx`, `policy "x" on public.jobs`. */
  object: string;
  /** What changed, `before → after`, or what the added/removed object is. */
  detail: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function columnText(c: ColumnSnapshot): string {
  return [c.type, c.nullable ? 'null' : 'not null', c.default !== null ? `default ${c.default}` : '', c.identity ? `identity ${c.identity}` : '', c.generated ? `generated ${c.generated}` : ''].filter(Boolean).join(' ');
}

function diffRecords<T>(
  before: Record<string, T>,
  after: Record<string, T>,
  out: SchemaDifference[],
  objectType: ObjectType,
  name: (key: string) => string,
  describe: (v: T) => string,
  changes: (a: T, b: T) => string[],
) {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const k of keys) {
    const a = before[k];
    const b = after[k];
    if (a === undefined && b !== undefined) out.push({ change: 'added', objectType, object: name(k), detail: describe(b) });
    else if (a !== undefined && b === undefined) out.push({ change: 'removed', objectType, object: name(k), detail: describe(a) });
    else if (a !== undefined && b !== undefined && !same(a, b)) {
      const detail = changes(a, b).join('; ');
      if (detail) out.push({ change: 'changed', objectType, object: name(k), detail });
    }
  }
}

const field = <T>(label: string, a: T, b: T, show: (v: T) => string = (v) => String(v)) => (same(a, b) ? [] : [`${label} ${show(a)} → ${show(b)}`]);

function diffTable(key: string, a: TableSnapshot, b: TableSnapshot, out: SchemaDifference[]) {
  if (a.rls !== b.rls) out.push({ change: 'changed', objectType: 'row level security', object: key, detail: `${a.rls ? 'enabled' : 'disabled'} → ${b.rls ? 'enabled' : 'disabled'}` });
  if (a.forceRls !== b.forceRls) out.push({ change: 'changed', objectType: 'row level security', object: key, detail: `force ${a.forceRls} → ${b.forceRls}` });
  diffRecords(a.columns, b.columns, out, 'column', (c) => `${key}.${c}`, columnText, (x, y) => [
    ...field('type', x.type, y.type),
    ...field('nullable', x.nullable ? 'null' : 'not null', y.nullable ? 'null' : 'not null'),
    ...field('default', x.default, y.default, (v) => v ?? 'none'),
    ...field('identity', x.identity ?? 'none', y.identity ?? 'none'),
    ...field('generated', x.generated ?? 'none', y.generated ?? 'none'),
  ]);
  diffRecords(a.constraints, b.constraints, out, 'constraint', (c) => `${key}.${c}`, (c) => `${c.definition}${c.validated ? '' : ' NOT VALID'}`, (x, y) => [
    ...field('definition', x.definition, y.definition),
    ...field('validated', x.validated, y.validated),
  ]);
  diffRecords(a.indexes, b.indexes, out, 'index', (i) => `${a.schema}.${i}`, (i) => i.definition + (i.valid ? '' : ' (invalid)'), (x, y) => [
    ...field('definition', x.definition, y.definition),
    ...field('valid', x.valid, y.valid),
  ]);
  diffRecords(a.policies, b.policies, out, 'policy', (p) => `"${p}" on ${key}`, (p) => `${p.permissive ? 'permissive' : 'restrictive'} for ${p.command} to ${p.roles.join(', ')}${p.using ? ` using ${p.using}` : ''}${p.check ? ` with check ${p.check}` : ''}`, (x, y) => [
    ...field('command', x.command, y.command),
    ...field('permissive', x.permissive, y.permissive),
    ...field('roles', x.roles.join(', '), y.roles.join(', ')),
    ...field('using', x.using, y.using, (v) => v ?? 'none'),
    ...field('with check', x.check, y.check, (v) => v ?? 'none'),
  ]);
  diffRecords(a.triggers, b.triggers, out, 'trigger', (t) => `${key}.${t}`, (t) => t, (x, y) => field('definition', x, y));
}

export function diffSchemas(before: SchemaSnapshot, after: SchemaSnapshot): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const tableText = (t: TableSnapshot) => `${Object.keys(t.columns).length} columns: ${Object.entries(t.columns).map(([n, c]) => `${n} ${c.type}`).join(', ')}`;
  for (const key of [...new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])].sort()) {
    const a = before.tables[key];
    const b = after.tables[key];
    if (!a && b) out.push({ change: 'added', objectType: 'table', object: key, detail: tableText(b) });
    else if (a && !b) out.push({ change: 'removed', objectType: 'table', object: key, detail: tableText(a) });
    else if (a && b && !same(a, b)) diffTable(key, a, b, out);
  }
  diffRecords(before.views, after.views, out, 'view', (k) => k, (v) => `${v.materialized ? 'materialized ' : ''}view${v.securityInvoker ? ' (security_invoker)' : ''}`, (x, y) => [
    ...field('definition', x.definition, y.definition),
    ...field('security_invoker', x.securityInvoker, y.securityInvoker),
  ]);
  diffRecords(before.functions, after.functions, out, 'function', (k) => k, (f) => `returns ${f.returns} language ${f.language}${f.securityDefiner ? ' security definer' : ''}`, (x, y) => [
    ...field('returns', x.returns, y.returns),
    ...field('language', x.language, y.language),
    ...field('security definer', x.securityDefiner, y.securityDefiner),
    ...field('volatility', x.volatility, y.volatility),
    ...field('config', x.config.join(', ') || 'none', y.config.join(', ') || 'none'),
    ...(x.bodyHash !== y.bodyHash ? ['body changed'] : []),
  ]);
  diffRecords(before.enums, after.enums, out, 'enum', (k) => k, (labels) => labels.join(', '), (x, y) => field('labels', x.join(', '), y.join(', ')));
  diffRecords(before.extensions, after.extensions, out, 'extension', (k) => k, (e) => `${e.version} in ${e.schema}`, (x, y) => [...field('schema', x.schema, y.schema), ...field('version', x.version, y.version)]);
  return out;
}

/** One line: `added column public.jobs.notes: text null`. */
export const describeDifference = (d: SchemaDifference): string => `${d.change} ${d.objectType} ${d.object}${d.detail ? `: ${d.detail}` : ''}`;
