// bugs scan, test <feature>: the project's health as findings, and its tests on demand.
import { UsageError } from '../errors.js';
import { makeStyle } from '../cli/style.js';
import { defineCommand } from './types.js';

/** The one finding shape `agent bugs scan --json` and the migration linter share. */
export interface Finding {
  ruleId: string;
  severity: 'error' | 'warning' | 'info';
  file: string | null;
  line: number | null;
  object: string;
  message: string;
  fix: string | null;
}

export const bugsScan = defineCommand({
  name: 'bugs scan',
  summary: 'Scan the project: type errors, unresolved tools/routes/env vars, tables nothing writes, schema lints (exit 1 on errors)',
  group: 'tickets',
  risk: 'read',
  flags: [{ name: 'severity', type: 'string', values: ['error', 'warning', 'info'], description: 'lowest severity to show (default info)' }],
  schema: (z) => z.object({ severity: z.optional(z.enum(['error', 'warning', 'info'])) }),
  keywords: ['bugs', 'scan', 'problems', 'issues'],
  examples: ['agent bugs scan', 'agent bugs scan --json --severity error'],
  async run(ctx, args) {
    const [{ readProjectFiles }, { typeCheck }, { findUnresolved, tablesWithoutWrites }, { scanProjectSchema }] = await Promise.all([
      import('../../agents/shared/project-files.js'),
      import('../../agents/shared/ts-diagnostics.js'),
      import('../../agents/bug-hunter/references.js'),
      import('../integrations/schema-scan.js'),
    ]);
    const root = ctx.project.root;
    const [files, types, schema] = await ctx.out.spin('Scanning code and schema…', Promise.all([readProjectFiles(root), typeCheck(root), scanProjectSchema(ctx)]));
    if (types.missingDependencies) ctx.out.line('BUGHUNTER', 'warn', `Dependencies are not installed: run \`${types.missingDependencies.install}\` first; the type check's ${types.missingDependencies.errors} errors are left out (without the packages nothing can be type-checked honestly)`);
    ctx.out.line('BUGHUNTER', types.files ? 'info' : 'warn', types.files ? `Type check: ${types.files} files${types.configs?.length ? ` (${types.configs.join(', ')})` : ''}` : 'Type check: no tsconfig lists any source file; nothing was type-checked');
    const findings: Finding[] = [
      ...types.diagnostics.map((d): Finding => ({ ruleId: `ts${d.code}`, severity: 'error', file: d.path, line: d.line, object: d.path, message: d.message, fix: null })),
      ...findUnresolved(files).flatMap((u) =>
        u.usedAt.map((at): Finding => ({
          ruleId: u.kind === 'tool' ? 'unresolved-tool' : u.kind === 'route' ? 'unresolved-route' : 'undeclared-env',
          severity: 'warning',
          file: at.path,
          line: at.line,
          object: u.name,
          message: `${u.name} is used here but not found in ${u.lookedIn}`,
          fix: u.kind === 'tool' ? `agent generate mcp-tool ${u.name}` : u.kind === 'env' ? `declare ${u.name} in .env.example` : null,
        })),
      ),
      ...tablesWithoutWrites(files, schema.tables).map((t): Finding => ({ ruleId: 'table-without-writes', severity: 'info', file: t.createdIn, line: null, object: `public.${t.table}`, message: `nothing in the code inserts into ${t.table}`, fix: `agent generate api "${t.table}"` })),
      ...schema.findings.map((f): Finding => ({ ruleId: f.ruleId, severity: f.severity === 'error' || f.severity === 'info' ? f.severity : 'warning', file: f.file ?? null, line: f.line ?? null, object: f.object, message: f.message, fix: f.fixSql ?? f.fix ?? null })),
    ];
    const rank = { error: 0, warning: 1, info: 2 } as const;
    const shown = findings.filter((f) => rank[f.severity] <= rank[args.severity ?? 'info']).sort((a, b) => rank[a.severity] - rank[b.severity] || (a.file ?? '').localeCompare(b.file ?? ''));
    const s = makeStyle(ctx.out.color);
    for (const f of shown) {
      const sym = f.severity === 'error' ? s.red('✗') : f.severity === 'warning' ? s.yellow('⚠') : s.dim('·');
      ctx.out.print(`${sym} ${f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : f.object}  ${s.dim(f.ruleId)}  ${f.message}${f.fix && !f.fix.includes('\n') ? s.dim(`  (fix: ${f.fix})`) : ''}`);
    }
    const counts = { error: findings.filter((f) => f.severity === 'error').length, warning: findings.filter((f) => f.severity === 'warning').length, info: findings.filter((f) => f.severity === 'info').length };
    ctx.out.line('BUGHUNTER', counts.error ? 'error' : counts.warning ? 'warn' : 'ok', `Scan: ${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} note(s) in ${files.length} files and ${schema.allTables.length} tables`);
    return { data: { findings: shown, counts }, exitCode: counts.error ? 1 : 0 };
  },
});

/** Test files a feature name points at: by path first, then by test names inside. Pure. */
export function testFilesFor(feature: string, files: ReadonlyArray<{ path: string; content: string }>): string[] {
  const words = feature.toLowerCase().match(/[a-z0-9]{3,}/g) ?? [];
  const tests = files.filter((f) => /\.(test|spec)\.[jt]sx?$/.test(f.path));
  const stem = (w: string) => w.replace(/(es|s)$/, '');
  const byPath = tests.filter((f) => words.some((w) => f.path.toLowerCase().includes(stem(w))));
  if (byPath.length) return byPath.map((f) => f.path);
  return tests.filter((f) => words.some((w) => new RegExp(`(it|test|describe)\\(\\s*['"\`][^'"\`]*${stem(w)}`, 'i').test(f.content))).map((f) => f.path);
}

export const testCmd = defineCommand({
  name: 'test',
  summary: "Run the project's tests for a feature (the test files its name points at), or all of them",
  group: 'tickets',
  risk: 'write',
  args: [{ name: 'feature', description: 'words naming the feature: "estimates", "voice agent"', variadic: true }],
  schema: (z) => z.object({ feature: z.optional(z.string()) }),
  keywords: ['test', 'tests', 'run tests'],
  examples: ['agent test estimates', 'agent test "voice agent"', 'agent test'],
  async run(ctx, args) {
    const { testCommandFor } = await import('../engine/deploy.js');
    const command = testCommandFor(ctx.project.root, ctx.project.config().test.command);
    if (!command) throw new UsageError('no test command: set test.command in agent.config.json or a "test" script in package.json');
    let files: string[] = [];
    if (args.feature) {
      const { readProjectFiles } = await import('../../agents/shared/project-files.js');
      files = testFilesFor(args.feature, await readProjectFiles(ctx.project.root));
      if (!files.length) throw new UsageError(`no test file matches "${args.feature}"; \`agent test\` runs them all`);
    }
    const full = files.length ? `${command}${command.startsWith('npm ') ? ' --' : ''} ${files.map((f) => JSON.stringify(f)).join(' ')}` : command;
    ctx.out.line('ORCHESTRATOR', 'info', `Running: ${full}`);
    const { runShell, parseTestCounts } = await import('../integrations/shell.js');
    const { parseFailures } = await import('../../agents/shared/test-failures.js');
    const r = await ctx.out.spin('Running tests…', runShell(full, { cwd: ctx.project.root, signal: ctx.signal }));
    const counts = parseTestCounts(r.output);
    const failures = parseFailures(r.output);
    for (const f of failures) ctx.out.line('TESTS', 'error', `${f.name} (${f.location ?? f.file}): ${f.message}`);
    ctx.out.line('TESTS', r.exitCode === 0 ? 'ok' : 'error', counts ? `${counts.passed} passed, ${counts.failed} failed (${(r.ms / 1000).toFixed(1)} s)` : `exit ${r.exitCode}`);
    return { data: { command: full, files, exitCode: r.exitCode, counts, failures }, exitCode: r.exitCode === 0 ? 0 : 1 };
  },
});
