export type HostKind = 'local' | 'ssh';

export interface HostEntry {
  readonly id: string;
  readonly label: string;
  readonly kind: HostKind;
  readonly hostName?: string;
  readonly user?: string;
  readonly port?: number;
  /** SSH hosts: the ssh-config alias it was imported from (resolved again at each connect). */
  readonly sshConfigHost?: string;
  readonly identityFile?: string;
  readonly proxyJump?: string;
}

/** A host as stored in the `deepseek.hosts` setting. */
export interface HostSetting {
  readonly name?: string;
  /** Either an alias from ~/.ssh/config … */
  readonly sshConfigHost?: string;
  /** … or an explicit address. */
  readonly host?: string;
  readonly user?: string;
  readonly port?: number;
  readonly identityFile?: string;
  readonly proxyJump?: string;
}

export function hostFromSetting(s: HostSetting): HostEntry | undefined {
  if (s.sshConfigHost) return { id: `ssh:${s.sshConfigHost}`, label: s.name ?? s.sshConfigHost, kind: 'ssh', sshConfigHost: s.sshConfigHost };
  if (!s.host) return undefined;
  const port = s.port ?? 22;
  const user = s.user;
  return { id: `ssh:${user ? `${user}@` : ''}${s.host}:${port}`, label: s.name ?? `${user ? `${user}@` : ''}${s.host}${port === 22 ? '' : `:${port}`}`, kind: 'ssh', hostName: s.host, user, port, identityFile: s.identityFile, proxyJump: s.proxyJump };
}

export interface GpuInfo {
  readonly index: number;
  readonly name: string;
  readonly memoryTotalMiB: number;
  readonly memoryUsedMiB: number;
  readonly utilizationPct: number;
  readonly temperatureC: number;
}

export interface HostProbe {
  readonly os: string;
  readonly gpus: readonly GpuInfo[];
  /** Why no GPU list could be read (nvidia-smi missing or failing); undefined when the list is authoritative. */
  readonly gpuError?: string;
  readonly docker?: string;
  /** "v2 2.29.1" (docker compose plugin) or "v1 1.29.2" (docker-compose); undefined when neither is installed. */
  readonly compose?: string;
  /** SLURM client version when sbatch and sinfo are on PATH. */
  readonly slurm?: string;
  /** Free space of the Hugging Face cache folder (GiB) and the folder itself. */
  readonly hfCacheFreeGiB?: number;
  readonly hfCachePath?: string;
  readonly probedAt: number;
}

export const LOCAL_HOST: HostEntry = { id: 'local', label: 'This machine', kind: 'local' };
