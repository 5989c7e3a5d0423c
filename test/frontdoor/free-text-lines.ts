// Generated free-text lines that ask, in every way a sentence can, to approve, reject, deploy or
// roll back (negated, garbled, mixed scripts, apostrophes, control characters), and the state they
// are tried against. Shared by test/frontdoor/free-text.test.ts and its stress twin.
import { StateDb } from '../../src/store/state-db.js';
import { createApproval } from '../../src/engine/approvals.js';

/** mulberry32: the same 10,000 lines on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NEGATIONS = ['do not', "don't", 'dont', 'don’t', 'never', 'not', 'no', 'please do NOT', 'DO NOT', "we shouldn't", "you mustn't", 'never ever', "don't you dare", 'do not under any circumstances'];
/** Asks whose first word is the command's own name: under a negation they must read as "negated". */
export const PLAIN = ['approve', 'reject', 'deploy', 'rollback'];
const ASKS = [
  ...PLAIN,
  'deploy to production', 'deploy production', 'deploy staging', 'roll back', 'emergency rollback', 'emergency deploy hotfix', 'ship it', 'go ahead and',
  'accept', 'deny', 'decline', 'revert', 'undo', 'release', 'approve deployment for', 'approve the deploy of', 'emergency stop all', 'purge logs',
  'migrate execute', 'apply migrations', 'hotfix', 'emergency maintenance on', 'emergency access', 'approve and deploy', 'reject the rollback of',
];
const IDS = ['BUG-2026-001', 'bug-2026-001', 'FEAT-2026-002', 'MIG-2026-003', 'APR-1', 'APR-2', 'apr-7', 'DEPLOY-1', 'AI-EST-142', 'OPS-2026-010'];
const FILLERS = [
  'please', 'now', 'right away', 'for me', "Here's the ticket:", "it's urgent", 'asap!!', 'ok?', '—', '…', 'thanks', "the admin's call", "'quoted'",
  '--confirm BUG-2026-001', 'confirm BUG-2026-001', 'typed: BUG-2026-001', 'sofort bitte', 'пожалуйста', '承認して', 'よろしく', 'مرحبا', '🚀', 'y', 'yes',
];
const HOMOGLYPHS: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', y: 'у', x: 'х', i: 'і' };

type Garble = (s: string, r: () => number) => string;
const GARBLES: Garble[] = [
  (s, r) => s.replace(/[aeopcyxi]/g, (c) => (r() < 0.5 ? HOMOGLYPHS[c]! : c)), // mixed scripts
  (s, r) => [...s].map((c) => (r() < 0.5 ? c.toUpperCase() : c)).join(''),
  (s, r) => s.replace(/[a-z]/, (c) => c + c).replace(/(.)(.)$/, r() < 0.5 ? '$2$1' : '$1$2'), // typos
  (s) => s.replace(/(\w)(\w)/, '$1\u200b$2'), // zero-width space
  (s) => `\x1b[31m${s}\x1b[0m`, // ANSI colour
  (s) => `${s}\u0007\r`, // bell, carriage return
  (s) => s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)), // fullwidth
  (s) => `\u202e${s}`, // right-to-left override
  (s) => s.replace(/ /g, '  \t'),
  (s) => `"${s}`, // an unmatched double quote
  (s) => `${s}'s`,
];

export interface Line {
  text: string;
  negatedPlain: boolean;
}

export function generate(count: number, seed = 13): Line[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const lines: Line[] = [];
  for (let i = 0; i < count; i++) {
    const ask = pick(ASKS);
    const negated = r() < 0.45;
    const neg = negated ? pick(NEGATIONS) : '';
    const garbled = r() < 0.35;
    const verb = garbled ? pick(GARBLES)(ask, r) : ask;
    const ids = [pick(IDS), ...(r() < 0.3 ? [pick(IDS)] : [])];
    const before = r() < 0.3 ? [pick(FILLERS)] : [];
    const after = r() < 0.5 ? [pick(FILLERS)] : [];
    const parts = r() < 0.8 ? [...before, neg, verb, ...ids, ...after] : [...before, ...ids, neg, verb, ...after];
    lines.push({ text: parts.filter(Boolean).join(' '), negatedPlain: negated && !garbled && PLAIN.includes(ask) && parts.indexOf(neg) + 1 === parts.indexOf(verb) });
  }
  return lines;
}

/**
 * A typed approval (production deploy of a), a y/n one (staging deploy of b), a staged set of c with
 * nothing pending, and a live production deployment of a: what a routed approve, reject, deploy or
 * rollback would change.
 */
export function seedState(db: string, [a, b, c]: readonly [string, string, string]): void {
  const state = new StateDb(db);
  try {
    createApproval(state, { category: 'productionDeployment', action: `deploy ${a} to production`, ticketId: a, requestedBy: 'ORCHESTRATOR', resume: { command: 'deploy', args: { target: 'production', id: a } } }, 'typed', 'high');
    createApproval(state, { category: 'stagingDeployment', action: `deploy ${b} to staging`, ticketId: b, requestedBy: 'ORCHESTRATOR' }, 'y/n', 'low');
    state.insertChangeSet({ id: 'CS-1', ticket_id: c, dir: 'staged/2026-12-01_14-30-22_notes', status: 'staged', requires_approval: 0, created_at: Date.now(), manifest: '{}' });
    state.insertDeployment({ id: 'DEPLOY-1', ticket_id: a, target: 'production', status: 'succeeded', started_at: Date.now() - 60_000, finished_at: Date.now() - 50_000, data: '{}', pid: null, env: 'production', step: null });
  } finally {
    state.close();
  }
}

/** The rows a decision or a deploy would touch, as text to compare byte for byte. */
export function rowsOf(db: string): string {
  const state = new StateDb(db);
  try {
    return ['approvals', 'deployments', 'change_sets'].map((t) => JSON.stringify(state.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all())).join('\n');
  } finally {
    state.close();
  }
}

/** A line with the generator's ids made to name the tickets that exist, and every other one followed by a safe request. */
export function localize(text: string, i: number, [a, b, c]: readonly [string, string, string]): string {
  const SAFE = [', just show the status', '; but show me the logs', ', just list the pending approvals'];
  return text.replace(/BUG-2026-001/gi, a).replace(/FEAT-2026-002/g, b).replace(/MIG-2026-003/g, c) + (i % 2 ? SAFE[i % 3] : '');
}
