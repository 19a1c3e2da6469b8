import { createHash, createHmac } from 'node:crypto';

/**
 * OpenSSH known_hosts, read exactly as OpenSSH reads it. Sources: sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT",
 * OpenSSH hostfile.c (hostkeys_foreach, check_markers, match_maybe_hashed, check_hostkeys_by_key_or_type,
 * check_key_not_revoked), match.c (match_pattern, match_pattern_list), sshconnect.c (check_host_key,
 * get_hostfile_hostname_ipaddr) and sshconnect2.c (order_hostkeyalgs).
 *
 * Not done, deliberately: CheckHostIP (OpenSSH's default has been "no" since 8.5, so it also looks up only the name)
 * and host certificates (ssh2 has no *-cert-v01@openssh.com host-key algorithms; @cert-authority lines are parsed and
 * reported to the user instead of being silently dropped).
 */

/** A known_hosts line's marker: none, `@revoked`, or `@cert-authority`. */
export type KnownHostsMarker = 'none' | 'revoked' | 'cert-authority';

/** One usable known_hosts line. `line` is 1-based, as `ssh` prints "Offending key in FILE:LINE". */
export interface KnownHostsEntry {
  readonly marker: KnownHostsMarker;
  /** The host field as written: comma-separated patterns, or one `|1|salt|hash` hashed name. */
  readonly hosts: string;
  /** Key type named on the line (equal to the type inside the key blob, else the line is skipped). */
  readonly keyType: string;
  /** The public key blob (SSH wire format). */
  readonly key: Buffer;
  readonly source: string;
  readonly line: number;
}

/** OpenSSH's decision for one presented key (hostfile.c HOST_OK / HOST_NEW / HOST_CHANGED / HOST_REVOKED). */
export type HostKeyStatus =
  | { readonly kind: 'trusted'; readonly entry: KnownHostsEntry }
  /** No plain key for the name. `certAuthorities`: @cert-authority lines that match the name (cannot be used). */
  | { readonly kind: 'unknown'; readonly certAuthorities: readonly KnownHostsEntry[] }
  /** Keys are recorded for the name, of this type or another, and none is the presented key. */
  | { readonly kind: 'changed'; readonly known: readonly KnownHostsEntry[] }
  | { readonly kind: 'revoked'; readonly entry: KnownHostsEntry };

/**
 * Key types OpenSSH's sshkey_read accepts on a known_hosts line (sshkey.c keytypes[]); a line with any other type is
 * invalid and skipped, as OpenSSH skips it.
 */
const KEY_TYPES = new Set([
  'ssh-ed25519', 'ssh-ed25519-cert-v01@openssh.com', 'sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ecdsa-sha2-nistp256@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-sha2-nistp384-cert-v01@openssh.com', 'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ssh-rsa', 'ssh-rsa-cert-v01@openssh.com', 'ssh-dss', 'ssh-dss-cert-v01@openssh.com',
  'ssh-xmss@openssh.com', 'ssh-xmss-cert-v01@openssh.com',
]);

/**
 * Host-key algorithms we can offer, in ssh2 1.17's default order (lib/protocol/constants.js
 * DEFAULT_SERVER_HOST_KEY; ssh-dss is left out as OpenSSH ≥ 7.0 leaves it out). `keyType` is the key type a server
 * presents for that algorithm (RFC 8332: rsa-sha2-* sign with an "ssh-rsa" key).
 */
export const HOST_KEY_ALGORITHMS: ReadonlyArray<{ readonly algorithm: string; readonly keyType: string }> = [
  { algorithm: 'ssh-ed25519', keyType: 'ssh-ed25519' },
  { algorithm: 'ecdsa-sha2-nistp256', keyType: 'ecdsa-sha2-nistp256' },
  { algorithm: 'ecdsa-sha2-nistp384', keyType: 'ecdsa-sha2-nistp384' },
  { algorithm: 'ecdsa-sha2-nistp521', keyType: 'ecdsa-sha2-nistp521' },
  { algorithm: 'rsa-sha2-512', keyType: 'ssh-rsa' },
  { algorithm: 'rsa-sha2-256', keyType: 'ssh-rsa' },
  { algorithm: 'ssh-rsa', keyType: 'ssh-rsa' },
];

/** "SHA256:…" exactly as `ssh-keygen -lf` and OpenSSH's prompts print it (base64, no padding). */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (uint32 length + type string; RFC 4253 §6.6); '' if malformed. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return '';
  const n = keyBlob.readUInt32BE(0);
  if (n === 0 || n > 64 || 4 + n > keyBlob.length) return '';
  return keyBlob.subarray(4, 4 + n).toString('latin1');
}

/**
 * A host name as OpenSSH compares it: lowercased (ssh.c lowercases the host and HostKeyAlias), IPv6 brackets the user
 * typed removed ("[::1]" → "::1"), so "[::1]" on port 2222 becomes "[::1]:2222" exactly once.
 */
export function normalizeHostName(host: string): string {
  const h = host.trim().toLowerCase();
  const m = /^\[([^\]]*)\]$/.exec(h);
  return m ? m[1] : h;
}

/**
 * The name a host is looked up under and recorded as (sshconnect.c get_hostfile_hostname_ipaddr / put_host_port):
 * the HostKeyAlias when set (port not added), else "host" on port 22 and "[host]:port" on any other port.
 */
export function knownHostsName(host: string, port: number, hostKeyAlias?: string): string {
  if (hostKeyAlias) return hostKeyAlias.trim().toLowerCase();
  const h = normalizeHostName(host);
  return port === 22 ? h : `[${h}]:${port}`;
}

/** match.c match_pattern: `*` any run, `?` any one character; everything else (brackets too) is literal. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]')}$`);
  return re.test(name);
}

/**
 * Does a known_hosts host field name this host? match.c match_pattern_list (patterns lowercased) and hostfile.c
 * match_maybe_hashed: a `|1|salt|hash` field is one HMAC-SHA1(salt, name); otherwise any positive pattern must match
 * and a matching negated pattern (`!pat`) excludes the line whatever else matched. `name` must be normalised.
 */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) {
    const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(field);
    if (!m) return false;
    const salt = Buffer.from(m[1], 'base64');
    if (salt.length !== 20) return false; // hostfile.c extract_salt: the salt is one SHA-1 block
    return createHmac('sha1', salt).update(name).digest('base64') === m[2];
  }
  let positive = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const p = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!globMatch(p, name)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

/**
 * Every usable line of a known_hosts file. Skipped as OpenSSH skips them: blank lines and `#` comments, lines with an
 * unknown `@marker`, lines with no key, an unknown key type, bad base64, or a blob whose inner type differs from the
 * named one. `source` names the file in messages.
 */
export function parseKnownHosts(text: string, source: string): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/[ \t]+/);
    let marker: KnownHostsMarker = 'none';
    if (parts[0].startsWith('@')) {
      const m = parts.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // hostfile.c check_markers: MRK_ERROR, the line is invalid
    }
    if (parts.length < 3) continue;
    const [hosts, keyType, b64] = parts;
    if (!KEY_TYPES.has(keyType) || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (keyTypeOf(key) !== keyType) continue;
    out.push({ marker, hosts, keyType, key, source, line: i + 1 });
  }
  return out;
}

/** The entries whose host field names `name` (see knownHostsName). */
export function entriesForName(entries: readonly KnownHostsEntry[], name: string): KnownHostsEntry[] {
  return entries.filter((e) => hostFieldMatches(e.hosts, name));
}

/**
 * OpenSSH's decision for a presented plain key, given the entries for its name (hostfile.c
 * check_hostkeys_by_key_or_type, then check_key_not_revoked): a key listed @revoked is refused; a listed key is
 * trusted; any other key while keys are recorded for the name — of the same type or ANOTHER type — has changed;
 * otherwise the key is unknown. @cert-authority lines never vouch for a plain key.
 */
export function checkHostKey(entries: readonly KnownHostsEntry[], keyBlob: Buffer): HostKeyStatus {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(keyBlob));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const plain = entries.filter((e) => e.marker === 'none');
  const match = plain.find((e) => e.key.equals(keyBlob));
  if (match) return { kind: 'trusted', entry: match };
  if (plain.length) return { kind: 'changed', known: plain };
  return { kind: 'unknown', certAuthorities: entries.filter((e) => e.marker === 'cert-authority') };
}

/**
 * The host-key algorithms to offer, best first (sshconnect2.c order_hostkeyalgs): algorithms for key types already
 * recorded (not revoked) for the name come first, the rest follow, each group in HOST_KEY_ALGORITHMS order. The server
 * picks the first one it also has (RFC 4253 §7.1), so a host with ECDSA and ed25519 keys whose known_hosts holds only
 * the ECDSA key presents the ECDSA key.
 */
export function hostKeyAlgorithmOrder(entries: readonly KnownHostsEntry[]): string[] {
  const known = new Set(entries.filter((e) => e.marker === 'none').map((e) => e.keyType));
  const first = HOST_KEY_ALGORITHMS.filter((a) => known.has(a.keyType));
  const rest = HOST_KEY_ALGORITHMS.filter((a) => !known.has(a.keyType));
  return [...first, ...rest].map((a) => a.algorithm);
}

/** "FILE:LINE", the way ssh names an offending line. */
export const entryWhere = (e: KnownHostsEntry): string => `${e.source}:${e.line}`;
