// Pure parts of a staged change set: its name, manifest and REVIEW.md. No I/O here.
import { redact } from '../../src/config/redact.js';

export interface ChangeFile {
  /** Path inside the project, forward slashes. */
  path: string;
  /** New content; null deletes the file. */
  content: string | null;
  /** Why this file changes, in one line. */
  reason: string;
  /** The agent that produced it: CODESMITH, MIGRATOR, … */
  agent: string;
}

export interface StagedMigration {
  version: string;
  name: string;
  /** Paths (inside the project) of the up file and of its rollback. */
  upPath: string;
  downPath: string;
  up: string;
  down: string;
  /** Safety findings of the linter: rule id, severity, line, message. */
  findings: Array<{ ruleId: string; severity: string; line: number; message: string }>;
  destructive: boolean;
}

export interface GateResult {
  agent: string;
  phase: string;
  gate: string;
  ok: boolean;
  detail: string;
}

export interface ChangeSetInput {
  ticket: { id: string; title: string; kind: string } | null;
  title: string;
  summary: string;
  files: ChangeFile[];
  migrations: StagedMigration[];
  rootCauses?: Array<{ summary: string; evidence: string[] }>;
  gates: GateResult[];
  tests?: {
    /** What ran; empty when no test file can reach the change. */
    command: string;
    passed: number;
    failed: number;
    ok: boolean;
    /** Test files the change cannot reach: their passing run on HEAD stands (counted in `passed`). */
    carried?: { files: string[]; tests: number; baseSha: string };
  };
  /** Set when no project tests ran because the project has none and the change is migrations its dry run checked: why. */
  untested?: string;
  baseSha: string | null;
}

export interface Manifest {
  id: string;
  dir: string;
  ticketId: string | null;
  title: string;
  summary: string;
  createdAt: string;
  baseSha: string | null;
  files: Array<{ path: string; action: 'create' | 'modify' | 'delete'; agent: string; reason: string; bytes: number }>;
  migrations: Array<{ version: string; name: string; upPath: string; downPath: string; destructive: boolean; findings: number }>;
  gates: GateResult[];
  tests?: ChangeSetInput['tests'];
  untested?: string;
  requiresApproval: boolean;
  /**
   * sha256 of every file in the set's directory but manifest.json (`files/…`, `migrations/…`,
   * `changes.patch`, `REVIEW.md`), keyed by its path there: the seal that review and deploy check
   * (src/engine/seal.ts). Absent in sets staged before sealing.
   */
  sha256?: Record<string, string>;
  /** Set by `agent restage`: when, which files had been edited, and that the tests were not re-run. */
  restaged?: { at: string; edited: string[]; testsRerun: false };
}

export function slugify(text: string, max = 40): string {
  // Redacted before it is cut: a secret cut in two no longer matches its value or shape.
  const slug = redact(text)
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (slug.slice(0, max).replace(/-+$/, '') || 'change');
}

/** `2026-11-25_14-30-22` in UTC, the timestamp part of a staged directory's name. */
export function stampOf(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');
}

export function changeSetDirName(date: Date, title: string): string {
  return `${stampOf(date)}_${slugify(title)}`;
}

export function buildManifest(input: ChangeSetInput, dir: string, createdAt: Date, existing: ReadonlySet<string>): Manifest {
  return {
    id: dir,
    dir: `staged/${dir}`,
    ticketId: input.ticket?.id ?? null,
    title: input.title,
    summary: input.summary,
    createdAt: createdAt.toISOString(),
    baseSha: input.baseSha,
    files: input.files.map((f) => ({
      path: f.path,
      action: f.content === null ? 'delete' : existing.has(f.path) ? 'modify' : 'create',
      agent: f.agent,
      reason: f.reason,
      bytes: f.content === null ? 0 : Buffer.byteLength(f.content),
    })),
    migrations: input.migrations.map((m) => ({
      version: m.version,
      name: m.name,
      upPath: m.upPath,
      downPath: m.downPath,
      destructive: m.destructive,
      findings: m.findings.length,
    })),
    gates: input.gates,
    ...(input.tests ? { tests: input.tests } : {}),
    ...(input.untested ? { untested: input.untested } : {}),
    requiresApproval: input.migrations.some((m) => m.destructive),
  };
}

export function renderReview(m: Manifest, input: ChangeSetInput): string {
  const lines = [
    `# ${m.ticketId ? `${m.ticketId}: ` : ''}${m.title}`,
    '',
    m.summary,
    '',
    `Staged ${m.createdAt} on top of ${m.baseSha ? m.baseSha.slice(0, 12) : 'an empty repository'}.`,
  ];
  if (input.rootCauses?.length) {
    lines.push('', '## Root causes', '');
    for (const c of input.rootCauses) {
      lines.push(`- ${c.summary}`);
      for (const e of c.evidence) lines.push(`  - evidence: \`${e}\``);
    }
  }
  lines.push('', '## Changes', '');
  m.files.forEach((f, i) => lines.push(`${i + 1}. \`${f.path}\` (${f.action}, ${f.agent}): ${f.reason}`));
  if (m.migrations.length) {
    lines.push('', '## Migrations', '');
    for (const mig of input.migrations) {
      lines.push(`- \`${mig.upPath}\` with rollback \`${mig.downPath}\`${mig.destructive ? ' — **destructive: deploying it needs approval**' : ''}`);
      for (const f of mig.findings) lines.push(`  - ${f.severity} ${f.ruleId} (line ${f.line}): ${f.message}`);
    }
  }
  lines.push('', '## Quality gates', '', '| agent | phase | gate | result |', '|---|---|---|---|');
  for (const g of m.gates) lines.push(`| ${g.agent} | ${g.phase} | ${g.gate} | ${g.ok ? 'passed' : 'BLOCKED'}: ${g.detail.replace(/\|/g, '\\|')} |`);
  lines.push('', `The gates decided after this file was written (the last agent's execute gate where it is not listed, and its verify gate) are in the run's record, with every checklist item and its evidence: ${m.ticketId ? `\`agent ticket ${m.ticketId}\`` : '`agent logs --level debug`'}.`);
  if (m.tests) {
    const c = m.tests.carried;
    lines.push('', `## Tests`, '', `${m.tests.passed} passed, ${m.tests.failed} failed.`, '');
    lines.push(m.tests.command === '' ? '- No test file can reach the change.' : `- Ran \`${m.tests.command}\` on HEAD plus the change.`);
    if (c) lines.push(`- ${c.tests} test(s) in ${c.files.length} file(s) that import nothing the change touches passed on HEAD ${c.baseSha.slice(0, 12)} in BugHunter's run of the whole suite: ${c.files.map((f) => `\`${f}\``).join(', ')}.`);
  }
  if (m.untested) lines.push('', '## Tests', '', `No project tests ran: ${m.untested}.`);
  lines.push('', '## Next', '', m.ticketId ? `- \`agent review ${m.ticketId}\` shows the diff; \`agent approve ${m.ticketId} deploy to staging\` deploys it.` : '- `agent review` shows the diff.');
  return lines.join('\n') + '\n';
}
