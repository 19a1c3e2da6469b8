/** Where and as whom to connect; resolved from ~/.ssh/config, settings or the CLI before any connection is made. */
export interface SshTarget {
  /** Stable id (the ssh-config alias or user@host:port); keys the connection pool. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly identityFiles: readonly string[];
  /** ssh-agent socket (IdentityAgent or SSH_AUTH_SOCK); "none" disables the agent. */
  readonly agent?: string;
  /** ProxyJump hops, outermost first; each hop's host key is verified on its own. */
  readonly jump?: readonly SshTarget[];
  /** HostKeyAlias (ssh_config(5)): the name looked up in and written to known_hosts instead of host/port. */
  readonly hostKeyAlias?: string;
  /** ProxyCommand with its tokens expanded (run locally with `sh -c`; its stdin/stdout carry the SSH stream). */
  readonly proxyCommand?: string;
}

export const targetLabel = (t: SshTarget): string => `${t.user}@${t.host}${t.port === 22 ? '' : `:${t.port}`}`;

/**
 * Parses "user@host[:port]" (and "[v6addr]:port", or a bare IPv6 address) as the CLI and the Add Host box take it.
 * The user defaults to `defaultUser`; the port to 22. Refused, with a message naming the part at fault: whitespace or
 * control characters anywhere, an empty user or host, a host or user starting with "-" (ssh(1) would read it as an
 * option), a host with characters outside a DNS name / IPv4 / IPv6 address (RFC 1123 letters, digits, "-", "." and
 * "_" as ssh_config(5) aliases allow), and a port that is not 1–65535 in decimal (`gpu01:abc`, `gpu:99999`).
 * @throws Error "not a valid user@host[:port] (reason): spec"
 */
export function parseUserHost(spec: string, defaultUser: string): { user: string; host: string; port: number } {
  const bad = (why: string): Error => new Error(`not a valid user@host[:port] (${why}): ${spec}`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/u.test(spec)) throw bad('no spaces or control characters allowed');
  const at = spec.lastIndexOf('@');
  const user = at >= 0 ? spec.slice(0, at) : defaultUser;
  const rest = at >= 0 ? spec.slice(at + 1) : spec;
  if (!user) throw bad('empty user');
  if (user.startsWith('-')) throw bad('user must not start with "-"');
  let host = rest;
  let portText: string | undefined;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  if (v6) {
    host = v6[1];
    portText = v6[2];
    if (!/^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(host) || !host.includes(':')) throw bad(`"${host}" is not an IPv6 address`);
  } else if ((rest.match(/:/g) ?? []).length >= 2) {
    // A bare IPv6 address (no port possible without brackets).
    if (!/^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(rest)) throw bad(`"${rest}" is not an IPv6 address; write [addr]:port`);
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
    if (!host) throw bad('empty host');
    if (host.startsWith('-')) throw bad('host must not start with "-"');
    if (!/^[A-Za-z0-9_.-]+$/.test(host)) throw bad(`host "${host}" may hold only letters, digits, ".", "-" and "_"`);
  }
  let port = 22;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`port must be a number from 1 to 65535, not "${portText}"`);
    port = Number(portText);
  }
  return { user, host, port };
}
