// Infers a ticket's kind from its text. Pure; scored keyword stems, ties broken BUG > MIG > OPS > FEAT.
import type { TicketKind } from '../store/rows.js';
import { redact, redactClip } from '../config/redact.js';

const SIGNALS: Record<TicketKind, RegExp[]> = {
  BUG: [
    /\bbugs?\b/, /\berrors?\b/, /\bfail(s|ed|ing|ure)?\b/, /\bbroken\b/, /\bcrash/, /\bnot (working|persisting|saving|showing|loading|sent|created)\b/,
    /\bdoes(n't| not)\b/, /\bexception\b/, /\b500\b/, /\bwrong\b/, /\bmissing\b/, /\bregression\b/, /\bfix\b/, /\bno record\b/, /\bnever\b/, /\bstuck\b/,
    /\bdrop(s|ped|ping)\b/, /\bsilent(ly)?\b/, /\blost\b/, /\bdisappear/, /\btimes? out\b/, /\bslow\b/, /\bincorrect\b/,
    // Reports in other words (issue 15): "do not include tax", "accepts invalid addresses", "no quote ever shows up", "statement timeout".
    /\b(do|did|is|are|was|were)(n't| not)\b/, /\binvalid\b/, /\bno \w+ (ever )?(shows?|appears?|arrives?|turns?) up\b/, /\btimeouts?\b/, /\bviolates?\b/,
    // "saved but not stored", "says success but no record": what it claims against what happens.
    /\bbut (\w+ )?(not|never|no|nothing)\b/, /\bnot (stored|saved|persisted|recorded|written|kept|included|applied|updated|shown|displayed|delivered|received|returned|visible)\b/,
    /\b(does|do|shows?|returns?|displays?) (nothing|empty|blank)\b/, /\b(returns?|responds?|answers?) (with )?(an? )?[45]\d\d\b/, /\bvanish/, /\bhangs?\b/, /\btwice\b/, /\btimed out\b|\btiming out\b/,
  ],
  MIG: [
    /\bmigrations?\b/, /\bschema\b/, /\btables?\b/, /\bcolumns?\b/, /\bindex(es)?\b/, /\bforeign key\b/, /\bconstraint\b/, /\brls\b/, /\bjsonb\b/, /\bnot null\b/,
  ],
  OPS: [
    /\bdeploy(ment|s)?\b/, /\bbackups?\b/, /\brestore\b/, /\bserver\b/, /\bmemory\b/, /\bcpu\b/, /\bdisk\b/, /\bssl\b/, /\bdns\b/, /\boutage\b/,
    /\bdowntime\b/, /\bcron\b/, /\bcertificate\b/, /\bmonitoring\b/, /\blatency\b/, /\brestart\b/, /\bmaintenance\b/,
  ],
  FEAT: [/\badd\b/, /\bnew\b/, /\bfeature\b/, /\bsupport\b/, /\ballow\b/, /\bcreate\b/, /\bbuild\b/, /\bimplement\b/, /\bportal\b/, /\bendpoint\b/, /\bpage\b/, /\bwant\b/],
};
const ORDER: TicketKind[] = ['BUG', 'MIG', 'OPS', 'FEAT'];

export function scoreKinds(text: string): Record<TicketKind, number> {
  const t = text.toLowerCase();
  const scores = { BUG: 0, MIG: 0, OPS: 0, FEAT: 0 } as Record<TicketKind, number>;
  for (const kind of ORDER) for (const re of SIGNALS[kind]) if (re.test(t)) scores[kind]++;
  return scores;
}

export function inferKind(text: string): TicketKind {
  const scores = scoreKinds(text);
  let best: TicketKind = 'FEAT';
  let bestScore = 0;
  for (const kind of ORDER) {
    if (scores[kind] > bestScore) {
      best = kind;
      bestScore = scores[kind];
    }
  }
  return best;
}

/** "AI-EST-142" and the like: a reference to the admin's own tracker, kept beside our id. */
export function externalRef(text: string): string | null {
  return /\b([A-Z][A-Z0-9]{1,9}(?:-[A-Z0-9]{1,9})*-\d{1,6})\b/.exec(text)?.[1] ?? null;
}

/** The first sentence, redacted before it is clipped (a clipped secret no longer matches). */
export function titleOf(text: string): string {
  const clean = redact(text);
  const firstSentence = clean.trim().split(/(?<=[.!?])\s+/)[0] ?? clean;
  return redactClip(firstSentence.replace(/\s+/g, ' ').trim(), 80);
}
