import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkHostKey, entriesForName, entryWhere, fingerprintSha256, hostKeyAlgorithmOrder, keyTypeOf, knownHostsName, normalizeHostName, parseKnownHosts,
  type KnownHostsEntry,
} from './knownHosts';
import { shQuote } from './shellQuote';
import { SshError } from './sshErrors';
import { defaultTrustStorePath } from './trustStorePath';

/** What a host key is checked for: the host and port connected to, and ssh_config's HostKeyAlias if any. */
export interface HostKeyTarget {
  readonly host: string;
  readonly port: number;
  readonly hostKeyAlias?: string;
}

/** A key nobody has vouched for, as shown in the "trust this host?" question. */
export interface UnknownHostKey {
  readonly host: string;
  readonly port: number;
  /** The known_hosts name the key is recorded under when trusted ("[host]:port", "host" or the HostKeyAlias). */
  readonly name: string;
  readonly keyType: string;
  /** SHA256 fingerprint as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  /** The shared trust store a trusted key is written to (undefined: not remembered). */
  readonly storePath?: string;
  /** Things the user must read before trusting, e.g. @cert-authority lines that cannot be checked here. */
  readonly notes: readonly string[];
}

/** Asked when a host presents a key nobody has vouched for; resolve true only on an explicit "Trust". */
export type ConfirmHostKey = (info: UnknownHostKey) => Promise<boolean>;

/** One key recorded in the trust store (for "Forget Host Key…"). */
export interface StoredHostKey {
  /** The host field as written (a `|1|…` hashed name is shown as is). */
  readonly name: string;
  readonly keyType: string;
  readonly fingerprint: string;
}

const FORGET_COMMAND = '"DeepSeek: Forget Host Key…"';

/**
 * Host-key decisions, as OpenSSH makes them (see knownHosts.ts for the rules and their sources). The user's
 * known_hosts files are only read; keys trusted through us (the prompt, or the CLI's --accept-new) are appended to ONE
 * store in OpenSSH known_hosts format shared by the CLI and the extension (trustStorePath.ts), with plain (unhashed)
 * names so `ssh-keygen -F/-R NAME -f FILE` and `ssh -o UserKnownHostsFile=FILE` work on it. Every connection and every
 * ProxyJump hop goes through verify(); there is no switch that skips it.
 */
export class HostTrust {
  constructor(
    private readonly knownHostsFiles: readonly string[],
    /** The shared store (written); undefined = keys are trusted for this session's prompt only and never stored. */
    private readonly storePath: string | undefined,
    private readonly confirm: ConfirmHostKey,
    private readonly log?: (line: string) => void,
  ) {}

  /** The known_hosts name for a target (HostKeyAlias, else "host" / "[host]:port"). */
  nameOf(t: HostKeyTarget): string {
    return knownHostsName(t.host, t.port, t.hostKeyAlias);
  }

  private load(): KnownHostsEntry[] {
    const files = [...this.knownHostsFiles, ...(this.storePath ? [this.storePath] : [])];
    const seen = new Set<string>();
    const out: KnownHostsEntry[] = [];
    for (const f of files) {
      const abs = path.resolve(f);
      if (seen.has(abs)) continue;
      seen.add(abs);
      let text: string;
      try {
        text = fs.readFileSync(abs, 'utf8');
      } catch {
        continue; // OpenSSH skips known_hosts files it cannot open (missing is normal)
      }
      out.push(...parseKnownHosts(text, f));
    }
    return out;
  }

  /** Host-key algorithms to offer this host, those of already recorded key types first (ssh2 algorithms.serverHostKey). */
  hostKeyAlgorithms(t: HostKeyTarget): string[] {
    return hostKeyAlgorithmOrder(entriesForName(this.load(), this.nameOf(t)));
  }

  /**
   * Resolves when the key may be used; otherwise rejects with an SshError (kind host-key-revoked / host-key-changed /
   * host-key-unknown) whose message names the key, every recorded fingerprint with FILE:LINE, and the
   * `ssh-keygen -R NAME -f FILE` that removes an outdated key. A changed key is never offered for trust.
   */
  async verify(t: HostKeyTarget, keyBlob: Buffer, label: string): Promise<void> {
    const name = this.nameOf(t);
    const type = keyTypeOf(keyBlob);
    const fp = fingerprintSha256(keyBlob);
    const all = this.load();
    const status = checkHostKey(entriesForName(all, name), keyBlob);
    if (status.kind === 'trusted') return;
    // sshconnect.c "checking without port identifier": on a non-22 port with no HostKeyAlias, a new key is still
    // accepted when the bare host name lists exactly this key (only a match counts; nothing else is inferred).
    if (status.kind === 'unknown' && !t.hostKeyAlias && t.port !== 22 && checkHostKey(entriesForName(all, normalizeHostName(t.host)), keyBlob).kind === 'trusted') return;
    if (status.kind === 'revoked') {
      throw new SshError('host-key-revoked',
        `Host key verification failed: the ${type} host key of ${name} (${fp}) is marked @revoked in ${entryWhere(status.entry)}. ` +
        'Refusing to connect: a revoked key means its private half is known to be compromised.', label);
    }
    if (status.kind === 'changed') {
      const knownTypes = [...new Set(status.known.map((e) => e.keyType))];
      const otherType = !knownTypes.includes(type);
      const fixes = [...new Set(status.known.map((e) => e.source))].map((f) => {
        const cmd = `ssh-keygen -R ${shQuote(name)} -f ${shQuote(f)}`;
        return this.storePath && path.resolve(f) === path.resolve(this.storePath) ? `${cmd} (or the command ${FORGET_COMMAND})` : cmd;
      });
      throw new SshError('host-key-changed',
        `Host key verification failed: REMOTE HOST IDENTIFICATION HAS CHANGED. The host key of ${name} has CHANGED: it now presents ${type} ${fp}, ` +
        `but the recorded key${status.known.length > 1 ? 's are' : ' is'} ${status.known.map((e) => `${e.keyType} ${fingerprintSha256(e.key)} (${entryWhere(e)})`).join(', ')}.` +
        (otherType ? ` The server did not offer a ${knownTypes.join('/')} key although it was asked for one first.` : '') +
        ' Someone could be eavesdropping (a man-in-the-middle attack), or the host was reinstalled or its keys replaced, so the connection was refused and nothing was stored. ' +
        `If the change is expected, compare the new fingerprint with the host's administrator (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), then remove the old key with ${fixes.join(' and ')} and connect again.` +
        patternLines(status.known),
        label);
    }
    const notes = status.certAuthorities.map((e) =>
      `${entryWhere(e)} trusts a host certificate authority (@cert-authority ${e.hosts}) for ${name}, but host certificates cannot be checked here ` +
      '(the ssh2 library has no *-cert-v01@openssh.com host-key algorithms), so the plain host key below is what you are asked to trust.');
    const ok = await this.confirm({ host: normalizeHostName(t.host), port: t.port, name, keyType: type, fingerprint: fp, storePath: this.storePath, notes });
    if (!ok) {
      throw new SshError('host-key-unknown', `Host key verification failed: the host key of ${name} (${type} ${fp}) is not known and was not trusted.${notes.length ? ` ${notes.join(' ')}` : ''}`, label);
    }
    this.remember(name, keyBlob);
  }

  /** Appends "NAME TYPE BASE64" to the store (OpenSSH's add_host_to_hostfile line), atomically. */
  private remember(name: string, keyBlob: Buffer): void {
    if (!this.storePath) return;
    if (/[\s,*?!]/.test(name) || name.startsWith('|') || name.startsWith('@')) {
      this.log?.(`not storing the host key of "${name}": not a plain host name`);
      return;
    }
    try {
      const old = readIfExists(this.storePath);
      writeAtomically(this.storePath, `${old}${old && !old.endsWith('\n') ? '\n' : ''}${name} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`);
    } catch (e) {
      // As OpenSSH does ("Failed to add the host to the list of known hosts"): the user trusted it, connect anyway.
      this.log?.(`could not add ${name} to ${this.storePath}: ${(e as Error).message}`);
    }
  }

  /** Keys in the shared store (not the user's known_hosts, which we never write). */
  stored(): StoredHostKey[] {
    if (!this.storePath) return [];
    return parseKnownHosts(readIfExists(this.storePath), this.storePath)
      .filter((e) => e.marker === 'none')
      .map((e) => ({ name: e.hosts, keyType: e.keyType, fingerprint: fingerprintSha256(e.key) }));
  }

  /**
   * Removes every key recorded for `name` ("host", "[host]:port" or a HostKeyAlias) from the shared store, as
   * `ssh-keygen -R name -f STORE` does: hashed and pattern lines that match go too; @revoked and @cert-authority lines
   * stay. Returns how many lines were removed.
   */
  forget(name: string): number {
    if (!this.storePath) return 0;
    const text = readIfExists(this.storePath);
    if (!text) return 0;
    const n = /^\[[^\]]*\]:\d+$/.test(name.trim()) ? name.trim().toLowerCase() : normalizeHostName(name);
    const drop = new Set(parseKnownHosts(text, this.storePath).filter((e) => e.marker === 'none' && entriesForName([e], n).length).map((e) => e.line));
    if (!drop.size) return 0;
    writeAtomically(this.storePath, text.split('\n').filter((_, i) => !drop.has(i + 1)).join('\n'));
    return drop.size;
  }

  /** The known_hosts files (not the store) that hold a plain key for `name`, for "remove it there with ssh-keygen -R". */
  userFilesNaming(name: string): string[] {
    const store = this.storePath ? path.resolve(this.storePath) : undefined;
    return [...new Set(entriesForName(this.load(), name).filter((e) => e.marker === 'none' && path.resolve(e.source) !== store).map((e) => e.source))];
  }
}

/** ssh-keygen -R deletes a whole matching line: say so when that line also names other hosts (a pattern or a list). */
function patternLines(known: readonly KnownHostsEntry[]): string {
  const shared = known.filter((e) => !e.hosts.startsWith('|') && /[*?!,]/.test(e.hosts));
  return shared.length ? ` Note: ${shared.map((e) => `${entryWhere(e)} ("${e.hosts}")`).join(', ')} also name${shared.length > 1 ? '' : 's'} other hosts; ssh-keygen -R removes the whole line for all of them, so you may prefer to edit it.` : '';
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/**
 * Replaces `file` with `text` so that readers see the old or the new file, never a partial one: a 0600 temp file in
 * the same directory (created 0700 if missing), fsync, rename. Two writers racing can lose one's line, not corrupt it.
 */
function writeAtomically(file: string, text: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Our own folder may predate this rule (older versions made it 0755); never touch a folder that is not ours.
  if (dir === path.dirname(defaultTrustStorePath())) fs.chmodSync(dir, 0o700);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
