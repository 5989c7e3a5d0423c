// Whether the programs a configured step runs are installed (issue 16, seed 2.1): a deploy, rollback
// or maintenance step whose program is missing is said before anything runs, not found half-way
// through a deploy as `sh: 1: docker: not found`. `programsOf` and `missingPrograms` are pure.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Shell builtins and keywords: nothing to install. */
const BUILTINS = new Set(['cd', 'exit', 'true', 'false', ':', 'echo', 'printf', 'test', '[', 'export', 'set', 'unset', 'if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac', '.', 'source', 'exec', 'command', 'eval', 'read', 'sleep', 'wait', 'trap', 'umask', 'shift', 'return', '!', '{', '}', '(', ')']);

/** Pure: the program each simple command of a shell line starts (after `VAR=value` assignments). */
export function programsOf(command: string): string[] {
  const out: string[] = [];
  // Quoted text is not split on; && || ; | & and newlines separate simple commands.
  const segments = command.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, (q) => q.replace(/[;&|\n]/g, ' ')).split(/&&|\|\||[;|&\n]/);
  for (const seg of segments) {
    const words = seg.trim().split(/\s+/).filter(Boolean);
    const first = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
    if (!first || BUILTINS.has(first) || /^[$`(]/.test(first)) continue;
    out.push(first.replace(/^['"]|['"]$/g, ''));
  }
  return [...new Set(out)];
}

export interface MissingProgram {
  step: string;
  program: string;
  where: string;
}

/** Pure: the steps' programs that `installed` does not find, with the config key each step is under. */
export function missingPrograms(steps: ReadonlyArray<{ where: string; command: string }>, installed: (program: string) => boolean): MissingProgram[] {
  return steps.flatMap((s) => programsOf(s.command).filter((p) => !installed(p)).map((program) => ({ step: s.command, program, where: s.where })));
}

/** Finds a program as the shell would: a path relative to `cwd`, or a name on PATH. */
export function onPath(cwd: string, path = process.env.PATH ?? ''): (program: string) => boolean {
  const executable = (file: string) => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  return (program) => {
    if (program.includes('/')) return executable(isAbsolute(program) ? program : resolve(cwd, program));
    return path.split(delimiter).some((dir) => dir && executable(join(dir, program)));
  };
}

/** One line naming each missing program, the step and where it is configured. */
export function describeMissing(missing: readonly MissingProgram[]): string {
  return missing.map((m) => `${m.where}: \`${m.program}\` is not installed (not found on PATH; the step is "${m.step}")`).join('; ');
}
