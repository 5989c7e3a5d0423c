// agent system keys: which credentials are configured, where from, masked (issue 16).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent, cleanupProjects, makeProject, parseNdjson } from '../helpers.js';
import { openStateDb } from '../../src/store/state-db.js';

afterAll(cleanupProjects);

describe('system keys', () => {
  it('system keys: where each credential comes from, masked; no value in the output', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, '.env'), 'RESEND_API_KEY=re_planted_0123456789\nDATABASE_URL=postgres://crm:pw-planted-77@db.example:5432/crm\n');
    const r = await agent(['system', 'keys', '--json'], { cwd: dir, env: { ANTHROPIC_API_KEY: 'sk-ant-planted-abcdef' } });
    expect(r.code, r.stderr).toBe(0);
    for (const planted of ['re_planted_0123456789', 'pw-planted-77', 'sk-ant-planted-abcdef']) expect(r.stdout + r.stderr).not.toContain(planted);
    const keys = parseNdjson(r.stdout).find((e) => e.type === 'result')!.data as { keys: Array<{ name: string; configured: boolean; source: string | null; masked: string | null }> };
    const by = Object.fromEntries(keys.keys.map((k) => [k.name, k]));
    expect(by.RESEND_API_KEY).toMatchObject({ configured: true, source: '.env', masked: '*** (21 characters)' });
    expect(by.DATABASE_URL).toMatchObject({ configured: true, source: '.env', masked: 'postgres://***@db.example:5432/crm' });
    expect(by.ANTHROPIC_API_KEY).toMatchObject({ configured: true, source: 'env' });
    expect(by.SUPABASE_SERVICE_ROLE_KEY).toMatchObject({ configured: false, source: null, masked: null });
  });

  it('last verified comes from the health table of the state database, only for a configured credential', async () => {
    const dir = makeProject();
    writeFileSync(join(dir, '.env'), 'RESEND_API_KEY=re_planted_0123456789\n');
    mkdirSync(join(dir, '.agent'), { recursive: true });
    const resendAt = Date.UTC(2026, 10, 30, 9, 15);
    const state = openStateDb(join(dir, '.agent', 'state.db'));
    try {
      state.saveHealth([
        { name: 'resend', status: 'failing', detail: '401 from the API', checked_at: resendAt },
        { name: 'supabase', status: 'ok', detail: 'reachable', checked_at: resendAt + 60_000 },
      ]);
    } finally {
      state.close();
    }
    const r = await agent(['system', 'keys', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const keys = (parseNdjson(r.stdout).find((e) => e.type === 'result')!.data as { keys: Array<{ name: string; lastVerified: unknown }> }).keys;
    const by = Object.fromEntries(keys.map((k) => [k.name, k.lastVerified]));
    expect(by.RESEND_API_KEY).toEqual({ at: new Date(resendAt).toISOString(), check: 'resend', status: 'failing' });
    // Supabase was checked, but its key is not configured here: nothing verified it.
    expect(by.SUPABASE_SERVICE_ROLE_KEY).toBeNull();
    const text = await agent(['system', 'keys'], { cwd: dir });
    expect(text.stdout).toMatch(/RESEND_API_KEY +yes +\.env +\*\*\* \(21 characters\) +2026-11-30 09:15 \(resend: failing\)/);
  });
});
