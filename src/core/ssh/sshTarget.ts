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

/** Parses "user@host[:port]" (and "[v6addr]:port") as the CLI takes it. */
export function parseUserHost(spec: string, defaultUser: string): { user: string; host: string; port: number } {
  const at = spec.lastIndexOf('@');
  const user = at >= 0 ? spec.slice(0, at) : defaultUser;
  let rest = at >= 0 ? spec.slice(at + 1) : spec;
  let port = 22;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    rest = v6[1];
    if (v6[2]) port = Number(v6[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(rest);
    if (m) {
      rest = m[1];
      port = Number(m[2]);
    }
  }
  if (!rest || !user || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a valid user@host[:port]: ${spec}`);
  return { user, host: rest, port };
}
