/**
 * POSIX single-quote quoting: every byte stands for itself inside '…', and a single quote is written as '\''.
 * Words made only of safe characters are left bare so logged scripts stay readable.
 * Throws on NUL: no argv word can carry one (execve ends strings there), and NUL is our variable sentinel below.
 */
export function shQuote(word: string): string {
  if (word.includes('\u0000')) throw new Error('a shell word cannot contain NUL');
  if (word === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shQuote).join(' ');
}

/**
 * A reference to a shell variable that OUR code sets (the remote `$HOME`, `$SLURM_NODEID`, the head node's address),
 * as a piece of an argv word: `shellVar('SLURM_NODEID')`, or `` `${shellVar('DSD_HEAD_ADDR')}:5000` ``. It is framed by
 * NUL characters, which no user value can contain (profiles refuse control characters and shQuote refuses NUL), so
 * only words built by our code ever expand; every other byte of every word is literal on every runtime.
 */
export const shellVar = (name: string): string => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid shell variable name: ${name}`);
  return `\u0000${name}\u0000`;
};

/**
 * A path field of a profile (hfCache, workdir, directory): a leading `~` or `~/` means the remote user's home, as
 * typed at a prompt. Only path fields go through this; engine arguments are literal everywhere (compose and docker
 * never expand `~`, so the shell must not either).
 */
export const remoteHomePath = (p: string): string => (p === '~' ? shellVar('HOME') : p.startsWith('~/') ? `${shellVar('HOME')}${p.slice(1)}` : p);

/** Whether a word holds a generated variable reference (shellVar). */
export const hasShellVar = (word: string): boolean => word.includes('\u0000');

/**
 * Quoting for words bound for a remote bash: literal bytes in single quotes, generated variable references (shellVar)
 * as `"$NAME"`, so `${shellVar('HOME')}/.cache` becomes `"$HOME"/.cache`. A `$` or `~` typed by a user stays literal.
 */
export function shQuoteRemote(word: string): string {
  if (!hasShellVar(word)) return shQuote(word);
  const parts = word.split('\u0000');
  if (parts.length % 2 === 0) throw new Error('unbalanced variable sentinel in a shell word');
  let out = '';
  for (const [i, part] of parts.entries()) {
    if (i % 2 === 1) out += `"\${${shellVar(part).slice(1, -1)}}"`;
    else if (part) out += shQuote(part);
  }
  return out || "''";
}

export function shJoinRemote(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shQuoteRemote).join(' ');
}

/** Replaces generated variable references with `${NAME}` for display in places that are not shell (logs, YAML). */
// eslint-disable-next-line no-control-regex -- NUL frames our generated variable references
export const showShellVars = (word: string): string => word.replace(/\u0000([A-Za-z_][A-Za-z0-9_]*)\u0000/g, '${$1}');
