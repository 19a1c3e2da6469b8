import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSshConfigLine, SshConfigError } from './sshConfigLine';
import { OPENSSH_DEFAULT_IDENTITIES } from './sshConfigDefaults';
import { matchHostname, matchPattern, matchPatternList } from './sshPatterns';
import { expandTilde, expandTokens, type TokenValues } from './sshTokens';
import { globPaths } from './sshConfigGlob';
import { parseDestination, parsePort, splitJumpHops, type JumpHop } from './sshDestination';

/** The local facts ssh_config TOKENS and criteria read; `currentLocalContext()` outside tests. */
export interface SshLocalContext {
  /** Local user name: %u, `Match localuser`, and the remote user when nothing names one. */
  readonly user: string;
  /** Local user id: %i. */
  readonly uid: number;
  /** The passwd entry's home: %d and `~` in IdentityFile, IdentityAgent, ControlPath, UserKnownHostsFile. */
  readonly home: string;
  /** $HOME: `~` in Include patterns (OpenSSH hands them to glob(3) with GLOB_TILDE, which reads $HOME). */
  readonly envHome: string;
  /** gethostname(): %l; %L is its part before the first dot. */
  readonly hostname: string;
  /** Environment for `${NAME}` expansion. */
  readonly env: NodeJS.ProcessEnv;
}

/** The running process's user, home, host name and environment. */
export function currentLocalContext(): SshLocalContext {
  const u = os.userInfo();
  return { user: u.username, uid: u.uid, home: u.homedir, envHome: process.env.HOME || u.homedir, hostname: os.hostname(), env: process.env };
}

/** What `ssh` is asked for: its destination and command-line options, which win over the config files. */
export interface SshConfigQuery {
  /** The destination host as typed (alias or name): %n, what `Host` patterns see. */
  readonly host: string;
  /** `-l user` / `user@host`. */
  readonly user?: string;
  /** `-p port`. */
  readonly port?: number;
  /** `-i file` (listed before the config's IdentityFile lines; no default identities then). */
  readonly identityFiles?: readonly string[];
  /** `-J hops`: replaces the config's ProxyJump and ProxyCommand. */
  readonly proxyJump?: string;
  /** `-F file`: only this file is read. Undefined: ~/.ssh/config, then the system file (OpenSSH's default). */
  readonly configFile?: string;
  /** The system-wide file read after ~/.ssh/config when `configFile` is undefined (default /etc/ssh/ssh_config). */
  readonly systemConfigFile?: string;
  readonly local?: SshLocalContext;
}

/**
 * The resolution `ssh -G` prints for a destination. Fields named like ssh -G's keywords hold exactly what ssh -G
 * (OpenSSH 9.2) prints: some expanded (hostname, identityagent, controlpath, remotecommand, userknownhostsfile),
 * some raw (identityfile, proxycommand, proxyjump, localcommand, hostkeyalias). The expanded forms of the raw ones
 * are functions below (expandedIdentityFiles, expandedProxyCommand, …).
 */
export interface ResolvedSshConfig {
  /** The destination as typed (%n). */
  readonly hostArg: string;
  readonly hostname: string;
  readonly user: string;
  readonly port: number;
  /** Raw, in order; OpenSSH's defaults when no -i and no IdentityFile line applied. `none` is kept (ssh -G prints it). */
  readonly identityfile: readonly string[];
  /** Raw ProxyJump as ssh -G prints it (last hop rebuilt); undefined when unset or `none`. */
  readonly proxyjump?: string;
  /** Raw ProxyCommand; undefined when unset, `none`, or shadowed by an earlier ProxyJump. */
  readonly proxycommand?: string;
  /** IdentityAgent with `~`, tokens and ${VAR} expanded; SSH_AUTH_SOCK / none / $VAR kept as written. */
  readonly identityagent?: string;
  readonly hostkeyalias?: string;
  readonly controlpath?: string;
  readonly remotecommand?: string;
  readonly localcommand?: string;
  /** Raw CertificateFile entries, in order (ssh -G prints them raw). */
  readonly certificatefile: readonly string[];
  /** Raw KnownHostsCommand (its %f %H %I %K %t are only known while checking a key). */
  readonly knownhostscommand?: string;
  readonly userknownhostsfile: readonly string[];
  /** Every other keyword's first applying value (lowercase keyword → arguments). */
  readonly options: ReadonlyMap<string, readonly string[]>;
  /** Things OpenSSH would do that we did not (Match exec, canonicalisation, unknown keywords). */
  readonly warnings: readonly string[];
  /** The local facts used (tokens). */
  readonly local: SshLocalContext;
}

const MAX_INCLUDE_DEPTH = 16; // READCONF_MAX_DEPTH in readconf.h

/** Keywords whose value is the rest of the line, quotes and all (readconf.c parse_command). */
const COMMAND_KEYWORDS = new Set(['proxycommand', 'localcommand', 'remotecommand', 'knownhostscommand']);
/** Keywords every applying line adds to (the others: first obtained value wins). */
const ACCUMULATING = new Set(['localforward', 'remoteforward', 'dynamicforward', 'sendenv']);
/** Single-argument keywords: OpenSSH refuses extra words, even in blocks that do not apply. */
const SINGLE_ARG = new Set(['hostname', 'user', 'port', 'identityfile', 'identityagent', 'hostkeyalias', 'controlpath', 'certificatefile', 'controlmaster', 'stricthostkeychecking', 'canonicalizehostname', 'batchmode', 'identitiesonly', 'connecttimeout', 'serveraliveinterval', 'serveralivecountmax', 'loglevel']);

/** ssh_config(5) keywords of OpenSSH 9.x/10.x; anything else gets a warning (OpenSSH refuses it unless IgnoreUnknown). */
const KNOWN = new Set(`host match include hostname user port identityfile identityagent identitiesonly proxycommand proxyjump
proxyusefdpass hostkeyalias localcommand permitlocalcommand remotecommand knownhostscommand userknownhostsfile
globalknownhostsfile controlpath controlmaster controlpersist certificatefile addkeystoagent addressfamily batchmode
bindaddress bindinterface canonicaldomains canonicalizefallbacklocal canonicalizehostname canonicalizemaxdots
canonicalizepermittedcnames casignaturealgorithms channeltimeout checkhostip ciphers clearallforwardings compression
connectionattempts connecttimeout dynamicforward enableescapecommandline enablesshkeysign escapechar exitonforwardfailure
fingerprinthash forkafterauthentication forwardagent forwardx11 forwardx11timeout forwardx11trusted gatewayports
gssapiauthentication gssapidelegatecredentials gssapikeyexchange gssapiclientidentity gssapiserveridentity
gssapirenewalforcesrekey gssapitrustdns gssapikexalgorithms hashknownhosts hostbasedacceptedalgorithms
hostbasedauthentication hostbasedkeytypes hostkeyalgorithms ignoreunknown ipqos kbdinteractiveauthentication
kbdinteractivedevices kexalgorithms loglevel logverbose macs nohostauthenticationforlocalhost numberofpasswordprompts
obscurekeystroketiming passwordauthentication pkcs11provider preferredauthentications pubkeyacceptedalgorithms
pubkeyacceptedkeytypes pubkeyauthentication rekeylimit remoteforward localforward requesttty requiredrsasize
revokedhostkeys securitykeyprovider sendenv serveralivecountmax serveraliveinterval sessiontype setenv stdinnull
streamlocalbindmask streamlocalbindunlink stricthostkeychecking syslogfacility tag tcpkeepalive tunnel tunneldevice
updatehostkeys verifyhostkeydns visualhostkey xauthlocation challengeresponseauthentication smartcarddevice
permitremoteopen refuseconnection warnweakcrypto versionaddendum protocol cipher rsaauthentication
rhostsrsaauthentication compressionlevel useroaming usersh fallbacktorsh usekeychain`.split(/\s+/));

/** `Match` criteria of newer OpenSSH than 9.2 that we cannot evaluate: treated as not matching, with a warning. */
const NEWER_CRITERIA = new Set(['localnetwork', 'tagged', 'version', 'sessiontype', 'command']);

interface FileFlags {
  /** SSHCONF_USERCONF: relative Include paths are under ~/.ssh (else /etc/ssh), `~` allowed. */
  readonly user: boolean;
  /** SSHCONF_CHECKPERM: refuse a file others may write. */
  readonly checkPerm: boolean;
  /** SSHCONF_NEVERMATCH: an Include inside a block that does not apply: parsed, never applied. */
  readonly neverMatch: boolean;
}

/** The options being filled, shared by both passes (first obtained value wins). */
interface OptionState {
  readonly first: Map<string, string[]>;
  readonly lists: Map<string, string[][]>;
  readonly identityFiles: { file: string; cmdline: boolean }[];
  readonly certificateFiles: string[];
  proxyCommand?: string;
  /** Raw ProxyJump value (or `none`), as parsed. */
  jump?: string;
}

/** One reading of the config files (readconf.c read_config_file_depth and process_config_line_depth). */
class ConfigPass {
  wantFinal = false;

  constructor(
    private readonly q: SshConfigQuery,
    private readonly ctx: SshLocalContext,
    private readonly o: OptionState,
    private readonly warnings: string[],
    /** What `Host` patterns are matched against: the typed host, then in the final pass the resolved HostName. */
    private readonly hostForHostLines: string,
    private readonly finalPass: boolean,
    private readonly onHostLine?: (patterns: readonly string[]) => void,
  ) {}

  /** Returns false when the file does not exist (OpenSSH skips a missing ~/.ssh/config or include). */
  readFile(file: string, flags: FileFlags, active: { v: boolean }, depth: number): boolean {
    if (depth > MAX_INCLUDE_DEPTH) throw new SshConfigError(`${file}: too many recursive configuration includes`);
    let text: string;
    try {
      if (flags.checkPerm) checkOwnerAndMode(file);
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      if (e instanceof SshConfigError) throw e;
      throw new SshConfigError(`cannot read ssh config ${file}: ${(e as Error).message}`);
    }
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) this.processLine(lines[n], `${file} line ${n + 1}`, flags, active, depth);
    return true;
  }

  private processLine(text: string, where: string, flags: FileFlags, active: { v: boolean }, depth: number): void {
    const line = parseSshConfigLine(text, where);
    if (!line) return;
    const { keyword, args } = line;
    switch (keyword) {
      case 'host': {
        active.v = false;
        this.onHostLine?.(args);
        for (const a of args) {
          if (a === '') throw new SshConfigError(`${where}: keyword host empty argument`);
          if (flags.neverMatch) break;
          const negated = a.startsWith('!');
          if (matchPattern(this.hostForHostLines, negated ? a.slice(1) : a)) {
            if (negated) {
              active.v = false;
              break;
            }
            active.v = true;
          }
        }
        return;
      }
      case 'match': {
        const r = this.evalMatch(args, where);
        active.v = flags.neverMatch ? false : r;
        return;
      }
      case 'include':
        this.include(args, where, flags, active, depth);
        return;
      default:
        this.apply(keyword, line.args, line.rest, where, active.v);
    }
  }

  private include(args: readonly string[], where: string, flags: FileFlags, active: { v: boolean }, depth: number): void {
    for (const arg of args) {
      if (arg === '') throw new SshConfigError(`${where}: keyword include empty argument`);
      if (arg.startsWith('~') && !flags.user) throw new SshConfigError(`${where}: bad include path ${arg}`);
      // Relative paths are under ~/.ssh for user files and /etc/ssh for the system file, never the including
      // file's folder (ssh_config(5) Include).
      const pattern = path.isAbsolute(arg) || arg.startsWith('~') ? arg : flags.user ? `~/.ssh/${arg}` : `/etc/ssh/${arg}`;
      const files = globPaths(expandTilde(pattern, this.ctx.envHome));
      const wasActive = active.v;
      for (const f of files) {
        this.readFile(f, { user: flags.user, checkPerm: true, neverMatch: flags.neverMatch || !wasActive }, active, depth + 1);
        // A Match inside the included file must not change the including block's state.
        active.v = wasActive;
      }
    }
  }

  /** match_cfg_line (readconf.c): criteria ANDed, `!` negates one; exec is never run. */
  private evalMatch(args: readonly string[], where: string): boolean {
    const hostname = this.o.first.get('hostname')?.[0];
    const host = this.finalPass ? this.hostForHostLines : hostname !== undefined ? expandTokens(hostname, { h: this.q.host }, `${where}: HostName`) : this.q.host;
    const ruser = this.o.first.get('user')?.[0] ?? this.ctx.user;
    let result = true;
    let attributes = 0;
    for (let i = 0; i < args.length; i++) {
      const negate = args[i].startsWith('!');
      const attrib = (negate ? args[i].slice(1) : args[i]).toLowerCase();
      if (attrib === 'all') {
        if (attributes > 1 || i + 1 < args.length) throw new SshConfigError(`${where}: '${args[i]}' cannot be combined with other Match attributes`);
        return result ? !negate : false;
      }
      attributes++;
      if (attrib === 'canonical' || attrib === 'final') {
        // "final" asks for a second pass after HostName is known; both match only in that pass (canonicalisation
        // itself is not done: CanonicalizeHostname is not supported).
        if (attrib === 'final') this.wantFinal = true;
        if (this.finalPass === negate) result = false;
        continue;
      }
      const arg = args[i + 1];
      if (arg === undefined || arg === '') throw new SshConfigError(`${where}: Missing Match criteria for ${attrib}`);
      i++;
      let r: boolean;
      if (attrib === 'host') r = matchHostname(host, arg) === 1;
      else if (attrib === 'originalhost') r = matchHostname(this.q.host, arg) === 1;
      else if (attrib === 'user') r = matchPatternList(ruser, arg, false) === 1;
      else if (attrib === 'localuser') r = matchPatternList(this.ctx.user, arg, false) === 1;
      else if (attrib === 'exec') {
        // OpenSSH skips the command once an earlier criterion failed; otherwise it would run it. We never do:
        // reading a configuration must not run commands.
        if (result) this.warn(`${where}: Match exec ${JSON.stringify(arg)} was not run (reading the config never runs commands); the block is treated as not matching`);
        result = false;
        continue;
      } else if (NEWER_CRITERIA.has(attrib)) {
        this.warn(`${where}: Match ${attrib} is not supported; the block is treated as not matching`);
        result = false;
        continue;
      } else throw new SshConfigError(`${where}: Unsupported Match attribute ${attrib}`);
      if (r === negate) result = false;
    }
    if (attributes === 0) throw new SshConfigError(`${where}: One or more attributes required for Match`);
    return result;
  }

  private apply(keyword: string, args: readonly string[], rest: string, where: string, active: boolean): void {
    if (SINGLE_ARG.has(keyword) && args.length > 1) throw new SshConfigError(`${where}: keyword ${keyword} extra arguments at end of line`);
    if (args.length === 0 && !COMMAND_KEYWORDS.has(keyword)) throw new SshConfigError(`${where}: missing argument for ${keyword}`);
    const o = this.o;
    switch (keyword) {
      case 'port': {
        const port = parsePort(args[0]);
        if (port === undefined) throw new SshConfigError(`${where}: Badly formatted port number "${args[0]}"`);
        if (active && !o.first.has('port')) o.first.set('port', [String(port)]);
        return;
      }
      case 'identityfile':
        if (active && !o.identityFiles.some((f) => !f.cmdline && f.file === args[0])) o.identityFiles.push({ file: args[0], cmdline: false });
        return;
      case 'certificatefile':
        if (active && !o.certificateFiles.includes(args[0])) o.certificateFiles.push(args[0]);
        return;
      case 'proxycommand':
        // Whichever of ProxyCommand and ProxyJump comes first wins (readconf.c: ProxyCommand is ignored once
        // ProxyJump is set, and parse_jump only applies while neither is).
        if (active && o.jump === undefined && o.proxyCommand === undefined) o.proxyCommand = rest;
        return;
      case 'proxyjump': {
        // The first word of the line, not split further (ssh 9.2 keeps quotes, ignores more words).
        const value = rest.split(/[ \t]/)[0];
        if (value.toLowerCase() !== 'none') {
          try {
            splitJumpHops(value);
          } catch (e) {
            throw new SshConfigError(`${where}: Invalid ProxyJump "${value}" (${(e as Error).message})`);
          }
        }
        if (active && o.jump === undefined && o.proxyCommand === undefined) o.jump = value;
        return;
      }
      default:
        break;
    }
    if (!KNOWN.has(keyword)) {
      const ignore = o.first.get('ignoreunknown')?.[0];
      if (ignore === undefined || matchPatternList(keyword, ignore, true) !== 1) this.warn(`${where}: unknown keyword "${keyword}" (not applied)`);
      return;
    }
    if (!active) return;
    if (ACCUMULATING.has(keyword)) {
      const l = o.lists.get(keyword) ?? [];
      l.push([...args]);
      o.lists.set(keyword, l);
    } else if (!o.first.has(keyword)) o.first.set(keyword, COMMAND_KEYWORDS.has(keyword) ? [rest] : [...args]);
  }

  private warn(w: string): void {
    if (!this.warnings.includes(w)) this.warnings.push(w);
  }
}

/** OpenSSH refuses config files (other than the -F file) that another user or a group could change. */
function checkOwnerAndMode(file: string): void {
  if (typeof process.getuid !== 'function') return;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return; // missing files are handled by the reader
  }
  if ((st.uid !== 0 && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) throw new SshConfigError(`Bad owner or permissions on ${file} (it must belong to you or root and not be writable by group or others)`);
}

/** What ssh -G prints for a ProxyJump: the hops before the last verbatim, the last rebuilt from its parts. */
function printedJump(value: string): string {
  const comma = value.lastIndexOf(',');
  const last = parseDestination(value.slice(comma + 1));
  const host = last.host.includes(':') ? `[${last.host}]` : last.host;
  return `${comma >= 0 ? `${value.slice(0, comma)},` : ''}${last.user !== undefined ? `${last.user}@` : ''}${host}${last.port !== undefined ? `:${last.port}` : ''}`;
}

function defaultFiles(q: SshConfigQuery, ctx: SshLocalContext): { file: string; flags: FileFlags; mustExist: boolean }[] {
  if (q.configFile !== undefined) {
    // ssh -F: read as a user file, without the permission check OpenSSH applies to ~/.ssh/config.
    return [{ file: expandTilde(q.configFile, ctx.home), flags: { user: true, checkPerm: false, neverMatch: false }, mustExist: true }];
  }
  return [
    { file: path.join(ctx.home, '.ssh', 'config'), flags: { user: true, checkPerm: true, neverMatch: false }, mustExist: false },
    { file: q.systemConfigFile ?? '/etc/ssh/ssh_config', flags: { user: false, checkPerm: false, neverMatch: false }, mustExist: false },
  ];
}

function runPass(q: SshConfigQuery, ctx: SshLocalContext, o: OptionState, warnings: string[], hostForHostLines: string, finalPass: boolean, onHostLine?: (p: readonly string[]) => void): boolean {
  const pass = new ConfigPass(q, ctx, o, warnings, hostForHostLines, finalPass, onHostLine);
  for (const f of defaultFiles(q, ctx)) {
    const found = pass.readFile(f.file, f.flags, { v: true }, 0);
    if (!found && f.mustExist) throw new SshConfigError(`Can't open user config file ${f.file}: No such file or directory`);
  }
  return pass.wantFinal;
}

const isIpLiteral = (h: string): boolean => /^[0-9.]+$/.test(h) || h.includes(':');

/**
 * Resolves a destination through ssh_config exactly as OpenSSH 9.2's `ssh -G` does (readconf.c, ssh.c): files in
 * order, `Host` patterns (`*`, `?`, `!`) against the typed host, `Match` (all, canonical, final, host, originalhost,
 * user, localuser; `exec` is never run and counts as not matching), `Include` where it stands (inside a block that
 * does not apply it is parsed only), first obtained value wins, command-line values first, a second pass when a
 * `Match final` was seen (Host patterns then see the resolved HostName). CanonicalizeHostname is not applied (a
 * warning says so). Throws SshConfigError (file and line in the message) for what OpenSSH refuses.
 */
export function resolveSshConfig(q: SshConfigQuery): ResolvedSshConfig {
  const ctx = q.local ?? currentLocalContext();
  const warnings: string[] = [];
  const o: OptionState = { first: new Map(), lists: new Map(), identityFiles: [], certificateFiles: [] };
  if (q.user !== undefined) o.first.set('user', [q.user]);
  if (q.port !== undefined) o.first.set('port', [String(q.port)]);
  for (const f of q.identityFiles ?? []) o.identityFiles.push({ file: f, cmdline: true });
  if (q.proxyJump !== undefined) o.jump = q.proxyJump;

  const wantFinal = runPass(q, ctx, o, warnings, q.host, false);
  const rawHostName = o.first.get('hostname')?.[0];
  let hostname = rawHostName !== undefined ? expandTokens(rawHostName, { h: q.host }, 'HostName') : q.host;
  // ssh.c lowercases the host name unless it is an address.
  if (!isIpLiteral(hostname)) hostname = hostname.toLowerCase();
  const canon = o.first.get('canonicalizehostname')?.[0]?.toLowerCase();
  if (canon !== undefined && canon !== 'no') warnings.push(`CanonicalizeHostname ${canon} is not applied (host names are used as the config gives them)`);
  if (wantFinal) {
    o.first.set('hostname', [hostname]);
    runPass(q, ctx, o, warnings, hostname, true);
  }

  const port = Number(o.first.get('port')?.[0] ?? 22);
  const user = o.first.get('user')?.[0] ?? ctx.user;
  const identityfile = o.identityFiles.length ? o.identityFiles.map((f) => f.file) : [...OPENSSH_DEFAULT_IDENTITIES];
  const hostKeyAlias = o.first.get('hostkeyalias')?.[0];
  const jump = o.jump !== undefined && o.jump.toLowerCase() !== 'none' ? o.jump : undefined;
  const proxyCommand = o.proxyCommand !== undefined && o.proxyCommand.toLowerCase() !== 'none' && o.jump === undefined ? o.proxyCommand : undefined;

  const tokens = clientTokens(ctx, { hostname, hostArg: q.host, port, user, hostKeyAlias, jump });
  const expandPath = (p: string, what: string): string => expandTokens(expandTilde(p, ctx.home), tokens, what, ctx.env);
  const agent = o.first.get('identityagent')?.[0];
  const control = o.first.get('controlpath')?.[0];
  const remote = o.first.get('remotecommand')?.[0];
  const known = o.first.get('userknownhostsfile') ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
  return {
    hostArg: q.host,
    hostname,
    user,
    port,
    identityfile,
    proxyjump: jump === undefined ? undefined : printedJump(jump),
    proxycommand: proxyCommand,
    identityagent: agent === undefined ? undefined : expandPath(agent, 'IdentityAgent'),
    hostkeyalias: hostKeyAlias,
    controlpath: control === undefined || control.toLowerCase() === 'none' ? undefined : expandPath(control, 'ControlPath'),
    remotecommand: remote === undefined || remote.toLowerCase() === 'none' ? undefined : expandTokens(remote, tokens, 'RemoteCommand'),
    localcommand: o.first.get('localcommand')?.[0],
    certificatefile: [...o.certificateFiles],
    knownhostscommand: o.first.get('knownhostscommand')?.[0],
    userknownhostsfile: known.map((k) => expandPath(k, 'UserKnownHostsFile')),
    options: new Map([...o.first, ...[...o.lists].map(([k, v]) => [k, v.flat()] as [string, string[]])]),
    warnings,
    local: ctx,
  };
}

/**
 * The tokens IdentityFile, IdentityAgent, ControlPath, CertificateFile, RemoteCommand, UserKnownHostsFile … take
 * (ssh_config(5) TOKENS, OpenSSH 9.2): %C %d %h %i %k %L %l %n %p %r %u, plus %j (ProxyJump, OpenSSH ≥ 9.4).
 * %C is the SHA-1 (hex) of %l%h%p%r as in 9.2.
 */
function clientTokens(ctx: SshLocalContext, r: { hostname: string; hostArg: string; port: number; user: string; hostKeyAlias?: string; jump?: string }): TokenValues {
  const port = String(r.port);
  return {
    C: crypto.createHash('sha1').update(`${ctx.hostname}${r.hostname}${port}${r.user}`).digest('hex'),
    L: ctx.hostname.split('.')[0],
    d: ctx.home,
    h: r.hostname,
    i: String(ctx.uid),
    j: r.jump ?? '',
    k: r.hostKeyAlias ?? r.hostArg,
    l: ctx.hostname,
    n: r.hostArg,
    p: port,
    r: r.user,
    u: ctx.user,
  };
}

/** The tokens ProxyCommand and ProxyJump take: %h %n %p %r (ssh_config(5) TOKENS). */
function proxyTokens(r: ResolvedSshConfig): TokenValues {
  return { h: r.hostname, n: r.hostArg, p: String(r.port), r: r.user };
}

/** The client tokens of a resolution (see clientTokens). */
const tokensOf = (r: ResolvedSshConfig): TokenValues => clientTokens(r.local, { hostname: r.hostname, hostArg: r.hostArg, port: r.port, user: r.user, hostKeyAlias: r.hostkeyalias, jump: r.proxyjump });

/** IdentityFile entries as files to read: `~`, tokens and ${VAR} expanded, absolute, `none` dropped. */
export function expandedIdentityFiles(r: ResolvedSshConfig): string[] {
  const tokens = tokensOf(r);
  return [...new Set(r.identityfile.filter((f) => f.toLowerCase() !== 'none').map((f) => path.resolve(expandTokens(expandTilde(f, r.local.home), tokens, 'IdentityFile', r.local.env))))];
}

/** CertificateFile entries as files: `~`, tokens and ${VAR} expanded, absolute, `none` dropped. */
export function expandedCertificateFiles(r: ResolvedSshConfig): string[] {
  return r.certificatefile.filter((f) => f.toLowerCase() !== 'none').map((f) => path.resolve(expandTokens(expandTilde(f, r.local.home), tokensOf(r), 'CertificateFile', r.local.env)));
}

/** LocalCommand with every token expanded (ssh_config(5): "LocalCommand accepts all tokens"; %T is NONE without a tunnel). */
export function expandedLocalCommand(r: ResolvedSshConfig): string | undefined {
  return r.localcommand === undefined ? undefined : expandTokens(r.localcommand, { ...tokensOf(r), T: 'NONE' }, 'LocalCommand');
}

/**
 * KnownHostsCommand with the client tokens and ${VAR} expanded, plus the key-check ones OpenSSH adds at that moment:
 * %f fingerprint, %H the known_hosts name searched, %I reason (ADDRESS, HOSTNAME or ORDER), %K base64 key, %t key type.
 */
export function expandedKnownHostsCommand(r: ResolvedSshConfig, check: { f: string; H: string; I: 'ADDRESS' | 'HOSTNAME' | 'ORDER'; K: string; t: string }): string | undefined {
  return r.knownhostscommand === undefined ? undefined : expandTokens(r.knownhostscommand, { ...tokensOf(r), ...check }, 'KnownHostsCommand', r.local.env);
}

/** ProxyCommand with %h %n %p %r expanded (what OpenSSH runs as `exec <this>` in $SHELL -c); undefined when none. */
export function expandedProxyCommand(r: ResolvedSshConfig): string | undefined {
  return r.proxycommand === undefined ? undefined : expandTokens(r.proxycommand, proxyTokens(r), 'ProxyCommand');
}

/** ProxyJump as written (comma-separated hops) with %h %n %p %r expanded; undefined when none. */
export function expandedProxyJumpText(r: ResolvedSshConfig): string | undefined {
  return r.proxyjump === undefined ? undefined : expandTokens(r.proxyjump, proxyTokens(r), 'ProxyJump');
}

/** ProxyJump hops with %h %n %p %r expanded, outermost first; undefined when none. */
export function expandedProxyJump(r: ResolvedSshConfig): JumpHop[] | undefined {
  const text = expandedProxyJumpText(r);
  return text === undefined ? undefined : splitJumpHops(text);
}

/**
 * The concrete aliases of `Host` lines (no `*`, `?` or `!`), in file order, in every file the config reads
 * (Includes followed whether or not their block applies). `configFile` as in SshConfigQuery.
 */
export function listSshConfigAliases(configFile?: string, local?: SshLocalContext): string[] {
  const ctx = local ?? currentLocalContext();
  const aliases: string[] = [];
  const o: OptionState = { first: new Map(), lists: new Map(), identityFiles: [], certificateFiles: [] };
  runPass({ host: '', configFile, local: ctx }, ctx, o, [], '', false, (patterns) => {
    for (const p of patterns) if (p && !/[*?!]/.test(p) && !aliases.includes(p)) aliases.push(p);
  });
  return aliases;
}
