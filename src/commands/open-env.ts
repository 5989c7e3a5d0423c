// An environment's database opened under its lock (close() releases it): nothing touches an
// environment's database while a deploy, rollback, migrate or db command holds it. Shared by the
// migrate and db commands' run bodies; imported only when one of them runs.
import type { Pg } from '../integrations/postgres/types.js';
import type { EnvName } from '../engine/environments.js';
import type { CommandContext } from './types.js';

let holderSeq = 0;

export interface OpenEnvOptions {
  /** The lock holder's prefix, e.g. DB-SQL or MIGRATE. */
  holder: string;
  /** Who opens it, as the database's own log says (`migrate (production)`). */
  by: string;
  /** Whether an embedded database that does not exist yet is made (reads must not make one). */
  create: boolean;
  /** The speaker of the waiting and opening lines. */
  agent: string;
}

/** Null when the environment's database is embedded, does not exist yet and `create` is false. */
export async function openEnvironmentUnderLock(ctx: CommandContext, env: EnvName, opts: OpenEnvOptions): Promise<Pg | null> {
  const [{ databaseFor }, { holdLocks, databaseLock }, { openEnvironmentDatabase }] = await Promise.all([
    import('../engine/environments.js'),
    import('../engine/locks.js'),
    import('../integrations/env-database.js'),
  ]);
  const target = databaseFor(ctx, env);
  const state = ctx.state();
  const release = await holdLocks(state, `${opts.holder}-${process.pid}-${++holderSeq}`, [databaseLock(target.identity)], {
    signal: ctx.signal,
    announce: (held) => ctx.out.line(opts.agent, 'info', `Waiting for ${held.join(', ')} to finish with the ${env} database`),
  });
  try {
    const db = await openEnvironmentDatabase(ctx.project.root, state, target, { create: opts.create, by: opts.by, log: (m) => ctx.out.line(opts.agent, 'info', m) });
    if (!db) {
      release();
      return null;
    }
    const close = db.close.bind(db);
    return Object.assign(db, { close: () => close().finally(release) });
  } catch (err) {
    release();
    throw err;
  }
}
