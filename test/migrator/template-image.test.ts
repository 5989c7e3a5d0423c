// The template's image (data-image.ts, template.ts): a data directory as one verified file that
// shadows start from in memory. Round trip, damage detection, rebuild, and two real CLI processes
// building it at once, in a cache directory of its own (the shared test cache is never damaged).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { packDirectory, readImage, writeImage, type ImageTargetFs } from '../../src/integrations/postgres/data-image.js';
import { ensureTemplate, ensureTemplateImage, openShadowDatabase, templateDirName, templateImagePath } from '../../src/integrations/postgres/index.js';
import { lockIsStale } from '../../src/integrations/postgres/template.js';
import { agent, parseNdjson } from '../helpers.js';
import { TEMPLATE_CACHE } from './helpers.js';

const parent = mkdtempSync(join(tmpdir(), 'crm-agent-template-image-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** An Emscripten-like FS in a Map, to check what writeImage writes. */
function mapFs(): ImageTargetFs & { files: Map<string, Uint8Array>; dirs: string[] } {
  const files = new Map<string, Uint8Array>();
  const dirs: string[] = [];
  return {
    files,
    dirs,
    mkdirTree: (p) => dirs.push(p),
    mkdir: (p) => {
      if (!dirs.some((d) => p.startsWith(`${d}/`))) throw new Error(`parent of ${p} missing`);
      dirs.push(p);
    },
    writeFile: (p, data) => {
      if (!dirs.includes(p.slice(0, p.lastIndexOf('/')))) throw new Error(`parent of ${p} missing`);
      files.set(p, data);
    },
  };
}

describe('data image', () => {
  const dir = join(parent, 'small');
  const content = {
    PG_VERSION: Buffer.from('17\n'),
    'base/1/1259': Buffer.concat([Buffer.from([1, 0, 0, 2]), Buffer.alloc(8192)]), // zeros inside and at the end
    'base/1/empty': Buffer.alloc(0),
    'pg_wal/000000010000000000000001': Buffer.alloc(4096),
  };
  beforeAll(() => {
    for (const [rel, bytes] of Object.entries(content)) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), bytes);
    }
    mkdirSync(join(dir, 'pg_tblspc'));
  });

  it('round-trips a directory byte for byte, without storing trailing zeros', () => {
    const buf = packDirectory(dir);
    expect(buf.length).toBeLessThan(8192); // the 12 KB of trailing zeros are not stored
    const fs = mapFs();
    writeImage(fs, '/pglite/data', readImage(buf));
    expect(fs.dirs).toEqual(['/pglite/data', '/pglite/data/base', '/pglite/data/base/1', '/pglite/data/pg_tblspc', '/pglite/data/pg_wal']);
    expect([...fs.files.keys()].sort()).toEqual(Object.keys(content).map((k) => `/pglite/data/${k}`).sort());
    for (const [rel, bytes] of Object.entries(content)) expect(Buffer.from(fs.files.get(`/pglite/data/${rel}`)!).equals(bytes), rel).toBe(true);
  });

  it('refuses an image cut short, one with a changed byte, and a file that is not one', () => {
    const buf = packDirectory(dir);
    expect(() => readImage(buf.subarray(0, buf.length - 1))).toThrow(/cut short: \d+ of \d+ bytes/);
    expect(() => readImage(buf.subarray(0, 30))).toThrow(/cut short \(in its header\)/);
    const flipped = Buffer.from(buf);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0xff;
    expect(() => readImage(flipped)).toThrow(/checksum mismatch/);
    expect(() => readImage(Buffer.from('PG_VERSION 17'))).toThrow(/not a data image/);
  });
});

describe('template image in a cache directory', () => {
  const cache = join(parent, 'cache');
  beforeAll(async () => {
    const { path } = await ensureTemplate(TEMPLATE_CACHE);
    mkdirSync(cache);
    cpSync(path, join(cache, templateDirName()), { recursive: true }); // no initdb here: the shared template, copied
  });

  it('is built from the template directory when missing, then read as it is', async () => {
    const first = await ensureTemplateImage(cache);
    expect(first.rebuilt).toBe('missing');
    const mtime = statSync(templateImagePath(cache)).mtimeMs;
    const again = await ensureTemplateImage(cache);
    expect(again.rebuilt).toBeNull();
    expect(statSync(templateImagePath(cache)).mtimeMs).toBe(mtime);
    expect(again.image.entries).toEqual(first.image.entries);
    expect(readdirSync(cache).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('rebuilds an image cut short or altered (what a bad disk leaves), ignores a dead builder\'s temporary file, and the shadow opens', async () => {
    await ensureTemplateImage(cache);
    const file = templateImagePath(cache);
    truncateSync(file, statSync(file).size - 1000);
    const leftover = `${file}.999999.abcdef.tmp`; // a builder killed mid-write (the scratch sweep removes it)
    writeFileSync(leftover, 'half');
    const cut = await ensureTemplateImage(cache);
    expect(cut.rebuilt).toMatch(/cut short/);
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0x01;
    writeFileSync(file, bytes);
    const db = await openShadowDatabase({ cacheDir: cache });
    try {
      expect((await db.query<{ t: string }>(`select to_regclass('auth.users')::text as t`)).rows[0]?.t).toBe('auth.users');
    } finally {
      await db.close();
    }
    expect((await ensureTemplateImage(cache)).rebuilt).toBeNull(); // the shadow's open rebuilt the altered one
    expect(existsSync(leftover)).toBe(true); // never read, never renamed into place
  });

  it('two CLI processes building it at once both get a complete image', async () => {
    rmSync(templateImagePath(cache), { force: true });
    const project = join(parent, 'project');
    mkdirSync(join(project, 'supabase', 'migrations'), { recursive: true });
    writeFileSync(join(project, 'supabase', 'migrations', '20250101000000_t.sql'), 'create table public.t (id bigint primary key, note text);\nalter table public.t enable row level security;\n');
    execFileSync('git', ['init', '-q'], { cwd: project });
    const env = { XDG_CACHE_HOME: parent }; // templateCacheDir() = $XDG_CACHE_HOME/crm-agent
    rmSync(join(parent, 'crm-agent'), { recursive: true, force: true });
    cpSync(cache, join(parent, 'crm-agent'), { recursive: true, filter: (p) => !p.endsWith('.tmp') });
    const runs = await Promise.all([agent(['bugs', 'scan', '--json'], { cwd: project, env }), agent(['bugs', 'scan', '--json'], { cwd: project, env })]);
    for (const r of runs) {
      const result = parseNdjson(r.stdout).find((e) => e.type === 'result') as { data?: { findings?: Array<{ ruleId: string; object: string }> } } | undefined;
      expect(result?.data?.findings, r.stderr || r.stdout.slice(-1500)).toBeDefined();
      expect(result!.data!.findings!.map((f) => `${f.ruleId} ${f.object}`)).toContain('rls-enabled-no-policy public.t');
    }
    const built = join(parent, 'crm-agent');
    expect(readImage(readFileSync(templateImagePath(built))).entries.length).toBe(readdirSync(join(built, templateDirName()), { recursive: true }).length);
    expect(readdirSync(built).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});

describe('the template build lock', () => {
  it('is taken over at once when its builder is gone, after 120 s when it names no builder, never while its builder lives', () => {
    const lock = join(parent, 'pg-template-x.lock');
    mkdirSync(lock);
    expect(lockIsStale(lock)).toBeNull(); // just made, no pid yet: its maker is writing it
    writeFileSync(join(lock, 'pid'), String(process.pid));
    expect(lockIsStale(lock, Date.now() + 60_000)).toBeNull();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(lock, 'pid'), gone);
    expect(lockIsStale(lock)).toBe(`its builder (pid ${gone}) is gone`);
    rmSync(join(lock, 'pid'));
    const old = new Date(Date.now() - 121_000);
    utimesSync(lock, old, old);
    expect(lockIsStale(lock)).toBe('older than 120 s');
    rmSync(lock, { recursive: true });
    expect(lockIsStale(lock)).toBeNull();
  });
});
