// The ticket pipeline: which agents a request needs, in what order, and what they hand on.
import type { CommandContext } from '../commands/types.js';
import type { TicketRow } from '../store/rows.js';
import { GateBlockedError, WorkFailedError } from '../errors.js';
import { Orchestrator, type Run } from './orchestrator.js';
import { testCommandFor } from './deploy.js';
import { appendAudit } from './audit.js';
import { ticketLock } from './locks.js';
import { runGates } from './run-gates.js';
import { runShell } from '../integrations/shell.js';
import { proofSlot, type ProofSlot } from './proof-slot.js';
import { agentInputs, draftChange, fixesFor } from './fix-draft.js';
import type { Analysis, BugHunterInput } from '../../agents/bug-hunter/index.js';
import type { ReplayedShadow } from '../../agents/migrator/agent.js';
import { resolveTestTarget, type TestTarget } from '../../agents/code-smith/test-gen.js';

/** Runs BugHunter inside an open run and returns its analysis. `keepShadow` receives the schema
 * scan's shadow database (migrations replayed) instead of it being closed; `onProvisional`, the
 * analysis before the type check is in (BugHunterInput.onProvisional); `project`, the project as the
 * run read it; `suite`, its test suite's run at HEAD, already started. */
export async function runBugHunter(ctx: CommandContext, orch: Orchestrator, run: Run, ticket: TicketRow, hooks: Pick<BugHunterInput, 'onProvisional' | 'project' | 'suite'> & { keepShadow?: (shadow: ReplayedShadow) => void } = {}): Promise<Analysis> {
  const state = ctx.state();
  const { bugHunter } = await import('../../agents/bug-hunter/index.js');
  const { scanProjectSchema } = await import('../integrations/schema-scan.js');
  let analysis: Analysis | undefined;
  state.setTicketStatus(ticket.id, 'analyzing');
  await orch
    .runAgent(
      run,
      bugHunter(
        { root: ctx.project.root, ticket, command: run.command.startsWith('fix') ? 'fix' : 'analyze', testCommand: testCommandFor(ctx.project.root, ctx.project.config().test.command), scanSchema: () => scanProjectSchema(ctx, { keep: hooks.keepShadow }), onProvisional: hooks.onProvisional, project: hooks.project, suite: hooks.suite },
        (a) => (analysis = a),
      ),
    )
    .catch((err: unknown) => {
      // The hint for a change request applies only where the ticket names no failing behaviour.
      throw err instanceof GateBlockedError && err.phase === 'understand' && err.reason.startsWith('the ticket states no failing behaviour') ? new GateBlockedError(err.phase, err.gate, `${err.reason}${notABug(ticket)}`) : err;
    });
  const result = analysis!;
  appendAudit(state, { initiator: ctx.initiator, agent: 'BUGHUNTER', action: 'ticket.analyze', target: ticket.id, files: result.ranked.slice(0, 5).map((r) => r.path), result: `${result.rootCauses.length} root cause(s)` });
  if (!result.rootCauses.length) throw new WorkFailedError(`no root cause found for ${ticket.id}; \`agent logs ${ticket.id} --level debug\` shows what was checked`);
  return result;
}

/** Why BugHunter could not understand a ticket that asks for a change rather than reports a fault. */
function notABug(ticket: TicketRow): string {
  if (ticket.kind === 'MIG') return `; ${ticket.id} asks for a schema change and names no failing behaviour: \`agent migrate "${ticket.title}"\` makes such a change`;
  if (ticket.kind === 'FEAT') return `; ${ticket.id} asks for something new and names no failing behaviour: \`agent generate api|mcp-tool|component|test "<spec>"\` builds it`;
  return '';
}

/** The status a ticket returns to after a run: never one that says work is under way. */
function settled(status: TicketRow['status']): TicketRow['status'] {
  return status === 'analyzing' || status === 'in_progress' ? 'open' : status;
}

export async function analyze(ctx: CommandContext, ticket: TicketRow): Promise<Analysis> {
  const orch = new Orchestrator(ctx.state(), ctx.project.config(), ctx.out, ctx.signal);
  try {
    // An analysis changes nothing: the ticket keeps the status it had, whatever the outcome.
    return await orch.withRun({ command: `analyze ticket ${ticket.id}`, ticketId: ticket.id, resources: [ticketLock(ticket.id)] }, (run) => runBugHunter(ctx, orch, run, ticket));
  } finally {
    ctx.state().setTicketStatus(ticket.id, settled(ticket.status));
    orch.dispose();
  }
}

type ChangeInput = import('../../agents/stage-agent/index.js').StageInput['change'];
type ChangeProof = import('../../agents/stage-agent/index.js').ChangeProof;
type ChangeFile = import('../../agents/shared/change-set.js').ChangeFile;
type MigratorOutput = import('../../agents/migrator/agent.js').MigratorOutput;

/**
 * Runs StageAgent over a change: proves it and writes the staged set; returns its manifest. REVIEW.md
 * and the manifest get every gate the run's agents decided before the set is written (BugHunter's,
 * CodeSmith's, the Migrator's and StageAgent's own up to validate), read from the run's events.
 */
async function stage(ctx: CommandContext, orch: Orchestrator, run: Run, change: ChangeInput, baseline: Analysis['baseline'] = null, early: ChangeProof | null = null) {
  const { stageAgent } = await import('../../agents/stage-agent/index.js');
  let manifest: import('../../agents/shared/change-set.js').Manifest | undefined;
  const root = ctx.project.root;
  await orch.runAgent(run, stageAgent({ root, testCommand: testCommandFor(root, ctx.project.config().test.command), gates: () => runGates(ctx.state(), run.id), change, baseline, early }, (m) => (manifest = m)));
  return manifest!;
}

export interface FixResult {
  ticketId: string;
  rootCauses: Analysis['rootCauses'];
  changeSet: { id: string; dir: string; files: string[]; migrations: string[] };
}

/** analysis -> CodeSmith and Migrator in parallel -> StageAgent. */
export async function fix(ctx: CommandContext, ticket: TicketRow): Promise<FixResult> {
  const state = ctx.state();
  const config = ctx.project.config();
  const root = ctx.project.root;
  // The fix writes code as generate does, so the same policy applies (asked before any work starts).
  await ctx.requireApproval({ category: 'codeGeneration', action: `fix ticket ${ticket.id}`, requestedBy: 'CODESMITH', ticketId: ticket.id });
  // The type check is the longest of BugHunter's three jobs: it starts now, and BugHunter's
  // typeCheck shares it while it is under way.
  void import('../../agents/shared/ts-diagnostics.js').then((m) => m.typeCheck(root)).catch(() => undefined);
  const testCommand = testCommandFor(root, config.test.command);
  const orch = new Orchestrator(state, config, ctx.out, ctx.signal);
  // BugHunter's schema scan replays the migrations into a shadow database; the Migrator's dry run
  // starts from it rather than loading the template and replaying again.
  let shadow: ReplayedShadow | undefined;
  let discardWorktree: (() => Promise<void>) | undefined;
  let slot: ProofSlot | undefined;
  const suiteStop = new AbortController();
  const closeShadow = async () => {
    const s = shadow;
    shadow = undefined;
    await s?.db.close();
  };
  try {
    return await orch.withRun({ command: `fix ticket ${ticket.id}`, ticketId: ticket.id, resources: [ticketLock(ticket.id)] }, async (run) => {
      const ids = { ticketId: ticket.id, runId: run.id };
      ctx.out.line('ORCHESTRATOR', 'ok', `Ticket received: ${ticket.id}${ticket.external_ref ? ` (${ticket.external_ref})` : ''}`, ids);
      // BugHunter's run of the suite at HEAD starts first of all: the change's tests wait for it.
      const suite = testCommand ? runShell(testCommand, { cwd: root, signal: AbortSignal.any([ctx.signal, suiteStop.signal]) }) : undefined;
      suite?.catch(() => undefined); // BugHunter awaits it, or it is ended below
      // Made now, while BugHunter works: StageAgent's worktree at HEAD (its checkout is ~0.1 s the test
      // run would otherwise wait for), and the project as the run sees it (its commit, whether the
      // tree is clean, its files), read while this process is small: each git run forks it, which
      // costs more as it grows. The agents work from these files, StageAgent's proof from all three.
      let project: import('../../agents/shared/project-files.js').ProjectRead | undefined;
      if (testCommand) {
        const [verify, { readProject }] = await Promise.all([import('../../agents/shared/verify-worktree.js'), import('../../agents/shared/project-files.js')]);
        verify.prepareWorktree(root, undefined, { testCommand });
        discardWorktree = () => verify.discardPreparedWorktree(root);
        project = readProject(root);
      }
      const inputsFor = agentInputs(ctx, { root, ticket, project, shadow: () => shadow });
      // StageAgent's test run starts as soon as a change is known: drafted from BugHunter's analysis
      // before its type check is in, then from CodeSmith's and the Migrator's own plans. StageAgent
      // takes it only for exactly the files the agents hand it; another change ends it.
      // One baseline for both: the draft's analysis and the final one read the same suite run.
      const propose = async (files: ChangeFile[], baseline: Analysis['baseline']) => {
        const { startProof, changeKey } = await import('../../agents/stage-agent/index.js');
        if (!testCommand || ctx.signal.aborted) return;
        slot ??= proofSlot(changeKey, (f) => startProof({ root, testCommand, baseline }, f, ctx.signal, { project }));
        slot.propose(files);
      };
      // The draft, on the analysis as it stands without the type check (which only adds type-error
      // causes, and nothing offline fixes those).
      let drafting: Promise<void> = Promise.resolve();
      const draft = async (a: Analysis) => {
        const files = testCommand ? await draftChange(ctx, inputsFor, a) : null;
        if (!files) return;
        await propose(files, a.baseline);
        ctx.out.line('ORCHESTRATOR', 'debug', `Drafted the change before BugHunter's type check was in (${files.map((f) => f.path).join(', ')}): its tests started; StageAgent takes that run only for the same files`, ids);
      };
      const analyzing = runBugHunter(ctx, orch, run, ticket, { keepShadow: (s) => (shadow = s), onProvisional: (a) => (drafting = draft(a).catch(() => undefined)), project, suite });
      // The modules of the agents after it load while BugHunter works, not after it.
      for (const m of [import('../../agents/code-smith/index.js'), import('../../agents/migrator/agent.js'), import('../../agents/migrator/orphans.js'), import('../../agents/stage-agent/index.js'), import('../../agents/shared/verify-worktree.js')]) m.catch(() => undefined);
      const analysis = await analyzing;
      await drafting; // the agents below never run beside their draft (it may read the shadow they change)
      state.setTicketStatus(ticket.id, 'in_progress');

      const { codeSmith } = await import('../../agents/code-smith/index.js');
      const { migrator } = await import('../../agents/migrator/agent.js');

      // A logic cause (located by failing tests) is CodeSmith's only with the model (issue 15).
      const withModel = analysis.rootCauses.some((c) => c.fix === 'logic') && (await import('../integrations/llm/settings.js')).llmSettings(root, config) !== null;
      const { code: needsCode, migration: needsMigration } = fixesFor(analysis, withModel);
      if (!needsCode && !needsMigration) {
        // Nothing offline writes a fix for these causes: stage nothing rather than something unrelated.
        const c = analysis.rootCauses[0]!;
        // Only the model writes a logic fix: model mode is the step that unblocks it (this command, with --model).
        const unblock = analysis.rootCauses.some((x) => x.fix === 'logic') ? `; to unblock: \`agent fix ticket ${ticket.id} --model\` (with ANTHROPIC_API_KEY) lets CodeSmith's model write it${c.fix === 'logic' ? '' : ' for the logic cause'}` : '';
        throw new GateBlockedError('plan', 'offline-fix-for-the-cause', `the cause that explains ${ticket.id} is ${c.summary.split(' (')[0]} (${c.evidence.slice(0, 2).join('; ')}); no offline agent writes a ${c.fix} fix, so nothing was staged${unblock}`);
      }
      const names = [needsCode && 'CodeSmith Agent (Code Generation)', needsMigration && 'Migrator Agent (Database Operations)', 'StageAgent (Staging)'].filter(Boolean);
      ctx.out.line('ORCHESTRATOR', 'info', `Spinning up specialist agents: ${names.join(', ')}`, ids);

      {
        let code: ChangeFile[] = [];
        let db: MigratorOutput = { files: [], migrations: [] };
        const inputs = await inputsFor(analysis);
        // Once CodeSmith's plan and the Migrator's output are final: the draft's run goes on if they
        // are what it drafted, else a run for them starts (while CodeSmith's own checks run).
        let planned: ChangeFile[] | null = null;
        let migrations: MigratorOutput | null = needsMigration ? null : db;
        let proposing: Promise<void> = Promise.resolve();
        const plansFinal = () => {
          if (planned && migrations) proposing = propose([...migrations.files, ...planned], analysis.baseline);
        };
        // Both settle before the shadow closes: when one blocks, the Migrator may still be using it.
        const settledAgents = await Promise.allSettled([
          needsCode ? orch.runAgent(run, codeSmith({ ...inputs.code, onPlanned: (f) => ((planned = f), plansFinal()) }, (f) => (code = f))) : null,
          needsMigration ? orch.runAgent(run, migrator({ ...inputs.migration, onPlanned: (o) => ((migrations = o), plansFinal()) }, (o) => (db = o))) : null,
        ]);
        await closeShadow();
        const failed = settledAgents.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
        await proposing;
        const m = await stage(
          ctx,
          orch,
          run,
          {
            ticket: { id: ticket.id, title: ticket.title, kind: ticket.kind },
            title: ticket.external_ref ? `${ticket.external_ref.toLowerCase()} fix` : 'fix',
            summary: `Fix for ${ticket.id}: ${ticket.title}`,
            files: [...db.files, ...code],
            migrations: db.migrations,
            rootCauses: analysis.rootCauses.map((c) => ({ summary: c.summary, evidence: c.evidence })),
          },
          analysis.baseline,
          slot?.current ?? null,
        );
        state.insertChangeSet({ id: m.id, ticket_id: ticket.id, dir: m.dir, status: 'staged', requires_approval: m.requiresApproval ? 1 : 0, created_at: Date.now(), manifest: JSON.stringify(m) });
        state.setTicketStatus(ticket.id, 'staged');
        appendAudit(state, { initiator: ctx.initiator, agent: 'STAGE', action: 'change-set.stage', approval: ctx.approvalIds(), target: ticket.id, files: m.files.map((f) => f.path), result: m.dir });
        ctx.out.line('ORCHESTRATOR', 'ok', `Staged environment ready: ./${m.dir}/ (review with \`agent review ${ticket.id}\`)`, ids);
        return {
          ticketId: ticket.id,
          rootCauses: analysis.rootCauses,
          changeSet: { id: m.id, dir: m.dir, files: m.files.map((f) => f.path), migrations: m.migrations.map((x) => `${x.version}_${x.name}`) },
        };
      }
    });
  } catch (err) {
    // Nothing was staged: the ticket goes back to where it was (open, or its earlier staged set).
    state.setTicketStatus(ticket.id, settled(ticket.status));
    throw err;
  } finally {
    // Test runs started early for a change that was not staged (a draft unlike the agents' change,
    // an agent that blocked) are ended; StageAgent's own has finished.
    suiteStop.abort(); // a suite BugHunter never waited for (the ticket named no failing behaviour)
    await slot?.endAll();
    await closeShadow();
    await discardWorktree?.();
    orch.dispose();
  }
}

export type GenerateKind = 'api' | 'mcp-tool' | 'component' | 'test';

export type SpecUnderstanding =
  | { ok: true; table: string; subject: string; variant?: 'list' | 'form'; target?: TestTarget }
  | { ok: false; understood: string; example: string };

const KIND_NAMES: Record<GenerateKind, string> = { api: 'API endpoint', 'mcp-tool': 'MCP tool', component: 'React component', test: 'test' };
const FORM_WORDS = new Set(['form', 'create', 'new', 'edit', 'add', 'input', 'entry']);
const COMPONENT_WORDS = new Set([...FORM_WORDS, 'list', 'table', 'view', 'index', 'grid', 'overview', 'component', 'page', 'a', 'an', 'the', 'for', 'of', 'all', 'to', 'react', 'tsx']);

/**
 * Understands a generate request offline: which table (and tool name, component variant, or file
 * to test) it is about. Pure: `files` are the project's files, needed for `test` only.
 */
export function understandSpec(kind: GenerateKind, spec: string, tables: readonly string[], files: ReadonlyArray<{ path: string; content: string }> = []): SpecUnderstanding {
  if (kind === 'test') {
    const r = resolveTestTarget(spec, files, tables);
    return r.ok ? { ok: true, table: r.target.table ?? '', subject: r.target.path, target: r.target } : r;
  }
  const words = spec.toLowerCase().match(/[a-z][a-z0-9_]*/g) ?? [];
  const parts = words.flatMap((w) => [w, ...w.split('_')]);
  const matches = (w: string, t: string) => w === t || w === t.replace(/s$/, '') || `${w}s` === t;
  const table = tables.find((t) => parts.some((w) => matches(w, t)));
  const toolName = words.find((w) => /^[a-z]+(_[a-z0-9]+)+$/.test(w));
  const examples: Record<Exclude<GenerateKind, 'test'>, string> = {
    api: `agent generate api "${tables[0] ?? 'customers'} endpoint"`,
    'mcp-tool': `agent generate mcp-tool "create_${(tables[0] ?? 'customer').replace(/s$/, '')}_record"`,
    component: `agent generate component "${tables[0] ?? 'customers'} list"`,
  };
  if (!table) {
    return { ok: false, understood: `a ${KIND_NAMES[kind]} for "${spec}", but no table of the project matches (tables: ${tables.join(', ') || 'none'})`, example: examples[kind] };
  }
  if (kind === 'component') {
    const variant = words.some((w) => FORM_WORDS.has(w)) ? 'form' : 'list';
    const unknown = words.filter((w) => !matches(w, table) && !COMPONENT_WORDS.has(w));
    if (unknown.length) {
      return { ok: false, understood: `a ${variant} component for ${table}, but not "${unknown.join(' ')}" (offline, a component is a list or a form of one table)`, example: `agent generate component "${table} ${variant}"` };
    }
    return { ok: true, table, subject: `${table} ${variant}`, variant };
  }
  return { ok: true, table, subject: kind === 'api' ? table : toolName ?? `create_${table.replace(/s$/, '')}_record` };
}

export async function generate(ctx: CommandContext, kind: GenerateKind, spec: string) {
  const state = ctx.state();
  const root = ctx.project.root;
  const config = ctx.project.config();
  const { scanProjectSchema } = await import('../integrations/schema-scan.js');
  const scan = await scanProjectSchema(ctx);
  const tables = scan.tables;
  const columns = new Map(Object.entries(scan.columns));
  const files = kind === 'test' ? await (await import('../../agents/shared/project-files.js')).readProjectFiles(root) : [];
  const u = understandSpec(kind, spec, tables, files);
  if (!u.ok) {
    const { UsageError } = await import('../errors.js');
    throw new UsageError(
      kind === 'api' || kind === 'mcp-tool'
        ? `understood ${u.understood}; offline generation builds endpoints and tools for existing tables, e.g. \`${u.example}\` (set ANTHROPIC_API_KEY for free-form specs)`
        : `understood ${u.understood}; e.g. \`${u.example}\``,
    );
  }
  await ctx.requireApproval({ category: 'codeGeneration', action: `generate ${kind} for ${kind === 'test' ? u.subject : u.table}`, requestedBy: 'CODESMITH' });
  if (kind === 'component' || kind === 'test') return generateFeature(ctx, kind, spec, u, columns);
  const orch = new Orchestrator(state, config, ctx.out, ctx.signal);
  try {
    return await orch.withRun({ command: `generate ${kind} ${spec}` }, async (run) => {
      const { codeSmith } = await import('../../agents/code-smith/index.js');
      ctx.out.line('CODESMITH', 'info', `Analyzing existing ${kind === 'api' ? 'route' : 'tool'} patterns for ${u.table}`, { runId: run.id });
      const cause = { id: `gen:${u.subject}`, summary: `generate ${kind} ${u.subject}`, fix: kind === 'api' ? ('api-route' as const) : ('mcp-tool' as const), subject: u.subject, evidence: [`requested: ${spec}`], confidence: 100 };
      let files: import('../../agents/shared/change-set.js').ChangeFile[] = [];
      await orch.runAgent(run, codeSmith({ root, causes: [cause], tables, columns: async (t) => columns.get(t) ?? [] }, (f) => (files = f)));
      const m = await stage(ctx, orch, run, { ticket: null, title: `${kind} ${u.subject}`, summary: `Generated ${kind === 'api' ? 'API endpoint' : 'MCP tool'} for ${u.table}: ${spec}`, files, migrations: [] });
      return recordGenerated(ctx, run, m, kind, u.subject);
    });
  } finally {
    orch.dispose();
  }
}

/** A generated change set: recorded as staged, audited, announced. */
function recordGenerated(ctx: CommandContext, run: Run, m: import('../../agents/shared/change-set.js').Manifest, kind: string, subject: string) {
  ctx.state().insertChangeSet({ id: m.id, ticket_id: null, dir: m.dir, status: 'staged', requires_approval: 0, created_at: Date.now(), manifest: JSON.stringify(m) });
  appendAudit(ctx.state(), { initiator: ctx.initiator, agent: 'CODESMITH', action: `generate.${kind}`, approval: ctx.approvalIds(), target: subject, files: m.files.map((f) => f.path), result: m.dir });
  ctx.out.line('STAGE', 'ok', `Feature ready: ./${m.dir}/ (review with \`agent review ${m.id}\`)`, { runId: run.id });
  return { changeSet: { id: m.id, dir: m.dir, files: m.files.map((f) => f.path) } };
}

/** generate component|test: CodeSmith's feature agent, then StageAgent, as for api and mcp-tool. */
async function generateFeature(ctx: CommandContext, kind: 'component' | 'test', spec: string, u: Extract<SpecUnderstanding, { ok: true }>, columns: Map<string, import('../../agents/code-smith/generate.js').Column[]>) {
  const state = ctx.state();
  const root = ctx.project.root;
  const orch = new Orchestrator(state, ctx.project.config(), ctx.out, ctx.signal);
  try {
    return await orch.withRun({ command: `generate ${kind} ${spec}` }, async (run) => {
      const { codeSmithFeature } = await import('../../agents/code-smith/feature.js');
      const request = kind === 'component' ? { kind, table: u.table, variant: u.variant ?? ('list' as const) } : { kind, target: u.target! };
      let files: import('../../agents/shared/change-set.js').ChangeFile[] = [];
      await orch.runAgent(run, codeSmithFeature({ root, request, columns: async (t) => columns.get(t) ?? [], testCommand: testCommandFor(root, ctx.project.config().test.command) }, (f) => (files = f)));
      const what = kind === 'component' ? `${u.variant} component for ${u.table}` : `test for ${u.subject}`;
      const m = await stage(ctx, orch, run, { ticket: null, title: `${kind} ${kind === 'test' ? u.subject.replace(/^(src\/)?(app\/)?/, '').replace(/\.[jt]sx?$/, '').split('/').slice(-3).join(' ') : u.subject}`, summary: `Generated ${what}: ${spec}`, files, migrations: [] });
      return recordGenerated(ctx, run, m, kind, u.subject);
    });
  } finally {
    orch.dispose();
  }
}
