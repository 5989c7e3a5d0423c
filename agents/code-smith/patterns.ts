// Reads the conventions a project already uses from sibling files, so generated code looks like
// the code around it: where tools live and how they are typed, validated and registered, how
// route handlers validate and answer, how tests are written. Pure: file contents in.
import { posix } from 'node:path';
import type { SourceFile } from '../bug-hunter/project-files.js';

export interface ToolPattern {
  /** A sibling tools file, e.g. supabase/functions/mcp-server/tools/job_tools.ts */
  sibling: SourceFile;
  /** `tools/<entity>_tools.ts` naming, from the sibling's name. */
  fileFor(entity: string): string;
  /** The array export name pattern: jobTools -> estimateTools. */
  exportFor(entity: string): string;
  registry: SourceFile | null;
  /** Import lines of the sibling (validate, the ToolDefinition type), reused verbatim. */
  imports: string[];
  usesValidate: boolean;
  /** How a failed validation is reported: `throw new Error(input.errors.join('; '))`. */
  validationFailure: string;
}

export interface RoutePattern {
  sibling: SourceFile;
  imports: string[];
  usesValidate: boolean;
  /** How the sibling hands validated input to insert(): `input.value` or with a cast. */
  insertArg: string;
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function findToolPattern(files: readonly SourceFile[]): ToolPattern | null {
  const toolFiles = files.filter((f) => /(^|\/)tools\/[a-z0-9]+_tools\.ts$/.test(f.path) && /name\s*:\s*['"]create_/.test(f.content));
  const sibling = toolFiles[0] ?? files.find((f) => /(^|\/)tools\/[a-z0-9]+_tools\.ts$/.test(f.path));
  if (!sibling) return null;
  const dir = posix.dirname(sibling.path);
  const exportName = /export const (\w+)\s*:/.exec(sibling.content)?.[1] ?? 'tools';
  const stem = /([a-z0-9]+)_tools\.ts$/.exec(sibling.path)![1]!;
  const suffix = exportName.startsWith(camel(stem)) ? exportName.slice(camel(stem).length) : 'Tools';
  const registry = files.find((f) => posix.dirname(f.path) === posix.dirname(dir) && /registry\.ts$/.test(f.path)) ?? files.find((f) => f.content.includes(`from './tools/${stem}_tools'`)) ?? null;
  return {
    sibling,
    fileFor: (entity) => `${dir}/${entity}_tools.ts`,
    exportFor: (entity) => `${camel(entity)}${suffix}`,
    registry,
    imports: sibling.content.split('\n').filter((l) => l.startsWith('import ')),
    usesValidate: /\bvalidate\s*\(/.test(sibling.content),
    validationFailure: /throw new Error\(input\.errors\.join\('([^']*)'\)\)/.exec(sibling.content)?.[0] ?? "throw new Error(input.errors.join('; '))",
  };
}

export function findRoutePattern(files: readonly SourceFile[]): RoutePattern | null {
  const routes = files.filter((f) => /^(src\/)?app\/api\/[a-z0-9_-]+\/route\.ts$/.test(f.path) && /export async function POST/.test(f.content));
  const sibling = routes.sort((a, b) => a.content.length - b.content.length)[0];
  if (!sibling) return null;
  const insertArg = /\.insert\((input\.value(?: as [^)]+)?)\)/.exec(sibling.content)?.[1] ?? 'input.value';
  return { sibling, imports: sibling.content.split('\n').filter((l) => l.startsWith('import ')), usesValidate: /\bvalidate(<[^>]*>)?\s*\(/.test(sibling.content), insertArg };
}

/** A route test next to its route, if the project writes them that way. */
export function findRouteTest(files: readonly SourceFile[]): SourceFile | null {
  return files.find((f) => /^(src\/)?app\/api\/.+\/route\.test\.ts$/.test(f.path)) ?? null;
}
