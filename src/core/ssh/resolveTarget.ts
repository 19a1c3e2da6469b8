import * as fs from 'node:fs';
import { expandedIdentityFiles, expandedProxyCommand, expandedProxyJump, listSshConfigAliases, resolveSshConfig, type ResolvedSshConfig, type SshLocalContext } from './sshConfig';
import { parseDestination, type JumpHop } from './sshDestination';
import type { SshTarget } from './sshTarget';

/** Options of resolveTarget; all optional. */
export interface ResolveTargetOptions {
  /** Like `ssh -F FILE`: read only this file. Undefined: ~/.ssh/config then /etc/ssh/ssh_config, as `ssh` does. */
  readonly sshConfigFile?: string;
  /** The user when neither the spec nor the config names one (default: the local user name, as `ssh`). */
  readonly defaultUser?: string;
  /** Like `ssh -i FILE` (for the destination only, not its ProxyJump hops): tried first; no default identities then. */
  readonly identityFiles?: readonly string[];
  /** Like `ssh -J HOPS` (for the destination): replaces the config's ProxyJump and ProxyCommand. */
  readonly proxyJump?: string;
  /** System-wide file read after ~/.ssh/config when sshConfigFile is undefined (tests point it elsewhere). */
  readonly systemConfigFile?: string;
  /** Local user, home, host name and environment for tokens (tests); the running process's by default. */
  readonly local?: SshLocalContext;
}

/** How deep ProxyJump hops may nest (each hop's own ProxyJump adds a level) before we call it a loop. */
const MAX_JUMP_DEPTH = 16;

/**
 * The one resolver the CLI, the extension and the launch pipeline use: `local` gives `{ kind: 'local' }`; anything
 * else — an ssh-config alias, `host`, `user@host`, `user@host:port`, `[v6addr]:port`, `ssh://user@host:port` — is
 * resolved through ssh_config exactly as `ssh` resolves its destination (see resolveSshConfig): a `user@host:port`
 * spec still gets that host's config settings, with the spec's user and port winning as `-l`/`-p` would.
 * ProxyJump hops are each resolved the same way (as OpenSSH's `ssh -J` does: the outermost hop with its own config
 * ProxyJump/ProxyCommand, later hops reached through the earlier ones) and flattened outermost first into `jump`;
 * a ProxyCommand (tokens expanded) ends up on the outermost target. Returns SshTarget with absolute identity files
 * (tokens and `~` expanded, OpenSSH's defaults when none is named), `agent` ('none', a socket path, or undefined =
 * $SSH_AUTH_SOCK) and hostKeyAlias.
 * Throws Error (message names the spec, file and line) for a malformed spec, a host or user name with characters
 * OpenSSH 9.6+ refuses on its command line (shell metacharacters, blanks, leading `-`), a config OpenSSH refuses, a
 * hop that cannot be parsed, or a ProxyJump loop — never a target that silently skips a hop.
 */
export function resolveTarget(spec: string, opts: ResolveTargetOptions = {}): SshTarget | { kind: 'local' } {
  const s = spec.trim();
  if (s === 'local') return { kind: 'local' };
  if (s === '') throw new Error('No host given (expected "local", an ssh config alias or user@host[:port]).');
  let dest: JumpHop;
  try {
    dest = parseDestination(s);
  } catch (e) {
    throw new Error(`Not a host: ${(e as Error).message} (expected "local", an ssh config alias or user@host[:port]).`, { cause: e });
  }
  return buildTarget(s, dest, opts.proxyJump?.trim() || undefined, opts, []);
}

/** resolveSshConfig for a spec, as resolveTarget reads it (for `hosts show` and tests). */
export function resolveSpecConfig(spec: string, opts: ResolveTargetOptions = {}): ResolvedSshConfig {
  const dest = parseDestination(spec.trim());
  checkCommandLineNames(spec, dest);
  return resolveSshConfig({ host: dest.host, user: dest.user, port: dest.port, identityFiles: opts.identityFiles, configFile: opts.sshConfigFile, systemConfigFile: opts.systemConfigFile, local: opts.local });
}

/**
 * Every concrete alias of the ssh config resolved as resolveTarget does. `configPath` as sshConfigFile (a missing
 * explicit file gives []); `defaultUser` as in ResolveTargetOptions. Throws for a config OpenSSH would refuse.
 */
export function loadSshConfigHosts(configPath?: string, defaultUser?: string): SshTarget[] {
  if (configPath !== undefined && !fs.existsSync(configPath)) return [];
  const out: SshTarget[] = [];
  for (const alias of listSshConfigAliases(configPath)) {
    const t = resolveTarget(alias, { sshConfigFile: configPath, defaultUser });
    if (!('kind' in t)) out.push(t);
  }
  return out;
}

const hopSpec = (h: JumpHop): string => `${h.user !== undefined ? `${h.user}@` : ''}${h.host.includes(':') ? `[${h.host}]` : h.host}${h.port !== undefined ? `:${h.port}` : ''}`;

/**
 * OpenSSH 9.6's valid_hostname / valid_ruser (ssh.c) for names that arrive like command-line arguments (a spec, a
 * ProxyJump hop): they may end up inside a ProxyCommand run by a shell, so shell metacharacters are refused.
 */
function checkCommandLineNames(spec: string, d: JumpHop): void {
  if (d.host.startsWith('-') || /['`"$\\;&<>|(){}\s\p{Cc}]/u.test(d.host)) throw new Error(`"${spec}": the host name contains characters ssh refuses (quotes, $, \\, ;, &, <, >, |, parentheses, braces, blanks, or a leading -).`);
  if (d.user !== undefined && (d.user.startsWith('-') || /['`";&<>|(){}]/.test(d.user) || /\s-/.test(d.user) || d.user.endsWith('\\'))) throw new Error(`"${spec}": the user name contains characters ssh refuses.`);
}

function buildTarget(id: string, dest: JumpHop, forcedJump: string | undefined, opts: ResolveTargetOptions, chain: readonly string[]): SshTarget {
  checkCommandLineNames(id, dest);
  if (chain.length > MAX_JUMP_DEPTH) throw new Error(`ProxyJump loop (or a chain deeper than ${MAX_JUMP_DEPTH} hops): ${[...chain.slice(0, 4), '…', id].join(' → ')}`);
  const r = resolveSshConfig({
    host: dest.host,
    user: dest.user,
    port: dest.port,
    proxyJump: forcedJump,
    identityFiles: chain.length === 0 ? opts.identityFiles : undefined,
    configFile: opts.sshConfigFile,
    systemConfigFile: opts.systemConfigFile,
    local: opts.local,
  });
  let jump: SshTarget[] | undefined;
  const hops = expandedProxyJump(r);
  if (hops) {
    // `ssh -J h1,…,hn dest` runs `ssh -J h1,…,hn-1 -W dest hn`: the last hop is reached through the others, and
    // only the first one's own config ProxyJump/ProxyCommand applies.
    const last = hops[hops.length - 1];
    const before = hops.slice(0, -1).map(hopSpec).join(',');
    const hop = buildTarget(hopSpec(last), last, before === '' ? undefined : before, opts, [...chain, id]);
    jump = [...(hop.jump ?? []), { ...hop, jump: undefined }];
  }
  const configUser = dest.user === undefined && r.options.has('user');
  return {
    id,
    host: r.hostname,
    port: r.port,
    user: dest.user ?? (configUser ? r.user : opts.defaultUser ?? r.user),
    identityFiles: expandedIdentityFiles(r),
    agent: agentOf(r),
    jump,
    hostKeyAlias: r.hostkeyalias,
    proxyCommand: expandedProxyCommand(r),
  };
}

/** IdentityAgent as SshPool takes it: 'none', a socket path, or undefined for $SSH_AUTH_SOCK. */
function agentOf(r: ResolvedSshConfig): string | undefined {
  const a = r.identityagent;
  if (a === undefined || a === 'SSH_AUTH_SOCK') return undefined;
  if (a === 'none') return 'none';
  // "$NAME": the socket path is in that environment variable; unset means no agent (ssh.c).
  if (a.startsWith('$')) return r.local.env[a.slice(1)] || 'none';
  return a;
}

/** `local`: this machine, no SSH (what resolveTarget returns for the spec "local"). */
export interface LocalTarget { readonly kind: 'local' }

/** Whether resolveTarget's answer is this machine. */
export const isLocalTarget = (t: SshTarget | LocalTarget): t is LocalTarget => 'kind' in t && t.kind === 'local';
