// What the fix pipeline gives CodeSmith and the Migrator, and the draft of their change it makes
// before they may start (src/engine/pipeline.ts): the same inputs for both, so that the same
// analysis gives the same change, file for file.
import type { CommandContext } from '../commands/types.js';
import type { TicketRow } from '../store/rows.js';
import type { Analysis } from '../../agents/bug-hunter/index.js';
import type { CodeSmithInput } from '../../agents/code-smith/index.js';
import type { MigratorInput, MigratorOutput, ReplayedShadow } from '../../agents/migrator/agent.js';
import type { OrphanProbe } from '../../agents/migrator/orphans.js';
import type { ChangeFile } from '../../agents/shared/change-set.js';
import type { ProjectRead } from '../../agents/shared/project-files.js';
import { draftPhases } from './phases.js';

/** Which agents write a fix for an analysis' causes. A logic cause is CodeSmith's only with the model (issue 15). Pure. */
export function fixesFor(analysis: Analysis, withModel: boolean): { code: boolean; migration: boolean } {
  return {
    code: analysis.rootCauses.some((c) => c.fix === 'mcp-tool' || c.fix === 'api-route' || (c.fix === 'logic' && withModel)),
    // A missing key, and a schema fix for an unindexed key or a key with no ON DELETE action (agents/migrator/schema-fix.ts).
    migration: analysis.rootCauses.some((c) => c.fix === 'foreign-key' || (c.fix === 'schema' && /^(index|on-delete):/.test(c.id))),
  };
}

export type AgentInputs = (a: Analysis) => Promise<{ code: CodeSmithInput; migration: MigratorInput }>;

/**
 * The agents' inputs from an analysis, for one run. Shared by every call: the migrations' version
 * stamp (taken at the first), and the orphan count, once per set of keys (read-only queries).
 * `project`: the project as the run read it at its start; `shadow`: BugHunter's, once it has one.
 */
export function agentInputs(ctx: CommandContext, run: { root: string; ticket: TicketRow; project: ProjectRead | undefined; shadow: () => ReplayedShadow | undefined }): AgentInputs {
  let stamp: Date | undefined;
  const counted = new Map<string, ReturnType<OrphanProbe>>();
  return async (a) => {
    const { environmentOrphanProbe } = await import('../../agents/migrator/orphans.js');
    const probe = environmentOrphanProbe(ctx);
    const orphans: OrphanProbe = (keys, signal) => {
      const k = JSON.stringify(keys);
      if (!counted.has(k)) counted.set(k, probe(keys, signal));
      return counted.get(k)!;
    };
    stamp ??= new Date();
    const columns = new Map(Object.entries(a.tables));
    return {
      // The project's files as the run read them at its start, as BugHunter did.
      code: { root: run.root, causes: a.rootCauses, tables: Object.keys(a.tables), columns: async (t: string) => columns.get(t) ?? [], ticket: run.ticket, files: run.project?.files },
      migration: { root: run.root, causes: a.rootCauses, ticket: run.ticket, shadow: run.shadow(), orphans, now: stamp },
    };
  };
}

/**
 * The change CodeSmith and the Migrator would make of an analysis: their first three phases, silent
 * (draftPhases). Null when a gate would block one of them, or neither has a fix to write.
 */
export async function draftChange(ctx: CommandContext, inputs: AgentInputs, a: Analysis): Promise<ChangeFile[] | null> {
  const fixes = fixesFor(a, false);
  if (!fixes.code && !fixes.migration) return null;
  const [{ codeSmith }, { migrator }, given] = await Promise.all([import('../../agents/code-smith/index.js'), import('../../agents/migrator/agent.js'), inputs(a)]);
  const opts = { config: ctx.project.config(), ticketId: a.ticketId, signal: ctx.signal };
  const [code, db] = await Promise.all([
    fixes.code ? (draftPhases(codeSmith(given.code, () => undefined).phases, opts) as Promise<ChangeFile[] | null>) : [],
    fixes.migration ? (draftPhases(migrator(given.migration, () => undefined).phases, opts) as Promise<MigratorOutput | null>) : { files: [] },
  ]);
  return code && db ? [...db.files, ...code] : null;
}
