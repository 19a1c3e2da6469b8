import type { ConfirmHostKey } from '../core/ssh/hostTrust';

/**
 * The CLI's answer to "trust this unknown host key?", like ssh's StrictHostKeyChecking: with --accept-new
 * ("accept-new") an unknown key is trusted and added to the shared store, the key and store printed on stderr;
 * without it ("yes") it is refused. Changed and revoked keys never get here: HostTrust refuses them first.
 */
export function acceptNewHostKey(acceptNew: boolean, write: (s: string) => unknown): ConfirmHostKey {
  return (info) => {
    for (const n of info.notes) write(`note: ${n}\n`);
    if (acceptNew) write(`Warning: permanently added '${info.name}' (${info.keyType} ${info.fingerprint}) to the list of known hosts${info.storePath ? ` in ${info.storePath}` : ''}.\n`);
    return Promise.resolve(acceptNew);
  };
}
