/**
 * POSIX single-quote quoting: every byte stands for itself inside '…', and a single quote is written as '\''.
 * Words made only of safe characters are left bare so logged scripts stay readable.
 */
export function shQuote(word: string): string {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shQuote).join(' ');
}

/**
 * Quoting for words bound for a remote shell: like shQuote, except that a leading "~/" means the remote user's home
 * (as it would typed at a prompt), so paths like ~/.cache/huggingface work inside otherwise quoted arguments.
 */
export function shQuoteRemote(word: string): string {
  return word.startsWith('~/') ? `"$HOME"/${shQuote(word.slice(2))}` : word === '~' ? '"$HOME"' : shQuote(word);
}

export function shJoinRemote(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shQuoteRemote).join(' ');
}

/** For generated job scripts: words that are exactly shell variable references (e.g. "$SLURM_NODEID") stay expandable. */
export function shQuoteScript(word: string): string {
  return /^[A-Za-z0-9_:./-]*(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?[A-Za-z0-9_:./-]*)+$/.test(word) ? `"${word}"` : shQuoteRemote(word);
}
