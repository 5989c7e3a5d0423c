// A ticket's words as the code would spell them: stop words dropped, plurals folded, synonyms added. Pure.

const STOP = new Set(
  'a an and are as at be but by can do does for from get got has have how in into is it its just no not of on or our says so some that the their them then there these this to was we were what when which while who why will with you your'.split(' '),
);
// Ticket words and the words code uses for the same thing.
const SYNONYMS: Record<string, string[]> = {
  persist: ['insert', 'save', 'create', 'write', 'store'],
  persisting: ['insert', 'save', 'create', 'write', 'store'],
  email: ['resend', 'mail'],
  login: ['auth', 'session', 'signin'],
};

export function terms(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z][a-z0-9_]{2,}/g) ?? [];
  const out = new Set<string>();
  for (const w of words) {
    if (STOP.has(w)) continue;
    out.add(w.replace(/s$/, ''));
    for (const s of SYNONYMS[w] ?? []) out.add(s.replace(/s$/, ''));
  }
  return [...out];
}
