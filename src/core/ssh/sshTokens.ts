import * as fs from 'node:fs';

/** Thrown for a `%` token or `${VAR}` that cannot be expanded; `message` names the keyword and the token. */
export class SshTokenError extends Error {}

/** Values of ssh_config(5) TOKENS by letter, e.g. `{ h: 'gpu1.example', p: '22' }`. */
export type TokenValues = Readonly<Partial<Record<string, string>>>;

/**
 * OpenSSH's percent_expand / percent_dollar_expand (misc.c), one left-to-right pass: `%%` is `%`, `%X` is
 * `tokens[X]`, and with `env` also `${NAME}` is that environment variable. An unknown token, a lone trailing `%`,
 * an unset variable or an unterminated `${` is an error, as in OpenSSH (which refuses the setting).
 * `what` names the keyword in the error message.
 */
export function expandTokens(s: string, tokens: TokenValues, what: string, env?: NodeJS.ProcessEnv): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (env && c === '$' && s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2);
      if (end < 0) throw new SshTokenError(`${what}: unterminated \${ in "${s}"`);
      const name = s.slice(i + 2, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SshTokenError(`${what}: bad environment variable name \${${name}} in "${s}"`);
      const v = env[name];
      if (v === undefined) throw new SshTokenError(`${what}: environment variable \${${name}} has no value`);
      out += v;
      i = end;
    } else if (c === '%') {
      const k = s[i + 1];
      if (k === undefined) throw new SshTokenError(`${what}: "${s}" ends with a lone %`);
      if (k === '%') out += '%';
      else {
        const v = tokens[k];
        if (v === undefined) throw new SshTokenError(`${what}: unknown token %${k} in "${s}" (see TOKENS in ssh_config(5))`);
        out += v;
      }
      i++;
    } else out += c;
  }
  return out;
}

/**
 * tilde_expand_filename (misc.c): `~` and `~/…` become the local user's home (the passwd entry's, as OpenSSH uses,
 * not $HOME); `~name/…` becomes that user's home from /etc/passwd. Anything else is returned unchanged.
 */
export function expandTilde(p: string, home: string): string {
  if (!p.startsWith('~')) return p;
  const slash = p.indexOf('/');
  const name = slash < 0 ? p.slice(1) : p.slice(1, slash);
  const rest = slash < 0 ? '' : p.slice(slash);
  if (name === '') return home + rest;
  const dir = passwdHome(name);
  if (dir === undefined) throw new SshTokenError(`no such user "${name}" in ${p}`);
  return dir + rest;
}

function passwdHome(user: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 7) return f[5];
  }
  return undefined;
}
