/** OpenSSH's default identities, tried in this order when a host names none. */
export const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
