import * as os from 'node:os';
import * as path from 'node:path';
import { loadSshConfigHosts } from './sshConfig';
import { DEFAULT_IDENTITIES } from './sshConfigDefaults';
import { parseUserHost, type SshTarget } from './sshTarget';

/** "This machine": commands run here, without SSH. */
export interface LocalTarget { readonly kind: 'local' }

/**
 * The one resolution of a host spec, used by the launch pipeline of the extension and of the CLI alike, so a profile's
 * `host:` means the same everywhere: "local" → this machine; a concrete `Host` alias of the ssh config → that entry
 * (HostName, User, Port, IdentityFile, ProxyJump resolved as OpenSSH does, see sshConfig.ts); otherwise
 * `user@host[:port]` (user defaults to `defaultUser`, then the OS user; OpenSSH's default identities).
 * Throws Error("not a valid user@host[:port]: …") for a spec that is neither.
 * (Minimal version; the hosts-config work replaces the body with the full ssh_config resolution.)
 */
export function resolveTarget(spec: string, opts: { sshConfigFile?: string; defaultUser?: string } = {}): SshTarget | LocalTarget {
  const s = spec.trim();
  if (s === 'local' || s === 'localhost-process') return { kind: 'local' };
  const defaultUser = opts.defaultUser ?? os.userInfo().username;
  const cfg = opts.sshConfigFile ?? path.join(os.homedir(), '.ssh', 'config');
  const alias = loadSshConfigHosts(cfg, defaultUser).find((t) => t.id === s);
  if (alias) return alias;
  const u = parseUserHost(s, defaultUser);
  return { id: s, host: u.host, port: u.port, user: u.user, identityFiles: DEFAULT_IDENTITIES.map((f) => f.replace(/^~(?=\/)/, os.homedir())) };
}

/** Narrows resolveTarget's answer. */
export const isLocalTarget = (t: SshTarget | LocalTarget): t is LocalTarget => 'kind' in t && t.kind === 'local';
