// Which root causes explain a ticket. A finding counts for a ticket only when something the ticket
// itself says reaches it: an identifier it names verbatim, its own words matching the cause's
// subject, or one of the ticket's failing tests pointing at it. Everything else found in the
// project is "also found", never fixed under this ticket. Confidence comes from those ties. Pure.
import { posix } from 'node:path';
import type { RootCause } from './root-cause.js';
import type { TestFailure } from '../shared/test-failures.js';

const STOP = new Set(
  'a an and are as at be but by can do does did for from get got has have how in into is it its just like no not of on or our says so some that the their them then there these this to was we were what when which while who why will with you your also any all only when should would could'.split(' '),
);
// Words every subject name carries that say nothing about what it is about.
const GENERIC = new Set(['create', 'get', 'list', 'update', 'delete', 'add', 'set', 'remove', 'record', 'records', 'id', 'public', 'tool', 'row', 'rows', 'data', 'new', 'fkey', 'key', 'pkey']);

/** Lower-case words of a text, identifiers split on _ . / - and camelCase. */
export function words(text: string): string[] {
  const spaced = text.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return (spaced.toLowerCase().match(/[a-z][a-z0-9]*/g) ?? []).filter((w) => w.length >= 3 && !STOP.has(w));
}

/** Same word up to an ending: estimate/estimates, validate/validation, persist/persisting. */
export function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (w: string) => w.replace(/(es|s)$/, '');
  if (strip(a) === strip(b)) return true;
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n >= 5 && n >= Math.max(a.length, b.length) - 3;
}

const overlap = (as: readonly string[], bs: readonly string[]) => [...new Set(as.filter((a) => bs.some((b) => sameWord(a, b))))];

/** The identifiers a ticket writes verbatim: `subscriptions_price_id_fkey`, lib/validate.ts, estimates.job_id. */
export function namedIdentifiers(text: string): string[] {
  return [...new Set((text.match(/[A-Za-z][A-Za-z0-9]*(?:[_./-][A-Za-z0-9]+)+/g) ?? []).map((s) => s.toLowerCase().replace(/[.,;:]+$/, '')))];
}

/** The words of a cause's subject that say what it is about (a table, a tool's noun, a variable). */
export function subjectWords(c: Pick<RootCause, 'subject' | 'fix'> & { id?: string }): string[] {
  const subject = c.subject.replace(/^public\./, '');
  // An unindexed key is about the table it references: deletes there scan the referencing table.
  if (c.id?.startsWith('index:')) return words(c.id.split('->')[1] ?? subject).filter((w) => !GENERIC.has(w));
  // A missing key is about its table: estimates.job_id does not explain a ticket about jobs.
  return words(c.fix === 'foreign-key' ? subject.split('.')[0]! : subject).filter((w) => !GENERIC.has(w));
}

const FILE_REF = /([A-Za-z0-9_.@\-[\]]+(?:\/[A-Za-z0-9_.@\-[\]]+)*\.(?:[cm]?[jt]sx?|sql)):(\d+)/g;

/** file paths a cause's evidence cites. */
export function citedFiles(c: Pick<RootCause, 'evidence' | 'subject'>): string[] {
  const out = new Set<string>();
  for (const e of [...c.evidence, c.subject]) for (const m of e.matchAll(FILE_REF)) out.add(m[1]!);
  return [...out];
}

/** A module and its test are one unit: lib/validate.test.ts tests lib/validate.ts. */
const unitOf = (path: string) => path.replace(/\.(test|spec)(?=\.[cm]?[jt]sx?$)/, '').replace(/\.[cm]?[jt]sx?$/, '');

export interface TicketTest {
  failure: TestFailure;
  /** Why the failing test is the ticket's: the words or the file it shares with it. */
  because: string;
}

/** The failing tests the ticket is about: it names their file or the module they test, or shares words with them. */
export function ticketTests(ticketText: string, failures: readonly TestFailure[]): TicketTest[] {
  const ticketWords = words(ticketText);
  const named = namedIdentifiers(ticketText);
  const out: TicketTest[] = [];
  for (const f of failures) {
    const unit = unitOf(f.file);
    const file = named.find((n) => n.includes('/') || /\.[a-z]+$/.test(n) ? unitOf(f.file).endsWith(unitOf(n)) || f.file.endsWith(n) : false);
    if (file) {
      out.push({ failure: f, because: `the ticket names ${file}` });
      continue;
    }
    const shared = overlap(ticketWords, words(`${posix.basename(unit)} ${f.name} ${f.message}`));
    if (shared.length) out.push({ failure: f, because: `it shares ${shared.slice(0, 4).join(', ')} with the ticket` });
  }
  return out;
}

// The symptom each kind of cause produces, in the words tickets use for it.
const SYMPTOMS: Array<{ id: RegExp; symptom: RegExp; says: string }> = [
  { id: /^index:/, symptom: /\b(time[sd]? ?out|timeouts?|timing out|slow|takes? (many|several|\d+) (seconds|minutes)|hangs?|statement timeout)\b/i, says: 'a delete or join that times out' },
  { id: /^(tool|write):/, symptom: /\b(not|never|no)\b[^.]*\b(persist\w*|saved?|stored?|created|record\w*|shows? up|written)\b/i, says: 'something reported done that is never stored' },
];

export interface Tie {
  /** 0..100: 0 when nothing the ticket says reaches the cause. */
  confidence: number;
  evidence: string[];
}

/**
 * How a cause is tied to the ticket. An identifier the ticket names verbatim: 60; the ticket's own
 * words in the cause's subject: 35; one of the ticket's failing tests pointing at it (its words, or
 * the module it tests cited by the cause): 45; the symptom this kind of cause produces, beside one
 * of those: 40; the finding itself: 20. Capped at 100; untied is 0.
 */
export function tie(c: RootCause, ticketText: string, tests: readonly TicketTest[]): Tie {
  const subject = c.subject.toLowerCase().replace(/^public\./, '');
  const sw = subjectWords(c);
  const named = namedIdentifiers(ticketText).filter((n) => n === subject || subject.endsWith(`.${n}`) || n.endsWith(subject) || (c.id.startsWith('fk:') && n.includes('_') && subject.split('.').every((p) => n.includes(p.replace(/s$/, '')))));
  const byWords = overlap(words(ticketText), sw);
  const cited = citedFiles(c).map(unitOf);
  // A test's words reach what it exercises (a tool, a table it writes); a slow index is no test's failure.
  const byTestWords = !c.id.startsWith('index:');
  const reaching = tests.filter((t) => (byTestWords && overlap(words(`${t.failure.name} ${t.failure.message}`), sw).length > 0) || cited.includes(unitOf(t.failure.file)) || (t.failure.location && cited.includes(unitOf(t.failure.location.replace(/:\d+$/, '')))));
  // The symptom counts only beside a tie to the ticket's subject: a timeout alone explains nothing.
  const symptom = named.length || byWords.length ? SYMPTOMS.find((x) => x.id.test(c.id) && x.symptom.test(ticketText)) : undefined;
  // Shared words alone are a lead, not a tie: a key on customers does not explain every ticket that says "customer".
  if (!named.length && !reaching.length && !symptom) return { confidence: 0, evidence: byWords.length ? [`shares ${byWords.join(', ')} with the ticket, nothing more`] : [] };
  const evidence: string[] = [];
  if (named.length) evidence.push(`the ticket names ${named.join(', ')}`);
  else if (byWords.length) evidence.push(`the ticket's words reach it: ${byWords.join(', ')}`);
  if (symptom) evidence.push(`the ticket describes what it causes: ${symptom.says}`);
  for (const t of reaching.slice(0, 3)) evidence.push(`${t.failure.location ?? t.failure.file}: failing test "${t.failure.name}" points here (${t.because})`);
  const confidence = Math.min(100, 20 + (named.length ? 60 : 0) + (byWords.length ? 35 : 0) + (reaching.length ? 45 : 0) + (symptom ? 40 : 0));
  return { confidence, evidence };
}

export interface Explained {
  /** Causes tied to the ticket, strongest first, their confidence the tie's. */
  explaining: RootCause[];
  /** Found in the project but tied to nothing the ticket says. */
  alsoFound: RootCause[];
  tests: TicketTest[];
}

export function explainTicket(causes: readonly RootCause[], ticketText: string, failures: readonly TestFailure[]): Explained {
  const tests = ticketTests(ticketText, failures);
  const explaining: RootCause[] = [];
  const alsoFound: RootCause[] = [];
  for (const c of causes) {
    const t = tie(c, ticketText, tests);
    if (t.confidence === 0) alsoFound.push(c);
    // The finding's own evidence first (file:line), then what ties it to the ticket.
    else explaining.push({ ...c, confidence: t.confidence, evidence: [...c.evidence, ...t.evidence.filter((e) => !c.evidence.includes(e))] });
  }
  explaining.sort((a, b) => b.confidence - a.confidence);
  return { explaining, alsoFound, tests };
}

export interface Looked {
  files: number;
  typedFiles: number;
  typeErrors: number;
  tests: { command: string; passed: number | null; failed: number | null } | null;
  schemaFindings: number;
  leads: string[];
  /** Where the failing tests lead (file:line and what they use there), when their frames or imports lead somewhere. */
  logic?: string;
}

/** One line: why no cause explains the ticket, what was checked, and where to look next. */
export function unexplained(e: Explained, looked: Looked): string {
  const parts = ['no root cause found that explains this ticket'];
  if (e.tests.length) {
    const t = e.tests.slice(0, 3).map((x) => `${x.failure.location ?? x.failure.file} "${x.failure.name}"${x.failure.message ? ` (${x.failure.message.slice(0, 120)})` : ''}`);
    parts.push(`its failing test${e.tests.length > 1 ? 's' : ''} ${t.join('; ')} point${e.tests.length > 1 ? '' : 's'} at logic${looked.logic ? ` in ${looked.logic}` : ''} that only the model fixes (no offline agent writes a logic fix), so nothing is staged for it`);
  }
  const ran = looked.tests && !(looked.tests.passed === 0 && looked.tests.failed === 0);
  const tests = !looked.tests ? 'no test command' : ran ? `tests \`${looked.tests.command}\` (${looked.tests.passed ?? '?'} passed, ${looked.tests.failed ?? '?'} failed)` : `\`${looked.tests.command}\`, which ran no test`;
  parts.push(`checked ${looked.files} files, the type check of ${looked.typedFiles} files (${looked.typeErrors} errors), ${tests}, ${looked.schemaFindings} schema findings`);
  if (e.alsoFound.length) parts.push(`also found, tied to nothing the ticket says: ${e.alsoFound.slice(0, 4).map((c) => c.summary.split(' (')[0]).join('; ')}`);
  if (looked.leads.length) parts.push(`best leads: ${looked.leads.slice(0, 3).join(', ')}`);
  return parts.join('; ');
}
