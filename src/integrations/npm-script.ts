// `npm test --silent` without npm in between. npm's own start-up (about a second on a slow 2-core
// machine) is paid on every test run of every agent, often more than a small project's tests take.
// The package's script runs the way `npm run` runs it: `sh -c "<script> <args>"` in the package
// directory, its node_modules/.bin (and each parent's) first on PATH, npm's lifecycle variables
// set. Only the plain silent form of a script without pre/post hooks; anything else goes to npm.
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const FORM = /^npm (?:test|run test|run-script test) (?:--silent|-s)(?: -- (.+))?$/;

export interface DirectScript {
  command: string;
  env: Record<string, string>;
}

export function directNpmScript(command: string, cwd: string, path = process.env.PATH ?? ''): DirectScript | null {
  const m = FORM.exec(command.trim());
  if (!m) return null;
  const pkgPath = join(cwd, 'package.json');
  let pkg: { name?: string; version?: string; scripts?: Record<string, string> };
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as typeof pkg;
  } catch {
    return null;
  }
  const script = pkg.scripts?.test;
  if (typeof script !== 'string' || !script.trim() || pkg.scripts?.pretest || pkg.scripts?.posttest) return null;
  const bins: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    const bin = join(dir, 'node_modules', '.bin');
    if (existsSync(bin)) bins.push(bin);
    if (dirname(dir) === dir) break;
  }
  return {
    command: m[1] ? `${script} ${m[1]}` : script,
    env: {
      PATH: [...bins, path].filter(Boolean).join(delimiter),
      npm_lifecycle_event: 'test',
      npm_lifecycle_script: script,
      npm_package_json: pkgPath,
      INIT_CWD: cwd,
      ...(pkg.name ? { npm_package_name: pkg.name } : {}),
      ...(pkg.version ? { npm_package_version: pkg.version } : {}),
    },
  };
}
