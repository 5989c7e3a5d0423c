// The rule catalog: id, severity and category of every rule the migration linter reports.
//
//   destructive (need the admin's approval, see requiresApproval):
//     drop-table, drop-column, drop-schema, truncate, delete-without-where, delete-rows (a DELETE with
//     a WHERE on an existing table: the orphan cleanup is one), on-delete-cascade (a key re-created or
//     added on an existing table with ON DELETE CASCADE: deleting a parent then deletes child rows)
//   locking / rewriting a busy table (only for tables that existed before this migration):
//     require-concurrent-index-creation  CREATE INDEX without CONCURRENTLY blocks writes while it builds
//     constraint-missing-not-valid       FOREIGN KEY / CHECK without NOT VALID scans the table under lock
//     set-not-null                       SET NOT NULL scans the table under ACCESS EXCLUSIVE
//     changing-column-type               ALTER COLUMN TYPE usually rewrites the table
//     volatile-default                   ADD COLUMN with a volatile default (gen_random_uuid(), serial…) rewrites it
//     add-unique-or-primary-key          UNIQUE / PRIMARY KEY builds an index under ACCESS EXCLUSIVE
//     adding-required-field              ADD COLUMN … NOT NULL without a default fails on a non-empty table
//     renaming-column, renaming-table    running clients still use the old name
//     update-without-where               rewrites every row
//   robustness:
//     require-lock-timeout               a lock-taking statement on an existing table with no `set lock_timeout` first
//     concurrently-in-transaction        CONCURRENTLY cannot run in the transaction Supabase wraps each file in
//     prefer-if-not-exists, prefer-if-exists (info)  statements that fail when run twice
//   Supabase security:
//     rls-not-enabled                    a new public table without `enable row level security` in the same migration
//     rls-disabled                       `disable row level security` on a public table
//     security-definer-search-path       SECURITY DEFINER function without `set search_path`
//     security-definer-view              public view without `security_invoker = true`
//   from squawk as well:
//     ban-drop-database (destructive), transaction-nesting, prefer-timestamptz, ban-char-field,
//     require-concurrent-index-deletion, adding-foreign-key-constraint, ban-drop-not-null,
//     ban-create-domain-with-constraint, ban-alter-domain-with-add-constraint, ban-uncommitted-transaction,
//     require-enum-value-ordering (info), identifier-too-long, require-concurrent-reindex (PG 12+),
//     require-concurrent-partition-detach (PG 14+), prefer-bigint-over-int, prefer-bigint-over-smallint,
//     prefer-identity, prefer-text-field (these four info)
//   squawk names that are ours under another id: adding-field-with-default = volatile-default,
//   adding-not-nullable-field = set-not-null, disallowed-unique-constraint = add-unique-or-primary-key,
//   ban-concurrent-index-creation-in-transaction = concurrently-in-transaction, ban-drop-column/table =
//   drop-column/table, prefer-robust-stmts = prefer-if-(not-)exists, require-timeout-settings =
//   require-lock-timeout, ban-truncate-cascade = truncate (its message names CASCADE)
//   Semantics follow squawk: a table not created earlier in the same file (or batch) is existing.
import type { Severity } from '../finding.js';

export type RuleCategory = 'destructive' | 'locking' | 'robustness' | 'security';

export interface RuleInfo {
  severity: Severity;
  category: RuleCategory;
  summary: string;
}

export const RULES = {
  'drop-table': { severity: 'error', category: 'destructive', summary: 'drops a table and its data' },
  'drop-column': { severity: 'error', category: 'destructive', summary: 'drops a column and its data' },
  'drop-schema': { severity: 'error', category: 'destructive', summary: 'drops a schema and everything in it' },
  truncate: { severity: 'error', category: 'destructive', summary: 'removes every row' },
  'delete-without-where': { severity: 'error', category: 'destructive', summary: 'deletes every row' },
  'delete-rows': { severity: 'warning', category: 'destructive', summary: 'deletes rows of an existing table' },
  'on-delete-cascade': { severity: 'warning', category: 'destructive', summary: 'a new ON DELETE CASCADE makes deleting a parent delete its child rows' },
  'update-without-where': { severity: 'warning', category: 'locking', summary: 'rewrites every row' },
  'require-concurrent-index-creation': { severity: 'warning', category: 'locking', summary: 'index built without CONCURRENTLY blocks writes' },
  'constraint-missing-not-valid': { severity: 'warning', category: 'locking', summary: 'constraint validated under a write-blocking lock' },
  'set-not-null': { severity: 'warning', category: 'locking', summary: 'SET NOT NULL scans the table under ACCESS EXCLUSIVE' },
  'changing-column-type': { severity: 'warning', category: 'locking', summary: 'column type change rewrites the table' },
  'volatile-default': { severity: 'warning', category: 'locking', summary: 'volatile default rewrites the table' },
  'add-unique-or-primary-key': { severity: 'warning', category: 'locking', summary: 'unique index built under ACCESS EXCLUSIVE' },
  'adding-required-field': { severity: 'error', category: 'robustness', summary: 'NOT NULL column without default fails on existing rows' },
  'renaming-column': { severity: 'warning', category: 'locking', summary: 'renaming breaks running clients' },
  'renaming-table': { severity: 'warning', category: 'locking', summary: 'renaming breaks running clients' },
  'require-lock-timeout': { severity: 'warning', category: 'robustness', summary: 'no lock_timeout before taking locks' },
  'concurrently-in-transaction': { severity: 'error', category: 'robustness', summary: 'CONCURRENTLY fails inside a transaction' },
  'prefer-if-not-exists': { severity: 'info', category: 'robustness', summary: 'fails when run twice' },
  'prefer-if-exists': { severity: 'info', category: 'robustness', summary: 'fails when the object is already gone' },
  'rls-not-enabled': { severity: 'error', category: 'security', summary: 'public table exposed without row level security' },
  'rls-disabled': { severity: 'error', category: 'security', summary: 'row level security turned off on a public table' },
  'security-definer-search-path': { severity: 'warning', category: 'security', summary: 'SECURITY DEFINER function with a mutable search_path' },
  'security-definer-view': { severity: 'warning', category: 'security', summary: 'view runs with its owner’s rights, bypassing RLS' },
  'ban-drop-database': { severity: 'error', category: 'destructive', summary: 'drops a whole database' },
  'transaction-nesting': { severity: 'warning', category: 'robustness', summary: 'BEGIN/COMMIT inside a migration Supabase already wraps in a transaction' },
  'prefer-timestamptz': { severity: 'warning', category: 'robustness', summary: 'timestamp without time zone' },
  'ban-char-field': { severity: 'warning', category: 'robustness', summary: 'char(n) pads and compares surprisingly' },
  // squawk's remaining rules (names as squawk's). The type-choice ones are notes here: they are about
  // a schema's future, not about a migration's safety on the data there now.
  'require-concurrent-index-deletion': { severity: 'warning', category: 'locking', summary: 'DROP INDEX without CONCURRENTLY blocks reads and writes' },
  'adding-foreign-key-constraint': { severity: 'warning', category: 'locking', summary: 'a new column with REFERENCES locks both tables and checks every row' },
  'ban-drop-not-null': { severity: 'warning', category: 'robustness', summary: 'dropping NOT NULL breaks clients that rely on the column having a value' },
  'ban-create-domain-with-constraint': { severity: 'warning', category: 'locking', summary: 'a domain CHECK is validated on every use and cannot be added NOT VALID' },
  'ban-alter-domain-with-add-constraint': { severity: 'warning', category: 'locking', summary: 'adding a domain constraint scans every column of that domain under lock' },
  'ban-uncommitted-transaction': { severity: 'error', category: 'robustness', summary: 'BEGIN without COMMIT' },
  'require-enum-value-ordering': { severity: 'info', category: 'robustness', summary: 'ADD VALUE without BEFORE/AFTER appends to the end' },
  'identifier-too-long': { severity: 'warning', category: 'robustness', summary: 'Postgres truncates identifiers longer than 63 bytes' },
  'require-concurrent-reindex': { severity: 'warning', category: 'locking', summary: 'REINDEX without CONCURRENTLY blocks writes (and reads through the index)' },
  'require-concurrent-partition-detach': { severity: 'warning', category: 'locking', summary: 'DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent' },
  'prefer-bigint-over-int': { severity: 'info', category: 'robustness', summary: '32-bit integer keys run out' },
  'prefer-bigint-over-smallint': { severity: 'info', category: 'robustness', summary: '16-bit integer keys run out' },
  'prefer-identity': { severity: 'info', category: 'robustness', summary: 'serial types complicate ownership and permissions' },
  'prefer-text-field': { severity: 'info', category: 'robustness', summary: 'changing a varchar(n) length later can rewrite the table' },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;
