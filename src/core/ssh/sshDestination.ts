import * as fs from 'node:fs';

/** a2port(3): a number 1–65535 or a TCP service name from /etc/services. */
export function parsePort(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 1 && n <= 65535 ? n : undefined;
  }
  try {
    for (const line of fs.readFileSync('/etc/services', 'utf8').split('\n')) {
      const f = line.replace(/#.*/, '').trim().split(/\s+/);
      const m = /^(\d+)\/tcp$/.exec(f[1] ?? '');
      if (m && (f[0] === s || f.slice(2).includes(s))) return Number(m[1]);
    }
  } catch {
    /* no services database */
  }
  return undefined;
}

/** One ProxyJump hop: `[user@]host[:port]`, `[user@][v6addr][:port]` or `ssh://[user@]host[:port]`. */
export interface JumpHop {
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
}

/**
 * parse_ssh_uri / parse_user_host_port (misc.c) for one destination. Throws Error with the reason when malformed.
 */
export function parseDestination(spec: string): JumpHop {
  let s = spec;
  if (/^ssh:\/\//i.test(s)) {
    s = s.slice(6);
    if (s.endsWith('/')) s = s.slice(0, -1);
    if (s.includes('/')) throw new Error(`"${spec}": an ssh:// address takes no path`);
  }
  const at = s.lastIndexOf('@');
  let user: string | undefined;
  if (at >= 0) {
    user = s.slice(0, at);
    if (user === '') throw new Error(`"${spec}": empty user name`);
    s = s.slice(at + 1);
  }
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw new Error(`"${spec}": missing ]`);
    host = s.slice(1, close);
    const after = s.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new Error(`"${spec}": unexpected text after ]`);
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    portText = colon < 0 ? undefined : s.slice(colon + 1);
  }
  if (host === '') throw new Error(`"${spec}": no host name`);
  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    port = parsePort(portText);
    if (port === undefined) throw new Error(`"${spec}": "${portText}" is not a port number`);
  }
  return { user, host, port };
}

/** A ProxyJump value's hops, outermost first (throws Error for an empty or malformed hop). */
export function splitJumpHops(value: string): JumpHop[] {
  return value.split(',').map((h) => parseDestination(h));
}
