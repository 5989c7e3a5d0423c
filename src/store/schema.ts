// The state database's own versioned schema (PRAGMA user_version). Append a step; never edit one.
export const SCHEMA_STEPS: readonly string[] = [
  // 1: the foundation
  `
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    agent TEXT,
    agent_id TEXT,
    ticket_id TEXT,
    run_id TEXT,
    message TEXT NOT NULL,
    data TEXT,
    pid INTEGER NOT NULL
  );
  CREATE INDEX events_ticket ON events(ticket_id, id);
  CREATE INDEX events_run ON events(run_id, id);
  CREATE INDEX events_agent ON events(agent_id, id);
  CREATE INDEX events_ts ON events(ts);
  CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);

  CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    external_ref TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (kind, year, seq)
  );

  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    ticket_id TEXT,
    command TEXT NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    pid INTEGER,
    heartbeat_at INTEGER,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    resources TEXT NOT NULL DEFAULT '[]',
    completed TEXT NOT NULL DEFAULT '[]',
    error TEXT
  );
  CREATE INDEX runs_status ON runs(status);

  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    ticket_id TEXT,
    type TEXT NOT NULL,
    state TEXT NOT NULL,
    phase TEXT,
    started_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX agents_run ON agents(run_id);
  CREATE INDEX agents_state ON agents(state);

  CREATE TABLE checklist (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    item TEXT NOT NULL,
    ok INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    ts INTEGER NOT NULL
  );
  CREATE INDEX checklist_agent ON checklist(agent_id, id);

  CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    ticket_id TEXT,
    run_id TEXT,
    category TEXT NOT NULL,
    action TEXT NOT NULL,
    summary TEXT NOT NULL,
    risk TEXT NOT NULL,
    touches TEXT NOT NULL DEFAULT '[]',
    gates TEXT NOT NULL DEFAULT '[]',
    resume TEXT,
    confirm TEXT,
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    reason TEXT
  );
  CREATE INDEX approvals_status ON approvals(status);

  CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    ticket_id TEXT,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    data TEXT NOT NULL DEFAULT '{}'
  );

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    initiator TEXT NOT NULL,
    agent TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    files TEXT NOT NULL,
    approval TEXT,
    result TEXT NOT NULL,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );

  CREATE TABLE locks (
    resource TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    pid INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL
  );

  CREATE TABLE health (
    name TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    checked_at INTEGER NOT NULL
  );

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    pid INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  `,
  // 2: staged change sets and their review state
  `
  CREATE TABLE change_sets (
    id TEXT PRIMARY KEY,
    ticket_id TEXT,
    dir TEXT NOT NULL,
    status TEXT NOT NULL,
    requires_approval INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    manifest TEXT NOT NULL
  );
  CREATE INDEX change_sets_ticket ON change_sets(ticket_id, created_at);
  `,
  // 3: small named settings (maintenance mode, the last loaded config)
  `
  CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);
  `,
  // 4: who asked for an approval, and whether it is still waiting for the answer itself
  `
  ALTER TABLE approvals ADD COLUMN requester_pid INTEGER;
  ALTER TABLE approvals ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: deployments as journaled sagas (who runs them, the step under way, each step's intent and
  // result), scratch directories an owner must remove, and emails waiting to be sent
  `
  ALTER TABLE deployments ADD COLUMN pid INTEGER;
  ALTER TABLE deployments ADD COLUMN env TEXT;
  ALTER TABLE deployments ADD COLUMN step TEXT;
  CREATE TABLE deploy_journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id TEXT NOT NULL,
    step TEXT NOT NULL,
    phase TEXT NOT NULL,
    detail TEXT,
    ts INTEGER NOT NULL
  );
  CREATE INDEX deploy_journal_deployment ON deploy_journal(deployment_id, id);

  CREATE TABLE scratch (
    path TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    repo TEXT,
    owner_pid INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    deployment_id TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
  );
  `,
  // 6: the audit trail is append-only: rows are never changed or removed, and each new row takes
  // the next sequence number and links to the last row's hash
  `
  CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: entries cannot be changed'); END;
  CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: entries cannot be removed'); END;
  CREATE TRIGGER audit_append_in_order BEFORE INSERT ON audit
    WHEN NEW.seq IS NOT COALESCE((SELECT MAX(seq) FROM audit), 0) + 1
      OR NEW.prev_hash IS NOT COALESCE((SELECT hash FROM audit ORDER BY seq DESC LIMIT 1), '${'0'.repeat(64)}')
    BEGIN SELECT RAISE(ABORT, 'audit entries are appended in order, each linked to the last'); END;
  `,
];
