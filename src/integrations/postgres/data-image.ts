// A PostgreSQL data directory as one file, so a shadow database can start in memory from it:
// filling PGlite's in-memory file system from one buffer takes ~30 ms, where copying the ~1,000
// files of the directory (40 MB with its WAL segment) took 0.2–0.5 s here and left a copy on disk
// to remove. Trailing zero bytes of each file (most of the WAL segment) are not stored.
//
// Layout: MAGIC, a u32 (LE) header length, the header (JSON: entries, data length, sha256 of the
// data), the data. A file cut short by a kill or a bad disk fails the length or checksum check and
// is never used.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAGIC = Buffer.from('crm-agent pgdata image 1\n');

export interface ImageEntry {
  /** Relative to the data directory, '/'-separated. */
  path: string;
  dir?: true;
  /** The file's size; bytes past `stored` are zero. */
  size?: number;
  offset?: number;
  stored?: number;
}

export interface DataImage {
  entries: ImageEntry[];
  data: Buffer;
}

interface Header {
  entries: ImageEntry[];
  dataLength: number;
  sha256: string;
}

/** Reads a data directory into an image (parents listed before their contents). */
export function packDirectory(root: string): Buffer {
  const entries: ImageEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, path));
      if (st.isDirectory()) {
        entries.push({ path, dir: true });
        walk(path);
      } else if (st.isFile()) {
        const buf = readFileSync(join(root, path));
        let end = buf.length;
        while (end > 0 && buf[end - 1] === 0) end--;
        entries.push({ path, size: buf.length, offset, stored: end });
        chunks.push(buf.subarray(0, end));
        offset += end;
      } else {
        throw new Error(`${join(root, path)}: neither a file nor a directory, so it cannot go into a data image`);
      }
    }
  };
  walk('');
  const data = Buffer.concat(chunks);
  const header: Header = { entries, dataLength: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return Buffer.concat([MAGIC, len, head, data]);
}

/** Parses and verifies an image; throws naming what is wrong (cut short, checksum, not an image). */
export function readImage(buf: Buffer): DataImage {
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a data image (bad magic)');
  const headLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4 + headLen;
  if (start > buf.length) throw new Error('data image cut short (in its header)');
  const header = JSON.parse(buf.subarray(MAGIC.length + 4, start).toString('utf8')) as Header;
  const data = buf.subarray(start);
  if (data.length !== header.dataLength) throw new Error(`data image cut short: ${data.length} of ${header.dataLength} bytes`);
  if (createHash('sha256').update(data).digest('hex') !== header.sha256) throw new Error('data image checksum mismatch');
  return { entries: header.entries, data };
}

/** The file-system calls writeImage needs (Emscripten's FS). */
export interface ImageTargetFs {
  mkdirTree(path: string): void;
  mkdir(path: string): void;
  writeFile(path: string, data: Uint8Array, opts?: { canOwn?: boolean }): void;
}

/** Writes an image's directories and files under `base` (which it creates). */
export function writeImage(fs: ImageTargetFs, base: string, image: DataImage): void {
  fs.mkdirTree(base);
  for (const e of image.entries) {
    const path = `${base}/${e.path}`;
    if (e.dir) {
      fs.mkdir(path);
      continue;
    }
    const bytes = new Uint8Array(e.size ?? 0);
    bytes.set(image.data.subarray(e.offset ?? 0, (e.offset ?? 0) + (e.stored ?? 0)));
    fs.writeFile(path, bytes, { canOwn: true });
  }
}
