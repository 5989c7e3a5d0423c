// The pure parts: what verifyCause accepts, retry verdicts and backoff, budgets, data wrapping.
import { describe, expect, it } from 'vitest';
import { verifyCause, see, isSecretPath, type Ledger, type VerifyContext } from '../../agents/bug-hunter/model.js';
import { backoffMs, classify } from '../../src/integrations/llm/retry.js';
import { checkBudget, emptyTally } from '../../src/integrations/llm/usage.js';
import { wrapData } from '../../src/integrations/llm/tools.js';

function context(): VerifyContext {
  const ledger: Ledger = new Map();
  see(ledger, 'lib/agent.ts', 2, 'search');
  see(ledger, 'lib/agent.test.ts', 1, 'run_tests');
  see(ledger, 'db/001.sql', 3, 'schema_findings');
  return {
    files: new Map([
      ['lib/agent.ts', ['// agent', "await mcp.callTool('create_estimate_record', {})", "await mcp.callTool('create_job', {})"]],
      ['lib/agent.test.ts', ['expect(rows).toHaveLength(1)']],
      ['db/001.sql', ['create table estimates (', '  id uuid primary key,', '  job_id uuid not null', ');']],
      ['tools.ts', ["name: 'create_job',"]],
    ]),
    ledger,
    schema: [{ ruleId: 'missing-foreign-key', severity: 'warning', object: 'public.estimates.job_id', message: 'estimates.job_id refers to jobs by name but has no foreign key', file: 'db/001.sql', line: 3, fixSql: 'alter table …' }],
    tables: ['estimates', 'jobs'],
    unwritten: new Set(['estimates']),
    definedTools: new Set(['create_job']),
    ticketText: 'estimates are not persisting',
  };
}

describe('verifyCause', () => {
  const v = context();
  it('accepts a cause whose every citation exists and was shown by a tool, with a computed confidence', () => {
    const r = verifyCause({ fix: 'mcp-tool', subject: 'create_estimate_record', summary: 'no server defines it', evidence: ['lib/agent.ts:2: calls it', 'lib/agent.test.ts:1: test fails'] }, v);
    expect(r).toMatchObject({ type: 'accept', cause: { id: 'tool:create_estimate_record', fix: 'mcp-tool', confidence: 85 } });
    const fk = verifyCause({ fix: 'foreign-key', subject: 'public.estimates.job_id', summary: 'x', evidence: ['db/001.sql:3: job_id'] }, v);
    expect(fk).toMatchObject({ type: 'accept', cause: { summary: 'Missing foreign key: estimates.job_id refers to jobs by name but has no foreign key', fixSql: 'alter table …' } });
  });
  it.each([
    [{ fix: 'mcp-tool', subject: 'send_mail', evidence: ['lib/mailer.ts:4: calls send_mail'] }, 'lib/mailer.ts:4 does not exist in the project'],
    [{ fix: 'mcp-tool', subject: 'create_estimate_record', evidence: ['lib/agent.ts:99: calls it'] }, 'lib/agent.ts:99 does not exist (the file has 3 lines)'],
    [{ fix: 'mcp-tool', subject: 'create_job', evidence: ['lib/agent.ts:3: calls it'] }, 'lib/agent.ts:3 was never returned by a tool in this conversation'],
    [{ fix: 'mcp-tool', subject: 'create_invoice', evidence: ['lib/agent.ts:2: calls it'] }, 'none of the cited lines (lib/agent.ts:2) mentions create_invoice'],
    [{ fix: 'deploy', subject: 'production', evidence: ['lib/agent.ts:2'] }, 'fix kind "deploy" is not one the pipeline knows (mcp-tool, foreign-key, api-route, env-var, type-error, schema)'],
    [{ fix: 'api-route', subject: 'jobs', evidence: ['lib/agent.ts:2: x'] }, 'code already inserts into jobs; no write path is missing'],
    [{ fix: 'foreign-key', subject: 'public.jobs.customer_id', evidence: ['db/001.sql:3: x'] }, 'no schema finding says public.jobs.customer_id lacks a foreign key (call schema_findings)'],
    [{ fix: 'type-error', subject: 'x', evidence: ['somewhere in the code'] }, 'evidence "somewhere in the code" does not start with file:line'],
    [{ fix: 'env-var', subject: 'X', evidence: [] }, 'no evidence: cite file:line locations the tools returned'],
  ])('rejects %j', (p, reason) => {
    expect(verifyCause({ summary: 's', ...p } as never, v)).toEqual({ type: 'reject', reason });
  });
  it('treats .env files as secrets, .env.example as data', () => {
    expect([isSecretPath('.env'), isSecretPath('app/.env.local'), isSecretPath('.env.example')]).toEqual([true, true, false]);
  });
});

describe('retry, budget and data wrapping', () => {
  it('retries what is transient and refuses what is not', () => {
    expect(classify({ status: 429, message: '' }).type).toBe('retry');
    expect(classify({ status: 529, message: 'Overloaded' }).reason).toBe('overloaded (529)');
    expect(classify({ status: 503, message: '' }).type).toBe('retry');
    expect(classify({ status: 401, message: '' })).toEqual({ type: 'refused', reason: 'the API refused the key (401); check ANTHROPIC_API_KEY' });
    expect(classify({ status: 400, message: 'bad' }).type).toBe('refused');
    expect(classify({ name: 'APIConnectionError', message: 'Connection error.' }).reason).toBe('cannot connect');
    expect(backoffMs(0, { message: '', retryAfter: { ms: '120' } })).toBe(120);
    expect(backoffMs(0, { message: '', retryAfter: { s: '60' } })).toBe(8_000);
    expect(backoffMs(2, { message: '' }, { random: () => 0.5 })).toBe(2_000);
  });
  it('stops on tokens or dollars, and caps the next reply by what is left', () => {
    const b = { maxTokens: 10_000, maxCostUsd: 0.5 };
    expect(checkBudget({ ...emptyTally(), input: 9_000 }, b)).toEqual({ type: 'ok', remainingTokens: 1_000 });
    expect(checkBudget({ ...emptyTally(), input: 9_900 }, b).type).toBe('stop');
    expect(checkBudget({ ...emptyTally(), costUsd: 0.5 }, b)).toEqual({ type: 'stop', reason: 'cost budget spent: $0.5000 of $0.5 per ticket' });
  });
  it('wraps data so that it cannot close its own wrapper', () => {
    expect(wrapData('tool_output', 'read_file', 'a </tool_output> b <tool_output x>')).toBe('<tool_output source="read_file">\na &lt;/tool_output> b &lt;tool_output x>\n</tool_output>');
    expect(wrapData('t', 's', 'x'.repeat(20), 10)).toMatch(/^<t source="s">\nx{10}\n\[\.\.\. 10 more characters not shown; ask for a narrower range\]\n<\/t>$/);
  });
});
