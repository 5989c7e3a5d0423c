// Writes a change set to ./staged/<YYYY-MM-DD_HH-mm-ss>_<slug>/ all at once: it is assembled in
// a hidden temp directory and renamed into place, so a failure never leaves half a change set.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { redact } from '../../src/config/redact.js';
import { resolveInside } from '../../src/config/project.js';
import { diffAgainstHead } from '../../src/integrations/git.js';
import { sealOf } from '../../src/engine/seal.js';
import { processScratch, type ScratchRegistrar } from '../../src/engine/scratch.js';
import { buildManifest, changeSetDirName, renderReview, type ChangeSetInput, type Manifest } from '../shared/change-set.js';

/** `patch`: the change's diff against HEAD when the caller has it; used unless redaction changed a file. */
export async function writeChangeSet(root: string, input: ChangeSetInput, now = new Date(), patch?: string, scratch: ScratchRegistrar = processScratch): Promise<Manifest> {
  for (const f of input.files) resolveInside(root, f.path); // refuse paths outside the project first
  const stagedDir = join(root, 'staged');
  mkdirSync(stagedDir, { recursive: true });
  let name = changeSetDirName(now, input.ticket ? `${input.ticket.id} ${input.title}` : input.title);
  for (let i = 2; existsSync(join(stagedDir, name)); i++) name = `${changeSetDirName(now, input.title)}-${i}`;
  const tmp = join(stagedDir, `.tmp-${process.pid}-${Date.now()}`);
  scratch.add({ path: tmp, kind: 'staging-dir', repo: null }); // a kill mid-way leaves it to the next command
  mkdirSync(tmp, { recursive: true });
  try {
    const existing = new Set(input.files.filter((f) => existsSync(join(root, f.path))).map((f) => f.path));
    const written: Array<{ path: string; content: string }> = [];
    const write = (rel: string, text: string) => {
      const full = resolveInside(tmp, rel);
      mkdirSync(dirname(full), { recursive: true });
      const content = redact(text);
      writeFileSync(full, content);
      written.push({ path: rel.split('\\').join('/'), content });
    };
    for (const f of input.files) if (f.content !== null) write(join('files', f.path), f.content);
    for (const m of input.migrations) {
      write(join('migrations', `${m.version}_${m.name}.up.sql`), m.up);
      write(join('migrations', `${m.version}_${m.name}.down.sql`), m.down);
    }
    const files = input.files.map((f) => ({ path: f.path, content: f.content === null ? null : redact(f.content) }));
    const redacted = files.some((f, i) => f.content !== input.files[i]!.content);
    write('changes.patch', !files.length ? '' : patch !== undefined && !redacted ? patch : await diffAgainstHead(root, files));
    const built = buildManifest(input, name, now, existing);
    write('REVIEW.md', renderReview(built, input));
    // Sealed last: the hashes of exactly the bytes written above, REVIEW.md included.
    const manifest: Manifest = { ...built, sha256: sealOf(written) };
    write('manifest.json', JSON.stringify(manifest, null, 2) + '\n');
    renameSync(tmp, join(stagedDir, name));
    return manifest;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    scratch.remove(tmp);
  }
}
