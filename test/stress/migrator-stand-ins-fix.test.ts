// `fix ticket` on a project whose migrations use Supabase extensions PGlite lacks (issue 14): the
// replay installs their stand-ins, says once what was not checked, and the fix is not blocked. The
// staged foreign-key fix is several migrations: keys NOT VALID, VALIDATE alone, indexes
// CONCURRENTLY one per file. Real CLI on a copy of examples/crm (~40 s, so not in `npm test`).
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, parseNdjson } from '../helpers.js';
import { makeDemoCopy, SEED_TICKET } from '../../src/commands/demo.js';

const parent = mkdtempSync(join(tmpdir(), 'crm-agent-stand-ins-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const WEBHOOKS = `create extension if not exists pg_net with schema extensions;
create extension if not exists pg_cron;
create extension if not exists supabase_vault;
select vault.create_secret('not-a-real-secret', 'hook_key');
create or replace function public.notify_invoice() returns trigger language plpgsql security definer set search_path = '' as $$
begin
  perform net.http_post(url := 'https://hooks.example.com/invoice', body := jsonb_build_object('id', new.id));
  return new;
end $$;
create trigger invoices_notify after insert on public.invoices for each row execute function public.notify_invoice();
select cron.schedule('overdue-invoices', '0 6 * * *', $$select 1$$);
`;

describe('fix ticket on a project that uses pg_net, pg_cron and supabase_vault', () => {
  it('is not blocked by them, names each once as not checked, and stages the safe foreign-key migrations', async () => {
    const dir = await makeDemoCopy(join(parent, 'crm'));
    writeFileSync(join(dir, 'supabase', 'migrations', '20251105090000_invoice_webhooks.sql'), WEBHOOKS);
    spawnSync('git', ['add', '-A'], { cwd: dir });
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'webhooks'], { cwd: dir });

    const created = parseNdjson((await agent(['create', 'ticket', SEED_TICKET, '--json'], { cwd: dir })).stdout).at(-1) as { data: { ticket: { id: string } } };
    const r = await agent(['fix', 'ticket', created.data.ticket.id], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const notChecked = r.stdout.split('\n').filter((l) => /Not checked in the shadow database/.test(l));
    expect(notChecked.length).toBeGreaterThanOrEqual(1);
    expect(notChecked[0]).toMatch(/pg_cron, pg_net, supabase_vault/);
    expect(r.stdout).not.toMatch(/Dry run failed/);

    const stagedDir = /Staged environment ready: \.\/(staged\/[^/]+)\//.exec(r.stdout)![1]!;
    const manifest = JSON.parse(readFileSync(join(dir, stagedDir, 'manifest.json'), 'utf8')) as { files: Array<{ path: string }> };
    const ups = manifest.files.map((f) => f.path).filter((p) => /^supabase\/migrations\//.test(p)).sort();
    // examples/crm's ticket names two keys: estimates.job_id and estimates.customer_id.
    expect(ups).toEqual([
      expect.stringMatching(/_add_estimates_foreign_keys\.sql$/),
      expect.stringMatching(/_validate_estimates_foreign_keys\.sql$/),
      expect.stringMatching(/_estimates_job_id_idx\.sql$/),
      expect.stringMatching(/_estimates_customer_id_idx\.sql$/),
    ]);
    const text = (p: string) => readFileSync(join(dir, stagedDir, 'files', p), 'utf8');
    const [add, validate, ...indexes] = ups as [string, string, ...string[]];
    expect(text(add)).toMatch(/lock_timeout[\s\S]*not valid;/);
    expect(text(add)).not.toMatch(/validate constraint/);
    expect(text(validate)).toMatch(/validate constraint/);
    for (const f of indexes) expect(text(f).trim()).toMatch(/^create index concurrently if not exists estimates_\w+_idx on public\.estimates \(\w+\);$/);
  }, 240_000);
});
