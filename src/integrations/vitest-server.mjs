// @ts-check
// The project's own vitest, started before the test files to run are known (./warm-vitest.ts):
// `vitest run <files>` is what this does, split in two. Loading vitest and the project's config
// (~0.3-0.4 s here) happens while the caller is still working out which files to run; the run
// starts when they arrive. Plain JavaScript so the same file runs from the sources (tests) and from
// dist/ (the build copies it next to the chunks).
//
// argv[2]: JSON array of the arguments the project's test script gives vitest (`["run"]`).
// IPC in: { files: string[] } once (the filters `vitest run` would take on its command line).
// IPC out: { ready: true } once vitest is set up, or { unsupported: reason } before exiting 75:
// the caller then runs the command itself. The run's output is vitest's own, on stdout/stderr.
// A disconnect before the files arrive (the caller ended, or was killed) ends this process.
import { createRequire } from 'node:module';
import { join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';

const UNSUPPORTED = 75;
/** Vitest majors whose Node API this was checked against (vitest 4: parseCLI, createVitest, start, exit). */
const CHECKED_MAJORS = [4];

/** @param {string} reason */
function unsupported(reason) {
  process.send?.({ unsupported: reason });
  process.exit(UNSUPPORTED);
}

/** @type {Promise<string[] | null>} */
const filesArrive = new Promise((resolve) => {
  process.on('message', (/** @type {{ files?: unknown }} */ m) => resolve(Array.isArray(m?.files) ? m.files.map(String) : null));
  process.on('disconnect', () => resolve(null));
});

const projectRequire = createRequire(join(process.cwd(), 'package.json'));
/** @type {any} */
let api;
try {
  const { version } = projectRequire('vitest/package.json');
  if (!CHECKED_MAJORS.includes(Number(String(version).split('.')[0]))) unsupported(`vitest ${version}: only vitest ${CHECKED_MAJORS.join(', ')} is run ahead`);
  api = await import(pathToFileURL(projectRequire.resolve('vitest/node')).href);
} catch (err) {
  unsupported(`vitest/node could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
}
if (typeof api.createVitest !== 'function' || typeof api.parseCLI !== 'function') unsupported('this vitest has no createVitest/parseCLI');

/** @type {{ filter: string[], options: Record<string, any> }} */
let parsed = { filter: [], options: {} };
try {
  parsed = api.parseCLI(['vitest', ...JSON.parse(process.argv[2] ?? '[]')]);
} catch (err) {
  unsupported(`vitest could not parse the script's arguments: ${err instanceof Error ? err.message : String(err)}`);
}
if (parsed.filter.length) unsupported('the test script names files of its own');
const options = parsed.options;
// What vitest's CLI does before it creates its context (prepareVitest, normalizeCliOptions).
process.env.TEST = 'true';
process.env.VITEST = 'true';
process.env.NODE_ENV ??= 'test';
if (options.exclude) {
  options.cliExclude = Array.isArray(options.exclude) ? options.exclude : [options.exclude];
  delete options.exclude;
}
options.run = true;
options.watch = false;

/** @type {any} */
let ctx;
try {
  ctx = await api.createVitest('test', options);
} catch (err) {
  // A config vitest cannot load fails the same way when the command runs it: let the command say so.
  unsupported(`vitest could not start: ${err instanceof Error ? err.message : String(err)}`);
}
// Packages vitest's CLI checks for before it runs (a test environment, a coverage provider): when
// one is missing, the command is what says so.
const needs = [{ jsdom: 'jsdom', 'happy-dom': 'happy-dom', 'edge-runtime': '@edge-runtime/vm' }[String(ctx.config?.environment)], ctx.config?.coverage?.enabled ? { v8: '@vitest/coverage-v8', istanbul: '@vitest/coverage-istanbul' }[String(ctx.config.coverage.provider ?? 'v8')] : undefined];
for (const name of needs) {
  if (!name) continue;
  try {
    projectRequire.resolve(`${name}/package.json`);
  } catch {
    await ctx.close().catch(() => undefined);
    unsupported(`${name} is not installed`);
  }
}
process.send?.({ ready: true });

const files = await filesArrive;
if (files === null) {
  await ctx.close().catch(() => undefined);
  process.exit(0);
}
process.channel?.unref();
// As vitest's CLI does (startVitest, then its start()): no matching test file is said by vitest
// itself and exits 1 unless passWithNoTests; another error is printed and exits 1.
try {
  try {
    await ctx.start(files.map((f) => normalize(f)));
  } catch (err) {
    if (!['VITEST_FILES_NOT_FOUND', 'VITEST_GIT_NOT_FOUND'].includes(/** @type {any} */ (err)?.code)) {
      process.exitCode = 1;
      ctx.logger.printError(err, { fullStack: true, type: 'Unhandled Error' });
      ctx.logger.error('\n\n');
    } else if (/** @type {any} */ (err)?.code === 'VITEST_GIT_NOT_FOUND') ctx.logger.error(/** @type {Error} */ (err).message);
  }
  if (!ctx.shouldKeepServer()) await ctx.exit();
} catch (err) {
  console.error('\nStartup Error');
  console.error(err);
  console.error('\n\n');
  if (process.exitCode == null) process.exitCode = 1;
  process.exit();
}
