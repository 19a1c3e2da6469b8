import * as vscode from 'vscode';
import type { HostEntry } from '../../core/hosts/hostModel';
import { shQuote } from '../../core/ssh/shellQuote';
import type { RemoteAccess } from './remoteAccess';

/** A known_hosts name, a Hosts-view node (`{ host }`), or nothing (pick from the store). */
type ForgetArg = string | { name?: string; host?: HostEntry } | undefined;

/**
 * "DeepSeek: Forget Host Key…": removes every key recorded for one host name from the trust store shared with the CLI
 * (~/.config/deepseek-deploy/known_hosts), as `ssh-keygen -R NAME -f STORE` would, so the next connection asks again.
 * The user's own known_hosts files are never edited; when they also list the name, the message gives the exact
 * `ssh-keygen -R` to run. Resolves with the number of lines removed (undefined when cancelled).
 */
export function forgetHostKeyCommand(remote: RemoteAccess) {
  return async (arg?: ForgetArg): Promise<number | undefined> => {
    const trust = remote.hosts.trust;
    let name = typeof arg === 'string' ? arg : arg?.name;
    if (!name && typeof arg === 'object' && arg.host && arg.host.kind === 'ssh') name = trust.nameOf(remote.target(arg.host));
    if (!name) {
      const byName = new Map<string, string[]>();
      for (const k of trust.stored()) byName.set(k.name, [...(byName.get(k.name) ?? []), `${k.keyType} ${k.fingerprint}`]);
      const other = '$(edit) Another host name…';
      const picked = await vscode.window.showQuickPick(
        [...[...byName].map(([n, keys]) => ({ label: n, detail: keys.join(' · ') })), { label: other, detail: 'host, [host]:port or HostKeyAlias' }],
        { title: 'Forget Host Key', placeHolder: 'Host whose recorded key(s) to remove from the DeepSeek trust store' },
      );
      if (!picked) return undefined;
      name = picked.label === other
        ? await vscode.window.showInputBox({ title: 'Forget Host Key', prompt: 'known_hosts name: host, [host]:port (port ≠ 22) or the HostKeyAlias', validateInput: (v) => (/^\S+$/.test(v.trim()) ? undefined : 'one host name, no spaces') })
        : picked.label;
      if (!name) return undefined;
    }
    name = name.trim();
    const removed = trust.forget(name);
    const elsewhere = trust.userFilesNaming(name);
    const also = elsewhere.length ? ` Your own known_hosts also list it; remove it there with: ${elsewhere.map((f) => `ssh-keygen -R ${shQuote(name)} -f ${shQuote(f)}`).join(' ; ')}` : '';
    const msg = removed ? `Forgot ${removed} host key${removed > 1 ? 's' : ''} of ${name}; the next connection will ask again.${also}` : `No key of ${name} is recorded in the DeepSeek trust store.${also}`;
    void (elsewhere.length ? vscode.window.showWarningMessage(msg) : vscode.window.showInformationMessage(msg));
    return removed;
  };
}
