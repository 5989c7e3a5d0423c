// @ts-check
// The TypeScript checker, in a worker thread: type checking is seconds of synchronous CPU, and
// on the main thread it would stall everything an agent runs beside it (the shadow database of
// the schema scan, the orchestrator's heartbeats). Plain JavaScript so the same file runs from the
// sources (tests) and from dist/ (the build copies it next to the chunk that starts it).
//
// The worker keeps one semantic-diagnostics builder per project (what `tsc --watch` uses): a
// later check parses only changed files and checks again only what a change can affect.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { cachedDataVersionTag, setFlagsFromString } from 'node:v8';
import vm from 'node:vm';
import { parentPort, threadId, workerData } from 'node:worker_threads';

/**
 * require(filename), through a V8 code cache in cacheDir (Node 20 has no module.enableCompileCache()):
 * most of loading typescript.js is compiling its 9 MB, ~0.4 s here. Any trouble with the cache
 * falls back to a plain require.
 * @param {string} filename
 * @param {string | undefined} cacheDir
 * @returns {{ exports: any, codeCache: 'accepted' | 'rejected' | 'missing' | 'unused', saveCodeCache: () => void }}
 */
function requireWithCodeCache(filename, cacheDir) {
  /** @returns {{ exports: any, codeCache: 'unused', saveCodeCache: () => void }} */
  const plain = () => ({ exports: createRequire(import.meta.url)(filename), codeCache: 'unused', saveCodeCache: () => {} });
  if (!cacheDir) return plain();
  /** @type {string} */
  let cacheFile;
  /** @type {Buffer | undefined} */
  let cachedData;
  /** @type {vm.Script} */
  let script;
  /** @type {any} */
  let exports;
  try {
    // V8 checks little more than the source's length and its own version: the name covers the rest.
    const { size, mtimeMs } = statSync(filename);
    const key = JSON.stringify([filename, size, mtimeMs, process.version, process.arch, cachedDataVersionTag()]);
    cacheFile = join(cacheDir, `typescript-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.v8cache`);
    try {
      cachedData = readFileSync(cacheFile);
    } catch {}
    const bytes = readFileSync(filename);
    // typescript.js is ASCII, which decodes the same as latin1 and twice as fast (~65 ms, not ~120 ms here).
    script = new vm.Script(Module.wrap(bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8')), { filename, cachedData });
    const module = { exports: {} };
    script.runInThisContext().call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
    exports = module.exports;
  } catch {
    return plain();
  }
  // Made after the first check, not right after loading: what the check compiled is in it too
  // (4 MB, not 2.4 MB). That loads no faster, but a first check is ~0.13 s faster here.
  // Written under a temporary name and renamed, so another process never reads half a file.
  let unsaved = !cachedData || script.cachedDataRejected;
  const saveCodeCache = () => {
    if (!unsaved) return;
    unsaved = false;
    const temp = `${cacheFile}.${process.pid}-${threadId}.tmp`;
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
      forgetStaleCaches(cacheDir, cacheFile);
    } catch {
      try {
        rmSync(temp, { force: true });
      } catch {}
    }
  };
  return { exports, codeCache: !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted', saveCodeCache };
}

/**
 * Each TypeScript, Node or flag change writes a new 4 MB cache: the others go once unused for a
 * week (another checkout with another TypeScript keeps its own while it is in use).
 * @param {string} cacheDir
 * @param {string} current
 */
function forgetStaleCaches(cacheDir, current) {
  const weekAgo = Date.now() - 7 * 24 * 3600_000;
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (!/^typescript-[0-9a-f]+\.v8cache$/.test(name) || path === current) continue;
    try {
      const { atimeMs, mtimeMs } = statSync(path);
      if (Math.max(atimeMs, mtimeMs) < weekAgo) rmSync(path, { force: true });
    } catch {}
  }
}

// V8 rejects a code cache made under other flags, and PGlite (src/integrations/postgres/pglite.ts)
// sets this one for the whole process: set here too, a cache written before a database opened and
// one written after are the same, instead of each run rejecting the last one's.
setFlagsFromString('--liftoff-only');
// V8 optimizes a function with TurboFan once it has run through its interrupt budget a few times.
// The checker has thousands of lukewarm functions, and on a 1-2 s check most of that compiling
// (on V8's background threads, at the process's priority) never pays back. Four times the budget
// (V8 11's default is 66 KB of bytecode) leaves it to the really hot ones: checking the example took
// 0.84 s and 1.2 s of CPU, against 1.13 s and 1.7 s (8 interleaved runs each); this repository's
// 374 files 7.8-10.0 s and 11-14 s of CPU, against 9.5-10.9 s and 14.6-17.0 s. The flag is the
// process's (V8 has one set of flags); it is set before the code cache's key (cachedDataVersionTag)
// is taken, so every run loads the cache the last one wrote.
setFlagsFromString('--interrupt-budget=270336');
// Five nice levels below the rest of the process, on Linux, where a nice value is a thread's own
// (setpriority(2), BUGS; elsewhere it would lower the whole process). The check runs beside the
// test runs an agent is waiting for, and on two cores it slowed them most: in `fix ticket` the
// change's tests, not the check, are what the staged set waits for. A lone check is no slower.
if (process.platform === 'linux') {
  try {
    setPriority(0, Math.min(19, getPriority(0) + 5));
  } catch {}
}
const loaded = requireWithCodeCache(workerData.typescript, workerData.cacheDir);
/** @type {typeof import('typescript')} */
const ts = loaded.exports;
/** @type {Map<string, import('typescript').SemanticDiagnosticsBuilderProgram>} */
const lastBuilder = new Map();
/**
 * Parsed files by name and text, shared by every check (as a language service shares them): a
 * fresh host would parse the 90k lines of lib and @types again each time, ~0.7 s here.
 * @type {Map<string, import('typescript').SourceFile>}
 */
const parsed = new Map();
/**
 * File texts by name, kept while the file's size and mtime stay the same: each check would read
 * and decode every lib and @types file again (and a first parse read each one twice: once to
 * compare with the parsed file, once in TypeScript's own getSourceFile).
 * @type {Map<string, { size: number, mtimeMs: number, text: string }>}
 */
const texts = new Map();

/**
 * @param {string} fileName
 * @param {(f: string) => string | undefined} read
 */
function readKnown(fileName, read) {
  let stat;
  try {
    stat = statSync(fileName);
  } catch {
    return read(fileName);
  }
  const known = texts.get(fileName);
  if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.text;
  const text = read(fileName);
  if (text === undefined) texts.delete(fileName);
  else texts.set(fileName, { size: stat.size, mtimeMs: stat.mtimeMs, text });
  return text;
}

/**
 * A tsconfig parsed (its file list read from disk), once per check: finding the configs and
 * checking each use the same parse (each parse walks the include folders again).
 * @param {string} path
 * @param {Map<string, import('typescript').ParsedCommandLine | undefined>} parses
 */
function parseConfig(path, parses) {
  if (!parses.has(path)) parses.set(path, ts.getParsedCommandLineOfConfigFile(path, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined }));
  return parses.get(path);
}

/**
 * The tsconfig files that hold the project's sources: tsconfig.json itself, or the projects it
 * references when it only has references (the Vite layout), or the apps' own configs when the
 * root has none (an app in a subfolder such as nextjs/).
 * @param {string} root
 * @param {Map<string, import('typescript').ParsedCommandLine | undefined>} parses
 * @returns {string[]}
 */
function projectConfigs(root, parses) {
  const rootConfig = join(root, 'tsconfig.json');
  if (existsSync(rootConfig)) {
    /** @type {string[]} */
    const out = [];
    /** @param {string} path */
    const follow = (path) => {
      if (out.includes(path) || out.length > 20) return;
      const parsed = parseConfig(path, parses);
      if (!parsed) return;
      if (parsed.fileNames.length || !parsed.projectReferences?.length) out.push(path);
      for (const ref of parsed.projectReferences ?? []) {
        const p = ref.path.endsWith('.json') ? ref.path : join(ref.path, 'tsconfig.json');
        if (existsSync(p)) follow(p);
      }
    };
    follow(rootConfig);
    return out.length ? out : [rootConfig];
  }
  /** @type {string[]} */
  const nested = [];
  /** @param {string} dir @param {number} depth */
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.') || /^(node_modules|dist|build|out|coverage|staged)$/.test(e.name)) continue;
      const config = join(dir, e.name, 'tsconfig.json');
      if (existsSync(config)) nested.push(config);
      else if (depth > 1) walk(join(dir, e.name), depth - 1);
    }
  };
  walk(root, 2);
  return nested;
}

/**
 * @param {string} root
 * @param {Array<[string, string]>} extraFiles project-relative path -> content, checked as if on disk
 */
function check(root, extraFiles) {
  /** @type {Map<string, import('typescript').ParsedCommandLine | undefined>} */
  const parses = new Map();
  const configs = projectConfigs(root, parses);
  const overlay = new Map(extraFiles.map(([p, c]) => [join(root, p), c]));
  // Each overlay file is checked with the config of the deepest folder that holds it.
  const owner = (/** @type {string} */ file) => configs.filter((c) => file.startsWith(dirname(c) + '/')).sort((a, b) => b.length - a.length)[0] ?? configs[0];
  if (!configs.length) {
    const r = checkOne(root, null, overlay, [...overlay.keys()], parses);
    return { diagnostics: r.diagnostics, files: r.files, configs: [] };
  }
  /** @type {ReturnType<typeof checkOne>['diagnostics']} */
  const diagnostics = [];
  const files = new Set();
  for (const config of configs) {
    const r = checkOne(root, config, overlay, [...overlay.keys()].filter((f) => owner(f) === config), parses);
    for (const d of r.diagnostics) if (!diagnostics.some((x) => x.path === d.path && x.line === d.line && x.code === d.code && x.message === d.message)) diagnostics.push(d);
    r.fileNames.forEach((f) => files.add(f));
  }
  return { diagnostics, files: files.size, configs: configs.map((c) => relative(root, c)) };
}

/**
 * @param {string} root
 * @param {string | null} configPath
 * @param {Map<string, string>} overlay absolute path -> content
 * @param {string[]} own the overlay files this config checks
 * @param {Map<string, import('typescript').ParsedCommandLine | undefined>} parses
 */
function checkOne(root, configPath, overlay, own, parses) {
  /** @type {import('typescript').CompilerOptions} */
  let options = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] };
  /** @type {string[]} */
  let fileNames = [];
  if (configPath && existsSync(configPath)) {
    const parsed = parseConfig(configPath, parses);
    if (parsed) {
      options = { ...parsed.options, noEmit: true };
      fileNames = [...parsed.fileNames];
    }
  }
  // Files a change set adds or replaces are checked as they would be, without touching disk.
  for (const p of own) if (!fileNames.includes(p) && /\.(ts|tsx)$/.test(p)) fileNames.push(p);
  // Hash-versioned source files: the builder tells changed files from unchanged ones by them.
  const host = ts.createIncrementalCompilerHost(options);
  // As tsc does (TypeScript 5.3+): JSDoc is parsed only where it can hold a type error. Parsing
  // every comment of lib.dom.d.ts and @types/* was a third of the check's parse time here.
  if (ts.JSDocParsingMode) host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const overlayDirs = new Set([...overlay.keys()].flatMap((p) => p.split('/').map((_, i, parts) => parts.slice(0, i).join('/')).filter(Boolean)));
  const directoryExists = host.directoryExists?.bind(host);
  host.readFile = (f) => overlay.get(f) ?? readKnown(f, readFile);
  host.fileExists = (f) => overlay.has(f) || fileExists(f);
  host.directoryExists = (d) => overlayDirs.has(d.replace(/\/$/, '')) || (directoryExists ? directoryExists(d) : true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = host.readFile(fileName);
    const key = `${fileName}\0${typeof languageVersion === 'object' ? `${languageVersion.languageVersion}:${languageVersion.impliedNodeFormat}` : languageVersion}`;
    const hit = parsed.get(key);
    if (hit && text !== undefined && hit.text === text) return hit;
    const file = getSourceFile(fileName, languageVersion, onError, shouldCreate);
    if (file) parsed.set(key, file);
    return file;
  };
  // A builder for the project as on disk and one for it with an overlay: agents check the project
  // before and after their change, and going back and forth on one builder re-checked the changed
  // files and their importers each way (~0.25 s of CPU for StageAgent's pair here). Each builder
  // still reads every file again and re-checks what changed since its own last check; the first
  // overlay check starts from the disk builder (builders only read the state they start from).
  const slot = (/** @type {string} */ kind) => `${configPath ?? root}\0${kind}`;
  const key = slot(overlay.size ? 'overlay' : 'disk');
  const builder = ts.createSemanticDiagnosticsBuilderProgram(fileNames, options, host, lastBuilder.get(key) ?? lastBuilder.get(slot(overlay.size ? 'disk' : 'overlay')));
  lastBuilder.set(key, builder);
  const found = [...builder.getOptionsDiagnostics(), ...builder.getGlobalDiagnostics(), ...builder.getSyntacticDiagnostics(), ...builder.getSemanticDiagnostics()];
  const diagnostics = found.map((d) => {
    const file = d.file;
    const pos = file && d.start !== undefined ? file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
    return {
      path: file ? relative(root, file.fileName) : '(project)',
      line: pos.line + 1,
      column: pos.character + 1,
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
    };
  });
  return { diagnostics: diagnostics.filter((d) => !d.path.startsWith('..') && !d.path.includes('node_modules')), fileNames, files: fileNames.length, configs: configPath ? [relative(root, configPath)] : [] };
}

parentPort?.on('message', (/** @type {{ id: number; root: string; extraFiles: Array<[string, string]> }} */ msg) => {
  try {
    const result = check(msg.root, msg.extraFiles);
    loaded.saveCodeCache(); // before the result is posted: a CLI process may exit as soon as it has it
    // codeCache: how typescript.js was loaded, for the tests and bench/type-check-cache.mjs.
    parentPort?.postMessage({ id: msg.id, result, codeCache: loaded.codeCache });
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
