// The front door's pure parts: tool mapping, tool results, the .eml builder, init's merging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadZodMini } from '../../src/config/zod-mini.js';
import { defineCommand } from '../../src/commands/types.js';
import { ApprovalRequiredError, GateBlockedError, UsageError } from '../../src/errors.js';
import { inputSchema, toCommandInput, toolName, toolSpec, toolSpecs } from '../../src/mcp/tools.js';
import { errorResult, successResult } from '../../src/mcp/result.js';
import { buildEml, outboxName, sendEmail } from '../../src/integrations/email.js';
import { mergeMissing, missingIgnoreLines, shellCommand } from '../../src/mcp/setup.js';
import { subjectOf } from '../../src/commands/frontdoor.js';
import { defaultConfig } from '../../src/config/config.js';
import { loadSecrets } from '../../src/config/secrets.js';
import { cleanupProjects, makeProject } from '../helpers.js';

afterAll(cleanupProjects);
beforeAll(() => loadZodMini()); // tool specs carry the commands' schemas

const cmd = (name: string, extra: Partial<Parameters<typeof defineCommand>[0]> = {}) =>
  defineCommand({ name, summary: `${name} things`, group: 'admin', risk: 'read', schema: (z) => z.object({}), run: async () => undefined, ...extra });

describe('tools from commands', () => {
  it('names tools by their command words', () => {
    expect(toolName('create ticket')).toBe('create_ticket');
    expect(toolName('agents purge logs')).toBe('agents_purge_logs');
    expect(toolName('migrate status')).toBe('migrate_status');
    expect(() => toolSpecs([cmd('a b'), cmd('a-b')])).toThrow(/both map to the MCP tool name a_b/);
    expect(toolSpecs([cmd('status'), cmd('approve'), cmd('reject'), cmd('mcp'), cmd('dashboard'), cmd('fixture', { hidden: true })]).map((s) => s.name)).toEqual(['status']);
  });

  it('builds the input schema from zod and the arg/flag help; streaming flags are left out', () => {
    const def = cmd('logs', {
      args: [{ name: 'target', description: 'whose logs' }],
      flags: [
        { name: 'since-when', type: 'string', description: 'age' },
        { name: 'follow', type: 'boolean', description: 'stream' },
      ],
      schema: (z) => z.object({ target: z.optional(z.string()), sinceWhen: z.optional(z.string()), follow: z.optional(z.boolean()) }),
      policy: 'productionDeployment',
      examples: ['agent logs x'],
    });
    expect(inputSchema(def)).toEqual({
      type: 'object',
      properties: { target: { type: 'string', description: 'whose logs' }, sinceWhen: { type: 'string', description: 'age' } },
      additionalProperties: false,
    });
    expect(toolSpec(def).description).toBe(
      'logs things. This action may need the admin\'s approval (productionDeployment); the tool then answers "approval required" with an approval id, and only the admin can approve it. Command line equivalent: `agent logs x`.',
    );
  });

  it('turns tool arguments into command input, refusing unknown names and missing required ones', () => {
    const spec = toolSpec(
      cmd('purge', {
        args: [{ name: 'what', description: 'the thing', required: true }],
        flags: [{ name: 'limit', type: 'string', description: 'N' }],
        schema: (z) => z.object({ what: z.string(), limit: z.optional(z.string()) }),
      }),
    );
    expect(toCommandInput(spec, { what: 'logs', limit: 5 })).toEqual({ what: 'logs', limit: '5' });
    expect(() => toCommandInput(spec, { what: 'logs', limt: 5 })).toThrow('purge: unknown argument "limt"; it takes what, limit');
    expect(() => toCommandInput(spec, { limit: '5' })).toThrow('purge needs "what" (the thing)');
  });
});

describe('tool results', () => {
  const said = (transcript = '', warnings: string[] = []) => ({ transcript, warnings });

  it('reports the CLI text and the data, both as text and as structured content; a non-zero exit is an error', () => {
    expect(successResult({ a: 1 }, 0, said('[X] ✓ done\n'), 'x')).toEqual({
      content: [{ type: 'text', text: '[X] ✓ done' }, { type: 'text', text: '{\n  "a": 1\n}' }],
      structuredContent: { status: 'ok', exitCode: 0, summary: '[X] ✓ done', warnings: [], data: { a: 1 } },
      isError: false,
    });
    const failed = successResult({ checks: [] }, 1, said('[X] ⚠ slow\n', ['[X] ⚠ slow']), 'health');
    expect(failed).toMatchObject({ isError: true, structuredContent: { status: 'failed', exitCode: 1, warnings: ['[X] ⚠ slow'], data: { checks: [] } } });
    expect(failed.content[0]!.text).toBe('The command finished with exit code 1 (the work failed).\n[X] ⚠ slow');
  });

  it('approval required is stated plainly with the command the admin runs, not an error; bad input and blocked gates are errors', () => {
    const approval = errorResult(new ApprovalRequiredError('APR-4', 'deploy BUG-2026-001 to production', 'BUG-2026-001'), 'ignored', said(), {
      approval: { id: 'APR-4', action: 'deploy BUG-2026-001 to production', category: 'productionDeployment', risk: 'high', confirm: 'BUG-2026-001' },
    });
    expect(approval.isError).toBe(false);
    expect(approval.structuredContent).toMatchObject({
      status: 'approval_required',
      exitCode: 3,
      data: null,
      approval: { id: 'APR-4', category: 'productionDeployment', confirm: 'BUG-2026-001', command: 'agent approve APR-4 --confirm BUG-2026-001', reject: 'agent reject APR-4' },
    });
    expect(approval.content[0]!.text).toMatch(/Nothing was done; the request is pending as APR-4 \(productionDeployment, high risk\)\. Only the admin can approve it, in a terminal with `agent approve APR-4 --confirm BUG-2026-001`.*this tool cannot approve/);
    expect(approval.structuredContent.summary).toBe(approval.content[0]!.text);
    const bad = errorResult(new UsageError('bad kind'), 'bad kind', said(), { usage: 'agent x <kind>' });
    expect(bad).toMatchObject({ isError: true, content: [{ text: 'Invalid arguments: bad kind\nusage: agent x <kind>' }], structuredContent: { status: 'error', error: { code: 'usage', usage: 'agent x <kind>' }, exitCode: 2 } });
    const gate = errorResult(new GateBlockedError('validate', 'coverage', '12% < 80%'), 'blocked', said());
    expect(gate).toMatchObject({ isError: true, structuredContent: { error: { code: 'gate_blocked', gate: 'coverage' }, exitCode: 4 } });
  });
});

function decodeQp(body: string): string {
  const bytes: number[] = [];
  const raw = body.replace(/=\r\n/g, '');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '=') {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(raw.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

describe('the .eml builder', () => {
  const date = new Date('2026-03-04T05:06:07Z');
  const base = { from: 'crm-agent <agent@crm.example>', to: 'admin@crm.example', date, messageId: '<1@crm.example>' };

  it('encodes non-ASCII subjects and names, and keeps long lines within limits', () => {
    const long = `Résumé ${'x'.repeat(1200)} = done`;
    const eml = buildEml({ ...base, from: 'Agënt Ü <agent@crm.example>', subject: 'Déploiement terminé ✓', text: `short line\n${long}` });
    const [head, body] = eml.split('\r\n\r\n') as [string, string];
    expect(head).toContain('Date: Wed, 04 Mar 2026 05:06:07 +0000');
    const subject = /^Subject: (.*(?:\r\n .*)*)$/m.exec(head)![1]!;
    const decoded = subject.split(/\r\n /).map((w) => Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(w)![1]!, 'base64').toString('utf8')).join('');
    expect(decoded).toBe('Déploiement terminé ✓');
    expect(head).toMatch(/^From: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <agent@crm\.example>$/m);
    expect(head).toContain('Content-Transfer-Encoding: quoted-printable');
    for (const line of eml.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(decodeQp(body)).toBe(`short line\r\n${long}\r\n`);
  });

  it('adds an HTML alternative when given', () => {
    const eml = buildEml({ ...base, subject: 's', text: 'plain', html: '<p>rich</p>' });
    expect(eml).toMatch(/Content-Type: multipart\/alternative; boundary="([^"]+)"/);
    expect(eml).toContain('Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p>rich</p>');
  });

  it('names outbox files by time and subject, and never lets a subject add a header', async () => {
    expect(outboxName(date, 'Deploy of BUG-2026-001 finished!')).toBe('2026-03-04_05-06-07_deploy-of-bug-2026-001-finished');
    expect(outboxName(date, '✓✓')).toBe('2026-03-04_05-06-07_message');
    const root = makeProject();
    const project = { root, agentDir: join(root, '.agent'), config: () => defaultConfig('p') };
    const sent = await sendEmail({ project, secrets: loadSecrets(null, {}), now: () => date }, { subject: 'hi\r\nBcc: someone@evil.example', text: 'body' });
    const again = await sendEmail({ project, secrets: loadSecrets(null, {}), now: () => date }, { subject: 'hi\r\nBcc: someone@evil.example', text: 'body' });
    expect(sent).toMatchObject({ via: 'outbox', path: '.agent/outbox/2026-03-04_05-06-07_hi-bcc-someone-evil-example.eml' });
    expect(again).toMatchObject({ path: '.agent/outbox/2026-03-04_05-06-07_hi-bcc-someone-evil-example-2.eml' });
    const eml = readFileSync(join(root, sent.via === 'outbox' ? sent.path : ''), 'utf8');
    expect(eml).toContain('Subject: hi Bcc: someone@evil.example\r\n');
    expect(eml).not.toMatch(/^Bcc:/m);
  });

  it('derives a subject from the message', () => {
    expect(subjectOf('Staging is green\nmore', 'p')).toBe('Staging is green');
    expect(subjectOf(`Incident: login fails. ${'details '.repeat(20)}`, 'p')).toBe('Incident: login fails.');
    expect(subjectOf('word '.repeat(40), 'p')).toMatch(/^(word ){14}word…$/);
    expect(subjectOf('   ', 'crm')).toBe('crm-agent notification (crm)');
  });
});

describe('init merging', () => {
  it('adds missing keys only, never changing a value', () => {
    const { value, added } = mergeMissing({ a: { x: 1 }, b: 'mine', c: [1] }, { a: { x: 2, y: 3 }, b: { deep: true }, c: [], d: 4 });
    expect(value).toEqual({ a: { x: 1, y: 3 }, b: 'mine', c: [1], d: 4 });
    expect(added).toEqual(['a.y', 'd']);
  });

  it('finds the .gitignore lines still missing', () => {
    expect(missingIgnoreLines('')).toEqual(['.agent/', 'staged/*']);
    expect(missingIgnoreLines('/.agent\nstaged/\n')).toEqual([]);
    expect(missingIgnoreLines('.agent/\r\nnode_modules\r\n')).toEqual(['staged/*']);
  });

  it('quotes launch paths for the shell', () => {
    expect(shellCommand({ command: 'npx', args: ['agent'], kind: 'project' })).toBe('npx agent');
    expect(shellCommand({ command: '/opt/my node/bin/node', args: ["/it's/bin/agent.js"], kind: 'absolute' })).toBe(`'/opt/my node/bin/node' '/it'\\''s/bin/agent.js'`);
  });
});
