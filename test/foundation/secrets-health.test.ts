// `agent health` against real HTTP peers on 127.0.0.1, and the secret invariant: planted
// credentials appear in no output and in no byte of any file under .agent/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { agent, cleanupProjects, FIXTURE, makeProject, parseNdjson } from '../helpers.js';

const SECRETS = {
  SUPABASE_SERVICE_ROLE_KEY: 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2VydmljZS1yb2xlLXNpZ25hdHVyZQ',
  ANTHROPIC_API_KEY: 'sk-ant-api03-planted-test-key-0123456789',
  STRIPE_SECRET_KEY: 'stripe-planted-secret-value-42',
  DB_PASSWORD: 'S3cretPassw0rdPlanted',
};
const RESEND_KEY = 're_planted12_abcdefghijkl'; // comes from the project's .env, not the environment

let server: Server;
let base = '';
const seen: Array<{ url: string; headers: Record<string, string | string[] | undefined> }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const url = req.url ?? '';
    const send = (code: number, body: unknown = {}) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.startsWith('/supabase/rest/v1/')) return send(req.headers.apikey === SECRETS.SUPABASE_SERVICE_ROLE_KEY ? 200 : 401);
    if (url.startsWith('/resend/domains')) return send(req.headers.authorization === `Bearer ${RESEND_KEY}` ? 200 : 401, { data: [] });
    if (url.startsWith('/anthropic/v1/models')) return send(req.headers['x-api-key'] === SECRETS.ANTHROPIC_API_KEY ? 200 : 401, { data: [] });
    if (url.startsWith('/mcp')) return send(200, { tools: [] });
    if (url.startsWith('/staging/health')) return send(200, { ok: true });
    if (url.startsWith('/production/health')) return send(503, { ok: false });
    if (url.startsWith('/slow')) return; // never answers
    send(404);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  cleanupProjects();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function configure(dir: string, extra: Record<string, unknown> = {}) {
  writeFileSync(
    join(dir, 'agent.config.json'),
    JSON.stringify({
      environments: { staging: { healthUrl: `${base}/staging/health` }, production: { healthUrl: `${base}/production/health` } },
      mcp: { url: `${base}/mcp` },
      health: { timeoutMs: 1500 },
      ...extra,
    }),
  );
  writeFileSync(join(dir, '.env'), `# local credentials\nRESEND_API_KEY="${RESEND_KEY}"\n`);
}

const env = () => ({
  ...SECRETS,
  SUPABASE_URL: `${base}/supabase`,
  RESEND_BASE_URL: `${base}/resend`,
  ANTHROPIC_BASE_URL: `${base}/anthropic`,
});

describe('health', () => {
  it('reports ok, not configured and failing with reasons, and exits 1 when something fails', async () => {
    const dir = makeProject();
    configure(dir);
    const r = await agent(['health', '--json'], { cwd: dir, env: env() });
    expect(r.code).toBe(1);
    const checks = (parseNdjson(r.stdout).at(-1)!.data as { checks: Array<{ name: string; status: string; detail: string }> }).checks;
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by['state database']).toMatchObject({ status: 'ok' });
    expect(by['git repository']).toMatchObject({ status: 'ok' });
    expect(by['staging database']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/embedded PGlite \(\.agent\/pgdata\/staging\), created on first use/) });
    expect(by['production database']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/embedded PGlite \(\.agent\/pgdata\/production\)/) });
    expect(by.supabase).toMatchObject({ status: 'ok', detail: expect.stringMatching(/answered 200/) });
    expect(by.resend).toMatchObject({ status: 'ok' });
    expect(by.anthropic).toMatchObject({ status: 'ok' });
    expect(by['mcp server']).toMatchObject({ status: 'ok' });
    expect(by['staging app']).toMatchObject({ status: 'ok' });
    expect(by['production app']).toMatchObject({ status: 'failing', detail: expect.stringMatching(/answered 503/) });
    // The service-role key really was sent, to the right place only.
    expect(seen.some((s) => s.url.startsWith('/supabase/rest/v1/') && s.headers.apikey === SECRETS.SUPABASE_SERVICE_ROLE_KEY)).toBe(true);
    // status shows the last recorded health without re-checking.
    const status = JSON.parse((await agent(['status', '--json'], { cwd: dir })).stdout).data;
    expect(status.health.overall).toBe('degraded');
  });

  it('says what is missing when nothing is configured, and times out a silent peer', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ environments: { staging: { healthUrl: `${base}/slow` } }, health: { timeoutMs: 300 } }));
    const r = await agent(['health'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/– supabase\s+not configured: set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY/);
    expect(r.stdout).toMatch(/– anthropic\s+not configured/);
    expect(r.stdout).toMatch(/✗ staging app\s+failing: no answer within 300 ms/);
  });

  it('names a rejected key without printing it', async () => {
    const dir = makeProject();
    configure(dir);
    const r = await agent(['health'], { cwd: dir, env: { ...env(), ANTHROPIC_API_KEY: 'sk-ant-api03-wrong-key-9876543210' } });
    expect(r.stdout).toMatch(/✗ anthropic\s+failing: 127\.0\.0\.1:\d+ answered 401 \(ANTHROPIC_API_KEY rejected\)/);
    expect(r.stdout).not.toContain('wrong-key');
  });
});

describe('secrets', () => {
  it('never reach output or any byte under .agent/', async () => {
    const dir = makeProject();
    configure(dir);
    const outputs: string[] = [];
    const run = async (args: string[], script?: string) => {
      const r = await agent(args, { cwd: dir, env: { ...env(), DATABASE_URL: `postgres://app:${SECRETS.DB_PASSWORD}@127.0.0.1:1/crm` }, script });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    // The admin pastes a key into a ticket by mistake; it must be stored redacted.
    await run(['create', 'ticket', `Resend fails with key ${RESEND_KEY} and service key ${SECRETS.SUPABASE_SERVICE_ROLE_KEY}`]);
    await run(['create', 'ticket', '--json', `Stripe webhook broken, secret ${SECRETS.STRIPE_SECRET_KEY}`]);
    await run(['health']);
    await run(['health', '--json']);
    await run(['status', '--json']);
    await run(['tickets', '--json']);
    await run(['ticket', `BUG-${new Date().getUTCFullYear()}-001`]);
    await run(['logs', '--json', '--level', 'debug']);
    await run(['fixture', 'run', '--approval', 'credentialChange', `BUG-${new Date().getUTCFullYear()}-001`], FIXTURE);
    await run(['audit', '--json']);
    await run(['--verbose', 'fixture', 'run'], FIXTURE);
    const all = outputs.join('\n');
    expect(all).toContain('[redacted:');
    const files = walk(join(dir, '.agent'));
    expect(files.length).toBeGreaterThan(0);
    const planted = [...Object.values(SECRETS), RESEND_KEY];
    for (const secret of planted) {
      expect(all, `output contains ${secret.slice(0, 6)}…`).not.toContain(secret);
      for (const f of files) {
        const bytes = readFileSync(f);
        expect(bytes.includes(Buffer.from(secret)), `${f} contains ${secret.slice(0, 6)}…`).toBe(false);
      }
    }
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
