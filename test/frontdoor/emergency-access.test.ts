// `agent emergency access <user_id>`: the real CLI and the real supabase-js against a small GoTrue
// admin API on 127.0.0.1 (the two endpoints auth-js calls: GET /auth/v1/admin/users/<id> and
// POST /auth/v1/admin/generate_link). The link appears once, raw, on a real terminal (a pty from
// util-linux `script`), and in no other output, no event, no audit row and no byte under .agent/.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { agent, CLI, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';

const SERVICE_ROLE = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.emergency-access-signature';
const USER = { id: randomUUID(), email: 'dana.field@example.test' };
const PHONE_ONLY = { id: randomUUID(), email: '' };

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  apikey: string | undefined;
  body: string;
}
/** A link the server handed out, and the parts that would stand in for it. */
interface Issued {
  link: string;
  token: string;
  otp: string;
}

let server: Server;
let base = '';
let seen: Seen[] = [];
const issued: Issued[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.push({ method: req.method ?? '', path, authorization: req.headers.authorization, apikey: req.headers.apikey as string | undefined, body });
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01' });
        res.end(JSON.stringify(payload));
      };
      // GoTrue's admin endpoints take the service-role JWT as the bearer.
      if (req.headers.authorization !== `Bearer ${SERVICE_ROLE}`) return send(401, { code: 'no_authorization', message: 'This endpoint requires a valid Bearer token' });
      const users = [USER, PHONE_ONLY];
      const byId = /^\/auth\/v1\/admin\/users\/([0-9a-f-]+)$/.exec(path);
      if (req.method === 'GET' && byId) {
        const u = users.find((x) => x.id === byId[1]);
        return u ? send(200, { id: u.id, aud: 'authenticated', role: 'authenticated', email: u.email, phone: u.email ? '' : '15550100', app_metadata: {}, user_metadata: {} }) : send(404, { code: 'user_not_found', message: 'User not found' });
      }
      if (req.method === 'POST' && path === '/auth/v1/admin/generate_link') {
        const { type, email } = JSON.parse(body) as { type: string; email: string };
        const u = users.find((x) => x.email && x.email === email);
        if (type !== 'magiclink' || !u) return send(422, { code: 'validation_failed', message: 'bad request' });
        const token = randomBytes(28).toString('hex');
        const otp = String(randomInt(1e9, 1e10));
        const link = `${base}/auth/v1/verify?token=${token}&type=magiclink&redirect_to=http://localhost:3000`;
        issued.push({ link, token, otp });
        return send(200, { action_link: link, email_otp: otp, hashed_token: token, verification_type: 'magiclink', redirect_to: 'http://localhost:3000', id: u.id, email: u.email, aud: 'authenticated' });
      }
      send(404, { code: 'not_found', message: 'no route' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  seen = [];
});

afterAll(async () => {
  cleanupProjects();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const creds = () => ({ SUPABASE_URL: base, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE });
const linkRequests = () => seen.filter((s) => s.path === '/auth/v1/admin/generate_link');

// ---- a real terminal: util-linux `script` gives the CLI a pty ----

const HAVE_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
if (!HAVE_SCRIPT) console.warn('SKIPPED: the terminal half of emergency-access.test.ts needs util-linux `script` (a pty) and it is not installed');

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a pty. `answer` sees the output so far and may type one line. */
function inTerminal(args: string[], opts: { cwd: string; env: Record<string, string>; answer?: (output: string) => string | null }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LANG: 'C.UTF-8', NO_COLOR: '1', TERM: 'dumb', ...opts.env };
    const child = spawn('script', ['-qefc', [process.execPath, CLI, ...args].map(shq).join(' '), '/dev/null'], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = false;
    child.stdin.on('error', () => undefined);
    const onData = (d: Buffer) => {
      output += d;
      if (opts.answer && !answered) {
        const line = opts.answer(output);
        if (line !== null) {
          answered = true;
          child.stdin.write(`${line}\n`);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.end();
      resolve({ code, output });
    });
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

interface AuditEntry {
  initiator: string;
  action: string;
  target: string | null;
  approval: string | null;
  result: string;
}

describe('emergency access: input and credentials', () => {
  it('refuses a user id that is not a UUID with exit 2, before anything else', async () => {
    const dir = makeProject();
    const r = await agent(['emergency', 'access', 'dana'], { cwd: dir, env: creds() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/<user_id>: expected a user id \(a UUID/);
    expect(seen).toEqual([]);
    expect(existsSync(join(dir, '.agent', 'state.db'))).toBe(false);
  });

  it('names the missing credentials in one line, exit 2, and calls nothing', async () => {
    const dir = makeProject();
    const none = await agent(['emergency', 'access', USER.id], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY/);
    const keyOnly = await agent(['emergency', 'access', USER.id, '--json'], { cwd: dir, env: { SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE } });
    expect(keyOnly.code).toBe(2);
    const result = parseNdjson(keyOnly.stdout).at(-1)!;
    expect((result.error as { message: string }).message).toMatch(/needs SUPABASE_URL \(/);
    expect(keyOnly.stdout + keyOnly.stderr).not.toContain(SERVICE_ROLE);
    expect(seen).toEqual([]);
  });

  it('says when the user does not exist (exit 2) or the key is refused (exit 1), asking with the service-role bearer', async () => {
    const dir = makeProject();
    const ghost = randomUUID();
    const missing = await agent(['emergency', 'access', ghost], { cwd: dir, env: creds() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no auth user with id ${ghost}`);
    expect(seen).toEqual([expect.objectContaining({ method: 'GET', path: `/auth/v1/admin/users/${ghost}`, authorization: `Bearer ${SERVICE_ROLE}`, apikey: SERVICE_ROLE })]);

    const wrongKey = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.not-the-service-role-key';
    const refused = await agent(['emergency', 'access', USER.id], { cwd: dir, env: { ...creds(), SUPABASE_SERVICE_ROLE_KEY: wrongKey } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/answered 401 to look up user .* \(SUPABASE_SERVICE_ROLE_KEY rejected/);
    expect(refused.stdout + refused.stderr).not.toContain(wrongKey);

    const noEmail = await agent(['emergency', 'access', PHONE_ONLY.id], { cwd: dir, env: creds() });
    expect(noEmail.code).toBe(2);
    expect(noEmail.stderr).toContain('has no email address');
    expect(linkRequests()).toEqual([]);
  });

  it('reports an admin API nobody answers on as a failure naming the host (exit 1)', async () => {
    const dir = makeProject();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await agent(['emergency', 'access', USER.id], { cwd: dir, env: { ...creds(), SUPABASE_URL: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`cannot reach the Supabase admin API at 127\\.0\\.0\\.1:${port} to look up user .*: ECONNREFUSED`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('emergency access: approval, delivery and secrecy', () => {
  it.skipIf(!HAVE_SCRIPT)('waits for a typed approval, shows the link once on the terminal only, and keeps it out of every output, event, audit row and file', async () => {
    const dir = makeProject();
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const r = await agent(args, { cwd: dir, env: creds() });
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    // Without a terminal (--json, a pipe): refused before any approval is asked (none is spent).
    const json = await run(['emergency', 'access', USER.id, '--json']);
    expect(json.code).toBe(2);
    expect((parseNdjson(json.stdout).at(-1)!.error as { message: string }).message).toMatch(/no approval was asked and no link was generated: this run writes NDJSON/);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([`GET /auth/v1/admin/users/${USER.id}`]);
    const none = (parseNdjson((await run(['approvals', '--all', '--json'])).stdout).at(-1)!.data as { approvals: unknown[] }).approvals;
    expect(none).toEqual([]);

    // On a terminal but unattended (CI): exit 3 naming the approval; no link was made.
    const asked = await inTerminal(['emergency', 'access', USER.id], { cwd: dir, env: { ...creds(), CI: 'true' } });
    outputs.push(asked.output);
    expect(asked.code, asked.output).toBe(3);
    const approvalId = /agent approve (APR-\d+) --confirm (APR-\d+)/.exec(asked.output)![1]!;
    const pending = (parseNdjson((await run(['approvals', '--json'])).stdout).at(-1)!.data as { approvals: Array<Record<string, unknown>> }).approvals;
    expect(pending).toEqual([expect.objectContaining({ id: approvalId, category: 'emergency', risk: 'critical', confirm: approvalId, action: `emergency sign-in link as user ${USER.email} (${USER.id})` })]);

    // A plain approve is not enough, on a terminal too: emergency actions need the typed confirmation.
    const untyped = await inTerminal(['approve', approvalId], { cwd: dir, env: { ...creds(), CI: 'true' } });
    outputs.push(untyped.output);
    expect(untyped.code).toBe(2);
    expect(untyped.output).toContain(`needs a typed confirmation: pass --confirm ${approvalId}`);

    // Approved from a shell whose stdout is a pipe: refused before the decision, so it stays pending.
    const piped = await run(['approve', approvalId, '--confirm', approvalId]);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(new RegExp(`${approvalId} stays pending: .*stdout is not a terminal`));
    expect(linkRequests()).toEqual([]);
    const still = (parseNdjson((await run(['approvals', '--json'])).stdout).at(-1)!.data as { approvals: Array<{ id: string; status: string }> }).approvals;
    expect(still).toEqual([expect.objectContaining({ id: approvalId, status: 'pending' })]);

    // The same approval, approved on a real terminal: the link is made and printed there, once.
    const second = approvalId;
    const shown = await inTerminal(['approve', second, '--confirm', second], { cwd: dir, env: { ...creds(), CI: 'true' } });
    expect(shown.code, shown.output).toBe(0);
    expect(issued).toHaveLength(1);
    const secret = issued[0]!;
    expect(count(shown.output, secret.link)).toBe(1);
    expect(shown.output).toContain(`One-time sign-in link as ${USER.email} (${USER.id}) (approved: ${second}):`);
    const generate = linkRequests();
    expect(generate).toHaveLength(1);
    expect(generate[0]).toMatchObject({ method: 'POST', authorization: `Bearer ${SERVICE_ROLE}`, apikey: SERVICE_ROLE });
    expect(JSON.parse(generate[0]!.body)).toEqual({ type: 'magiclink', email: USER.email });
    // Outside that one raw line, the same run's output holds no part of it.
    const rest = shown.output.replace(secret.link, '');
    for (const part of [secret.token, secret.otp]) expect(rest).not.toContain(part);

    // Everything that was stored or streamed, read back through the CLI and byte by byte.
    const events = await run(['logs', '--json', '--level', 'debug', '--limit', '1000']);
    expect(events.code).toBe(0);
    const auditRun = await run(['audit', '--json']);
    const entries = (parseNdjson(auditRun.stdout).at(-1)!.data as { entries: AuditEntry[] }).entries.filter((e) => e.action === 'emergency.access');
    expect(entries).toEqual([expect.objectContaining({ initiator: 'admin', target: `auth user ${USER.id}`, approval: approvalId, result: expect.stringMatching(/^one-time sign-in link generated/) })]);
    expect((await run(['audit', 'verify'])).code).toBe(0);
    const streamed = outputs.join('\n');
    expect(streamed).toContain('emergency.access');
    const files = walk(join(dir, '.agent'));
    expect(files.some((f) => f.endsWith('state.db'))).toBe(true);
    for (const part of [secret.link, secret.token, secret.otp]) {
      expect(streamed.includes(part), `CLI output contains ${part.slice(0, 12)}…`).toBe(false);
      for (const f of files) expect(readFileSync(f).includes(Buffer.from(part)), `${f} contains ${part.slice(0, 12)}…`).toBe(false);
    }
  });

  it.skipIf(!HAVE_SCRIPT)('asks on the terminal for the approval id typed out: a wrong answer rejects and makes no link, the right one shows it', async () => {
    const dir = makeProject();
    const typeWhat = (answer: (id: string) => string) => (output: string) => {
      const m = /Type (APR-\d+) to approve/.exec(output);
      return m ? answer(m[1]!) : null;
    };
    const before = issued.length;
    const wrong = await inTerminal(['emergency', 'access', USER.id], { cwd: dir, env: creds(), answer: typeWhat(() => 'yes') });
    expect(wrong.code, wrong.output).toBe(1);
    expect(wrong.output).toMatch(/was rejected: confirmation did not match/);
    expect(linkRequests()).toEqual([]);

    const right = await inTerminal(['emergency', 'access', USER.id], { cwd: dir, env: creds(), answer: typeWhat((id) => id) });
    expect(right.code, right.output).toBe(0);
    expect(issued).toHaveLength(before + 1);
    const secret = issued.at(-1)!;
    expect(count(right.output, secret.link)).toBe(1);
    for (const f of walk(join(dir, '.agent'))) expect(readFileSync(f).includes(Buffer.from(secret.token)), f).toBe(false);
    const audit = (parseNdjson((await agent(['audit', '--json'], { cwd: dir })).stdout).at(-1)!.data as { entries: AuditEntry[] }).entries;
    expect(audit.filter((e) => e.action === 'emergency.access').map((e) => e.result)).toEqual([expect.stringMatching(/^one-time sign-in link generated/)]);
  });

  it('is refused before anything when a front end other than a shell asks (the dashboard, MCP)', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, '.env'), `SUPABASE_URL=${base}\nSUPABASE_SERVICE_ROLE_KEY=${SERVICE_ROLE}\n`);
    const { runCli } = await import('../../src/cli/run.js');
    for (const initiator of ['mcp', 'dashboard']) {
      let err = '';
      const sink = { out: () => undefined, err: (t: string) => void (err += t), isTTY: false };
      const code = await runCli(['emergency', 'access', USER.id], { cwd: dir, env: {}, sink, initiator });
      expect(code).toBe(2);
      expect(err).toContain(`runs only from a shell, where the link is shown once (here: ${initiator})`);
    }
    expect(seen).toEqual([]);
    expect(existsSync(join(dir, '.agent', 'state.db'))).toBe(false);
  });
});

describe('emergency access: the redaction chokepoint', () => {
  it('registers the link, its token and its code as secrets the moment supabase-js returns them', async () => {
    const { openSupabaseAdmin } = await import('../../src/integrations/supabase-admin.js');
    const { redact } = await import('../../src/config/redact.js');
    const { StateDb } = await import('../../src/store/state-db.js');
    const admin = await openSupabaseAdmin({ url: base, serviceRoleKey: SERVICE_ROLE });
    const user = await admin.getUser(USER.id);
    expect(user).toEqual({ id: USER.id, email: USER.email });
    const { actionLink } = await admin.magicLink(USER.email);
    const secret = issued.at(-1)!;
    expect(actionLink).toBe(secret.link);
    expect(redact(`open ${secret.link} now`)).toBe('open [redacted:EMERGENCY_ACCESS_LINK] now');
    expect(redact(`token=${secret.token}, code ${secret.otp}`)).toBe('token=[redacted:EMERGENCY_ACCESS_TOKEN], code [redacted:EMERGENCY_ACCESS_OTP]');
    // What the state database keeps (events, audit) passes through the same chokepoint.
    const dir = makeProject();
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    try {
      const row = state.appendEvent({ kind: 'line', level: 'info', message: `leaked ${secret.link}`, data: { link: secret.link } });
      expect(row.message).toBe('leaked [redacted:EMERGENCY_ACCESS_LINK]');
      expect(row.data).not.toContain(secret.token);
    } finally {
      state.close();
    }
  });
});
