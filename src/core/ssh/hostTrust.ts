import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkHostKey, fingerprintSha256, hostPatternName, keyTypeOf, parseKnownHosts, type KnownKey } from './knownHosts';
import { SshError } from './sshErrors';

export interface UnknownHostKey { readonly host: string; readonly port: number; readonly keyType: string; readonly fingerprint: string }

/** Asked when a host presents a key nobody has vouched for; resolve true only on an explicit "Trust". */
export type ConfirmHostKey = (info: UnknownHostKey) => Promise<boolean>;

interface StoreEntry { host: string; type: string; key: string; fingerprint: string; addedAt: string }

/**
 * Host-key decisions: OpenSSH's known_hosts files are read (never written); keys the user trusted through us go to
 * our own store (a JSON file under the extension's or CLI's storage). Every connection goes through verify();
 * there is no switch that skips it.
 */
export class HostTrust {
  constructor(private readonly knownHostsFiles: readonly string[], private readonly storePath: string | undefined, private readonly confirm: ConfirmHostKey) {}

  private readStore(): StoreEntry[] {
    if (!this.storePath) return [];
    try {
      const v = JSON.parse(fs.readFileSync(this.storePath, 'utf8')) as unknown;
      return Array.isArray(v) ? (v as StoreEntry[]) : [];
    } catch {
      return [];
    }
  }

  private known(host: string, port: number): KnownKey[] {
    const out: KnownKey[] = [];
    for (const f of this.knownHostsFiles) {
      let text: string;
      try {
        text = fs.readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      out.push(...parseKnownHosts(text, host, port, f));
    }
    const name = hostPatternName(host, port);
    for (const e of this.readStore()) if (e.host === name) out.push({ type: e.type, keyBase64: e.key, revoked: false, source: this.storePath ?? 'trust store' });
    return out;
  }

  /** Resolves when the key may be used; rejects with an SshError that names both fingerprints when it may not. */
  async verify(host: string, port: number, keyBlob: Buffer, label: string): Promise<void> {
    const fp = fingerprintSha256(keyBlob);
    const status = checkHostKey(this.known(host, port), keyBlob);
    const name = hostPatternName(host, port);
    if (status.kind === 'trusted') return;
    if (status.kind === 'revoked') throw new SshError('host-key-revoked', `Host key verification failed: the host key of ${name} (${fp}) is marked @revoked in ${status.source}. Refusing to connect.`, label);
    if (status.kind === 'changed') {
      throw new SshError('host-key-changed',
        `Host key verification failed: the host key of ${name} has CHANGED. It now presents ${keyTypeOf(keyBlob)} ${fp}, but ${status.source} has ${status.knownFingerprints.join(', ')}. ` +
        `This can be a reinstalled server or a man-in-the-middle attack, so the connection was refused. If the change is expected, verify the new fingerprint out of band, then remove the old entry (ssh-keygen -R '${name}'${status.source.endsWith('.json') ? ' or "DeepSeek: Forget Host Key"' : ''}) and connect again.`, label);
    }
    const ok = await this.confirm({ host, port, keyType: keyTypeOf(keyBlob), fingerprint: fp });
    if (!ok) throw new SshError('host-key-unknown', `Host key verification failed: the host key of ${name} (${keyTypeOf(keyBlob)} ${fp}) is not known and was not trusted.`, label);
    this.remember(name, keyBlob, fp);
  }

  private remember(name: string, keyBlob: Buffer, fp: string): void {
    if (!this.storePath) return;
    const entries = this.readStore().filter((e) => !(e.host === name && e.type === keyTypeOf(keyBlob)));
    entries.push({ host: name, type: keyTypeOf(keyBlob), key: keyBlob.toString('base64'), fingerprint: fp, addedAt: new Date().toISOString() });
    fs.mkdirSync(path.dirname(this.storePath), { recursive: true });
    fs.writeFileSync(this.storePath, JSON.stringify(entries, null, 2), { mode: 0o600 });
  }

  forget(host: string, port: number): number {
    if (!this.storePath) return 0;
    const name = hostPatternName(host, port);
    const all = this.readStore();
    const kept = all.filter((e) => e.host !== name);
    if (kept.length !== all.length) fs.writeFileSync(this.storePath, JSON.stringify(kept, null, 2), { mode: 0o600 });
    return all.length - kept.length;
  }
}
