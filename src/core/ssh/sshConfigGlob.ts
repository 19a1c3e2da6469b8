import * as fs from 'node:fs';
import * as path from 'node:path';

const MAGIC = /[*?[]/;

/** One glob(3) path segment as a RegExp: `*`, `?`, `[a-z]`, `[!x]`; a leading `.` must be matched explicitly. */
function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, close);
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The files an absolute glob pattern names, sorted as glob(3) sorts them (byte order); [] when none match. A
 * pattern without wildcards names itself when it exists. Used for ssh_config Include, which OpenSSH passes to glob(3).
 */
export function globPaths(pattern: string): string[] {
  const segs = pattern.split('/');
  let found = [segs[0] === '' ? '/' : segs[0]];
  for (const seg of segs.slice(1)) {
    if (seg === '') continue;
    const next: string[] = [];
    for (const dir of found) {
      if (!MAGIC.test(seg)) {
        next.push(path.join(dir, seg));
        continue;
      }
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      const re = segmentRegExp(seg);
      for (const n of names) if ((seg.startsWith('.') || !n.startsWith('.')) && re.test(n)) next.push(path.join(dir, n));
    }
    found = next;
  }
  return found.filter((f) => fs.existsSync(f)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
