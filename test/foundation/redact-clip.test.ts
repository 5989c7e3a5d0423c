// Redact first, then clip: secrets planted at every offset around the title length (60..90) leave
// no fragment of 8+ characters in state.db's bytes, `tickets`, or the staged manifest.json and
// REVIEW.md a ticket's title lands in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject } from '../helpers.js';
import { runCli } from '../../src/cli/run.js';
import { clearSecretsForTests, redactClip, registerSecret } from '../../src/config/redact.js';
import { titleOf } from '../../src/engine/ticket-kind.js';
import { describeValue } from '../../src/config/zod-issue.js';
import { buildManifest, changeSetDirName, renderReview, slugify, type ChangeSetInput } from '../../agents/shared/change-set.js';
import { writeChangeSet } from '../../agents/stage-agent/writer.js';
import { StateDb } from '../../src/store/state-db.js';
import { openProject } from '../../src/config/project.js';
import { loadSecrets } from '../../src/config/secrets.js';
import { createContext, runCommand } from '../../src/commands/dispatch.js';
import { createTicket } from '../../src/commands/tickets.js';
import { createReporter } from '../../src/cli/output.js';
import { makeStyle } from '../../src/cli/style.js';

afterAll(() => {
  clearSecretsForTests();
  cleanupProjects();
});

// Known values (from the environment) and values caught by their shape alone.
const RESEND_KEY = 're_PLANTEDres_Kq7Wm2xYz9Lp4Qr8Tv'; // known, and resend-shaped
const SERVICE_KEY = 'srk9PLANTEDzQ4mW8vX2nL6tY0pR3sK'; // known only: no shape matches it
const DB_PASSWORD = 'Kn0wnDbPassw0rdX9'; // known as DATABASE_URL's password, planted bare
const PG_PASSWORD = 'Pl4ntedPgPassw0rd7'; // in a postgres URL nobody registered: its shape alone
const ENV = {
  RESEND_API_KEY: RESEND_KEY,
  SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
  DATABASE_URL: `postgres://admin:${DB_PASSWORD}@127.0.0.1:5432/crm`,
};
const PLANTED = [RESEND_KEY, SERVICE_KEY, DB_PASSWORD, PG_PASSWORD];
const PG_PREFIX = 'postgres://crmuser:';

/** Words without sentence ends, so the title runs over the planted value. */
function filler(n: number): string {
  return 'the voice agent says success but the estimate never lands in the table for job '.repeat(3).slice(0, n);
}

/** A description with `value` starting at character `offset`. */
function planted(value: string, offset: number): string {
  if (value === PG_PASSWORD) return `${filler(offset - PG_PREFIX.length)}${PG_PREFIX}${value}@db.example.com:5432/crm and the rest of the report`;
  return `${filler(offset)}${value} and the rest of the report`;
}

/** Every 8-character piece of every planted value that shows up in `text`. */
function fragmentsIn(text: string): string[] {
  const found: string[] = [];
  for (const v of PLANTED) for (let i = 0; i + 8 <= v.length; i++) if (text.includes(v.slice(i, i + 8))) found.push(v.slice(i, i + 8));
  return found;
}

const OFFSETS = Array.from({ length: 31 }, (_, i) => 60 + i);
let dir = '';

beforeAll(async () => {
  dir = makeProject();
  const descriptions = PLANTED.flatMap((value) => OFFSETS.map((offset) => ({ value, offset, text: planted(value, offset) })));
  for (const d of descriptions) expect(d.text.indexOf(d.value), `${d.value} at ${d.offset}`).toBe(d.offset);
  // The first through the whole CLI in this process (argv, secrets from the environment); the
  // other 123 through the same command in one context (a child each would take ~25 s).
  const sink = { out: () => {}, err: (t: string) => void process.stderr.write(t), isTTY: false };
  expect(await runCli(['create', 'ticket', descriptions[0]!.text], { cwd: dir, env: ENV, sink })).toBe(0);
  const project = await openProject({ cwd: dir });
  const ctx: ReturnType<typeof createContext> = createContext({
    project,
    secrets: loadSecrets(project.root, ENV),
    out: createReporter({ json: false, verbose: false, style: makeStyle(false), sink, state: () => ctx.openedState() }),
    signal: new AbortController().signal,
    interactive: false,
    initiator: 'admin',
  });
  try {
    for (const d of descriptions.slice(1)) await runCommand(createTicket, ctx, { description: d.text });
  } finally {
    ctx.close();
  }
});

describe('secrets planted at offsets 60..90 of a ticket description', () => {
  it('leave no fragment in the state database (its raw bytes, WAL included)', () => {
    const files = readdirSync(join(dir, '.agent')).filter((f) => f.startsWith('state.db'));
    const bytes = files.map((f) => readFileSync(join(dir, '.agent', f)).toString('latin1')).join('\n');
    expect(bytes).toContain('[redacted:RESEND_API_KEY]'); // the tickets are there, redacted
    expect(fragmentsIn(bytes)).toEqual([]);
  });

  it('leave none in `tickets` (table and JSON); the titles end in a whole marker or none', async () => {
    const [human, json] = await Promise.all([
      agent(['tickets'], { cwd: dir, env: ENV }),
      agent(['tickets', '--json'], { cwd: dir, env: ENV }),
    ]);
    expect(human.code).toBe(0);
    const data = JSON.parse(json.stdout).data as { tickets: Array<{ title: string }>; total: number };
    expect(data.total).toBe(PLANTED.length * OFFSETS.length);
    expect(fragmentsIn(human.stdout + json.stdout)).toEqual([]);
    for (const t of data.tickets) {
      expect(t.title.length).toBeLessThanOrEqual(80);
      expect(t.title).not.toMatch(/\[redac(?:t(?:e(?:d(?::[A-Z_ ]*)?)?)?)?\.\.\.$/); // no cut marker
    }
  });

  it('leave none in the staged manifest.json and REVIEW.md their titles land in', async () => {
    const state = new StateDb(join(dir, '.agent', 'state.db'));
    const tickets = state.tickets();
    state.close();
    // As the pipeline stages a fix: the ticket's title in the manifest, the set's name and REVIEW.md.
    const inputOf = (t: (typeof tickets)[number]): ChangeSetInput => ({
      ticket: { id: t.id, title: t.title, kind: t.kind },
      title: t.title,
      summary: `Fix for ${t.id}: ${t.title}`,
      files: [],
      migrations: [],
      gates: [],
      baseSha: null,
    });
    // Every ticket through the functions that build those texts; one per planted value on disk.
    const built = tickets.map((t) => {
      const input = inputOf(t);
      const m = buildManifest(input, changeSetDirName(new Date(), `${t.id} ${t.title}`), new Date(), new Set());
      return `${m.dir}\n${JSON.stringify(m)}\n${renderReview(m, input)}`;
    });
    // Offset 65: the old clip at 77 characters kept 12 of the value.
    const onDisk = tickets.filter((t) => t.description.indexOf('[redacted') === 65);
    expect(onDisk).toHaveLength(PLANTED.length);
    for (const t of onDisk) await writeChangeSet(dir, inputOf(t));
    const sets = readdirSync(join(dir, 'staged')).filter((d) => !d.startsWith('.'));
    expect(sets).toHaveLength(PLANTED.length);
    const staged = sets.map((d) => `${d}\n${readFileSync(join(dir, 'staged', d, 'manifest.json'), 'utf8')}\n${readFileSync(join(dir, 'staged', d, 'REVIEW.md'), 'utf8')}`);
    const all = [...built, ...staged].join('\n');
    expect(all).toContain(`${PG_PREFIX}[redacted]@`); // the titles are there, redacted
    expect(fragmentsIn(all)).toEqual([]);
  });
});

describe('redactClip and the clips that use it', () => {
  beforeAll(() => {
    clearSecretsForTests();
    for (const [k, v] of Object.entries(ENV)) registerSecret(k, v);
  });

  it('never cuts inside a marker: one the edge would split goes whole', () => {
    const text = `${'a'.repeat(70)}${SERVICE_KEY} tail`;
    expect(redactClip(text, 80)).toBe(`${'a'.repeat(70)}...`);
    expect(redactClip(`${'a'.repeat(20)} ${SERVICE_KEY}`, 80)).toBe(`${'a'.repeat(20)} [redacted:SUPABASE_SERVICE_ROLE_KEY]`);
    expect(redactClip('short', 80)).toBe('short');
  });

  it('titles, slugs and echoed values keep no fragment wherever the secret sits', () => {
    for (const value of PLANTED) {
      for (let offset = PG_PREFIX.length; offset <= 100; offset++) {
        const text = planted(value, offset);
        const clips = [titleOf(text), slugify(text), slugify(text, 80), describeValue(text), describeValue(text.slice(offset - 30))];
        expect(fragmentsIn(clips.join('\n')), `${value} at ${offset}`).toEqual([]);
      }
    }
  });
});
