// The rule catalog: id, severity and category of every rule the migration linter reports.
//
//   destructive (need the admin's approval, see requiresApproval):
//     drop-table, drop-column, drop-schema, truncate, delete-without-where
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
//     ban-drop-database (destructive), transaction-nesting, prefer-timestamptz, ban-char-field
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
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;
