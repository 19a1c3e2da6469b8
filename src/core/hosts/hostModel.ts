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
  readonly probedAt: number;
}

export const LOCAL_HOST: HostEntry = { id: 'local', label: 'This machine', kind: 'local' };
