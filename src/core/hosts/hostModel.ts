export type HostKind = 'local' | 'ssh';

export interface HostEntry {
  readonly id: string;
  readonly label: string;
  readonly kind: HostKind;
  readonly hostName?: string;
  readonly user?: string;
  readonly port?: number;
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
