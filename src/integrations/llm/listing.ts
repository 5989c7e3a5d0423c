// Bounded, ranked tool output for the agents' model tools: a listing, a search or a list of
// findings must cost about the same in a project of 30 files and of 3,000. Whatever is left out is
// counted and the way to it named (offset, a narrower folder, a table), so nothing is hidden: the
// model pages to it when it needs it. Pure.

/** Distinct terms found in a text (case-insensitive): a cheap relevance for paths and names. */
export function relevance(text: string, terms: readonly string[]): number {
  const t = text.toLowerCase();
  let n = 0;
  for (const term of new Set(terms)) if (term && t.includes(term.toLowerCase())) n++;
  return n;
}

/** The items, most relevant first (stable: ties keep their order). */
export function rankByTerms<T>(items: readonly T[], text: (item: T) => string, terms: readonly string[]): T[] {
  if (!terms.length) return [...items];
  return items
    .map((item, i) => ({ item, i, score: relevance(text(item), terms) }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((x) => x.item);
}

export interface Page<T> {
  shown: T[];
  total: number;
  offset: number;
  /** The offset of the next page, or null when this is the last. */
  next: number | null;
}

export function page<T>(items: readonly T[], offset = 0, limit: number): Page<T> {
  const start = Math.max(0, Math.min(offset, items.length));
  const shown = items.slice(start, start + limit);
  const end = start + shown.length;
  return { shown, total: items.length, offset: start, next: end < items.length ? end : null };
}

/** "(N more not shown; pass offset: M …)" or '' when nothing is left out. */
export function moreLine<T>(p: Page<T>, what: string, narrower?: string): string {
  if (p.next === null && p.offset === 0) return '';
  const left = p.total - (p.offset + p.shown.length);
  const range = `${what} ${p.total ? p.offset + 1 : 0}-${p.offset + p.shown.length} of ${p.total}`;
  if (left <= 0) return `(${range})`;
  return `(${range}: ${left} more not shown; pass offset: ${p.next}${narrower ? `, or ${narrower}` : ''})`;
}

/** Names a long list by its first few: "a, b, c and 17 more". */
export function someOf(names: readonly string[], max = 20): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** Normalizes a folder argument to "dir/" ('' for the root). */
export function folderPrefix(under: string | undefined): string {
  const u = (under ?? '').trim().replace(/^\.\/?/, '').replace(/\/+$/, '');
  return u && u !== '.' ? `${u}/` : '';
}

export interface FileEntry {
  path: string;
  /** What follows the path: "(12 lines)", "(12 lines, in your change set)". */
  note: string;
}

/**
 * list_files: every file under the folder while they fit in `limit`; past that, one level at a
 * time (the folder's own files, its subfolders with how many files each holds), paged.
 */
export function listFiles(entries: readonly FileEntry[], under: string | undefined, offset = 0, limit = 60): string {
  const prefix = folderPrefix(under);
  const inside = entries.filter((e) => e.path.startsWith(prefix));
  if (!inside.length) return `no files under ${under}`;
  if (inside.length <= limit) return inside.map((e) => `${e.path} ${e.note}`).join('\n');
  const folders = new Map<string, number>();
  const rows: string[] = [];
  for (const e of inside) {
    const rest = e.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) rows.push(`${e.path} ${e.note}`);
    else {
      const dir = `${prefix}${rest.slice(0, slash)}/`;
      if (!folders.has(dir)) rows.push(dir);
      folders.set(dir, (folders.get(dir) ?? 0) + 1);
    }
  }
  const lines = rows.map((r) => (folders.has(r) ? `${r} (${folders.get(r)} files)` : r));
  const p = page(lines, offset, limit);
  const head = `${inside.length} files under ${prefix || 'the project root'}: too many to list at once, so one level (pass under: a folder to list its files)`;
  return [head, ...p.shown, moreLine(p, 'entries')].filter(Boolean).join('\n');
}

export interface SearchHit {
  path: string;
  line: number;
  text: string;
}

/**
 * search: every line of every file that matches, files most relevant to the task first (then in
 * path order), paged. `under` narrows it to a folder or one file.
 */
export function searchFiles(
  files: Iterable<readonly [string, readonly string[]]>,
  re: RegExp,
  o: { under?: string | undefined; offset?: number | undefined; limit: number; terms: readonly string[] },
): Page<SearchHit> {
  const under = (o.under ?? '').trim().replace(/^\.\//, '');
  const prefix = folderPrefix(under);
  const hits: SearchHit[] = [];
  for (const [path, lines] of files) {
    if (under && path !== under && !path.startsWith(prefix)) continue;
    lines.forEach((text, i) => {
      if (re.test(text)) hits.push({ path, line: i + 1, text });
    });
  }
  const ranked = rankByTerms(hits, (h) => h.path, o.terms);
  return page(ranked, o.offset ?? 0, o.limit);
}

/** The search tool's text for a page of hits; shows every hit it prints through `shown`. */
export function searchText(query: string, p: Page<SearchHit>, shown: (h: SearchHit) => void): string {
  if (!p.total) return `no match for ${query}`;
  const rows = p.shown.map((h) => {
    shown(h);
    return `${h.path}:${h.line}: ${h.text.trim().slice(0, 200)}`;
  });
  const more = moreLine(p, 'hits', 'under: a folder or file, or a narrower query');
  return [...rows, ...(more ? [more] : [])].join('\n');
}

/** Error, then warning, then info (anything else last). */
export function severityRank(severity: string): number {
  return ({ error: 0, warning: 1, info: 2 } as Record<string, number>)[severity] ?? 3;
}

/**
 * Findings worth acting on first: by severity, then by relevance to the task's terms, then in
 * their own order. A `table` narrows them to one table's. Paged.
 */
export function rankFindings<F extends { severity: string; object: string; message: string }>(findings: readonly F[], o: { table?: string | undefined; offset?: number | undefined; limit: number; terms: readonly string[] }): { counts: string; page: Page<F> } {
  const t = o.table?.trim().replace(/^public\./, '');
  const picked = t ? findings.filter((f) => new RegExp(`(^|\\.)${t.replace(/[^a-z0-9_]/gi, '')}(\\.|$)`, 'i').test(f.object)) : [...findings];
  const ranked = picked
    .map((f, i) => ({ f, i, s: severityRank(f.severity), r: relevance(`${f.object} ${f.message}`, o.terms) }))
    .sort((a, b) => a.s - b.s || b.r - a.r || a.i - b.i)
    .map((x) => x.f);
  const bySeverity = new Map<string, number>();
  for (const f of picked) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
  const counts = `${picked.length} finding(s)${t ? ` on ${t}` : ''}${picked.length ? `: ${[...bySeverity].sort((a, b) => severityRank(a[0]) - severityRank(b[0])).map(([s, n]) => `${n} ${s}`).join(', ')}` : ''}`;
  return { counts, page: page(ranked, o.offset ?? 0, o.limit) };
}
