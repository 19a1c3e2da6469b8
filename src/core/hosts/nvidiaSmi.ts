import type { GpuInfo } from './hostModel';

/** The exact query the probe runs; parseNvidiaSmiCsv expects its column order. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu',
  '--format=csv,noheader,nounits',
] as const;

/** nvidia-smi prints "[N/A]" or "[Not Supported]" for fields a GPU does not report (MIG, some drivers). */
function num(field: string): number {
  const n = Number(field.trim());
  return Number.isFinite(n) ? n : 0;
}

export function parseNvidiaSmiCsv(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length < 6) throw new Error(`unexpected nvidia-smi line (want 6 columns): ${line}`);
    gpus.push({
      index: num(cols[0]),
      name: cols[1],
      memoryTotalMiB: num(cols[2]),
      memoryUsedMiB: num(cols[3]),
      utilizationPct: num(cols[4]),
      temperatureC: num(cols[5]),
    });
  }
  return gpus;
}

/** "NVIDIA H100 80GB HBM3" → "H100 80GB": the vendor prefix and memory technology say nothing a deployer needs. */
export function shortGpuName(name: string): string {
  return name.replace(/^NVIDIA\s+/i, '').replace(/\s+(HBM\d?e?|PCIe|SXM\d?)\b.*$/i, '').trim();
}

const gb = (mib: number): number => Math.round(mib / 1024);

/** One line for a host node, e.g. "8× H100 80GB · 12% · 41/640 GB". */
export function summarizeGpus(gpus: readonly GpuInfo[]): string {
  if (gpus.length === 0) return 'no GPUs';
  const counts = new Map<string, number>();
  for (const g of gpus) counts.set(shortGpuName(g.name), (counts.get(shortGpuName(g.name)) ?? 0) + 1);
  const names = [...counts].map(([n, c]) => `${c}× ${n}`).join(' + ');
  const util = Math.round(gpus.reduce((s, g) => s + g.utilizationPct, 0) / gpus.length);
  const used = gpus.reduce((s, g) => s + g.memoryUsedMiB, 0);
  const total = gpus.reduce((s, g) => s + g.memoryTotalMiB, 0);
  return `${names} · ${util}% · ${gb(used)}/${gb(total)} GB`;
}

export function describeGpu(g: GpuInfo): string {
  return `${g.utilizationPct}% · ${gb(g.memoryUsedMiB)}/${gb(g.memoryTotalMiB)} GB · ${g.temperatureC}°C`;
}
