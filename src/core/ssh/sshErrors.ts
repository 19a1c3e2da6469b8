/** One error type for everything SSH, so the UI and CLI can say exactly what went wrong and what to do. */
export type SshErrorKind = 'host-key-unknown' | 'host-key-changed' | 'host-key-revoked' | 'auth' | 'unreachable' | 'timeout' | 'closed' | 'config';

export class SshError extends Error {
  constructor(readonly kind: SshErrorKind, message: string, readonly hostLabel: string) {
    super(message);
    this.name = 'SshError';
  }
}
