import * as fs from 'node:fs';
import * as path from 'node:path';

/** Reads a JSON file; `fallback` when it does not exist. Throws with the file name when it is not valid JSON. */
export function readJsonFile<T>(file: string, fallback: T): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); fix or delete it`, { cause: e });
  }
}

/**
 * Writes JSON atomically (temp file + rename, so a reader never sees half a file) and private to the user (0600 in a
 * 0700 folder): these files name hosts and servers.
 */
export function writeJsonFile(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
