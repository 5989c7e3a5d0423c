// The email-validation ticket on examples/crm (issue 15), fixed by CodeSmith's model loop: the real
// SDK against a scripted Messages API on 127.0.0.1. The bug is planted as test/stress/honest-causes
// plants it (any string passes as an email), so two tests fail at HEAD; BugHunter's logic cause is
// built from that real test run (its failing tests, as explain.ts cites them). The model reads
// lib/validate.ts and edits the pattern; CodeSmith's gate runs the two failing tests with the
// change, StageAgent runs the suite and stages it; applied to the project, `npm test` fails only
// where it failed before for another ticket (the example's estimates test). A
// wrong fix (the tests still fail) and an edit of the failing test itself are blocked, nothing staged.
// Real runs of the project's tests (~30 s): in stress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateDb } from '../../src/store/state-db.js';
import { loadConfig } from '../../src/config/config.js';
import { loadZodMini } from '../../src/config/zod-mini.js';
import { Orchestrator } from '../../src/engine/orchestrator.js';
import { GateBlockedError } from '../../src/errors.js';
import { parseFailures } from '../../agents/shared/test-failures.js';
import { ticketTests } from '../../agents/bug-hunter/explain.js';
import type { RootCause } from '../../agents/shared/causes.js';
import type { ChangeFile } from '../../agents/shared/change-set.js';
import type { Reporter } from '../../src/commands/types.js';
import { codeSmith } from '../../agents/code-smith/index.js';
import { stageAgent } from '../../agents/stage-agent/index.js';
import { cleanup, freshCopy, KEY, serve, ticketIn } from '../llm/setup.js';
import { firstText, lastResults, reply, step, text, toolUse, type Brain } from '../llm/scripted-server.mjs';

afterAll(cleanup, 90_000);

const TICKET = "Customer email validation accepts invalid addresses like 'nope'";
const BROKEN = 'const EMAIL = /^\\S+$/;';
const RIGHT = 'const EMAIL = /^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$/;';

/** A model that reads the module the failing tests point at and replaces its EMAIL line with `fix`. */
function emailBrain(edit: { path?: string; fix: (line: string) => string }): Brain {
  return (body) => {
    const s = step(body);
    if (s === 0) return reply([text('The failing tests point at lib/validate.ts; reading it.'), toolUse('read_file', { path: 'lib/validate.ts' })]);
    if (s === 1) {
      const line = /^\d+\| (const EMAIL = .*;)$/m.exec(lastResults(body))?.[1];
      if (!line) return reply([text('no EMAIL pattern found')]);
      if (edit.path) return reply([toolUse('read_file', { path: edit.path })]);
      return reply([toolUse('edit_file', { path: 'lib/validate.ts', old: line, new: edit.fix(line), reason: 'an email address needs a local part, an @ and a domain with a dot' })]);
    }
    if (s === 2 && edit.path) {
      // The wrong way: make the failing test expect what the bug does.
      const l = /^\d+\| (.*email must be an email address.*)$/m.exec(lastResults(body))![1]!;
      return reply([toolUse('edit_file', { path: edit.path, old: l, new: '    expect(true).toBe(true);', reason: 'the test expects too much' })]);
    }
    if (s === (edit.path ? 3 : 2)) return reply([toolUse('type_check', {})]);
    if (s === (edit.path ? 4 : 3)) return reply([toolUse('finish', { summary: 'EMAIL now requires local@domain.tld' })]);
    return reply([text('done')]);
  };
}

const lines: string[] = [];
const reporter: Reporter = { json: false, color: false, line: (agent, level, message) => lines.push(`[${agent}] ${level} ${message}`), print() {}, spin: (_l, work) => work };

interface Outcome {
  staged: string | null;
  error: unknown;
  files: ChangeFile[];
  log: string[];
}

/** CodeSmith then StageAgent on the cause, in-process as `fix ticket` runs them (pipeline.ts). */
async function fixWith(dir: string, ticketId: string, cause: RootCause): Promise<Outcome> {
  lines.length = 0;
  const state = new StateDb(join(dir, '.agent', 'state.db'));
  const config = loadConfig(dir);
  const orch = new Orchestrator(state, config, reporter, new AbortController().signal);
  const ticket = state.ticket(ticketId)!;
  let files: ChangeFile[] = [];
  let staged: string | null = null;
  let error: unknown = null;
  try {
    await orch.withRun({ command: `fix ticket ${ticketId}`, ticketId }, async (run) => {
      await orch.runAgent(run, codeSmith({ root: dir, causes: [cause], tables: [], columns: async () => [], ticket, testCommand: 'npm test --silent' }, (f) => (files = f)));
      await orch.runAgent(
        run,
        stageAgent({ root: dir, testCommand: 'npm test --silent', gates: () => [], change: { ticket: { id: ticket.id, title: ticket.title, kind: ticket.kind }, title: 'fix', summary: `Fix for ${ticket.id}`, files, migrations: [], rootCauses: [{ summary: cause.summary, evidence: cause.evidence }] } }, (m) => (staged = m.dir)),
      );
    });
  } catch (err) {
    error = err;
  } finally {
    orch.dispose();
    state.close();
  }
  return { staged, error, files, log: [...lines] };
}

let dir = '';
let cause: RootCause;
/** Every failing test at HEAD, `file > name`. */
let atHead: string[] = [];
const env = { ...process.env };

beforeAll(async () => {
  await loadZodMini();
  dir = await freshCopy();
  const validate = join(dir, 'lib', 'validate.ts');
  writeFileSync(validate, readFileSync(validate, 'utf8').replace(RIGHT, BROKEN));
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-qam', 'the bug the ticket reports'], { cwd: dir });
  // BugHunter's logic cause, from the real test run at HEAD: the failing tests and their lines.
  const run = spawnSync('npm', ['test', '--silent'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  // The ticket's failing tests, as BugHunter picks them (the estimates test fails too: not this ticket's).
  const all = parseFailures(run.stdout + run.stderr);
  atHead = all.map((f) => `${f.file} > ${f.name}`);
  const tests = ticketTests(TICKET, all);
  const failing = tests.map((t) => t.failure);
  expect(failing.map((f) => `${f.location} ${f.name}`)).toEqual(['lib/validate.test.ts:12 validate > lists every problem', 'app/api/customers/route.test.ts:21 /api/customers > answers 400 with the problems']);
  cause = {
    id: 'logic:lib/validate.ts',
    summary: 'Failing tests point at lib/validate.ts',
    fix: 'logic',
    subject: 'lib/validate.ts',
    evidence: tests.map((t) => `${t.failure.location}: failing test "${t.failure.name}" points here (${t.because})`),
    confidence: 65,
  };
}, 120_000);

afterAll(() => {
  process.env = env;
});

async function withModel(brain: Brain) {
  const s = await serve(brain);
  process.env.ANTHROPIC_API_KEY = KEY;
  process.env.ANTHROPIC_BASE_URL = s.url;
  const id = await ticketIn(dir, TICKET, s.url);
  return { s, id };
}

const stagedSets = () => (existsSync(join(dir, 'staged')) ? readdirSync(join(dir, 'staged')).filter((d) => /^\d{4}-/.test(d)) : []);

describe("the email ticket through CodeSmith's model loop", () => {
  it('a fix that turns the two failing tests green is staged, and breaks none', async () => {
    const { s, id } = await withModel(emailBrain({ fix: () => RIGHT }));
    const o = await fixWith(dir, id, cause);
    expect(o.error, o.log.join('\n')).toBeNull();
    // The model was told which tests fail and that they are not its to edit.
    expect(firstText(s.requests[0]!.body)).toContain('1. logic lib/validate.ts: these failing tests point at it: lib/validate.test.ts > "validate > lists every problem"; app/api/customers/route.test.ts > "/api/customers > answers 400 with the problems". Change the code they test so that they pass and no other test breaks; do not edit those tests.');
    expect(o.files.map((f) => f.path)).toEqual(['lib/validate.ts']);
    expect(o.log).toContain('[CODESMITH] ok The change turns the failing tests green: now pass: lib/validate.test.ts > validate > lists every problem; app/api/customers/route.test.ts > /api/customers > answers 400 with the problems (' + o.log.find((l) => l.includes('now pass:'))!.split(' (').slice(1).join(' ('));
    expect(o.log.find((l) => l.includes('now pass:'))).toMatch(/\(\d+ passed in lib\/validate\.test\.ts, app\/api\/customers\/route\.test\.ts, HEAD plus the change, in a scratch worktree\)$/);
    expect(o.staged).toMatch(/^staged\//);
    const manifest = JSON.parse(readFileSync(join(dir, o.staged!, 'manifest.json'), 'utf8')) as { tests: { ok: boolean; failed: number; passed: number } };
    // The example's estimates test fails at HEAD too (another ticket's bug): no new failure.
    expect(manifest.tests).toMatchObject({ ok: true, failed: 1 });
    expect(o.log.join('\n')).toMatch(/\[STAGE\] ok No new test failures \(\d+ passed, 1 failing before the change too\)/);
    // Applied to the project, its own test command: the two tests green, nothing else broken.
    execFileSync('git', ['apply', join(o.staged!, 'changes.patch')], { cwd: dir });
    const after = spawnSync('npm', ['test', '--silent'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(parseFailures(after.stdout + after.stderr).map((f) => `${f.file} > ${f.name}`)).toEqual(atHead.filter((f) => !f.startsWith('lib/validate') && !f.startsWith('app/api/customers')));
    expect(atHead).toHaveLength(3);
    expect(readFileSync(join(dir, 'lib', 'validate.ts'), 'utf8')).toContain(RIGHT);
    execFileSync('git', ['checkout', '--', 'lib/validate.ts'], { cwd: dir });
  }, 180_000);

  it('a fix that leaves the tests failing is blocked at CodeSmith\'s gate, naming them; nothing staged', async () => {
    const before = stagedSets();
    const { s, id } = await withModel(emailBrain({ fix: () => 'const EMAIL = /^.+$/;' }));
    const o = await fixWith(dir, id, cause);
    // finish ran the failing tests with the change and told the model; the gate then blocked (one run: the same change).
    expect(s.requests.at(-1)!.raw).toContain('The gates will block this change set as it stands:\\nthe failing tests do not pass with the change: still failing with the change: lib/validate.test.ts > validate > lists every problem: ');
    expect(o.error).toBeInstanceOf(GateBlockedError);
    expect((o.error as GateBlockedError).reason).toMatch(/^the failing tests do not pass with the change: still failing with the change: lib\/validate\.test\.ts > validate > lists every problem: /);
    expect(stagedSets()).toEqual(before);
  }, 180_000);

  it('editing the failing test instead of the code does not address the cause; nothing staged', async () => {
    const before = stagedSets();
    const { s, id } = await withModel(emailBrain({ path: 'lib/validate.test.ts', fix: (l) => l }));
    const o = await fixWith(dir, id, cause);
    expect(o.error).toBeInstanceOf(GateBlockedError);
    expect(s.requests.at(-1)!.raw).toContain('not addressed: logic lib/validate.ts: the change set edits lib/validate.test.ts, the failing test(s) that show the bug; fix the code they test, not the tests');
    expect(o.log.join('\n')).toContain("The model's change set does not address logic lib/validate.ts");
    expect(stagedSets()).toEqual(before);
  }, 180_000);
});
