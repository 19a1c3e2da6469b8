/** A malformed or refused ssh_config; the message starts with "FILE line N:" as OpenSSH's errors do. */
export class SshConfigError extends Error {}

/** One ssh_config line, split as OpenSSH's readconf.c splits it. */
export interface SshConfigLine {
  /** The keyword, lowercased (keywords are case-insensitive). */
  readonly keyword: string;
  /** The arguments as argv_split(3) makes them: quotes removed, `\"` `\'` `\\` `\ ` unescaped, `#` word ends the line. */
  readonly args: readonly string[];
  /** The raw text after the keyword and its `=`/blanks, trailing blanks removed: what ProxyCommand & co. take. */
  readonly rest: string;
}

const BLANK = new Set([' ', '\t', '\r', '\n']);

/**
 * Parses one line (process_config_line_depth in readconf.c): blank lines and `#` comments give undefined; the
 * keyword ends at a blank or `=`, one `=` between keyword and value is allowed (`Port=22`, `Port = 22`).
 * Throws SshConfigError for a keyword without argument or an unterminated quote.
 */
export function parseSshConfigLine(text: string, where: string): SshConfigLine | undefined {
  let end = text.length;
  while (end > 0 && (BLANK.has(text[end - 1]) || text[end - 1] === '\f')) end--;
  const line = text.slice(0, end);
  let i = 0;
  while (i < line.length && BLANK.has(line[i])) i++;
  if (i >= line.length || line[i] === '#') return undefined;
  const kwStart = i;
  while (i < line.length && !BLANK.has(line[i]) && line[i] !== '=') i++;
  const keyword = line.slice(kwStart, i).toLowerCase();
  const sawEquals = line[i] === '=';
  if (sawEquals) i++;
  while (i < line.length && BLANK.has(line[i])) i++;
  if (!sawEquals && line[i] === '=') {
    i++;
    while (i < line.length && BLANK.has(line[i])) i++;
  }
  const rest = line.slice(i);
  if (rest === '') throw new SshConfigError(`${where}: no argument after keyword "${keyword}"`);
  return { keyword, args: argvSplit(rest, where), rest };
}

/** argv_split(3) with terminate_on_comment (misc.c). */
export function argvSplit(s: string, where: string): string[] {
  const argv: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++;
      continue;
    }
    if (s[i] === '#') break;
    let arg = '';
    let quote = '';
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '\\') {
        const n = s[i + 1];
        if (n === "'" || n === '"' || n === '\\' || (quote === '' && n === ' ')) {
          i++;
          arg += n;
        } else arg += c;
      } else if (quote === '' && (c === ' ' || c === '\t')) break;
      else if (quote === '' && (c === '"' || c === "'")) quote = c;
      else if (quote !== '' && c === quote) quote = '';
      else arg += c;
    }
    if (quote !== '') throw new SshConfigError(`${where}: invalid quotes`);
    argv.push(arg);
  }
  return argv;
}
