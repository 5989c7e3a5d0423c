// `agent email`: the outbox file, and Resend against a small HTTP server on 127.0.0.1.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';

const SERVICE_ROLE = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.planted-email-signature';
const DB_PASSWORD = 'Planted-Db-Passw0rd';
const RESEND_KEY = 're_planted12_emailtestkey1';

let server: Server;
let base = '';
let requests: Array<{ method: string; url: string; auth: string | undefined; body: string }> = [];
let reply: { status: number; body: unknown } = { status: 200, body: { id: 'em_0001' } };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  requests = [];
  reply = { status: 200, body: { id: 'em_0001' } };
});

afterAll(async () => {
  cleanupProjects();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function outboxFiles(dir: string): string[] {
  const outbox = join(dir, '.agent', 'outbox');
  return existsSync(outbox) ? readdirSync(outbox) : [];
}

describe('agent email via the outbox', () => {
  it('writes an RFC 5322 message to .agent/outbox/ and audits it', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ email: { to: 'Admin <admin@crm.example>', from: 'crm-agent <agent@crm.example>' } }));
    const r = await agent(['email', '--subject', 'Deploy finished', 'BUG-2026-001 is live on staging.\nAll six gates passed.'], { cwd: dir });
    expect(r.code).toBe(0);
    const [file] = outboxFiles(dir);
    expect(file).toMatch(/^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_deploy-finished\.eml$/);
    expect(r.stdout).toBe(`[ORCHESTRATOR] ✓ Email sent via outbox: .agent/outbox/${file}\n`);

    const eml = readFileSync(join(dir, '.agent', 'outbox', file!), 'utf8');
    expect(eml.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // CRLF line ends only
    const [head, body] = eml.split('\r\n\r\n');
    const headers = Object.fromEntries(head!.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
    expect(headers).toMatchObject({
      From: 'crm-agent <agent@crm.example>',
      To: 'Admin <admin@crm.example>',
      Subject: 'Deploy finished',
      'MIME-Version': '1.0',
      'Content-Type': 'text/plain; charset=utf-8',
    });
    expect(headers.Date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(Date.parse(headers.Date!) - Date.now())).toBeLessThan(60_000);
    expect(headers['Message-ID']).toMatch(/^<[^<>@\s]+@crm\.example>$/);
    expect(body).toBe('BUG-2026-001 is live on staging.\r\nAll six gates passed.\r\n');

    const audit = parseNdjson((await agent(['audit', '--json'], { cwd: dir })).stdout).at(-1)!.data as { entries: Array<Record<string, unknown>> };
    expect(audit.entries).toEqual([
      expect.objectContaining({ initiator: 'admin', action: 'email.send', target: 'Admin <admin@crm.example>', result: 'sent via outbox', files: [`.agent/outbox/${file}`] }),
    ]);
  });

  it('never writes a secret into the file, and refuses a bad address', async () => {
    const dir = makeProject();
    const env = { SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE, DB_PASSWORD };
    const r = await agent(['email', '--subject', `key ${SERVICE_ROLE}`, `The service key is ${SERVICE_ROLE} and the password ${DB_PASSWORD}`], { cwd: dir, env });
    expect(r.code).toBe(0);
    const eml = readFileSync(join(dir, '.agent', 'outbox', outboxFiles(dir)[0]!), 'utf8');
    expect(eml).not.toContain(SERVICE_ROLE);
    expect(eml).not.toContain(DB_PASSWORD);
    expect(eml).toContain('Subject: key [redacted:SUPABASE_SERVICE_ROLE_KEY]');
    expect(eml).toContain('The service key is [redacted:SUPABASE_SERVICE_ROLE_KEY] and the password [redacted:DB_PASSWORD]');

    const bad = await agent(['email', '--to', 'not-an-address', 'hello'], { cwd: makeProject() });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('error: `agent email` --to: expected an email address, got "not-an-address"');
  });
});

describe('agent email via Resend', () => {
  it('posts the redacted message to RESEND_BASE_URL with the API key and prints the id', async () => {
    const dir = makeProject();
    const env = { RESEND_API_KEY: RESEND_KEY, RESEND_BASE_URL: base, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE, DB_PASSWORD };
    const r = await agent(['email', '--to', 'ops@crm.example', `Incident: login fails. Do not use ${SERVICE_ROLE} or ${DB_PASSWORD}.`], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('[ORCHESTRATOR] ✓ Email sent via Resend (id em_0001)\n');
    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(req).toMatchObject({ method: 'POST', url: '/emails', auth: `Bearer ${RESEND_KEY}` });
    expect(JSON.parse(req.body)).toEqual({
      from: 'crm-agent <agent@localhost>',
      to: 'ops@crm.example',
      subject: 'Incident: login fails.',
      text: 'Incident: login fails. Do not use [redacted:SUPABASE_SERVICE_ROLE_KEY] or [redacted:DB_PASSWORD].',
    });
    expect(req.body).not.toContain(SERVICE_ROLE);
    expect(req.body).not.toContain(DB_PASSWORD);
    expect(outboxFiles(dir)).toEqual([]);
  });

  it('reports Resend refusing the message (exit 1) and audits the failure', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, '.env'), `RESEND_API_KEY=${RESEND_KEY}\nRESEND_BASE_URL=${base}\n`);
    reply = { status: 422, body: { statusCode: 422, name: 'validation_error', message: 'Invalid `from` field.' } };
    const r = await agent(['email', 'hello there'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('✗ Resend did not send the email: Invalid `from` field. (validation_error)');
    expect(requests).toHaveLength(1);
    const audit = parseNdjson((await agent(['audit', '--json'], { cwd: dir })).stdout).at(-1)!.data as { entries: Array<Record<string, unknown>> };
    expect(audit.entries).toEqual([expect.objectContaining({ action: 'email.send', result: 'failed' })]);
  });
});
