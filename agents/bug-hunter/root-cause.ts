// Turns BugHunter's evidence into root causes with a computed confidence. Pure.
import type { UnresolvedReference } from './references.js';
import type { TestFailure } from '../shared/test-failures.js';
import type { Diagnostic } from '../shared/ts-diagnostics.js';
import { terms } from '../shared/terms.js';
import type { FixKind, RootCause, SchemaFinding } from '../shared/causes.js';

export type { FixKind, RootCause, SchemaFinding };

export interface Evidence {
  ticketText: string;
  unresolved: UnresolvedReference[];
  schema: SchemaFinding[];
  failures: TestFailure[];
  diagnostics: Diagnostic[];
  /** Tables the migrations create that no code inserts into. */
  unwritten: Array<{ table: string; createdIn: string | null }>;
}

const mentions = (text: string, ticketTerms: string[]) => {
  const t = text.toLowerCase();
  return ticketTerms.some((term) => t.includes(term));
};

function confidenceOf(signals: number, relevant: boolean): number {
  // One signal: 60; each more up to 3 adds 15; relevance to the ticket adds 10. Capped at 99.
  return Math.min(99, 60 + Math.min(signals - 1, 2) * 15 + (relevant ? 10 : 0) + (signals >= 3 ? 5 : 0));
}

export function findRootCauses(e: Evidence): RootCause[] {
  const ticketTerms = terms(e.ticketText);
  const causes: RootCause[] = [];
  for (const ref of e.unresolved) {
    const where = ref.usedAt.map((u) => `${u.path}:${u.line}`);
    const related = e.failures.filter((f) => `${f.name} ${f.message} ${f.file}`.toLowerCase().split(/[^a-z0-9]+/).some((w) => ref.name.toLowerCase().split(/[_/-]/).includes(w.replace(/s$/, '')) && w.length > 3));
    const relevant = mentions(ref.name.replace(/[_/-]/g, ' '), ticketTerms);
    const signals = 1 + related.length + (relevant ? 1 : 0);
    const label = ref.kind === 'tool' ? `Missing MCP tool: ${ref.name}` : ref.kind === 'route' ? `Missing API route: ${ref.name}` : `Undeclared environment variable: ${ref.name}`;
    causes.push({
      id: `${ref.kind}:${ref.name}`,
      summary: `${label} (used at ${where.join(', ')}; not found in ${ref.lookedIn})`,
      fix: ref.kind === 'tool' ? 'mcp-tool' : ref.kind === 'route' ? 'api-route' : 'env-var',
      subject: ref.name,
      evidence: [...where.map((w) => `${w}: uses ${ref.name}`), ...related.map((f) => `${f.location ?? f.file}: test "${f.name}" fails: ${f.message}`)],
      confidence: confidenceOf(signals, relevant),
    });
  }
  for (const f of e.schema) {
    // Only the lint for a key that is absent: others (an unindexed key, say) mention foreign keys too.
    if (f.ruleId !== 'missing-foreign-key') continue;
    const relevant = mentions(f.object, ticketTerms);
    const related = e.failures.filter((t) => mentions(`${t.name} ${t.message}`, [f.object.split('.')[0]!.replace(/s$/, '')]));
    causes.push({
      id: `fk:${f.object}`,
      summary: `Missing foreign key: ${f.message}`,
      fix: 'foreign-key',
      subject: f.object,
      evidence: [`${f.file ?? 'schema'}${f.line ? `:${f.line}` : ''}: ${f.message}`, ...related.map((t) => `${t.location ?? t.file}: test "${t.name}" fails`)],
      confidence: confidenceOf(1 + related.length + (relevant ? 1 : 0), relevant),
      fixSql: f.fixSql,
    });
  }
  for (const f of e.schema) {
    // A key without an index: deletes on the table it references scan this one (a timeout's usual cause).
    if (f.ruleId !== 'unindexed-foreign-key') continue;
    const parent = /deletes on (\S+) scan/.exec(f.message)?.[1] ?? f.object.split('.').slice(-2, -1)[0]!;
    causes.push({
      id: `index:${f.object}->${parent}`,
      summary: `Unindexed foreign key: ${f.message}`,
      fix: 'schema',
      subject: f.object,
      evidence: [`${f.file ?? 'schema'}${f.line ? `:${f.line}` : ''}: ${f.message}`],
      confidence: 60,
      fixSql: f.fixSql,
    });
  }
  for (const u of e.unwritten) {
    // Only tables the ticket is about: a write-less audit table is not this ticket's problem.
    if (!mentions(u.table.replace(/s$/, ''), ticketTerms) && !ticketTerms.some((t) => u.table.startsWith(t))) continue;
    const related = e.failures.filter((t) => mentions(`${t.name} ${t.message}`, [u.table.replace(/s$/, '')]));
    causes.push({
      id: `write:${u.table}`,
      summary: `No write path for ${u.table}: no API route or tool inserts into it`,
      fix: 'api-route',
      subject: u.table,
      evidence: [`${u.createdIn ?? 'migrations'}: creates ${u.table}; no \`from('${u.table}').insert\` anywhere in the code`, ...related.map((t) => `${t.location ?? t.file}: test "${t.name}" fails`)],
      confidence: confidenceOf(2 + related.length, true),
    });
  }
  for (const d of e.diagnostics.slice(0, 5)) {
    // A type error is this ticket's cause only where the ticket's terms point.
    if (!mentions(`${d.path} ${d.message}`, ticketTerms)) continue;
    causes.push({ id: `ts:${d.path}:${d.line}`, summary: `Type error TS${d.code}: ${d.message}`, fix: 'type-error', subject: `${d.path}:${d.line}`, evidence: [`${d.path}:${d.line}:${d.column}: ${d.message}`], confidence: confidenceOf(1, mentions(d.path, ticketTerms)) });
  }
  return causes.sort((a, b) => b.confidence - a.confidence);
}

/** Only causes that touch the ticket, unless none do (then the strongest ones). */
export function relevantCauses(causes: RootCause[], minConfidence = 70): RootCause[] {
  const strong = causes.filter((c) => c.confidence >= minConfidence);
  return strong.length ? strong : causes.slice(0, 1);
}
