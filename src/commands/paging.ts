// --limit/--offset for the commands that list rows (tickets, logs): the flags, their checks and
// the "how many more" that every listing reports. Counts come from SQL, never from a capped list.
import type { ZodMini } from '../config/zod-mini.js';
import type { FlagSpec } from './types.js';

export const MAX_LIMIT = 999_999;

export function pagingFlags(limit: string, offset: string): FlagSpec[] {
  return [
    { name: 'limit', type: 'string', placeholder: 'N', description: limit },
    { name: 'offset', type: 'string', placeholder: 'N', description: offset },
  ];
}

/** The schema entries for the paging flags: whole numbers as typed, so a bad one is exit 2. */
export function pagingSchema(z: ZodMini) {
  return {
    limit: z.optional(z.string().check(z.regex(/^[1-9]\d{0,5}$/, `a whole number from 1 to ${MAX_LIMIT}`))),
    offset: z.optional(z.string().check(z.regex(/^\d{1,9}$/, 'a whole number, 0 or more'))),
  };
}

export interface Page {
  limit: number;
  offset: number;
}

export function pageOf(args: { limit?: string; offset?: string }, defaultLimit: number): Page {
  return { limit: args.limit ? Number(args.limit) : defaultLimit, offset: args.offset ? Number(args.offset) : 0 };
}

/** What a listing reports about itself: the JSON `total`/`more` fields. Pure. */
export function pageInfo(total: number, page: Page, shown: number) {
  return { total, offset: page.offset, limit: page.limit, more: Math.max(0, total - page.offset - shown) };
}

/** "… 4,000 more: --offset 1000", or null when nothing is left out. Pure. */
export function moreNote(info: ReturnType<typeof pageInfo>, shown: number, what = 'more'): string | null {
  if (info.more <= 0) return null;
  return `… ${info.more.toLocaleString('en-US')} ${what}: --offset ${info.offset + shown}`;
}
