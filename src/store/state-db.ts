// SQLite is the source of truth for everything the agents do. Several processes share one
// `.agent/state.db` (WAL, busy timeout); the dashboard notices others' commits via data_version.
import type Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { redact, redactDeep } from '../config/redact.js';
import { SCHEMA_STEPS } from './schema.js';
import { checkStateFile, describeStateError } from './state-file.js';
import type {
  AgentRow,
  ChangeSetRow,
  ApprovalRow,
  AuditRow,
  ChecklistRow,
  DeploymentRow,
  EventInput,
  EventRow,
  HealthRow,
  RunRow,
  TicketRow,
} from './rows.js';
import { ACTIVE_RUN_STATUSES, UNFINISHED_AGENT_STATES } from './rows.js';

export type * from './rows.js';
export { ACTIVE_RUN_STATUSES, UNFINISHED_AGENT_STATES } from './rows.js';

const sqlList = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');
const ACTIVE_RUNS = sqlList(ACTIVE_RUN_STATUSES);
const UNFINISHED = sqlList(UNFINISHED_AGENT_STATES);

export interface EventQuery {
  afterId?: number;
  beforeId?: number;
  ticketId?: string;
  runId?: string;
  agentId?: string;
  /** Matches either the agent's id or its speaker name (BUGHUNTER). */
  agent?: string;
  /** The message contains this text, any case. */
  text?: string;
  minLevel?: string;
  levels?: string[];
  sinceTs?: number;
  limit?: number;
  /** Skips this many rows first (with `tail`, the newest ones): paging back through history. */
  offset?: number;
  /** Newest first (for tails); results are still returned oldest first. */
  tail?: boolean;
}

export interface TicketFilter {
  status?: string;
  kind?: string;
  /** Statuses to leave out (`open` counts every ticket not deployed or closed). */
  notStatus?: readonly string[];
}

function ticketFilter(f: TicketFilter): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.status) (where.push('status = ?'), params.push(f.status));
  if (f.kind) (where.push('kind = ?'), params.push(f.kind));
  if (f.notStatus?.length) (where.push(`status NOT IN (${f.notStatus.map(() => '?').join(',')})`), params.push(...f.notStatus));
  return { where: where.length ? 'WHERE ' + where.join(' AND ') : '', params };
}

const LEVEL_RANK: Record<string, number> = { debug: 0, info: 1, ok: 1, warn: 2, error: 3 };
export function levelRank(level: string): number {
  return LEVEL_RANK[level] ?? 1;
}

const json = (v: unknown) => JSON.stringify(redactDeep(v ?? null));

// Loaded with require(): importing a CommonJS package from ESM runs Node's export lexer over it
// (~2-3 ms of every cold start).
const requireHere = createRequire(import.meta.url);
let Sqlite: typeof Database | undefined;

let binding: string | null | undefined;
/** The addon's path, found once: better-sqlite3's own search (`bindings`) costs ~6 ms a start. */
function nativeBinding(): string | undefined {
  if (binding === undefined) {
    try {
      const file = join(dirname(requireHere.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
      binding = existsSync(file) ? file : null;
    } catch {
      binding = null;
    }
  }
  return binding ?? undefined;
}

export class StateDb {
  readonly db: Database.Database;
  private lastDataVersion = -1;

  /**
   * Opens (or creates) the state database. A file that is empty, damaged or read-only while the
   * project shows history is refused (StateFileError, exit 1) rather than started afresh, and
   * SQLite's errors on the file name it.
   */
  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    checkStateFile(path);
    Sqlite ??= requireHere('better-sqlite3') as typeof Database;
    let db: Database.Database | undefined;
    try {
      db = new Sqlite(path, { nativeBinding: nativeBinding() });
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      this.db = db;
      this.migrate();
    } catch (err) {
      db?.close();
      throw describeStateError(path, err);
    }
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version >= SCHEMA_STEPS.length) return;
    this.db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const current = this.db.pragma('user_version', { simple: true }) as number;
      for (let v = current; v < SCHEMA_STEPS.length; v++) this.db.exec(SCHEMA_STEPS[v]!);
      this.db.pragma(`user_version = ${SCHEMA_STEPS.length}`);
    }).immediate();
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in a write transaction taken up front (no lock upgrades, no SQLITE_BUSY mid-way). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** True when any connection (this one or another process) committed since the last call. */
  changed(): boolean {
    const v = this.db.pragma('data_version', { simple: true }) as number;
    const latest = this.maxEventId();
    const key = v * 1e9 + latest;
    if (key === this.lastDataVersion) return false;
    this.lastDataVersion = key;
    return true;
  }

  nextCounter(name: string): number {
    const row = this.db
      .prepare('INSERT INTO counters(name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value')
      .get(name) as { value: number };
    return row.value;
  }

  // ---- events (append-only) ----

  appendEvent(e: EventInput): EventRow {
    const row = {
      ts: e.ts ?? Date.now(),
      kind: e.kind,
      level: e.level,
      agent: e.agent ?? null,
      agent_id: e.agentId ?? null,
      ticket_id: e.ticketId ?? null,
      run_id: e.runId ?? null,
      message: redact(e.message),
      data: e.data === undefined ? null : json(e.data),
      pid: process.pid,
    };
    const info = this.db
      .prepare(
        `INSERT INTO events (ts, kind, level, agent, agent_id, ticket_id, run_id, message, data, pid)
         VALUES (@ts, @kind, @level, @agent, @agent_id, @ticket_id, @run_id, @message, @data, @pid)`,
      )
      .run(row);
    return { id: Number(info.lastInsertRowid), ...row };
  }

  maxEventId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as { id: number }).id;
  }

  /** How many events match the query's filters (its limit and offset aside). */
  countEvents(q: EventQuery = {}): number {
    const { where, params } = this.eventFilter(q);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM events ${where}`).get(params) as { n: number }).n;
  }

  events(q: EventQuery = {}): EventRow[] {
    const { where, params } = this.eventFilter(q);
    const order = q.tail ? 'DESC' : 'ASC';
    const limit = q.limit ? `LIMIT ${Math.max(1, Math.floor(q.limit))}` : q.offset ? 'LIMIT -1' : '';
    const offset = q.offset ? `OFFSET ${Math.max(0, Math.floor(q.offset))}` : '';
    const rows = this.db.prepare(`SELECT * FROM events ${where} ORDER BY id ${order} ${limit} ${offset}`).all(params) as EventRow[];
    return q.tail ? rows.reverse() : rows;
  }

  private eventFilter(q: EventQuery): { where: string; params: Record<string, unknown> } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (q.afterId !== undefined) (where.push('id > @afterId'), (params.afterId = q.afterId));
    if (q.beforeId !== undefined) (where.push('id < @beforeId'), (params.beforeId = q.beforeId));
    if (q.ticketId) (where.push('ticket_id = @ticketId'), (params.ticketId = q.ticketId));
    if (q.runId) (where.push('run_id = @runId'), (params.runId = q.runId));
    if (q.agentId) (where.push('agent_id = @agentId'), (params.agentId = q.agentId));
    if (q.agent) (where.push('(agent_id = @agent OR upper(agent) = upper(@agent))'), (params.agent = q.agent));
    if (q.sinceTs !== undefined) (where.push('ts >= @sinceTs'), (params.sinceTs = q.sinceTs));
    if (q.text) (where.push('instr(lower(message), lower(@text)) > 0'), (params.text = q.text));
    if (q.minLevel) {
      const levels = Object.keys(LEVEL_RANK).filter((l) => levelRank(l) >= levelRank(q.minLevel!));
      where.push(`level IN (${levels.map((l) => `'${l}'`).join(',')})`);
    }
    if (q.levels?.length) where.push(`level IN (${q.levels.map((l) => `'${l.replace(/'/g, '')}'`).join(',')})`);
    return { where: where.length ? 'WHERE ' + where.join(' AND ') : '', params };
  }

  // ---- tickets ----

  insertTicket(t: Omit<TicketRow, 'seq' | 'id'> & { idPrefix: string }): TicketRow {
    return this.tx(() => {
      const { n } = this.db
        .prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tickets WHERE kind = ? AND year = ?')
        .get(t.kind, t.year) as { n: number };
      const id = `${t.idPrefix}-${t.year}-${String(n).padStart(3, '0')}`;
      const row: TicketRow = {
        id,
        kind: t.kind,
        year: t.year,
        seq: n,
        title: redact(t.title),
        description: redact(t.description),
        status: t.status,
        priority: t.priority,
        external_ref: t.external_ref,
        created_by: t.created_by,
        created_at: t.created_at,
        updated_at: t.updated_at,
      };
      this.db
        .prepare(
          `INSERT INTO tickets (id, kind, year, seq, title, description, status, priority, external_ref, created_by, created_at, updated_at)
           VALUES (@id, @kind, @year, @seq, @title, @description, @status, @priority, @external_ref, @created_by, @created_at, @updated_at)`,
        )
        .run(row);
      return row;
    });
  }

  ticket(id: string): TicketRow | undefined {
    return this.db.prepare('SELECT * FROM tickets WHERE id = ? COLLATE NOCASE OR external_ref = ? COLLATE NOCASE').get(id, id) as
      | TicketRow
      | undefined;
  }

  tickets(filter: TicketFilter & { limit?: number; offset?: number } = {}): TicketRow[] {
    const { where, params } = ticketFilter(filter);
    return this.db
      .prepare(`SELECT * FROM tickets ${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...params, filter.limit ?? 1000, filter.offset ?? 0) as TicketRow[];
  }

  /** How many tickets match, counted in SQL (a listing stops at its limit). */
  countTickets(filter: TicketFilter = {}): number {
    const { where, params } = ticketFilter(filter);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM tickets ${where}`).get(...params) as { n: number }).n;
  }

  setTicketStatus(id: string, status: string): void {
    this.db.prepare('UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?').run(status, Date.now(), id);
  }

  // ---- runs and agents ----

  insertRun(r: Pick<RunRow, 'id' | 'ticket_id' | 'command' | 'priority'> & { resources: string[] }): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, ticket_id, command, status, priority, pid, heartbeat_at, created_at, resources)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
      )
      .run(r.id, r.ticket_id, redact(r.command), r.priority, process.pid, Date.now(), Date.now(), JSON.stringify(r.resources));
  }

  updateRun(id: string, patch: Partial<Pick<RunRow, 'status' | 'started_at' | 'finished_at' | 'error' | 'heartbeat_at'>>): void {
    const keys = Object.keys(patch);
    if (!keys.length) return;
    const values = keys.map((k) => {
      const v = patch[k as keyof typeof patch];
      return typeof v === 'string' ? redact(v) : v;
    });
    this.db.prepare(`UPDATE runs SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...values, id);
  }

  addRunCompleted(id: string, step: string): void {
    this.db.prepare(`UPDATE runs SET completed = json_insert(completed, '$[#]', ?) WHERE id = ?`).run(step, id);
  }

  heartbeat(pid: number, now = Date.now()): void {
    this.db.prepare(`UPDATE runs SET heartbeat_at = ? WHERE pid = ? AND status IN ('queued', 'running', 'waiting')`).run(now, pid);
  }

  run(id: string): RunRow | undefined {
    return this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  }

  runs(filter: { status?: string[]; ticketId?: string; limit?: number } = {}): RunRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status?.length) (where.push(`status IN (${filter.status.map(() => '?').join(',')})`), params.push(...filter.status));
    if (filter.ticketId) (where.push('ticket_id = ?'), params.push(filter.ticketId));
    return this.db
      .prepare(`SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC LIMIT ?`)
      .all(...params, filter.limit ?? 1000) as RunRow[];
  }

  /** How many runs are in these statuses, counted in SQL (a listing stops at its limit). */
  countRuns(status: readonly string[]): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM runs WHERE status IN (${status.map(() => '?').join(',')})`).get(...status) as { n: number }).n;
  }

  insertAgent(a: Pick<AgentRow, 'id' | 'run_id' | 'ticket_id' | 'type'>): void {
    this.db
      .prepare(`INSERT INTO agents (id, run_id, ticket_id, type, state, phase, started_at) VALUES (?, ?, ?, ?, 'starting', NULL, ?)`)
      .run(a.id, a.run_id, a.ticket_id, a.type, Date.now());
  }

  /**
   * A patch with a state never moves a finished agent (done, failed, blocked, cancelled,
   * interrupted) back: an agent still busy when its run ended stays cancelled. False when refused.
   */
  updateAgent(id: string, patch: Partial<Pick<AgentRow, 'state' | 'phase' | 'finished_at'>>): boolean {
    const keys = Object.keys(patch);
    if (!keys.length) return false;
    const guard = patch.state !== undefined ? ` AND state IN (${UNFINISHED})` : '';
    return (
      this.db
        .prepare(`UPDATE agents SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?${guard}`)
        .run(...keys.map((k) => patch[k as keyof typeof patch]), id).changes > 0
    );
  }

  /** Marks a run's unfinished agents cancelled; returns the ones it changed. */
  cancelUnfinishedAgents(runId: string, now = Date.now()): AgentRow[] {
    return this.db
      .prepare(`UPDATE agents SET state = 'cancelled', finished_at = ? WHERE run_id = ? AND state IN (${UNFINISHED}) RETURNING *`)
      .all(now, runId) as AgentRow[];
  }

  /** Unfinished agents whose run has already ended (left behind by a run that ended early). */
  strandedAgents(): Array<AgentRow & { run_status: string }> {
    return this.db
      .prepare(
        `SELECT a.*, r.status AS run_status FROM agents a JOIN runs r ON r.id = a.run_id
         WHERE a.state IN (${UNFINISHED}) AND r.status NOT IN (${ACTIVE_RUNS}) ORDER BY a.started_at`,
      )
      .all() as Array<AgentRow & { run_status: string }>;
  }

  /**
   * Agents in `states` that are really at work: their run is still going and its process is
   * alive. Rows left behind by ended runs or dead processes never count.
   */
  liveAgents(states: readonly string[]): AgentRow[] {
    const rows = this.db
      .prepare(
        `SELECT a.*, r.pid AS run_pid FROM agents a JOIN runs r ON r.id = a.run_id
         WHERE a.state IN (${states.map(() => '?').join(',')}) AND r.status IN (${ACTIVE_RUNS}) ORDER BY a.started_at DESC`,
      )
      .all(...states) as Array<AgentRow & { run_pid: number | null }>;
    return rows.filter((r) => r.run_pid === null || isAlive(r.run_pid)).map(({ run_pid: _pid, ...a }) => a);
  }

  agents(filter: { state?: string[]; runId?: string; limit?: number } = {}): AgentRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state?.length) (where.push(`state IN (${filter.state.map(() => '?').join(',')})`), params.push(...filter.state));
    if (filter.runId) (where.push('run_id = ?'), params.push(filter.runId));
    return this.db
      .prepare(`SELECT * FROM agents ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC LIMIT ?`)
      .all(...params, filter.limit ?? 1000) as AgentRow[];
  }

  /** Agents running in other live processes, for the shared concurrency limit. */
  runningAgentsElsewhere(pid: number): number {
    const rows = this.db
      .prepare(
        `SELECT r.pid AS pid, COUNT(*) AS n FROM agents a JOIN runs r ON r.id = a.run_id
         WHERE a.state = 'running' AND r.status IN (${ACTIVE_RUNS}) AND r.pid IS NOT NULL AND r.pid != ? GROUP BY r.pid`,
      )
      .all(pid) as Array<{ pid: number; n: number }>;
    return rows.reduce((n, r) => n + (isAlive(r.pid) ? r.n : 0), 0);
  }

  agent(id: string): AgentRow | undefined {
    return this.db.prepare('SELECT * FROM agents WHERE id = ? COLLATE NOCASE').get(id) as AgentRow | undefined;
  }

  addChecklistItem(c: Omit<ChecklistRow, 'id' | 'ts'>): void {
    this.db
      .prepare('INSERT INTO checklist (run_id, agent_id, phase, item, ok, evidence, ts) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(c.run_id, c.agent_id, c.phase, redact(c.item), c.ok ? 1 : 0, redact(c.evidence), Date.now());
  }

  checklist(filter: { runId?: string; agentId?: string }): ChecklistRow[] {
    if (filter.agentId) return this.db.prepare('SELECT * FROM checklist WHERE agent_id = ? ORDER BY id').all(filter.agentId) as ChecklistRow[];
    return this.db.prepare('SELECT * FROM checklist WHERE run_id = ? ORDER BY id').all(filter.runId ?? '') as ChecklistRow[];
  }

  // ---- locks ----

  /** Takes every resource or none. Returns the run ids currently holding what we wanted. */
  tryLock(runId: string, resources: string[]): { ok: true } | { ok: false; heldBy: string[] } {
    return this.tx(() => {
      const holders = new Set<string>();
      const stmt = this.db.prepare('SELECT run_id, pid FROM locks WHERE resource = ?');
      for (const r of resources) {
        const row = stmt.get(r) as { run_id: string; pid: number } | undefined;
        if (row && row.run_id !== runId) {
          if (isAlive(row.pid)) holders.add(row.run_id);
          else this.db.prepare('DELETE FROM locks WHERE resource = ?').run(r); // its process died
        }
      }
      if (holders.size) return { ok: false as const, heldBy: [...holders] };
      const ins = this.db.prepare('INSERT OR REPLACE INTO locks (resource, run_id, pid, acquired_at) VALUES (?, ?, ?, ?)');
      for (const r of resources) ins.run(r, runId, process.pid, Date.now());
      return { ok: true as const };
    });
  }

  unlock(runId: string): void {
    this.db.prepare('DELETE FROM locks WHERE run_id = ?').run(runId);
  }

  unlockResources(holder: string, resources: string[]): void {
    const del = this.db.prepare('DELETE FROM locks WHERE run_id = ? AND resource = ?');
    this.tx(() => {
      for (const r of resources) del.run(holder, r);
    });
  }

  lockOwner(resource: string): { holder: string; pid: number } | undefined {
    const row = this.db.prepare('SELECT run_id, pid FROM locks WHERE resource = ?').get(resource) as { run_id: string; pid: number } | undefined;
    return row ? { holder: row.run_id, pid: row.pid } : undefined;
  }

  // ---- approvals ----

  insertApproval(a: ApprovalRow): void {
    this.db
      .prepare(
        `INSERT INTO approvals (id, ticket_id, run_id, category, action, summary, risk, touches, gates, resume, confirm, status, requested_by, requested_at, decided_by, decided_at, reason, requester_pid, waiting)
         VALUES (@id, @ticket_id, @run_id, @category, @action, @summary, @risk, @touches, @gates, @resume, @confirm, @status, @requested_by, @requested_at, @decided_by, @decided_at, @reason, @requester_pid, 0)`,
      )
      .run(redactDeep({ ...a, requester_pid: a.requester_pid ?? process.pid }));
  }

  setApprovalWaiting(id: string, waiting: boolean): void {
    this.db.prepare('UPDATE approvals SET waiting = ? WHERE id = ?').run(waiting ? 1 : 0, id);
  }

  approval(id: string): ApprovalRow | undefined {
    return this.db.prepare('SELECT * FROM approvals WHERE id = ? COLLATE NOCASE').get(id) as ApprovalRow | undefined;
  }

  approvals(filter: { status?: string; ticketId?: string; limit?: number } = {}): ApprovalRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) (where.push('status = ?'), params.push(filter.status));
    if (filter.ticketId) (where.push('ticket_id = ? COLLATE NOCASE'), params.push(filter.ticketId));
    return this.db
      .prepare(`SELECT * FROM approvals ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY requested_at DESC, id DESC LIMIT ?`)
      .all(...params, filter.limit ?? 1000) as ApprovalRow[];
  }

  /** Decides a pending approval; false when it was no longer pending (someone else decided). */
  /**
   * Decides a pending approval; null when it was not pending. Returns whether the requester was
   * waiting at that very moment (read in the same statement): the requester clears the flag as
   * soon as it sees the decision, so a later read could not tell who is to carry the action out.
   */
  decideApproval(id: string, status: 'approved' | 'rejected' | 'expired', by: string, reason: string | null): { waiting: number; requester_pid: number | null } | null {
    const at = this.db
      .prepare(`UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND status = 'pending' RETURNING waiting, requester_pid`)
      .get(status, by, Date.now(), reason === null ? null : redact(reason), id) as { waiting: number; requester_pid: number | null } | undefined;
    return at ?? null;
  }

  // ---- change sets ----

  insertChangeSet(c: ChangeSetRow): void {
    this.db
      .prepare('INSERT INTO change_sets (id, ticket_id, dir, status, requires_approval, created_at, manifest) VALUES (@id, @ticket_id, @dir, @status, @requires_approval, @created_at, @manifest)')
      .run(redactDeep(c));
  }

  /** The newest change set of a ticket (or by its id). */
  changeSet(ref: string): ChangeSetRow | undefined {
    return this.db
      .prepare('SELECT * FROM change_sets WHERE id = ? OR ticket_id = ? COLLATE NOCASE ORDER BY created_at DESC LIMIT 1')
      .get(ref, ref) as ChangeSetRow | undefined;
  }

  setChangeSetStatus(id: string, status: ChangeSetRow['status']): void {
    this.db.prepare('UPDATE change_sets SET status = ? WHERE id = ?').run(status, id);
  }

  // ---- deployments ----

  insertDeployment(d: DeploymentRow): void {
    this.db
      .prepare(`INSERT INTO deployments (id, ticket_id, target, status, started_at, finished_at, data, pid, env, step) VALUES (@id, @ticket_id, @target, @status, @started_at, @finished_at, @data, @pid, @env, @step)`)
      .run(redactDeep({ pid: null, env: null, step: null, ...d }));
  }

  deployments(filter: { limit?: number } = {}): DeploymentRow[] {
    return this.db.prepare('SELECT * FROM deployments ORDER BY started_at DESC, id DESC LIMIT ?').all(filter.limit ?? 1000) as DeploymentRow[];
  }

  deployment(id: string): DeploymentRow | undefined {
    return this.db.prepare('SELECT * FROM deployments WHERE id = ? COLLATE NOCASE').get(id) as DeploymentRow | undefined;
  }

  updateDeployment(id: string, patch: Partial<Pick<DeploymentRow, 'status' | 'finished_at' | 'data' | 'pid' | 'step'>>): void {
    const keys = Object.keys(patch);
    if (!keys.length) return;
    this.db.prepare(`UPDATE deployments SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...keys.map((k) => redactDeep(patch[k as keyof typeof patch])), id);
  }

  deploymentsWithStatus(statuses: readonly string[]): DeploymentRow[] {
    return this.db.prepare(`SELECT * FROM deployments WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY started_at DESC, id DESC`).all(...statuses) as DeploymentRow[];
  }

  /** One step of a deployment's or rollback's saga: its intent before it runs, its result after. */
  appendJournal(deploymentId: string, step: string, phase: string, detail?: unknown): void {
    this.db.prepare('INSERT INTO deploy_journal (deployment_id, step, phase, detail, ts) VALUES (?, ?, ?, ?, ?)').run(deploymentId, step, phase, detail === undefined ? null : redact(json(detail)), Date.now());
  }

  journal(deploymentId: string): Array<{ id: number; step: string; phase: string; detail: string | null; ts: number }> {
    return this.db.prepare('SELECT id, step, phase, detail, ts FROM deploy_journal WHERE deployment_id = ? ORDER BY id').all(deploymentId) as Array<{ id: number; step: string; phase: string; detail: string | null; ts: number }>;
  }

  lastDeployment(): DeploymentRow | undefined {
    return this.db.prepare(`SELECT * FROM deployments ORDER BY started_at DESC, id DESC LIMIT 1`).get() as DeploymentRow | undefined;
  }

  // ---- audit rows (the chain itself lives in engine/audit.ts) ----

  lastAudit(): AuditRow | undefined {
    return this.db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT 1').get() as AuditRow | undefined;
  }

  auditEntry(seq: number): AuditRow | undefined {
    return this.db.prepare('SELECT * FROM audit WHERE seq = ?').get(seq) as AuditRow | undefined;
  }

  insertAudit(row: AuditRow): void {
    this.db
      .prepare(
        `INSERT INTO audit (seq, ts, initiator, agent, action, target, files, approval, result, detail, prev_hash, hash)
         VALUES (@seq, @ts, @initiator, @agent, @action, @target, @files, @approval, @result, @detail, @prev_hash, @hash)`,
      )
      .run(row);
  }

  audit(filter: { limit?: number } = {}): AuditRow[] {
    return this.db.prepare('SELECT * FROM audit ORDER BY seq ASC LIMIT ?').all(filter.limit ?? -1) as AuditRow[];
  }

  // ---- settings ----

  getKv<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setKv(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(key, json(value), Date.now());
  }

  deleteKv(key: string): void {
    this.db.prepare('DELETE FROM kv WHERE key = ?').run(key);
  }

  kvWithPrefix<T>(prefix: string): Array<{ key: string; value: T }> {
    return (this.db.prepare("SELECT key, value FROM kv WHERE key LIKE ? ESCAPE '\\' ORDER BY key").all(prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%') as Array<{ key: string; value: string }>).map((r) => ({
      key: r.key,
      value: JSON.parse(r.value) as T,
    }));
  }

  /** Deletes events older than `beforeTs`; returns how many. The one sanctioned delete. */
  purgeEvents(beforeTs: number): number {
    return this.db.prepare('DELETE FROM events WHERE ts < ?').run(beforeTs).changes;
  }

  // ---- health and sessions ----

  saveHealth(rows: HealthRow[]): void {
    const stmt = this.db.prepare('INSERT OR REPLACE INTO health (name, status, detail, checked_at) VALUES (@name, @status, @detail, @checked_at)');
    this.tx(() => rows.forEach((r) => stmt.run(redactDeep(r))));
  }

  health(): HealthRow[] {
    return this.db.prepare('SELECT * FROM health ORDER BY rowid').all() as HealthRow[];
  }

  touchSession(id: string, kind: string): void {
    this.db
      .prepare('INSERT INTO sessions (id, kind, pid, heartbeat_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at')
      .run(id, kind, process.pid, Date.now());
  }

  /**
   * Runs `fn` on this connection with a short busy timeout instead of the usual 10 s: a UI thread
   * must not wait seconds on another process's write lock. SQLITE_BUSY is thrown to the caller
   * (err.code SQLITE_BUSY), which retries later. better-sqlite3 is synchronous, so nothing else runs meanwhile.
   */
  withBusyTimeout<T>(ms: number, fn: () => T): T {
    const saved = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
    try {
      return fn();
    } finally {
      this.db.pragma(`busy_timeout = ${saved}`);
    }
  }

  endSession(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id);
  }

  /** Live sessions of a kind (a dashboard that can answer approvals). */
  liveSessions(kind: string, staleAfterMs: number): Array<{ id: string; pid: number }> {
    const rows = this.db.prepare('SELECT id, pid, heartbeat_at FROM sessions WHERE kind = ?').all(kind) as Array<{
      id: string;
      pid: number;
      heartbeat_at: number;
    }>;
    return rows.filter((r) => Date.now() - r.heartbeat_at < staleAfterMs && isAlive(r.pid));
  }
}

export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function openStateDb(path: string): StateDb {
  return new StateDb(path);
}
