// The pure decisions: argv parsing, routing, ticket kinds, approval policy, gates, the audit
// chain, redaction and config errors. Data in, verdict out.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { normalizeArgv, parseArgv, splitWords } from '../../src/cli/argv.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { route } from '../../src/engine/router.js';
import { inferKind, externalRef } from '../../src/engine/ticket-kind.js';
import { decideApproval, mayDecide } from '../../src/engine/approval-policy.js';
import { evaluateGate } from '../../src/engine/gates.js';
import { GENESIS, hashRow, verifyChain } from '../../src/engine/audit.js';
import { clearSecretsForTests, redact, redactDeep, registerSecretsFrom } from '../../src/config/redact.js';
import { defaultConfig, parseConfig } from '../../src/config/config.js';
import { loadZodMini } from '../../src/config/zod-mini.js';
import { parseDotEnv } from '../../src/config/secrets.js';
import { isOrphaned } from '../../src/engine/recovery.js';
import { parseSince } from '../../src/commands/observe.js';
import type { AuditRow } from '../../src/store/rows.js';

beforeAll(() => loadZodMini()); // parseConfig validates with it

describe('argv', () => {
  it('splits an "@agent …" line like a shell and strips the prefix', () => {
    expect(splitWords(`create ticket "a b" 'c d' e\\ f`)).toEqual(['create', 'ticket', 'a b', 'c d', 'e f']);
    expect(normalizeArgv(['@agent create ticket "estimates not saved"'])).toEqual(['create', 'ticket', 'estimates not saved']);
    expect(normalizeArgv(['@agent', 'status'])).toEqual(['status']);
    expect(() => splitWords('create "oops')).toThrow(/unclosed " quote/);
  });

  it('matches the longest command and reads flags anywhere', () => {
    const p = parseArgv(['--json', 'logs', 'BUG-2026-001', '--level=error', '--since', '1h', '-f'], COMMANDS);
    expect(p.type).toBe('command');
    if (p.type !== 'command') return;
    expect(p.def.name).toBe('logs');
    expect(p.input).toEqual({ target: 'BUG-2026-001', level: 'error', since: '1h', follow: true });
    expect(p.globals.json).toBe(true);
    const v = parseArgv(['audit', 'verify'], COMMANDS);
    expect(v.type === 'command' && v.def.name).toBe('audit verify');
  });

  it('treats help and version as such, and sentences as text', () => {
    expect(parseArgv(['--version'], COMMANDS)).toEqual({ type: 'version' });
    expect(parseArgv([], COMMANDS)).toMatchObject({ type: 'help', topic: [] });
    expect(parseArgv(['create', 'ticket', '--help'], COMMANDS)).toMatchObject({ type: 'help', topic: ['create', 'ticket'] });
    expect(parseArgv(['what', 'needs', 'my', 'approval'], COMMANDS)).toMatchObject({ type: 'text', text: 'what needs my approval' });
  });

  it('refuses what it cannot read with one clear sentence', () => {
    expect(() => parseArgv(['logs', '--since'], COMMANDS)).toThrow('--since needs a value (1h)');
    expect(() => parseArgv(['status', '--json=maybe'], COMMANDS)).toThrow('--json is a switch');
    expect(() => parseArgv(['approve'], COMMANDS)).toThrow(/needs <id>/);
    expect(() => parseArgv(['tikcets'], COMMANDS)).toThrow(/did you mean `agent tickets`/);
  });
});

describe('router', () => {
  it('runs only confident matches with their arguments filled', () => {
    expect(route('show me the logs for BUG-2026-004 please', COMMANDS)).toMatchObject({ type: 'command', name: 'logs', input: { target: 'BUG-2026-004' } });
    // A confident "approve" is never run from free text: it gets the command to type (issue 13).
    expect(route('approve APR-12 now', COMMANDS)).toMatchObject({ type: 'suggest', why: 'held', command: 'approve', suggestions: ['approve APR-12'] });
    expect(route('create a ticket: invoices are sent twice', COMMANDS)).toMatchObject({ type: 'command', name: 'create ticket', input: { description: 'invoices are sent twice' } });
  });

  it('suggests when unsure or when an argument is missing', () => {
    const r = route('approve it', COMMANDS);
    expect(r).toMatchObject({ type: 'suggest', reason: expect.stringMatching(/needs <id>/) });
    expect(r.type === 'suggest' && r.suggestions[0]).toBe('approve <id>');
    expect(route('bake a cake', COMMANDS)).toMatchObject({ type: 'suggest', suggestions: [] });
    // One weak candidate: its reason names no second one (it said "undefined").
    const weak = route('frobnicate everything', COMMANDS);
    expect(weak).toMatchObject({ type: 'suggest', reason: expect.stringMatching(/is only a weak match$/) });
    expect(weak.type === 'suggest' && weak.reason).not.toContain('undefined');
  });
});

describe('tickets', () => {
  it('infers kinds from the words', () => {
    expect(inferKind('AI estimates are generated but not persisting to database. Voice agent says success but no record created.')).toBe('BUG');
    expect(inferKind('Add customer preferences table with JSONB column')).toBe('MIG');
    expect(inferKind('drop column legacy_code from customers')).toBe('MIG');
    expect(inferKind('Nightly backup cron stopped, disk is full on the server')).toBe('OPS');
    expect(inferKind('Customer portal login with oauth2 support')).toBe('FEAT');
    expect(externalRef("Here's the ticket: AI-EST-142")).toBe('AI-EST-142');
  });
});

describe('approval policy (seed 7.2)', () => {
  const policy = defaultConfig('x').approvals;
  it('asks for destructive, production and credential changes; not for staging or code', () => {
    expect(decideApproval('databaseDestructive', policy)).toMatchObject({ type: 'ask-user', confirm: 'typed', risk: 'critical' });
    expect(decideApproval('productionDeployment', policy)).toMatchObject({ type: 'ask-user', confirm: 'typed' });
    expect(decideApproval('credentialChange', policy)).toMatchObject({ type: 'ask-user', confirm: 'y/n' });
    expect(decideApproval('stagingDeployment', policy).type).toBe('auto-approve');
    expect(decideApproval('codeGeneration', policy).type).toBe('auto-approve');
    expect(decideApproval('agentConfigChange', policy).type).toBe('auto-approve');
  });
  it('always asks for emergencies, follows config otherwise, and never lets a model decide', () => {
    expect(decideApproval('stagingDeployment', { ...policy, stagingDeployment: true }).type).toBe('ask-user');
    expect(decideApproval('emergency', { ...policy }).type).toBe('ask-user');
    expect(mayDecide({ kind: 'model' })).toBe(false);
    expect(mayDecide({ kind: 'mcp' })).toBe(false);
    expect(mayDecide({ kind: 'admin' })).toBe(true);
  });
});

describe('quality gates (seed 6.3)', () => {
  const gates = defaultConfig('x').gates;
  it('passes and blocks on the measured figures', () => {
    expect(evaluateGate('understand', { confidence: 95 }, gates).type).toBe('pass');
    expect(evaluateGate('understand', { confidence: 94 }, gates)).toMatchObject({ type: 'block', gate: 'understanding-confidence' });
    expect(evaluateGate('analyze', { criticalCycles: 1 }, gates).type).toBe('block');
    expect(evaluateGate('plan', { scenarios: 3, mitigated: 2 }, gates)).toMatchObject({ type: 'block', reason: expect.stringMatching(/^1 of 3 failure scenarios have no mitigation; to unblock: `agent logs --level debug` lists each failure scenario and its mitigation$/) });
    expect(evaluateGate('validate', { coverage: null }, gates)).toMatchObject({ type: 'block', reason: expect.stringMatching(/^test coverage could not be measured: the validate phase said not why \(required 80%\); to unblock: set test.command/) });
    expect(evaluateGate('execute', { preconditions: 2, preconditionsMet: 2 }, gates).type).toBe('pass');
    expect(evaluateGate('verify', { postErrors: 0 }, gates).type).toBe('pass');
  });
  it('blocks on a failed check under its own name, whatever the figures say', () => {
    const lenient = { ...gates, testCoverage: 0 };
    expect(evaluateGate('validate', { coverage: 100, checksFailed: ['1 new type error(s), first a.ts:3 TS2322'] }, lenient)).toEqual({ type: 'block', gate: 'validate-checks', reason: '1 new type error(s), first a.ts:3 TS2322' });
    expect(evaluateGate('validate', { coverage: 100, checksFailed: [] }, lenient).type).toBe('pass');
  });
  it('blocks a phase that measured nothing', () => {
    expect(evaluateGate('verify', {}, gates)).toMatchObject({ type: 'block', reason: 'the verify phase reported no post-execution check' });
  });
});

describe('audit chain', () => {
  const chain = (n: number): AuditRow[] => {
    const rows: AuditRow[] = [];
    for (let seq = 1; seq <= n; seq++) {
      const base = { seq, ts: 1000 + seq, initiator: 'admin', agent: 'ORCHESTRATOR', action: 'a', target: null, files: '[]', approval: null, result: 'ok', detail: null, prev_hash: rows.at(-1)?.hash ?? GENESIS };
      rows.push({ ...base, hash: hashRow(base) });
    }
    return rows;
  };
  it('verifies an intact chain and names the first edited, removed or relinked entry', () => {
    expect(verifyChain(chain(4))).toEqual({ ok: true, count: 4 });
    const edited = chain(4);
    edited[2] = { ...edited[2]!, result: 'changed' };
    expect(verifyChain(edited)).toMatchObject({ ok: false, seq: 3 });
    const removed = chain(4).filter((r) => r.seq !== 2);
    expect(verifyChain(removed)).toMatchObject({ ok: false, seq: 2, reason: 'entry #2 is missing (next is #3)' });
    const rehashed = chain(4);
    const forged = { ...rehashed[1]!, result: 'forged' };
    rehashed[1] = { ...forged, hash: hashRow(forged) };
    expect(verifyChain(rehashed)).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/does not link/) });
  });
});

describe('redaction', () => {
  afterEach(clearSecretsForTests);
  it('replaces registered values and known shapes everywhere', () => {
    registerSecretsFrom({ SUPABASE_SERVICE_ROLE_KEY: 'service-role-123456', DATABASE_URL: 'postgres://u:pa55word@db:5432/x', HOME: '/root', SHORT_KEY: 'abc' });
    expect(redact('key=service-role-123456')).toBe('key=[redacted:SUPABASE_SERVICE_ROLE_KEY]');
    expect(redact('pw pa55word here')).toBe('pw [redacted:DATABASE_URL password] here');
    expect(redact('/root stays')).toBe('/root stays');
    expect(redact('abc stays')).toBe('abc stays');
    expect(redact('sk-ant-api03-abcdefghijk and re_12345678_abcdefgh')).toBe('[redacted:anthropic-key] and [redacted:resend-key]');
    expect(redact('postgres://me:hunter2@host/db')).toBe('postgres://me:[redacted]@host/db');
    expect(redactDeep({ a: ['service-role-123456'], n: 1 })).toEqual({ a: ['[redacted:SUPABASE_SERVICE_ROLE_KEY]'], n: 1 });
  });
});

describe('config and .env', () => {
  it('merges over the embedded defaults and names the JSON path of a bad value', () => {
    const c = parseConfig(JSON.stringify({ agents: { maxConcurrent: 2 }, approvals: { stagingDeployment: true } }), 'p');
    expect(c.agents).toMatchObject({ maxConcurrent: 2, heartbeatMs: 1000 });
    expect(c.approvals).toMatchObject({ stagingDeployment: true, productionDeployment: true });
    expect(() => parseConfig('{"gates":{"testCoverage":120}}', 'p')).toThrow('agent.config.json: gates.testCoverage: expected a number <= 100, got 120');
    expect(() => parseConfig('{"environments":{"staging":{"deploy":["ok", 3]}}}', 'p')).toThrow('environments.staging.deploy[1]: expected a string, got 3');
    expect(() => parseConfig('{"mcp":{"url":"ftp://x"}}', 'p')).toThrow('mcp.url: expected an http(s) URL, got "ftp://x"');
    expect(() => parseConfig('{"agents":{"maxConcurrent":2.5}}', 'p')).toThrow('agents.maxConcurrent: expected a whole number, got 2.5');
  });
  it('reads .env lines with quotes, comments and export', () => {
    expect(parseDotEnv('# c\nexport A=1\nB="two words"\nC=three # note\nD=\'x#y\'\nbad line')).toEqual({ A: '1', B: 'two words', C: 'three', D: 'x#y' });
  });
  it('parses --since durations', () => {
    expect(parseSince('15m', 1_000_000)).toBe(100_000);
    expect(() => parseSince('soon')).toThrow(/expected a duration/);
  });
  it('treats a run as orphaned when its process is gone or its heartbeat is stale', () => {
    expect(isOrphaned({ pid: 1, heartbeat_at: 1000 }, 2000, 15_000, () => false)).toMatch(/process 1 is gone/);
    expect(isOrphaned({ pid: 1, heartbeat_at: 1000 }, 20_000, 15_000, () => true)).toMatch(/no heartbeat for 19s/);
    expect(isOrphaned({ pid: 1, heartbeat_at: 1000 }, 2000, 15_000, () => true)).toBeNull();
  });
});
