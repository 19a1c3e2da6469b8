import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileNoFollow } from '../security/safeWrite';
import { redactDeep } from '../security/redact';

/** Longest file name we write, in UTF-8 bytes (Linux NAME_MAX is 255; room is left for the temp suffix). */
const MAX_NAME_BYTES = 180;

/**
 * One path component made from text we do not control (a server-chosen model id, a label): NUL, "/", "\", control
 * and bidi characters become "_", a name of only dots ("." / "..") or a leading dot gets a "_" prefix, and the name is
 * cut to 180 UTF-8 bytes keeping its extension. Never empty.
 */
export function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  let s = name.replace(/[\u0000-\u001f\u007f-\u009f/\\:*?"<>|\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '_');
  if (/^\.+$/.test(s) || s.startsWith('.')) s = `_${s}`;
  if (!s) s = 'result';
  if (Buffer.byteLength(s) > MAX_NAME_BYTES) {
    const ext = /\.[A-Za-z0-9]{1,8}$/.exec(s)?.[0] ?? '';
    let base = s.slice(0, s.length - ext.length);
    // By code point, not UTF-16 unit: cutting a surrogate pair (emoji in a model id) would leave a lone half, written
    // as U+FFFD, so the saved name would no longer be the one shown.
    const chars = [...base];
    while (Buffer.byteLength(chars.join('') + ext) > MAX_NAME_BYTES) chars.pop();
    base = chars.join('');
    s = base + ext;
  }
  return s;
}

/**
 * Where a result goes: `requested` (--result-filename) relative to `dir` (--result-dir, default "."), or the default
 * name. A relative name must stay inside `dir` ("../x" or "a/../../x" is refused); an absolute path is taken as
 * given, on purpose. Each component of a relative name is made safe (safeFileName).
 * Throws: Error naming the flag when a relative name leaves the directory.
 */
export function resolveResultPath(dir: string, requested: string | undefined, defaultName: string): string {
  if (requested !== undefined && requested.includes('\u0000')) throw new Error('--result-filename: contains NUL');
  if (requested !== undefined && path.isAbsolute(requested)) return requested;
  const root = path.resolve(dir);
  if (requested === undefined) return path.join(root, safeFileName(defaultName));
  const parts = requested.split(/[/\\]+/).filter((x) => x && x !== '.');
  if (parts.includes('..')) throw new Error(`--result-filename ${JSON.stringify(requested)} leaves the result directory ${root}; give a name inside it, or an absolute path on purpose`);
  const out = path.join(root, ...parts.map(safeFileName));
  return out === root ? path.join(root, safeFileName(defaultName)) : out;
}

/** How saveResultFile writes: `format` turns the redacted result into the file's text (default JSON.stringify + LF). */
export interface SaveResultOptions {
  readonly format?: (result: unknown) => string;
  /** Indented JSON (default format only). */
  readonly pretty?: boolean;
  /** vLLM's --append-result: after the file's existing content, separated by a newline when it is not empty. */
  readonly append?: boolean;
}

/**
 * Saves a result JSON: secrets redacted (known keys, URL userinfo, bearer tokens), written without following a
 * planted symlink (writeFileNoFollow; an appended-to file that is a symlink is refused). If the chosen name cannot be
 * written (too long for the file system, a directory in the way), the result goes to `fallbackName` in the same
 * directory instead of being lost. Returns the path written.
 */
export function saveResultFile(file: string, result: unknown, secrets: ReadonlyArray<string | undefined>, fallbackName: string, opts: SaveResultOptions | boolean = {}): string {
  const o: SaveResultOptions = typeof opts === 'boolean' ? { pretty: opts } : opts;
  const redacted = redactDeep(result, secrets);
  const own = o.format ? o.format(redacted) : `${JSON.stringify(redacted, null, o.pretty ? 2 : undefined)}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const textFor = (f: string): string => {
    if (!o.append) return own;
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(f);
    } catch {
      return own;
    }
    if (st.isSymbolicLink()) throw new Error(`${f} is a symbolic link; not appending a result through it`);
    const before = fs.readFileSync(f, 'utf8');
    return before.length ? `${before}\n${own}` : own;
  };
  try {
    writeFileNoFollow(file, textFor(file));
    return file;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENAMETOOLONG' && code !== 'EISDIR' && code !== 'ENOTDIR' && code !== 'EINVAL') throw e;
    const alt = path.join(path.dirname(file), safeFileName(fallbackName));
    writeFileNoFollow(alt, textFor(alt));
    return alt;
  }
}
