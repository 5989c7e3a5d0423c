// Ranks the project's files by a ticket's terms (tf-idf over paths and contents). Pure.
import type { SourceFile } from '../shared/project-files.js';
import { terms } from '../shared/terms.js';

export { terms };

export interface Ranked {
  path: string;
  score: number;
  hits: string[];
}

export function rankFiles(files: readonly SourceFile[], ticketText: string, limit = 10): Ranked[] {
  const ts = terms(ticketText);
  const df = new Map<string, number>();
  const lower = files.map((f) => ({ path: f.path.toLowerCase(), content: f.content.toLowerCase() }));
  for (const t of ts) df.set(t, lower.filter((f) => f.path.includes(t) || f.content.includes(t)).length);
  const ranked = files.map((f, i) => {
    const { path, content } = lower[i]!;
    let score = 0;
    const hits: string[] = [];
    for (const t of ts) {
      const d = df.get(t) ?? 0;
      if (!d) continue;
      const idf = Math.log(1 + files.length / d);
      const inPath = path.includes(t) ? 3 : 0;
      const count = content.split(t).length - 1;
      if (inPath || count) {
        hits.push(t);
        score += idf * (inPath + Math.log(1 + count));
      }
    }
    // Test files and docs describe the code; rank the code itself first.
    if (/\.test\.|\.md$/.test(path)) score *= 0.6;
    return { path: f.path, score: Math.round(score * 100) / 100, hits };
  });
  return ranked.filter((r) => r.score > 0).sort((a, b) => b.score - a.score).slice(0, limit);
}
