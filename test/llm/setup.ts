// Shared by the model tests: fresh copies of examples/crm, scripted servers, and the CLI with a
// planted key pointed at them. cleanup() closes and removes what they made.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';
import { makeDemoCopy } from '../../src/commands/demo.js';
import { openStateDb } from '../../src/store/state-db.js';
import type { TicketUsage } from '../../src/integrations/llm/usage-store.js';
import { startScriptedServer, type Brain } from './scripted-server.mjs';

const dirs: string[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

export async function cleanup(): Promise<void> {
  await Promise.all(servers.map((s) => s.close()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
}

export const KEY = 'sk-ant-api03-planted-test-key-0123456789abcdef';
export const SERVICE_ROLE = 'service-role-planted-7c1e5a9b3d';

export async function freshCopy(): Promise<string> {
  const parent = mkdtempSync(join(tmpdir(), 'crm-agent-llm-'));
  dirs.push(parent);
  const dir = await makeDemoCopy(join(parent, 'crm'));
  // issue 18: the key alone does not turn model mode on; these tests choose it (committed, so the tree stays clean).
  writeFileSync(join(dir, 'agent.config.json'), JSON.stringify({ llm: { enabled: true } }));
  execFileSync('git', ['add', 'agent.config.json'], { cwd: dir });
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-q', '-m', 'model mode'], { cwd: dir });
  return dir;
}

export async function serve(brain: Brain) {
  const s = await startScriptedServer(brain);
  servers.push(s);
  return s;
}

export const json = (r: { stdout: string }) => parseNdjson(r.stdout).at(-1) as { ok: boolean; exitCode: number; data: any };
export const env = (url: string) => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE });

export async function ticketIn(dir: string, text: string, url: string): Promise<string> {
  return json(await agent(['create', 'ticket', text, '--json'], { cwd: dir, env: env(url) })).data.ticket.id;
}

export function usageOf(dir: string, ticket: string): TicketUsage | undefined {
  const db = openStateDb(join(dir, '.agent', 'state.db'));
  try {
    return db.getKv<TicketUsage>(`llm.usage.${ticket}`);
  } finally {
    db.close();
  }
}
