import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * A file found by a walk. `path` is what the file system needs — the raw bytes of the name, so a
 * name that is not UTF-8 can still be opened — and `display` is that name made printable
 * (invalid bytes shown as \xNN) for lists, errors and the store.
 */
export interface FoundFile {
  path: Buffer;
  display: string;
}

export interface WalkProblem {
  file: string;
  error: string;
}

/** Raw path bytes → a printable name: valid UTF-8 as is, every other byte as \xNN. */
export function displayPath(path: Buffer | string): string {
  if (typeof path === 'string') return path;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(path);
  } catch {
    let out = '';
    let i = 0;
    while (i < path.length) {
      const len = utf8SequenceLength(path, i);
      if (len > 0) {
        out += path.subarray(i, i + len).toString('utf8');
        i += len;
      } else {
        out += `\\x${path[i]!.toString(16).padStart(2, '0')}`;
        i += 1;
      }
    }
    return out;
  }
}

function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  const need = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (need === 0 || i + need > b.length) return 0;
  for (let k = 1; k < need; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(i, i + need));
    return need;
  } catch {
    return 0;
  }
}

function join(dir: Buffer, name: Buffer): Buffer {
  return dir.length > 0 && dir[dir.length - 1] === 0x2f ? Buffer.concat([dir, name]) : Buffer.concat([dir, Buffer.from('/'), name]);
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * A path the user typed arrives as a JS string; a name that is not UTF-8 has been decoded lossily
 * (U+FFFD) on its way in. Find the real entry by listing its folder as bytes and matching the
 * lossy decoding, so such a file can be imported when named directly.
 */
export function resolveGivenPath(given: string): Buffer {
  if (existsSync(given) || !given.includes('\ufffd')) return Buffer.from(given);
  try {
    const dir = dirname(given);
    const want = basename(given);
    const matches = (readdirSync(dir, { encoding: 'buffer' }) as Buffer[]).filter((n) => n.toString('utf8') === want);
    if (matches.length === 1) return join(Buffer.from(dir), matches[0]!);
  } catch {
    // Fall through: the caller reports the path as missing.
  }
  return Buffer.from(given);
}

/**
 * Every regular file under the given paths, in name order. Problems are per entry, never per
 * folder: an unreadable sub-folder, a dangling symlink, a loop, a FIFO or a device is reported by
 * name and the walk goes on. Symlinks are followed (a folder is entered once, by device and inode,
 * so loops end); hidden entries are skipped.
 */
export function walkFiles(paths: (string | Buffer)[]): { files: FoundFile[]; problems: WalkProblem[] } {
  const files: FoundFile[] = [];
  const problems: WalkProblem[] = [];
  const entered = new Set<string>();

  const visit = (path: Buffer, top: boolean): void => {
    const display = displayPath(path);
    let st: Stats;
    try {
      const link = lstatSync(path);
      st = link.isSymbolicLink() ? statSync(path) : link;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? (top ? 'does not exist' : 'a symbolic link whose target does not exist')
        : code === 'ELOOP' ? 'a symbolic link loop'
        : code === 'EACCES' ? 'permission denied'
        : (e as Error).message;
      problems.push({ file: display, error: why });
      return;
    }
    if (st.isFile()) {
      files.push({ path, display });
      return;
    }
    if (!st.isDirectory()) {
      problems.push({ file: display, error: `${kindOf(st)}: skipped, only regular files are read` });
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (entered.has(key)) {
      problems.push({ file: display, error: 'a folder already walked (a symbolic link loop or a second link to it): skipped' });
      return;
    }
    entered.add(key);
    let names: Buffer[];
    try {
      names = readdirSync(path, { encoding: 'buffer' }) as Buffer[];
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push({ file: display, error: code === 'EACCES' ? 'folder unreadable: permission denied' : `folder unreadable: ${(e as Error).message}` });
      return;
    }
    names.sort(Buffer.compare);
    for (const name of names) {
      if (name[0] === 0x2e) continue; // hidden: .DS_Store, .git, editors' swap files
      visit(join(path, name), false);
    }
  };

  for (const p of paths) visit(typeof p === 'string' ? resolveGivenPath(p) : p, true);
  return { files, problems };
}

/**
 * Reads a file only if it is a regular file when opened (a FIFO swapped in after the walk would
 * block forever; O_NONBLOCK makes the open return so fstat can refuse it) and not larger than
 * `maxBytes`.
 */
export function readRegularFile(path: Buffer | string, maxBytes: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${kindOf(st)}: only regular files are read`);
    if (st.size > maxBytes) {
      throw new Error(`file is ${(st.size / 2 ** 20).toFixed(0)} MiB, above the limit of ${(maxBytes / 2 ** 20).toFixed(0)} MiB per file`);
    }
    const out = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, out, off, st.size - off, off);
      if (n <= 0) break;
      off += n;
    }
    if (off !== st.size) throw new Error(`file changed while being read (${off} of ${st.size} bytes)`);
    return out;
  } finally {
    closeSync(fd);
  }
}
