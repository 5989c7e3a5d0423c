// The mail outbox: an email is a row of the state database before it is sent; a Resend that never
// answers costs a command network.timeoutMs, not minutes; what was not sent (also when the sender
// was killed mid-send) goes out with the next command, once. Real Resend SDK against a server on
// 127.0.0.1, real CLI processes, real SQLite.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { agent, cleanupProjects, makeProject, parseNdjson, startAgent, waitFor } from '../helpers.js';
import { createContext } from '../../src/commands/dispatch.js';
import { openProject } from '../../src/config/project.js';
import { loadSecrets } from '../../src/config/secrets.js';
import { createReporter } from '../../src/cli/output.js';
import { makeStyle } from '../../src/cli/style.js';
import { notifyDeployment, notifyIncident, queueIncidentEmail } from '../../src/engine/notify.js';
import { failedMail, flushOutbox, MAX_ATTEMPTS, outboxRow, pendingMail, queueEmail } from '../../src/engine/outbox.js';
import { openStateDb } from '../../src/store/state-db.js';
import type { DeploymentRow } from '../../src/store/rows.js';

const RESEND_KEY = 're_planted56_outboxtestkey';
const SERVICE_ROLE = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.planted-outbox-signature';

type Mode = 'hang' | 'ok' | 503 | 422;
let mode: Mode = 'ok';
let answerDelayMs = 0;
let server: Server;
let base = '';
let requests: Array<{ body: Record<string, unknown>; idempotencyKey: string | undefined }> = [];
const hanging = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      requests.push({ body: (raw ? JSON.parse(raw) : {}) as Record<string, unknown>, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      if (mode === 'hang') return void hanging.add(res); // never answers
      const status = mode === 'ok' ? 200 : mode;
      const body = JSON.stringify(mode === 'ok' ? { id: `em_${requests.length}` } : { statusCode: status, name: status === 422 ? 'validation_error' : 'internal_server_error', message: status === 422 ? 'Invalid `to` field.' : 'try later' });
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      }, answerDelayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  requests = [];
  mode = 'ok';
  answerDelayMs = 0;
});

afterAll(async () => {
  cleanupProjects();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A project whose network calls may take 1 s, with Resend pointed at the local server. */
function project(): string {
  const dir = makeProject();
  writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ network: { timeoutMs: 1000 }, email: { to: 'admin@crm.example', from: 'crm-agent <agent@crm.example>' } }));
  writeFileSync(join(dir, '.env'), `RESEND_API_KEY=${RESEND_KEY}\nRESEND_BASE_URL=${base}\n`);
  return dir;
}

function rows(dir: string) {
  const db = openStateDb(join(dir, '.agent', 'state.db'));
  try {
    return { all: db.db.prepare('SELECT * FROM mail_outbox ORDER BY id').all() as Array<Record<string, unknown>>, pending: pendingMail(db), failed: failedMail(db) };
  } finally {
    db.close();
  }
}

const outboxFiles = (dir: string) => (existsSync(join(dir, '.agent', 'outbox')) ? readdirSync(join(dir, '.agent', 'outbox')) : []);

describe('a Resend that never answers', () => {
  it('costs `agent email` the configured second; the email stays pending, and the next command sends it once', async () => {
    const dir = project();
    mode = 'hang';
    const started = performance.now();
    const r = await agent(['email', '--subject', 'Staging is green', `BUG-2026-001 passed. Key ${SERVICE_ROLE}`], { cwd: dir, env: { SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE } });
    const took = performance.now() - started;
    expect(r.code, r.stderr).toBe(0);
    expect(took).toBeLessThan(8_000); // 1 s of waiting plus the CLI's start (slow on a loaded machine), not 30 s or 300 s
    expect(r.stdout).toBe('[ORCHESTRATOR] ⚠ Email not sent yet (Resend did not answer within 1 s (network.timeoutMs)); it stays pending (attempt 1 of 5) and the next agent command tries again\n');
    let state = rows(dir);
    expect(state.all).toEqual([expect.objectContaining({ id: 1, subject: 'Staging is green', status: 'pending', attempts: 1, sent_at: null })]);
    expect(state.pending).toEqual([1]);
    expect(String(state.all[0]!.payload)).not.toContain(SERVICE_ROLE);
    expect(String(state.all[0]!.payload)).toContain('[redacted:SUPABASE_SERVICE_ROLE_KEY]');

    // The next command (any command) sends it, with the same idempotency key as the first try.
    mode = 'ok';
    const next = await agent(['tickets'], { cwd: dir });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('[ORCHESTRATOR] ✓ Email sent via Resend (em_2) (Staging is green, queued earlier)');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.idempotencyKey).toMatch(/^crm-agent-[0-9a-f-]{36}$/);
    expect(requests[1]!.idempotencyKey).toBe(requests[0]!.idempotencyKey);
    expect(requests[1]!.body).toMatchObject({ to: 'admin@crm.example', subject: 'Staging is green', text: 'BUG-2026-001 passed. Key [redacted:SUPABASE_SERVICE_ROLE_KEY]' });
    state = rows(dir);
    expect(state.all).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
    expect(state.pending).toEqual([]);

    // Nothing is pending any more: the command after that sends nothing.
    const third = await agent(['tickets'], { cwd: dir });
    expect(third.stdout).not.toContain('Email');
    expect(requests).toHaveLength(2);
    const audit = parseNdjson((await agent(['audit', '--json'], { cwd: dir })).stdout).at(-1)!.data as { entries: Array<Record<string, unknown>> };
    expect(audit.entries).toEqual([expect.objectContaining({ action: 'email.send', result: 'queued (not sent yet)' })]);
  }, 30_000);

  it('a finished deploy waits on its email no longer than the timeout and does not fail for it', async () => {
    const dir = project();
    mode = 'hang';
    const lines: string[] = [];
    const project_ = await openProject({ cwd: dir });
    const out = createReporter({ json: false, verbose: false, style: makeStyle(false), sink: { out: (t) => lines.push(t), err: (t) => lines.push(t), isTTY: false }, state: () => ctx.openedState() });
    const ctx = createContext({ project: project_, secrets: loadSecrets(dir, {}), out, signal: new AbortController().signal, interactive: false, initiator: 'admin' });
    const data = { branch: 'agent/bug-2026-001', commit: 'abc123def4567890', tests: null, appliedMigrations: [] };
    const dep: DeploymentRow = { id: 'DEPLOY-2026-0001', ticket_id: 'BUG-2026-001', target: 'staging', status: 'succeeded', started_at: Date.now(), finished_at: Date.now(), data: JSON.stringify(data) } as DeploymentRow;
    const manifest = { title: 'AI estimate fix', files: [{ path: 'app/api/estimates/route.ts', action: 'create' }] } as never;
    const started = performance.now();
    const sent = await notifyDeployment(ctx, dep, manifest);
    expect(performance.now() - started).toBeLessThan(5_000); // 1 s (network.timeoutMs), not 30
    expect(sent).toMatchObject({ via: 'pending', outboxId: 1 });
    expect(lines.join('')).toMatch(/⚠ Email not sent yet \(Resend did not answer within 1 s \(network\.timeoutMs\)\); it stays pending \(attempt 1 of 5\)/);
    // Notifying again (a resumed deploy, or the deploy's own transaction queued it) sends the same row.
    mode = 'ok';
    const again = await notifyDeployment(ctx, dep, manifest);
    expect(again).toMatchObject({ via: 'resend', outboxId: 1 });
    expect(requests.map((q) => q.body.subject)).toEqual(['[crm-agent] BUG-2026-001 deployed to staging (DEPLOY-2026-0001)', '[crm-agent] BUG-2026-001 deployed to staging (DEPLOY-2026-0001)']);
    expect(outboxRow(ctx.state(), 1)).toMatchObject({ status: 'sent', deployment_id: 'DEPLOY-2026-0001' });

    // The same incident report queued twice (by the rollback's record, then by the command) is one
    // email; a rollback finished after an incomplete one reports again.
    const rolled = { ...dep, data: JSON.stringify({ ...data, rollback: { at: '2026-12-02T10:00:00.000Z', durationMs: 900, steps: ['code'] } }) } as DeploymentRow;
    const first = queueIncidentEmail(ctx, rolled, 'login broke (rollback incomplete: migration 2)', 900);
    expect((await notifyIncident(ctx, rolled, 'login broke (rollback incomplete: migration 2)', 900)).outboxId).toBe(first);
    expect((await notifyIncident(ctx, rolled, 'login broke', 900)).outboxId).toBe(first + 1);
    expect(requests.filter((q) => /INCIDENT/.test(String(q.body.subject)))).toHaveLength(2);
    ctx.close();
  });
});

describe('network.timeoutMs beyond email', () => {
  it('bounds a call to the Supabase admin API that never answers', async () => {
    const dir = project();
    mode = 'hang';
    const started = performance.now();
    const r = await agent(['emergency', 'access', '0b5f7a52-4d0e-4c3e-9a57-3f1f0e6f2a11'], { cwd: dir, env: { SUPABASE_URL: base, SUPABASE_SERVICE_ROLE_KEY: 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.timeout-test' } });
    expect(performance.now() - started).toBeLessThan(8_000); // 1 s and the CLI start, not the default 30 s
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the Supabase admin API at ${base.slice('http://'.length)} to look up user 0b5f7a52-4d0e-4c3e-9a57-3f1f0e6f2a11: no answer within 1000 ms`);
    expect(requests.length).toBeGreaterThan(0);
  }, 20_000);
});

describe('an email whose sender died', () => {
  it('is sent by the next command after a kill -9 mid-send', async () => {
    const dir = project();
    // A generous timeout: the process is killed while it waits.
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ network: { timeoutMs: 60_000 } }));
    mode = 'hang';
    const child = startAgent(['email', 'the deploy is done'], { cwd: dir });
    await waitFor(() => requests.length === 1, 10_000, 'the send to reach Resend');
    child.kill('SIGKILL');
    await child.closed;
    expect(rows(dir).all).toEqual([expect.objectContaining({ status: 'pending', attempts: 1 })]);
    for (const res of hanging) res.destroy();
    hanging.clear();

    mode = 'ok';
    const next = await agent(['tickets'], { cwd: dir });
    expect(next.stdout).toContain('✓ Email sent via Resend (em_2)');
    expect(requests[1]!.idempotencyKey).toBe(requests[0]!.idempotencyKey);
    expect(rows(dir).all).toEqual([expect.objectContaining({ status: 'sent', attempts: 2 })]);
  }, 30_000);
});

describe('two commands at once', () => {
  it('send each pending email once between them', async () => {
    const dir = project();
    const db = openStateDb(join(dir, '.agent', 'state.db'));
    const ids = Array.from({ length: 12 }, (_, i) => queueEmail(db, { from: 'a <a@crm.example>', to: 'b@crm.example', subject: `Report ${i + 1}`, text: `body ${i + 1}` }));
    db.close();
    answerDelayMs = 60; // slow enough that the two commands' sends overlap
    const [one, two] = await Promise.all([agent(['tickets'], { cwd: dir }), agent(['tickets'], { cwd: dir })]);
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(requests).toHaveLength(12);
    expect(new Set(requests.map((q) => q.idempotencyKey)).size).toBe(12);
    expect(requests.map((q) => q.body.subject).sort()).toEqual(ids.map((i) => `Report ${i}`).sort());
    const after = rows(dir);
    expect(after.all.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    expect(after.pending).toEqual([]);
    const sentBy = (r: { stdout: string }) => r.stdout.split('\n').filter((l) => l.includes('✓ Email sent via Resend')).length;
    expect(sentBy(one) + sentBy(two)).toBe(12);
  }, 20_000);
});

describe('bounded attempts', () => {
  it(`gives up after ${MAX_ATTEMPTS} failed sends, keeps the text in .agent/outbox/, and a refusal is not retried`, async () => {
    const dir = project();
    const project_ = await openProject({ cwd: dir });
    const ctx = createContext({ project: project_, secrets: loadSecrets(dir, {}), out: createReporter({ json: false, verbose: false, style: makeStyle(false), sink: { out: () => {}, err: () => {}, isTTY: false } }), signal: new AbortController().signal, interactive: false, initiator: 'admin' });
    const state = ctx.state();
    mode = 503;
    const id = queueEmail(state, { from: 'a <a@crm.example>', to: 'b@crm.example', subject: 'Nightly report', text: 'all good' });
    const outcomes: string[] = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) outcomes.push(...(await flushOutbox(ctx)).map((r) => `${r.status}:${r.attempts}`));
    expect(outcomes).toEqual(['pending:1', 'pending:2', 'pending:3', 'pending:4', 'failed:5']);
    expect(await flushOutbox(ctx)).toEqual([]); // nothing pending: nothing tried
    expect(requests).toHaveLength(MAX_ATTEMPTS);
    expect(outboxRow(state, id)).toMatchObject({ status: 'failed', attempts: 5, last_error: 'Resend did not send the email: try later (internal_server_error)' });
    expect(failedMail(state)).toEqual([expect.objectContaining({ id, subject: 'Nightly report', file: expect.stringMatching(/^\.agent\/outbox\/.*nightly-report\.eml$/) })]);
    expect(readFileSync(join(dir, failedMail(state)[0]!.file!), 'utf8')).toContain('all good');

    // A 422 cannot get better by asking again: failed at once.
    mode = 422;
    const bad = queueEmail(state, { from: 'a <a@crm.example>', to: 'b@crm.example', subject: 'Bad', text: 'x' });
    expect((await flushOutbox(ctx)).map((r) => `${r.status}:${r.attempts}`)).toEqual(['failed:1']);
    expect(outboxRow(state, bad)).toMatchObject({ status: 'failed', last_error: 'Resend did not send the email: Invalid `to` field. (validation_error)' });

    // Without RESEND_API_KEY the email is kept as a .eml file, as before, and the row says so.
    const offline = createContext({ project: project_, secrets: loadSecrets(makeProject(), {}), out: createReporter({ json: false, verbose: false, style: makeStyle(false), sink: { out: () => {}, err: () => {}, isTTY: false } }), signal: new AbortController().signal, interactive: false, initiator: 'admin', state });
    const kept = queueEmail(state, { from: 'a <a@crm.example>', to: 'b@crm.example', subject: 'Kept here', text: 'y' });
    expect(await flushOutbox(offline)).toEqual([expect.objectContaining({ id: kept, status: 'kept', detail: expect.stringMatching(/kept-here\.eml$/) })]);
    expect(outboxFiles(dir).filter((f) => f.endsWith('kept-here.eml'))).toHaveLength(1);
    ctx.close();

    // `agent status` names what was given up on, and where its text is.
    const status = await agent(['status'], { cwd: dir });
    expect(status.stdout).toContain('Emails Not Sent:\n  ⚠ Nightly report: Resend did not send the email: try later (internal_server_error); its text is in .agent/outbox/');
    expect(status.stdout).toContain('  ⚠ Bad: Resend did not send the email: Invalid `to` field. (validation_error); its text is in .agent/outbox/');
    expect(requests).toHaveLength(MAX_ATTEMPTS + 1); // status sent nothing: nothing was pending
  });
});
