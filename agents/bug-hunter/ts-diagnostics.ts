// TypeScript diagnostics through the compiler API, with the project's own tsconfig.json.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Diagnostic {
  path: string;
  line: number;
  column: number;
  code: number;
  message: string;
}

// One process checks the same project several times (BugHunter, CodeSmith, StageAgent), each
// time with a different overlay. The checks go through TypeScript's semantic-diagnostics builder
// (what `tsc --watch` uses): unchanged files are not parsed again, and only files a change can
// affect (the changed ones and, when their exported shape changed, their importers) are checked
// again; the rest keep the diagnostics they had. A check of the unchanged project is answered
// from memory.
const lastBuilder = new Map<string, import('typescript').SemanticDiagnosticsBuilderProgram>();
const plainResult = new Map<string, Promise<{ diagnostics: Diagnostic[]; files: number }>>();

export function typeCheck(root: string, extraFiles: ReadonlyMap<string, string> = new Map()): Promise<{ diagnostics: Diagnostic[]; files: number }> {
  if (extraFiles.size) return check(root, extraFiles);
  let cached = plainResult.get(root);
  if (!cached) plainResult.set(root, (cached = check(root, extraFiles)));
  return cached;
}

async function check(root: string, extraFiles: ReadonlyMap<string, string>): Promise<{ diagnostics: Diagnostic[]; files: number }> {
  const { default: ts } = await import('typescript');
  const configPath = join(root, 'tsconfig.json');
  let options: import('typescript').CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] };
  let fileNames: string[] = [];
  if (existsSync(configPath)) {
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    if (parsed) {
      options = { ...parsed.options, noEmit: true };
      fileNames = parsed.fileNames;
    }
  }
  // Files a change set adds or replaces are checked as they would be, without touching disk.
  const overlay = new Map([...extraFiles].map(([p, c]) => [join(root, p), c]));
  for (const p of overlay.keys()) if (!fileNames.includes(p) && /\.(ts|tsx)$/.test(p)) fileNames.push(p);
  // Hash-versioned source files: the builder tells changed files from unchanged ones by them.
  const host = ts.createIncrementalCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const overlayDirs = new Set([...overlay.keys()].flatMap((p) => p.split('/').map((_, i, parts) => parts.slice(0, i).join('/')).filter(Boolean)));
  const directoryExists = host.directoryExists?.bind(host);
  host.readFile = (f) => overlay.get(f) ?? readFile(f);
  host.fileExists = (f) => overlay.has(f) || fileExists(f);
  host.directoryExists = (d) => overlayDirs.has(d.replace(/\/$/, '')) || (directoryExists ? directoryExists(d) : true);
  const builder = ts.createSemanticDiagnosticsBuilderProgram(fileNames, options, host, lastBuilder.get(root));
  lastBuilder.set(root, builder);
  const found = [...builder.getOptionsDiagnostics(), ...builder.getGlobalDiagnostics(), ...builder.getSyntacticDiagnostics(), ...builder.getSemanticDiagnostics()];
  const diagnostics = found.map((d): Diagnostic => {
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
  return { diagnostics: diagnostics.filter((d) => !d.path.startsWith('..') && !d.path.includes('node_modules')), files: fileNames.length };
}
