import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type SSHConfigClass from 'ssh-config' with { 'resolution-mode': 'import' };
import { parseUserHost, type SshTarget } from './sshTarget';

// ssh-config's typings are ESM-only while its CommonJS build is what our bundle loads; take the types from the ESM
// declaration and the value through require (esbuild bundles either).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SSHConfig = (require('ssh-config') as { default: typeof SSHConfigClass }).default;
import { DEFAULT_IDENTITIES } from './sshConfigDefaults';

const expandTilde = (p: string): string => p.replace(/^~(?=$|\/)/, os.homedir()).replace(/%d/g, os.homedir());

function wildcardToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
}

/** Inlines `Include` lines (globs in the last path segment), relative paths from the including file's folder. */
function readWithIncludes(file: string, depth = 0): string {
  if (depth > 8) throw new Error(`ssh config: Include nested too deeply at ${file}`);
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*Include\s+(.+?)\s*$/i.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    for (const spec of m[1].split(/\s+/)) {
      const abs = path.resolve(path.dirname(file), expandTilde(spec));
      const dir = path.dirname(abs);
      const re = wildcardToRegExp(path.basename(abs));
      let names: string[];
      try {
        names = fs.readdirSync(dir).filter((n) => re.test(n)).sort();
      } catch {
        continue; // OpenSSH ignores Include patterns that match nothing
      }
      for (const n of names) out.push(readWithIncludes(path.join(dir, n), depth + 1));
    }
  }
  return out.join('\n');
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Every concrete `Host` alias of ~/.ssh/config (wildcard patterns only contribute settings), resolved the way
 * OpenSSH would: HostName, User, Port, IdentityFile, IdentityAgent and ProxyJump (hops resolved through the same file).
 */
export function loadSshConfigHosts(configPath = path.join(os.homedir(), '.ssh', 'config'), defaultUser = os.userInfo().username): SshTarget[] {
  let text: string;
  try {
    text = readWithIncludes(configPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const cfg = SSHConfig.parse(text);
  const aliases: string[] = [];
  for (const line of cfg) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const values = typeof line.value === 'string' ? line.value.split(/\s+/) : line.value.map((v) => v.val);
    for (const v of values) if (v && !/[*?!]/.test(v) && !aliases.includes(v)) aliases.push(v);
  }
  const resolve = (alias: string, seen: Set<string>): SshTarget => {
    // Match exec is not evaluated: reading a config must never run commands.
    const c = cfg.compute(alias, { ignoreCase: true, matchExec: false });
    const get = (k: string): string | string[] | undefined => c[k.toLowerCase()] ?? c[k];
    const idFiles = get('IdentityFile');
    const jumpSpec = first(get('ProxyJump'));
    const jump: SshTarget[] = [];
    if (jumpSpec && jumpSpec.toLowerCase() !== 'none') {
      if (seen.has(alias)) throw new Error(`ssh config: ProxyJump loop through ${alias}`);
      for (const hop of jumpSpec.split(',')) {
        const h = hop.trim();
        if (aliases.includes(h)) jump.push(resolve(h, new Set([...seen, alias])));
        else {
          const u = parseUserHost(h.replace(/^ssh:\/\//, ''), defaultUser);
          jump.push({ id: h, host: u.host, port: u.port, user: u.user, identityFiles: DEFAULT_IDENTITIES.map(expandTilde) });
        }
      }
    }
    const port = Number(first(get('Port')) ?? 22);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`ssh config: Host ${alias}: Port "${String(first(get('Port')))}" is not a port number`);
    const agent = first(get('IdentityAgent'));
    return {
      id: alias,
      host: first(get('HostName')) ?? alias,
      port,
      user: first(get('User')) ?? defaultUser,
      identityFiles: (idFiles === undefined ? DEFAULT_IDENTITIES : Array.isArray(idFiles) ? idFiles : [idFiles]).map(expandTilde),
      agent: agent === undefined ? undefined : agent.toLowerCase() === 'none' ? 'none' : agent === 'SSH_AUTH_SOCK' ? undefined : expandTilde(agent),
      jump: jump.length ? jump : undefined,
    };
  };
  return aliases.map((a) => resolve(a, new Set()));
}
