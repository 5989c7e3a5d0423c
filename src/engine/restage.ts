// The body of `agent restage`: a staged set edited after staging is refused by review and deploy
// (its seal, src/engine/seal.ts). Restaging accepts the edit only after re-running what staging
// checked that can be re-run offline and cheaply: the migration linter (the approval policy
// recomputed from the SQL), the patch against its base commit, the TypeScript of the changed files,
// and a dry run of the migrations in a shadow with the rollback verified. Then it writes the new
// hashes. The project's tests are not re-run, and the set says so.
// Heavy parts (git, the migrator, PGlite, TypeScript) are imported when it runs.
import { GateBlockedError, UsageError } from '../errors.js';
import type { ChangeSetRow } from '../store/rows.js';
import type { GateResult, Manifest } from '../../agents/shared/change-set.js';
import type { CommandContext } from '../commands/types.js';

const AGENT = 'STAGE';
const PATCH = 'changes.patch';
const REVIEW = 'REVIEW.md';

const upFile = (m: { version: string; name: string }) => `migrations/${m.version}_${m.name}.up.sql`;
const downFile = (m: { version: string; name: string }) => `migrations/${m.version}_${m.name}.down.sql`;

export type MirrorPlan = { type: 'ok'; copies: Array<{ from: string; to: string }> } | { type: 'refuse'; reason: string };

/**
 * Pure: a migration is staged twice, as the SQL the deploy runs (`migrations/…`) and, when the
 * change commits it, as the project file (`files/supabase/migrations/…`). When only one copy was
 * edited, the edit is copied to the other; two different edits are refused. `edited`: the paths
 * whose hash differs from the seal (null for a set from before sealing: nothing tells which).
 */
export function planMirrors(manifest: Pick<Manifest, 'files' | 'migrations'>, contents: ReadonlyMap<string, Buffer>, edited: ReadonlySet<string> | null): MirrorPlan {
  const inFiles = new Set(manifest.files.filter((f) => f.action !== 'delete').map((f) => f.path));
  const copies: Array<{ from: string; to: string }> = [];
  for (const m of manifest.migrations) {
    for (const [staged, project] of [[upFile(m), m.upPath], [downFile(m), m.downPath]] as const) {
      if (!inFiles.has(project)) continue;
      const mirror = `files/${project}`;
      const a = contents.get(staged);
      const b = contents.get(mirror);
      if (!a || !b || a.equals(b)) continue;
      const aEdited = edited?.has(staged) ?? false;
      const bEdited = edited?.has(mirror) ?? false;
      if (aEdited && !bEdited) copies.push({ from: staged, to: mirror });
      else if (bEdited && !aEdited) copies.push({ from: mirror, to: staged });
      else return { type: 'refuse', reason: `${staged} (what the deploy runs) and ${mirror} (what it commits) differ; make them the same` };
    }
  }
  return { type: 'ok', copies };
}

interface Check {
  gate: string;
  ok: boolean;
  detail: string;
}

export async function restageChangeSet(ctx: CommandContext, cs: ChangeSetRow) {
  const { existsSync, readFileSync, renameSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const seal = await import('../engine/seal.js');
  const root = ctx.project.root;
  const dir = join(root, cs.dir);
  if (!existsSync(dir)) throw new UsageError(`${cs.dir}: the staged directory is missing; stage the change again`);
  const manifest = JSON.parse(cs.manifest) as Manifest;
  const contents = seal.readSetDir(dir);
  const verdict = seal.compareSeal(manifest.sha256, seal.sealOf([...contents].map(([path, content]) => ({ path, content }))));
  const writeManifest = (m: Manifest) => {
    const tmp = join(dir, `.${seal.MANIFEST_FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(m, null, 2) + '\n');
    renameSync(tmp, join(dir, seal.MANIFEST_FILE));
  };

  if (verdict.type === 'sealed') {
    // The content is what was staged; at most manifest.json was touched, and the row holds the original.
    let onDisk: unknown = null;
    try {
      onDisk = JSON.parse(readFileSync(join(dir, seal.MANIFEST_FILE), 'utf8'));
    } catch {
      // missing or unreadable: rewritten below
    }
    const restored = JSON.stringify(onDisk) !== JSON.stringify(manifest);
    if (restored) writeManifest(manifest);
    ctx.out.line(AGENT, 'ok', `${cs.dir} is unchanged since it was staged (${verdict.files} files match their sha256)${restored ? `; ${seal.MANIFEST_FILE} restored from the copy recorded at staging` : ''}`, { ticketId: cs.ticket_id ?? undefined });
    return { data: { changeSet: { id: cs.id, dir: cs.dir }, edited: [], restoredManifest: restored, requiresApproval: manifest.requiresApproval } };
  }

  const edited = verdict.type === 'broken' ? verdict.changed : [];
  if (verdict.type === 'broken') {
    if (verdict.missing.length) throw new UsageError(`${cs.dir}: missing since it was staged: ${verdict.missing.join(', ')}; put the file back or stage the change again`);
    if (verdict.added.length) throw new UsageError(`${cs.dir}: not part of the set: ${verdict.added.join(', ')}; remove it (a set holds only what its manifest lists) or stage the change again`);
    if (edited.includes(PATCH)) throw new UsageError(`${cs.dir}: ${PATCH} was edited; it is generated from files/: edit files/<path> instead and restage, or stage the change again`);
  }
  ctx.out.line(AGENT, 'info', verdict.type === 'broken' ? `Re-staging ${cs.dir}: edited since staging: ${edited.join(', ')}` : `Sealing ${cs.dir}, staged before sets were sealed`, { ticketId: cs.ticket_id ?? undefined });

  // Every file the manifest names must be there to be checked.
  const need = [...manifest.files.filter((f) => f.action !== 'delete').map((f) => `files/${f.path}`), ...manifest.migrations.flatMap((m) => [upFile(m), downFile(m)])];
  const absent = need.filter((p) => !contents.has(p));
  if (absent.length) throw new UsageError(`${cs.dir}: its manifest lists ${absent.join(', ')}, which is not in the set; stage the change again`);
  const mirrors = planMirrors(manifest, contents, verdict.type === 'broken' ? new Set(edited) : null);
  if (mirrors.type === 'refuse') throw new UsageError(`${cs.dir}: ${mirrors.reason}, then \`agent restage ${cs.ticket_id ?? cs.id}\``);
  for (const c of mirrors.copies) {
    contents.set(c.to, contents.get(c.from)!);
    ctx.out.line(AGENT, 'info', `${c.from} was edited: the same edit goes to ${c.to}`);
  }

  const text = (p: string) => contents.get(p)!.toString('utf8');
  const migrations = manifest.migrations.map((m) => ({ version: m.version, name: m.name, upPath: m.upPath, up: text(upFile(m)), down: text(downFile(m)) }));
  const files = manifest.files.map((f) => ({ path: f.path, content: f.action === 'delete' ? null : text(`files/${f.path}`) }));
  const checks: Check[] = [];
  const pass = (c: Check) => {
    checks.push(c);
    ctx.out.line(AGENT, c.ok ? 'ok' : 'error', `${c.gate}: ${c.detail}`);
    if (!c.ok) throw new GateBlockedError('restage', c.gate, `${c.detail.replace(/\.$/, '')}; ${cs.dir} stays unsealed (review and deploy refuse it)`);
  };

  // 1. The migration linter, and with it the approval policy, on the SQL that will run.
  const m = await import('../../agents/migrator/index.js');
  const findings = m.lintMigrations(migrations.map((x) => ({ path: upFile(x), sql: x.up })));
  const destructive = seal.destructiveNow(migrations);
  for (const f of findings) ctx.out.line('MIGRATOR', m.DESTRUCTIVE_RULES.has(f.ruleId) ? 'warn' : 'debug', m.formatFinding(f));
  pass({
    gate: 'lint',
    ok: true,
    detail: !migrations.length
      ? 'no migration in the set'
      : destructive.requiresApproval
        ? `${findings.length} finding(s) in ${migrations.length} migration(s); destructive (${destructive.rules.join(', ')}): deploying it needs approval`
        : `${findings.length} finding(s) in ${migrations.length} migration(s), none destructive`,
  });

  // 2. The patch: regenerated from files/ when they changed, and it must apply to its base commit.
  const git = await import('../integrations/git.js');
  const codeEdited = edited.some((p) => p.startsWith('files/')) || mirrors.copies.some((c) => c.to.startsWith('files/'));
  if (codeEdited) contents.set(PATCH, Buffer.from(files.length ? await git.diffAgainst(root, manifest.baseSha, files) : ''));
  const patch = contents.get(PATCH)?.toString('utf8') ?? '';
  const applies = await git.patchAppliesTo(root, manifest.baseSha, patch);
  const base = manifest.baseSha ? manifest.baseSha.slice(0, 12) : 'the empty tree';
  pass({ gate: 'patch applies', ok: applies.ok, detail: applies.ok ? `${PATCH}${codeEdited ? ', regenerated from files/,' : ''} applies to its base commit ${base}` : `${PATCH} does not apply to its base commit ${base}: ${applies.why}` });
  if (patch.trim() && !(await git.patchAppliesTo(root, 'HEAD', patch)).ok) ctx.out.line(AGENT, 'warn', `${PATCH} no longer applies to HEAD: a deploy would fail; stage the change again on top of HEAD`);

  // 3. The TypeScript of the changed files, against the project's own errors before the change.
  const overlay = new Map(files.filter((f) => f.content !== null && /\.(ts|tsx|mts|cts)$/.test(f.path)).map((f) => [f.path, f.content!]));
  if (overlay.size) {
    const { typeCheck } = await import('../../agents/shared/ts-diagnostics.js');
    const [before, after] = [await typeCheck(root), await typeCheck(root, overlay)];
    const fresh = after.diagnostics.filter((d) => !before.diagnostics.some((b) => b.path === d.path && b.message === d.message));
    pass({ gate: 'types', ok: fresh.length === 0, detail: fresh.length ? `${fresh.length} new type error(s): ${fresh.slice(0, 3).map((d) => `${d.path}: ${d.message}`).join('; ')}` : `no new type errors across ${after.files} files (${overlay.size} changed)` });
  } else ctx.out.line(AGENT, 'info', 'types: no TypeScript file in the set, nothing to type-check');

  // 4. The migrations and their rollbacks in a shadow built from the project's migrations.
  if (migrations.length) {
    const { templateCacheDir } = await import('../integrations/postgres/cache-dir.js');
    const extra = migrations.map((x) => ({ version: x.version, name: x.name, up: x.up, down: x.down.trim() ? x.down : null, path: x.upPath }));
    const dry = await ctx.out.spin('Dry run of the migrations and their rollbacks in a shadow database…', m.dryRun(root, { templateCacheDir: templateCacheDir(), extra }));
    const ours = new Set(migrations.map((x) => x.version));
    const rollbacks = dry.rollback.filter((r) => ours.has(r.version));
    const unverified = rollbacks.filter((r) => r.status !== 'verified');
    const problems = [...dry.diagnoses.map((d) => `${d.file}:${d.line} ${d.reason}`), ...unverified.map((r) => `rollback of ${r.version}_${r.name} ${r.status}${r.differences.length ? `: ${r.differences.join('; ')}` : r.reason ? `: ${r.reason}` : ''}`)];
    pass({ gate: 'shadow dry run', ok: dry.ok && unverified.length === 0 && rollbacks.length === migrations.length, detail: problems.length ? problems.join('; ') : `${migrations.length} migration(s) applied in a shadow; rollback verified` });
  }

  // Sealed from the bytes that were checked: an edit made meanwhile breaks the new seal too.
  const now = new Date();
  const review = `${(contents.get(REVIEW)?.toString('utf8') ?? '').trimEnd()}\n\n${restagedSection(now, edited, checks, destructive, manifest.baseSha)}`;
  contents.set(REVIEW, Buffer.from(review));
  const gates: GateResult[] = [...manifest.gates.filter((g) => g.phase !== 'restage'), ...checks.map((c) => ({ agent: AGENT, phase: 'restage', gate: c.gate, ok: c.ok, detail: c.detail }))];
  const lintOf = (x: { version: string; name: string }) => findings.filter((f) => f.file === upFile(x));
  const next: Manifest = {
    ...manifest,
    files: manifest.files.map((f) => (f.action === 'delete' ? f : { ...f, bytes: contents.get(`files/${f.path}`)!.length })),
    migrations: manifest.migrations.map((x) => ({ ...x, destructive: lintOf(x).some((f) => m.DESTRUCTIVE_RULES.has(f.ruleId)), findings: lintOf(x).length })),
    gates,
    requiresApproval: destructive.requiresApproval,
    restaged: { at: now.toISOString(), edited, testsRerun: false },
    sha256: seal.sealOf([...contents].map(([path, content]) => ({ path, content }))),
  };
  for (const p of new Set([...mirrors.copies.map((c) => c.to), ...(codeEdited ? [PATCH] : []), REVIEW])) writeFileSync(join(dir, p), contents.get(p)!);
  writeManifest(next);
  const state = ctx.state();
  const wasApproved = cs.status === 'approved';
  state.tx(() => {
    state.db.prepare(`UPDATE change_sets SET manifest = ?, requires_approval = ?, status = 'staged' WHERE id = ?`).run(JSON.stringify(next), next.requiresApproval ? 1 : 0, cs.id);
  });
  const { appendAudit } = await import('../engine/audit.js');
  appendAudit(state, {
    initiator: ctx.initiator,
    agent: AGENT,
    action: 'change-set.restage',
    target: cs.dir,
    files: edited,
    result: next.requiresApproval ? 'resealed; deploying it needs approval' : 'resealed',
    detail: { edited, copies: mirrors.copies, requiresApproval: next.requiresApproval, wasRequired: manifest.requiresApproval, rules: destructive.rules, gates: checks.map((c) => c.gate) },
  });
  if (wasApproved) ctx.out.line('ORCHESTRATOR', 'warn', `Its approval was for the content before the edit: ${cs.dir} is back to staged; approve it again after review`);
  ctx.out.line(AGENT, next.requiresApproval ? 'warn' : 'ok', `Re-sealed ./${cs.dir}/ (${Object.keys(next.sha256!).length} files)${next.requiresApproval ? `: contains a destructive migration (${destructive.rules.join(', ')}), deploying it needs approval` : ''}; the project's tests were not re-run`, { ticketId: cs.ticket_id ?? undefined });
  return { data: { changeSet: { id: cs.id, dir: cs.dir, status: 'staged' }, edited, copies: mirrors.copies, requiresApproval: next.requiresApproval, rules: destructive.rules, gates: checks } };
}

function restagedSection(now: Date, edited: string[], checks: Check[], destructive: { requiresApproval: boolean; findings: string[] }, baseSha: string | null): string {
  const lines = [`## Re-staged ${now.toISOString()}`, ''];
  lines.push(edited.length ? `Edited after staging: ${edited.map((p) => `\`${p}\``).join(', ')}. Checked again before sealing:` : 'Sealed (staged before sets were sealed) after these checks:', '');
  for (const c of checks) lines.push(`- ${c.gate}: ${c.ok ? 'passed' : 'BLOCKED'}: ${c.detail}`);
  if (destructive.requiresApproval) {
    lines.push('', '**Destructive: deploying it needs approval.**');
    for (const f of destructive.findings) lines.push(`- ${f}`);
  }
  lines.push('', `The project's tests were not re-run; the results above are from staging on ${baseSha ? baseSha.slice(0, 12) : 'an empty repository'}.`);
  return lines.join('\n') + '\n';
}
