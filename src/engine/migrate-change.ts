// `agent migrate "<change>"` and `agent generate migration "<change>"` (seed 6): the Migrator turns a
// plain description into a migration and its rollback through the six phases and their gates, run
// by the same orchestrator and phase runner as `fix ticket`. Each phase records its checklist with
// evidence (`agent logs <RUN> --verbose`, and --verbose while it runs shows every gate); the staged
// set is written in the execute phase only when its preconditions hold, and REVIEW.md lists the
// gates passed up to then.
import { UsageError } from '../errors.js';
import type { CommandContext, CommandResult } from '../commands/types.js';
import type { AgentTask } from './orchestrator.js';
import { item, type ChecklistItem, type PhaseOutcome } from './phases.js';
import { evaluateGate } from './gates.js';
import { runGates } from './run-gates.js';
import type { SchemaSnapshot } from '../../agents/migrator/schema-snapshot.js';
import type { Manifest } from '../../agents/shared/change-set.js';

const AGENT = 'MIGRATOR';
type Migrator = typeof import('../../agents/migrator/index.js');
type Plan = Extract<Awaited<ReturnType<Migrator['planMigration']>>, { type: 'ok' }>;
type DryRun = Awaited<ReturnType<Migrator['dryRun']>>;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const qualified = (t: string) => (t.includes('.') ? t : `public.${t}`);

export interface ForeignKeyEdge {
  from: string;
  column: string;
  to: string;
  /** The referencing column is NOT NULL: a row cannot be inserted before the row it points at. */
  required: boolean;
}

/** Pure: the foreign keys of a schema as edges between `schema.table` names. */
export function foreignKeyEdges(s: SchemaSnapshot): ForeignKeyEdge[] {
  const out: ForeignKeyEdge[] = [];
  for (const [key, t] of Object.entries(s.tables)) {
    for (const c of Object.values(t.constraints)) {
      if (c.type !== 'foreign key' || !c.references) continue;
      out.push({ from: key, column: c.columns.join(', '), to: qualified(c.references.table), required: c.columns.every((col) => t.columns[col] && !t.columns[col]!.nullable) });
    }
  }
  return out;
}

/** Pure: the foreign-key cycles that pass through `table` (each as its path of tables), the shortest first. */
export function cyclesThrough(edges: readonly ForeignKeyEdge[], table: string): ForeignKeyEdge[][] {
  const found: ForeignKeyEdge[][] = [];
  const walk = (at: string, path: ForeignKeyEdge[]) => {
    if (path.length > 8) return;
    for (const e of edges.filter((x) => x.from === at)) {
      if (e.to === table) found.push([...path, e]);
      else if (!path.some((p) => p.from === e.to)) walk(e.to, [...path, e]);
    }
  };
  walk(table, []);
  return found.sort((a, b) => a.length - b.length);
}

/** Pure: what the change touches in the current schema: the table, the keys into and out of it. */
export function touchPoints(s: SchemaSnapshot, table: string): { exists: boolean; referencedBy: ForeignKeyEdge[]; references: ForeignKeyEdge[] } {
  const key = qualified(table);
  const edges = foreignKeyEdges(s);
  return { exists: key in s.tables, referencedBy: edges.filter((e) => e.to === key && e.from !== key), references: edges.filter((e) => e.from === key) };
}

/** The Migrator working from a description; `done` receives the staged set written in its execute phase. */
export function migrationAgent(ctx: CommandContext, runId: string, text: string, done: (r: { manifest: Manifest; plan: Plan; dry: DryRun }) => void): AgentTask {
  const root = ctx.project.root;
  let m: Migrator;
  let cacheDir: string;
  let versions: string[] = [];
  let snapshot: SchemaSnapshot;
  let plan: Plan;
  let dry: DryRun;
  let rollbackOk = false;
  let manifest: Manifest | null = null;
  let upPath = '';
  let downPath = '';
  return {
    type: 'Migrator',
    speaker: AGENT,
    priority: 5,
    phases: {
      async understand(p): Promise<PhaseOutcome> {
        m = await import('../../agents/migrator/index.js');
        cacheDir = (await import('../integrations/postgres/cache-dir.js')).templateCacheDir();
        const { files } = m.readMigrationFiles(root);
        versions = files.map((f) => f.version);
        const schema = await ctx.out.spin('Replaying the migrations into a shadow database…', m.projectSchema(root, { templateCacheDir: cacheDir }));
        for (const d of schema.diagnoses) p.log('warn', `${d.file}:${d.line} does not replay in the shadow: ${d.reason}`);
        snapshot = schema.snapshot;
        const planned = await m.planMigration(text, snapshot, { existingVersions: versions });
        // A description the offline parser does not understand is bad input (exit 2), not a blocked gate.
        if (planned.type === 'refused') throw new UsageError(`understood ${planned.understood}, but ${planned.reason}; a description that works: \`agent migrate "${planned.example}"\``);
        plan = planned;
        p.log('ok', `Analyzing current schema (${plural(Object.keys(snapshot.tables).length, 'table')} from ${plural(files.length, 'migration')})`);
        const table = qualified(plan.intent.table);
        const exists = table in snapshot.tables;
        const needsTable = plan.intent.kind !== 'create-table';
        return {
          items: [
            item('Identified all affected components', true, `${plan.intent.kind} on ${table}`),
            item('Mapped current vs desired state', !needsTable || exists, needsTable ? (exists ? `${table} exists in the schema the ${plural(files.length, 'migration')} build (${plural(Object.keys(snapshot.tables[table]?.columns ?? {}).length, 'column')})` : `${table} is not in the schema the ${plural(files.length, 'migration')} build`) : exists ? `${table} already exists` : `${table} does not exist yet`),
            item('Confirmed requirements clarity', true, `"${text}" parsed as ${plan.intent.kind} (the offline parser: it either understands a description fully or refuses it)`),
            item('Replayed the current schema', schema.diagnoses.length === 0, schema.diagnoses.length ? `${plural(schema.diagnoses.length, 'statement')} did not replay: ${schema.diagnoses.slice(0, 2).map((d) => `${d.file}:${d.line}`).join(', ')}` : `${plural(files.length, 'migration')} replayed without error`),
          ],
          metrics: { confidence: needsTable && !exists ? 0 : 100, confidenceBasis: needsTable && !exists ? `${table} does not exist in the schema the migrations build` : `parsed as ${plan.intent.kind} on ${table}` },
        };
      },
      async analyze(): Promise<PhaseOutcome> {
        const table = qualified(plan.intent.table);
        const t = touchPoints(snapshot, table);
        const edges = foreignKeyEdges(snapshot);
        if (plan.intent.kind === 'add-foreign-key') {
          const i = plan.intent;
          const to = qualified(i.refTable);
          edges.push({ from: table, column: i.column, to, required: Boolean(snapshot.tables[table]?.columns[i.column] && !snapshot.tables[table]!.columns[i.column]!.nullable) });
        }
        const cycles = cyclesThrough(edges, table);
        // A cycle of NOT NULL keys cannot take its first row (no deferrable keys are generated): critical.
        const critical = cycles.filter((c) => c.every((e) => e.required));
        const show = (c: ForeignKeyEdge[]) => [c[0]!.from, ...c.map((e) => e.to)].join(' -> ');
        return {
          items: [
            item('Built complete dependency graph', true, `${plural(edges.length, 'foreign key')} in the schema; ${table} is referenced by ${t.referencedBy.length ? t.referencedBy.map((e) => `${e.from}(${e.column})`).join(', ') : 'no table'} and references ${t.references.length ? t.references.map((e) => e.to).join(', ') : 'no table'}`),
            item('Identified circular dependencies', critical.length === 0, cycles.length ? `${cycles.map(show).join('; ')}${critical.length ? ` (${critical.length} of NOT NULL keys only: no first row can be inserted)` : ' (a nullable key breaks each)'}` : `no foreign-key cycle through ${table}`),
            item('Documented all touch points', true, `${plan.filename} (${plural(plan.up.split('\n').filter((l) => l.trim() && !l.trim().startsWith('--')).length, 'statement line')}) and its rollback ${plan.rollbackFilename}`),
          ],
          metrics: { criticalCycles: critical.length },
        };
      },
      async plan(): Promise<PhaseOutcome> {
        await ctx.requireApproval({ category: 'codeGeneration', action: `stage migration ${plan.version}_${plan.slug}`, requestedBy: AGENT });
        const destructive = plan.findings.filter((f) => m.DESTRUCTIVE_RULES.has(f.ruleId));
        if (destructive.length) ctx.out.line(AGENT, 'warn', `Checking for breaking changes: ${destructive.map((f) => `${f.ruleId} ${f.object}`).join(', ')} (applying it needs approval)`);
        else ctx.out.line(AGENT, 'ok', `Checking for breaking changes${plan.findings.length ? ` (${plural(plan.findings.length, 'note')}, none breaking)` : ''}`);
        for (const f of plan.findings) ctx.out.line(AGENT, 'debug', `${f.file}:${f.line} ${f.severity} ${f.ruleId}: ${f.message}`);
        const locks = /lock_timeout/i.test(plan.up) || /concurrently/i.test(plan.up);
        const items: ChecklistItem[] = [
          item('Failure scenario: the change loses data', true, destructive.length ? `${destructive.map((f) => f.ruleId).join(', ')}: applying or deploying it waits for the destructive-change approval` : 'the linter finds no destructive statement'),
          item('Failure scenario: a busy table blocks the change', locks, locks ? (/concurrently/i.test(plan.up) ? 'CONCURRENTLY: no write-blocking lock' : "set lock_timeout: gives up instead of queueing behind other sessions") : 'the SQL sets no lock_timeout'),
          item('Planned rollback procedures', plan.down.trim().length > 0, plan.down.trim() ? `${plan.rollbackFilename}: ${plan.down.split('\n').filter((l) => l.trim() && !l.startsWith('--'))[0] ?? ''}` : 'no rollback SQL'),
          item('Estimated resource requirements', true, plan.transactional ? 'one transaction' : 'runs outside a transaction (CONCURRENTLY)'),
        ];
        const scenarios = items.slice(0, 3);
        return { items, metrics: { scenarios: scenarios.length, mitigated: scenarios.filter((i) => i.ok).length } };
      },
      async validate(p): Promise<PhaseOutcome> {
        upPath = m.migrationPath(plan.version, plan.slug);
        downPath = m.rollbackPath(plan.version, plan.slug);
        const extra = [{ version: plan.version, name: plan.slug, up: plan.up, down: plan.down, path: upPath }];
        dry = await ctx.out.spin('Checking the migration and its rollback in a shadow database…', m.dryRun(root, { templateCacheDir: cacheDir, extra }));
        const check = dry.rollback.find((r) => r.version === plan.version);
        rollbackOk = check?.status === 'verified';
        p.log(rollbackOk ? 'ok' : 'warn', rollbackOk ? 'Creating rollback plan (verified in a shadow database)' : `Creating rollback plan: ${check?.status ?? 'not checked'}${check?.differences.length ? `: ${check.differences.join('; ')}` : check?.reason ? `: ${check.reason}` : ''}`);
        const errors = dry.diagnoses.filter((d) => d.cause !== 'shadow-limitation');
        // A destructive statement is allowed here: applying or deploying it waits for its approval.
        const lintErrors = plan.findings.filter((f) => f.severity === 'error' && !m.DESTRUCTIVE_RULES.has(f.ruleId));
        const failed = [
          ...(errors.length ? [`the migration fails in the shadow database: ${errors.map((d) => `${d.file}:${d.line} ${d.reason}`).join('; ')}`] : []),
          ...(!rollbackOk ? [`its rollback is not verified: ${check?.differences.join('; ') || check?.reason || check?.status || 'not checked'}`] : []),
          ...(lintErrors.length ? [`the linter reports ${lintErrors.map((f) => `${f.ruleId} (line ${f.line})`).join(', ')}`] : []),
        ];
        const ms = dry.pending.reduce((t, x) => t + x.ms, 0);
        return {
          items: [
            item('Static analysis passed', lintErrors.length === 0, `the migration linter: ${plural(lintErrors.length, 'error')}, ${plural(plan.findings.length - lintErrors.length, 'other finding')}`),
            item('Security scan passed', !/\bdisable row level security\b/i.test(plan.up), /\bdisable row level security\b/i.test(plan.up) ? 'the SQL disables row level security' : 'no statement disables row level security or grants to anon'),
            item('Performance review completed', true, `applied in the shadow in ${ms} ms; ${dry.impact.rowsAffected} rows affected there`),
            item('Dry run and rollback in a shadow database', errors.length === 0 && rollbackOk, errors.length ? errors.map((d) => `${d.file}:${d.line} ${d.reason}`).join('; ') : rollbackOk ? 'up applied, rollback applied, the schema after it equals the schema before' : `rollback ${check?.status ?? 'not checked'}`),
          ],
          // A migration has no code line for tests to cover: what stands in is its dry run and rollback.
          metrics: { coverage: null, coverageInstead: `a migration has no code line to cover; its up and its rollback ran in a shadow database and the schema after the rollback equals the one before`, checksFailed: failed },
        };
      },
      async execute(p): Promise<PhaseOutcome> {
        const { existsSync } = await import('node:fs');
        const { join } = await import('node:path');
        const free = !existsSync(join(root, upPath)) && !existsSync(join(root, downPath));
        const pre = [
          item('Precondition: dry run and rollback verified', rollbackOk, rollbackOk ? 'validate phase' : 'not verified'),
          item('Precondition: the files do not exist yet', free, free ? `${upPath}, ${downPath}` : `${upPath} or its rollback already exists`),
        ];
        const met = pre.filter((x) => x.ok).length;
        if (met === pre.length) {
          const [{ writeChangeSet }, { headSha }] = await Promise.all([import('../../agents/stage-agent/writer.js'), import('../integrations/git.js')]);
          const nl = (sql: string) => (sql.endsWith('\n') ? sql : `${sql}\n`);
          const up = nl(plan.up);
          const down = nl(plan.down);
          const reason = `${text}${plan.notes.length ? ` (${plan.notes.join('; ')})` : ''}`;
          // This phase's own gate, as the runner will decide it: the set is written only when it passes.
          const own = evaluateGate('execute', { preconditions: pre.length, preconditionsMet: met }, p.config.gates, pre);
          const gates = [...runGates(ctx.state(), runId), ...(own.type === 'pass' ? [{ agent: p.agentId, phase: 'execute', gate: own.gate, ok: true, detail: `${own.detail} (this set is written only when they are)` }] : [])];
          manifest = await writeChangeSet(root, {
            ticket: null,
            title: `migration ${plan.slug}`,
            summary: `Migration from the description "${text}"`,
            files: [
              { path: upPath, content: up, reason, agent: AGENT },
              { path: downPath, content: down, reason: `rollback of ${plan.version}_${plan.slug}`, agent: AGENT },
            ],
            migrations: [{ version: plan.version, name: plan.slug, upPath, downPath, up, down, findings: plan.findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, line: f.line, message: f.message })), destructive: plan.requiresApproval }],
            gates,
            baseSha: await headSha(root),
          });
          pre.push(item('All changes executed atomically', true, `${manifest.dir} (assembled in a temp dir, then renamed)`));
          pre.push(item('Complete execution log', true, `${plural(manifest.files.length, 'file')}, REVIEW.md and manifest.json with the sha256 of each`));
        }
        return { items: pre, metrics: { preconditions: 2, preconditionsMet: met } };
      },
      async verify(): Promise<PhaseOutcome> {
        const [{ hashSetDir, compareSeal, describeBroken }, { join }] = await Promise.all([import('./seal.js'), import('node:path')]);
        const verdict = compareSeal(manifest!.sha256, hashSetDir(join(root, manifest!.dir)));
        const sealed = verdict.type === 'sealed';
        const unexpected = dry.schemaAfter ? (await import('../../agents/migrator/schema-diff.js')).diffSchemas(snapshot, dry.schemaAfter).filter((d) => !d.object.includes(plan.intent.table.replace(/^public\./, ''))) : [];
        done({ manifest: manifest!, plan, dry });
        return {
          items: [
            item('The staged set on disk matches its seal', sealed, sealed ? `${plural(verdict.files, 'file')}, sha256 as in manifest.json` : verdict.type === 'broken' ? describeBroken(verdict) : 'no seal'),
            item('No unexpected side effects', unexpected.length === 0, unexpected.length ? `the shadow's schema also changed: ${unexpected.slice(0, 3).map((d) => `${d.change} ${d.object}`).join(', ')}` : `in the shadow only ${plan.intent.table} changed`),
          ],
          metrics: { postErrors: (sealed ? 0 : 1) + unexpected.length },
        };
      },
    },
  };
}

/** Runs the Migrator on a description as one orchestrated run; records, audits and announces the staged set. */
export async function migrateChange(ctx: CommandContext, description: string): Promise<CommandResult> {
  const text = description.trim();
  if (!text) throw new UsageError('describe the change, e.g. `agent migrate "add column notes text to jobs"`');
  const { Orchestrator } = await import('./orchestrator.js');
  const orch = new Orchestrator(ctx.state(), ctx.project.config(), ctx.out, ctx.signal);
  try {
    return await orch.withRun({ command: `migrate ${text}` }, async (run) => {
      let result: { manifest: Manifest; plan: Plan; dry: DryRun } | undefined;
      await orch.runAgent(run, migrationAgent(ctx, run.id, text, (r) => (result = r)));
      const { manifest, plan, dry } = result!;
      const state = ctx.state();
      state.insertChangeSet({ id: manifest.id, ticket_id: null, dir: manifest.dir, status: 'staged', requires_approval: manifest.requiresApproval ? 1 : 0, created_at: Date.now(), manifest: JSON.stringify(manifest) });
      const { appendAudit } = await import('./audit.js');
      appendAudit(state, { initiator: ctx.initiator, agent: AGENT, action: 'migration.stage', approval: ctx.approvalIds(), target: `${plan.version}_${plan.slug}`, files: manifest.files.map((f) => f.path), result: manifest.dir });
      ctx.out.line(AGENT, 'ok', `Migration ready: ./${manifest.dir}/`, { runId: run.id });
      const upPath = manifest.migrations[0]!.upPath;
      const downPath = manifest.migrations[0]!.downPath;
      return {
        data: {
          runId: run.id,
          changeSet: { id: manifest.id, dir: manifest.dir, files: manifest.files.map((f) => f.path), migrations: [`${plan.version}_${plan.slug}`] },
          migration: { version: plan.version, name: plan.slug, upPath, downPath, up: plan.up, down: plan.down, findings: plan.findings, requiresApproval: plan.requiresApproval, notes: plan.notes },
          dryRun: { ok: dry.ok, rollbackVerified: dry.rollback.find((r) => r.version === plan.version)?.status === 'verified', diagnoses: dry.diagnoses },
          gates: manifest.gates,
        },
      };
    });
  } finally {
    orch.dispose();
  }
}
