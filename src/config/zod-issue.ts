// One line per validation problem: the JSON path, what was expected, and what was there.
// zod/mini ships without locale messages, so the wording is ours.
import type * as z from 'zod/mini';
import { redactClip } from './redact.js';

type Issue = z.core.$ZodIssue;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(top level)';
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return redactClip(text, 40); // redacted before it is cut: a cut secret would no longer match
}

export function expectation(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number' : `${article(issue.expected)} ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'string' || issue.origin === 'array'
        ? `at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'character(s)' : 'item(s)'}`
        : `a number >= ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array'
        ? `at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'character(s)' : 'item(s)'}`
        : `a number <= ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.message && issue.message !== 'Invalid input' ? issue.message : `a valid ${issue.format}`;
    case 'unrecognized_keys':
      return 'no such key';
    default:
      return issue.message || 'a valid value';
  }
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** "gates.testCoverage: expected a number <= 100, got 120" */
export function formatIssue(issue: Issue, input: unknown, prefix: readonly PropertyKey[] = []): string {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const where = formatPath(path);
    return `${where === '(top level)' ? '' : where + ': '}unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove it or check its spelling`;
  }
  return `${formatPath(path)}: expected ${expectation(issue)}, got ${describeValue(valueAt(input, issue.path))}`;
}
