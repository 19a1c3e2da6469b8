/**
 * OpenSSH's default identities (ssh -G order, OpenSSH 9.2 readconf.c fill_default_options), tried when neither
 * `-i` nor an IdentityFile line names one. Key types ssh2 cannot use (security keys, XMSS) are skipped when read.
 */
export const OPENSSH_DEFAULT_IDENTITIES: readonly string[] = ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ecdsa_sk', '~/.ssh/id_ed25519', '~/.ssh/id_ed25519_sk', '~/.ssh/id_xmss', '~/.ssh/id_dsa'];

/** Kept for callers that build a target without a config: the same list as OPENSSH_DEFAULT_IDENTITIES. */
export const DEFAULT_IDENTITIES: readonly string[] = OPENSSH_DEFAULT_IDENTITIES;
