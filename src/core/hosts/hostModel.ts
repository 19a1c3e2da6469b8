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

/** One MIG device (GPU instance + compute instance) as `nvidia-smi -L` lists it. */
export interface MigDevice {
  /** MIG profile, e.g. "1g.10gb", "3g.40gb". */
  readonly profile: string;
  /** Device number within its GPU. */
  readonly device: number;
  /** "MIG-…" (R470+) or "MIG-GPU-…/gi/ci" (R450); what CUDA_VISIBLE_DEVICES takes. */
  readonly uuid: string;
}

/** Numbers are null when nvidia-smi reports "[N/A]", "[Not Supported]" or another bracketed word: unknown, not 0. */
export interface GpuInfo {
  readonly index: number;
  readonly name: string;
  readonly memoryTotalMiB: number | null;
  readonly memoryUsedMiB: number | null;
  readonly utilizationPct: number | null;
  readonly temperatureC: number | null;
  /** "00000000:B3:00.0". */
  readonly pciBusId?: string;
  readonly uuid?: string;
  /** MIG devices carved out of this GPU (MIG mode on, instances created). */
  readonly mig?: readonly MigDevice[];
}

/**
 * What the NVIDIA tooling on a host said: 'ok' (GPU rows read), 'no-tooling' (no nvidia-smi), 'no-driver' (nvidia-smi
 * cannot reach the driver), 'no-devices' (driver loaded, no GPU), 'error' (anything else; see gpuError).
 */
export type GpuToolState = 'ok' | 'no-tooling' | 'no-driver' | 'no-devices' | 'error';

export interface HostProbe {
  readonly os: string;
  readonly gpus: readonly GpuInfo[];
  /** Why no (or not every) GPU could be read; undefined when the list is complete. */
  readonly gpuError?: string;
  readonly gpuState?: GpuToolState;
  /** Lines nvidia-smi printed besides GPU rows (e.g. "WARNING: infoROM is corrupted at gpu 0000:B3:00.0"). */
  readonly gpuWarnings?: readonly string[];
  readonly docker?: string;
  /** "v2 2.29.1" (docker compose plugin) or "v1 1.29.2" (docker-compose); undefined when neither is installed. */
  readonly compose?: string;
  /** SLURM client version when sbatch and sinfo are on PATH. */
  readonly slurm?: string;
  /**
   * The Hugging Face hub cache huggingface_hub itself uses on that host (HF_HUB_CACHE, else HF_HOME/hub, else
   * ~/.cache/huggingface/hub; huggingface_hub constants.py) and the free space (GiB) of the file system holding it
   * (measured at its nearest existing parent: the probe creates nothing).
   */
  readonly hfCacheFreeGiB?: number;
  readonly hfCachePath?: string;
  /** Whether hfCachePath exists yet. */
  readonly hfCacheExists?: boolean;
  readonly probedAt: number;
}

export const LOCAL_HOST: HostEntry = { id: 'local', label: 'This machine', kind: 'local' };
