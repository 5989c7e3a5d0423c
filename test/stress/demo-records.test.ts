// `agent demo --script` end to end (~20 s, so not in `npm test`): every line it prints is an event
// of the demo project, so `agent logs` and `agent status` there show what it did.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';

const parent = mkdtempSync(join(tmpdir(), 'crm-agent-demo-records-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('agent demo --script', () => {
  it('records its lines in the demo project', async () => {
    const dest = join(parent, 'crm');
    const run = await agent(['demo', '--script', dest, '--json'], { cwd: parent });
    expect(run.code, run.stderr).toBe(0);
    const printed = parseNdjson(run.stdout).filter((e) => e.type === 'event' && e.level !== 'debug');
    expect(printed.length).toBeGreaterThan(10);

    const logs = await agent(['logs', '--json', '--limit', '100000'], { cwd: dest });
    const stored = parseNdjson(logs.stdout).filter((e) => e.type === 'event' && e.kind === 'line');
    expect(stored.map((e) => [e.agent, e.message])).toEqual(printed.map((e) => [e.agent, e.message]));
    expect(stored.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^Demo project ready: /), expect.stringMatching(/^Ticket created: BUG-\d{4}-001/), expect.stringMatching(/^Staging deployment successful/)]));

    const status = JSON.parse((await agent(['status', '--json'], { cwd: dest })).stdout).data as { recentActivity: Array<{ message: string }> };
    expect(status.recentActivity.length).toBeGreaterThan(0);
    expect(status.recentActivity.map((e) => e.message)).toContainEqual(expect.stringMatching(/^Staging deployment successful/));
  });
});
