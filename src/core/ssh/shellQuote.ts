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
