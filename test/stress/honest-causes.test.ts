// A fix explains the ticket, or nothing is staged (issue 15): on examples/crm, an email-validation
// ticket with failing tests in lib/validate.test.ts and an invoice-tax ticket (with and without a
// failing test of the total) are not "fixed" with the example's estimates fix; each exits 4 naming
// its failing test and line where it has one; the example's own ticket still is. ~20 s: in stress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';
import { makeDemoCopy } from '../../src/commands/demo.js';

let parent = '';
let dir = '';
beforeAll(async () => {
  parent = mkdtempSync(join(tmpdir(), 'crm-agent-honest-'));
  dir = await makeDemoCopy(join(parent, 'crm'));
  // The bug the email ticket reports: any string passes as an email address.
  const validate = join(dir, 'lib', 'validate.ts');
  writeFileSync(validate, readFileSync(validate, 'utf8').replace('const EMAIL = /^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$/;', 'const EMAIL = /^\\S+$/;'));
});
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const create = async (text: string) => (parseNdjson((await agent(['create', 'ticket', '--json', text], { cwd: dir })).stdout).at(-1) as { data: { ticket: { id: string } } }).data.ticket.id;

describe('root causes tied to the ticket', () => {
  it('an email-validation ticket: no cause explains it, exit 4 naming its failing test and line, the estimates findings only "also found"', async () => {
    const id = await create("Customer email validation accepts invalid addresses like 'nope'");
    const r = await agent(['analyze', 'ticket', id], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toContain('Quality gate "understanding-confidence" blocked the understand phase: no root cause found that explains this ticket; its failing tests lib/validate.test.ts:12 "validate > lists every problem"');
    expect(r.stderr).toContain('app/api/customers/route.test.ts:21 "/api/customers > answers 400 with the problems"');
    expect(r.stderr).toMatch(/also found, tied to nothing the ticket says: [^;]*(; [^;]*)*Missing MCP tool: create_estimate_record; Missing foreign key: estimates\.job_id/);
    // What unblocks it: only a model locates and fixes logic that failing tests point at.
    expect(r.stderr).toMatch(/\(confidence 0%, required 95%\); to unblock: `agent fix ticket \S+ --model` \(with ANTHROPIC_API_KEY\) lets the model locate and fix the logic those tests point at\n?$/);
    expect(r.stderr).not.toMatch(/asks for something new/);
    expect(r.stdout).not.toContain('Root cause found');
  });

  it('an invoice-tax ticket: fix stages nothing and says what it checked', async () => {
    const id = await create('Invoice totals do not include tax');
    const r = await agent(['fix', 'ticket', id], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toMatch(/no root cause found that explains this ticket; checked \d+ files, the type check of \d+ files \(0 errors\), tests `[^`]+` \(\d+ passed, \d+ failed\), \d+ schema findings/);
    expect(existsSync(join(dir, 'staged'))).toBe(false);
    const tickets = parseNdjson((await agent(['--json', 'tickets'], { cwd: dir })).stdout).at(-1)!.data as { tickets: Array<{ id: string; status: string }> };
    expect(tickets.tickets.find((t) => t.id === id)!.status).toBe('open');
  });

  it('an invoice-tax ticket whose failing test points at the total: fix stages nothing, exit 4 naming the test and its line', async () => {
    // A tax term the code forgets, and the test that says so (the ticket's bug, planted in a copy).
    const copy = await makeDemoCopy(join(parent, 'crm-tax'));
    writeFileSync(join(copy, 'lib', 'invoice-total.ts'), 'export interface InvoiceLine {\n  amount_cents: number;\n}\n\n/** The total a customer pays: the lines plus tax at the given rate (percent). */\nexport function invoiceTotal(lines: InvoiceLine[], taxPercent: number): number {\n  const net = lines.reduce((sum, l) => sum + l.amount_cents, 0);\n  return net;\n}\n');
    writeFileSync(join(copy, 'lib', 'invoice-total.test.ts'), "import { describe, expect, it } from 'vitest';\nimport { invoiceTotal } from './invoice-total';\n\ndescribe('invoiceTotal', () => {\n  it('adds the lines', () => {\n    expect(invoiceTotal([{ amount_cents: 100 }, { amount_cents: 50 }], 0)).toBe(150);\n  });\n  it('includes tax', () => {\n    expect(invoiceTotal([{ amount_cents: 1000 }], 20)).toBe(1200);\n  });\n});\n");
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: copy, stdio: 'pipe' });
    git('add', '-A');
    git('commit', '-q', '-m', 'invoice totals');
    const id = (parseNdjson((await agent(['create', 'ticket', '--json', 'Invoice totals do not include tax'], { cwd: copy })).stdout).at(-1) as { data: { ticket: { id: string } } }).data.ticket.id;
    const r = await agent(['fix', 'ticket', id], { cwd: copy });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toContain('no root cause found that explains this ticket; its failing test lib/invoice-total.test.ts:9 "invoiceTotal > includes tax" (AssertionError: expected 1000 to be 1200');
    expect(r.stderr).toMatch(/points at logic in lib\/invoice-total\.ts:\d+ \(invoiceTotal\) that only the model fixes \(no offline agent writes a logic fix\), so nothing is staged for it/);
    expect(r.stderr).toMatch(/best leads: lib\/invoice-total\.ts:\d+/);
    expect(r.stderr).toMatch(/to unblock: `agent fix ticket \S+ --model` \(with ANTHROPIC_API_KEY\)/);
    expect(existsSync(join(copy, 'staged'))).toBe(false);
  });

  it("the example's own ticket is still explained, by its words and its failing test", async () => {
    const id = await create('AI estimates are generated but not persisting to database. Voice agent says success but no record created.');
    const r = await agent(['analyze', 'ticket', id], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Missing MCP tool: create_estimate_record');
    // The text output gives each cause's confidence and file:line evidence, as --json does (issue 16).
    expect(r.stdout).toMatch(/^1\. .*create_estimate_record.* \(confidence \d+%\)\n {3}- [\w./-]+:\d+/m);
    expect(r.stdout).toMatch(/Also found \(explains nothing in the ticket\)|Root cause found: missing foreign key estimates\.job_id/);
  });
});
