import { createHash, createHmac } from 'node:crypto';

/**
 * Reads OpenSSH known_hosts (never writes it): plain and hashed (|1|salt|hash) host patterns, "[host]:port" for
 * non-22 ports, wildcards and negation, and @revoked markers. @cert-authority lines are ignored (no CA support).
 */
export interface KnownKey { readonly type: string; readonly keyBase64: string; readonly revoked: boolean; readonly source: string }

export type HostKeyStatus =
  | { readonly kind: 'trusted'; readonly source: string }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'changed'; readonly knownFingerprints: string[]; readonly source: string }
  | { readonly kind: 'revoked'; readonly source: string };

/** "SHA256:…" exactly as `ssh-keygen -lf` and OpenSSH's prompts print it (base64, no padding). */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (string type; …). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const n = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + n).toString('latin1');
}

export function hostPatternName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

function hostsFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

export function parseKnownHosts(text: string, host: string, port: number, source: string): KnownKey[] {
  const name = hostPatternName(host, port);
  const out: KnownKey[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    let marker = '';
    if (parts[0].startsWith('@')) marker = parts.shift() ?? '';
    if (marker === '@cert-authority' || parts.length < 3) continue;
    const [hosts, type, key] = parts;
    if (!hostsFieldMatches(hosts, name)) continue;
    out.push({ type, keyBase64: key, revoked: marker === '@revoked', source });
  }
  return out;
}

/**
 * The decision OpenSSH makes: a revoked key is refused; a known matching key is trusted; a host with keys of the
 * offered type but none matching has changed its key (refused); otherwise the key is unknown (ask the user).
 */
export function checkHostKey(known: readonly KnownKey[], keyBlob: Buffer): HostKeyStatus {
  const type = keyTypeOf(keyBlob);
  const b64 = keyBlob.toString('base64');
  const revoked = known.find((k) => k.revoked && k.keyBase64 === b64);
  if (revoked) return { kind: 'revoked', source: revoked.source };
  const match = known.find((k) => !k.revoked && k.keyBase64 === b64);
  if (match) return { kind: 'trusted', source: match.source };
  const sameType = known.filter((k) => !k.revoked && k.type === type);
  if (sameType.length) return { kind: 'changed', knownFingerprints: sameType.map((k) => fingerprintSha256(Buffer.from(k.keyBase64, 'base64'))), source: sameType[0].source };
  return { kind: 'unknown' };
}
