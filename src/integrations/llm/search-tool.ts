// The agents' `search` tool: a text or a regular expression over the project's lines, ranked by
// the task's terms and paged (listing.ts). Each agent says what it searches and what a hit proves.
import { z } from '../zod-full.js';
import { searchFiles, searchText, type SearchHit } from './listing.js';
import { defineTool, type LoopTool } from './tools.js';

export function searchTool(o: {
  description: string;
  limit: number;
  terms: readonly string[];
  files: () => Iterable<readonly [string, readonly string[]]>;
  /** Called for every hit the model is shown (BugHunter's evidence ledger). */
  shown?: (h: SearchHit) => void;
}): LoopTool {
  return defineTool({
    name: 'search',
    description: o.description,
    schema: z.object({
      query: z.string().min(2).max(200),
      regex: z.boolean().optional(),
      under: z.string().max(300).optional().describe('only this folder or file'),
      offset: z.int().min(0).optional().describe('skip this many hits (the result says when there are more)'),
    }),
    run: ({ query, regex, under, offset }) => {
      let re: RegExp;
      try {
        re = regex ? new RegExp(query, 'i') : new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      } catch (err) {
        return { text: `invalid regular expression: ${(err as Error).message}`, isError: true };
      }
      return { text: searchText(query, searchFiles(o.files(), re, { under, offset, limit: o.limit, terms: o.terms }), o.shown ?? (() => {})) };
    },
  });
}
