import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes `content` to `file` without following a symlink (or writing into a hard-linked file) that someone planted
 * there: the bytes go to a fresh temp name in the same directory, opened with O_CREAT|O_EXCL|O_NOFOLLOW ('wx' plus
 * O_NOFOLLOW), and rename(2) then replaces the directory entry itself — a symlink at `file` is replaced, never
 * followed. `mode` defaults to 0644 (0600 for secrets). Throws on I/O errors; the temp file is removed on failure.
 */
export function writeFileNoFollow(file: string, content: string | Uint8Array, mode = 0o644): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file).slice(0, 40)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fs.fchmodSync(fd, mode);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.closeSync(fd); } catch { /* already closed */ }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
