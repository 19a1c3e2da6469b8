import * as os from 'node:os';
import * as path from 'node:path';
import { HostTrust, type ConfirmHostKey } from './hostTrust';
import { SshPool, type SshPrompts } from './sshPool';
import { TunnelManager } from './tunnels';
import { loadSshConfigHosts } from './resolveTarget';
import type { SshTarget } from './sshTarget';
import type { HostProbe } from '../hosts/hostModel';
import { parseProbeOutput, PROBE_SCRIPT } from '../hosts/remoteProbe';

/**
 * Everything remote, behind one factory: this module is its own bundle (dist/remote.js, with ssh2) so that the
 * extension and the CLI load ssh2 only when a remote host is actually used.
 */
export interface RemoteHostsOptions {
  readonly knownHostsFiles?: readonly string[];
  /** The shared trust store (known_hosts format, see trustStorePath.ts) that trusted keys are added to; known_hosts files are only read. */
  readonly trustStorePath?: string;
  readonly confirmHostKey: ConfirmHostKey;
  readonly prompts: SshPrompts;
  readonly log?: (line: string) => void;
  readonly readyTimeoutMs?: number;
}

/** OpenSSH's UserKnownHostsFile and GlobalKnownHostsFile defaults (ssh_config(5)). */
export const DEFAULT_KNOWN_HOSTS = [path.join(os.homedir(), '.ssh', 'known_hosts'), path.join(os.homedir(), '.ssh', 'known_hosts2'), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

export interface RemoteHosts {
  readonly pool: SshPool;
  readonly trust: HostTrust;
  readonly tunnels: TunnelManager;
  probe(target: SshTarget, timeoutMs?: number): Promise<HostProbe>;
  loadSshConfigHosts: typeof loadSshConfigHosts;
  dispose(): void;
}

export function createRemoteHosts(o: RemoteHostsOptions): RemoteHosts {
  const trust = new HostTrust(o.knownHostsFiles ?? DEFAULT_KNOWN_HOSTS, o.trustStorePath, o.confirmHostKey, o.log);
  const pool = new SshPool({ trust, prompts: o.prompts, log: o.log, readyTimeoutMs: o.readyTimeoutMs });
  const tunnels = new TunnelManager(pool, o.log);
  return {
    pool,
    trust,
    tunnels,
    async probe(target, timeoutMs = 30_000) {
      const r = await pool.exec(target, ['bash', '-c', PROBE_SCRIPT], { timeoutMs });
      return parseProbeOutput(r.stdout);
    },
    loadSshConfigHosts,
    dispose() {
      tunnels.dispose();
      pool.dispose();
    },
  };
}
