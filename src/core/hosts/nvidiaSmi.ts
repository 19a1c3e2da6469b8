import type { GpuInfo, GpuToolState, MigDevice } from './hostModel';

/**
 * The inventory query the probe runs; readNvidiaSmi expects this column order. Only fields every driver since R418
 * knows (`nvidia-smi --help-query-gpu`): a field an old driver does not know makes the whole query fail, so MIG is
 * read from `nvidia-smi -L` instead of `mig.mode.current`.
 */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu,pci.bus_id,uuid',
  '--format=csv,noheader,nounits',
] as const;
const COLUMNS = 8;

/** Lists GPUs and their MIG devices ("GPU 0: … (UUID: GPU-…)" / "  MIG 1g.10gb Device 0: (UUID: MIG-…)"). */
export const NVIDIA_SMI_LIST_ARGS = ['-L'] as const;

/** What one nvidia-smi run printed and how it ended. exitCode null: it did not end by itself (killed, timed out). */
export interface SmiRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
}

/** The GPU part of a host probe: the GPUs read, what state the tooling is in, and every line that was not a GPU. */
export interface NvidiaSmiReport {
  readonly gpus: GpuInfo[];
  readonly state: GpuToolState;
  /** Lines nvidia-smi printed besides the CSV rows (warnings such as a corrupted infoROM), to show as they are. */
  readonly warnings: string[];
  /** One sentence for the user when state is not 'ok' (or when some GPUs could not be read). */
  readonly error?: string;
}

/**
 * nvidia-smi prints a bracketed word for a value the GPU does not report: "[N/A]", "[Not Supported]", "[Unknown
 * Error]", "[Insufficient Permissions]", "[GPU is lost]", "[Requires Reset]" (nvidia-smi(1), "UNIT ATTRIBUTES" and
 * NVML return codes); older drivers print "N/A" without brackets. All of them mean unknown, never 0.
 */
function num(field: string): number | null {
  const f = field.trim();
  if (!/^-?\d+(\.\d+)?$/.test(f)) return null;
  return Number(f);
}

const known = (field: string): string | undefined => {
  const f = field.trim();
  return !f || /^\[.*\]$/.test(f) || f === 'N/A' ? undefined : f;
};

/**
 * One CSV row of NVIDIA_SMI_ARGS, or undefined when the line is not one (a warning, a banner). A GPU name holds no
 * comma in NVIDIA's naming, so a row has exactly COLUMNS fields and starts with the GPU index.
 */
function parseRow(line: string): GpuInfo | undefined {
  const cols = line.split(',').map((c) => c.trim());
  if (cols.length !== COLUMNS || !/^\d+$/.test(cols[0]) || !cols[1]) return undefined;
  return {
    index: Number(cols[0]),
    name: cols[1],
    memoryTotalMiB: num(cols[2]),
    memoryUsedMiB: num(cols[3]),
    utilizationPct: num(cols[4]),
    temperatureC: num(cols[5]),
    pciBusId: known(cols[6]),
    uuid: known(cols[7]),
  };
}

/** Parses `nvidia-smi -L`: MIG devices per GPU index. Both UUID forms (R470+ "MIG-…", R450 "MIG-GPU-…/gi/ci"). */
export function parseNvidiaSmiList(text: string): Map<number, MigDevice[]> {
  const out = new Map<number, MigDevice[]>();
  let gpu: number | undefined;
  for (const line of text.split(/\r?\n|\r/)) {
    const g = /^GPU (\d+):/.exec(line);
    if (g) {
      gpu = Number(g[1]);
      continue;
    }
    const m = /^\s+MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*([^)\s]+)\)/.exec(line);
    if (m && gpu !== undefined) {
      const list = out.get(gpu) ?? [];
      list.push({ profile: m[1], device: Number(m[2]), uuid: m[3] });
      out.set(gpu, list);
    }
  }
  return out;
}

/**
 * Messages nvidia-smi prints instead of a GPU list, with the state they mean. Sources: nvidia-smi(1) RETURN VALUE
 * (9 = driver not loaded, 12 = NVML library not found, 14 = infoROM corrupted, 15 = GPU fell off the bus, 18 =
 * driver/library mismatch), and the messages quoted in the field corpus (test/field/nvidia-smi/*).
 */
const FAILURES: ReadonlyArray<{ re: RegExp; state: GpuToolState; say: string }> = [
  { re: /couldn't communicate with the NVIDIA driver/i, state: 'no-driver', say: 'no NVIDIA driver loaded: nvidia-smi cannot talk to the driver (not installed, not loaded, or a kernel update without the module)' },
  { re: /couldn't find libnvidia-ml\.so/i, state: 'no-driver', say: 'no NVIDIA driver: nvidia-smi cannot find libnvidia-ml.so' },
  { re: /Driver\/library version mismatch/i, state: 'error', say: 'the NVIDIA driver and its library do not match (driver updated without a reboot or module reload)' },
  { re: /No devices were found|No supported GPUs were found/i, state: 'no-devices', say: 'the NVIDIA driver is loaded but sees no GPU' },
  { re: /Failed to initialize NVML: Insufficient Permissions/i, state: 'error', say: 'nvidia-smi is not allowed to open the GPUs (permissions of /dev/nvidia*)' },
  { re: /Failed to initialize NVML/i, state: 'error', say: 'nvidia-smi could not initialise NVML' },
];

const NO_TOOLING = 'no NVIDIA GPU tooling: nvidia-smi is not installed or not on PATH for non-interactive logins';

/**
 * Reads one run of `nvidia-smi NVIDIA_SMI_ARGS` (and optionally of `nvidia-smi -L`). Valid rows are GPUs whatever
 * the exit code (nvidia-smi exits 14 for a corrupted infoROM yet prints every GPU); every other non-empty line, on
 * either stream, is kept as a warning. exitCode 127 (or a spawn ENOENT mapped to it) means no nvidia-smi at all.
 */
export function readNvidiaSmi(query: SmiRun, list?: SmiRun): NvidiaSmiReport {
  if (query.exitCode === 127 && !query.stdout.trim()) return { gpus: [], state: 'no-tooling', warnings: [], error: NO_TOOLING };
  const gpus: GpuInfo[] = [];
  const warnings: string[] = [];
  for (const raw of `${query.stdout}\n${query.stderr}`.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (!line) continue;
    const row = parseRow(line);
    if (row) gpus.push(row);
    else warnings.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
  }
  if (list && gpus.length) {
    const mig = parseNvidiaSmiList(list.stdout);
    for (let i = 0; i < gpus.length; i++) {
      const devs = mig.get(gpus[i].index);
      if (devs?.length) gpus[i] = { ...gpus[i], mig: devs };
    }
  }
  const failure = FAILURES.find((f) => warnings.some((w) => f.re.test(w)));
  if (gpus.length) {
    // Rows came: the GPUs are real. A non-zero exit or an "Unable to determine the device handle" line means some
    // GPU could not be read; say so next to the list instead of hiding the list.
    const lost = warnings.filter((w) => /Unable to determine the device handle|GPU is lost|fallen off the bus/i.test(w));
    const error = lost.length ? `${lost.length} GPU(s) could not be read: ${lost[0]}` : query.exitCode !== 0 && query.exitCode !== null ? `nvidia-smi exited ${query.exitCode}${warnings[0] ? `: ${warnings[0]}` : ''}` : undefined;
    return { gpus, state: 'ok', warnings, error };
  }
  if (failure) return { gpus, state: failure.state, warnings, error: `${failure.say}${warnings[0] && !failure.say.includes(warnings[0]) ? ` (nvidia-smi: ${warnings[0]})` : ''}` };
  if (query.exitCode === 0) return { gpus, state: 'no-devices', warnings, error: warnings.length ? `nvidia-smi printed no GPU row: ${warnings[0]}` : 'nvidia-smi lists no GPU' };
  return { gpus, state: 'error', warnings, error: `nvidia-smi failed (exit ${query.exitCode ?? 'killed'})${warnings[0] ? `: ${warnings[0]}` : ''}` };
}

/** "NVIDIA H100 80GB HBM3" → "H100 80GB": the vendor prefix and memory technology say nothing a deployer needs. */
export function shortGpuName(name: string): string {
  return name.replace(/^NVIDIA\s+/i, '').replace(/\s+(HBM\d?e?|PCIe|SXM\d?)\b.*$/i, '').trim();
}

const gb = (mib: number): number => Math.round(mib / 1024);
const sumKnown = (xs: ReadonlyArray<number | null>): number | undefined => (xs.some((x) => x === null) ? undefined : xs.reduce<number>((s, x) => s + (x ?? 0), 0));

/** MIG devices of one GPU as "3× 1g.10gb + 1× 3g.40gb". */
function migSummary(devs: readonly MigDevice[]): string {
  const counts = new Map<string, number>();
  for (const d of devs) counts.set(d.profile, (counts.get(d.profile) ?? 0) + 1);
  return [...counts].map(([p, c]) => `${c}× ${p}`).join(' + ');
}

/**
 * One line for a host node, e.g. "8× H100 80GB · 12% · 41/640 GB", "4× A100 80GB + 2× L40S · ? % · …" (mixed models
 * counted per model), "MIG: 7 devices" when any GPU is partitioned. Unknown values print as "?" (never 0).
 */
export function summarizeGpus(gpus: readonly GpuInfo[]): string {
  if (gpus.length === 0) return 'no GPUs';
  const counts = new Map<string, number>();
  for (const g of gpus) counts.set(shortGpuName(g.name), (counts.get(shortGpuName(g.name)) ?? 0) + 1);
  const names = [...counts].map(([n, c]) => `${c}× ${n}`).join(' + ');
  const utils = gpus.map((g) => g.utilizationPct).filter((u): u is number => u !== null);
  const util = utils.length ? `${Math.round(utils.reduce((s, u) => s + u, 0) / utils.length)}%` : '?%';
  const used = sumKnown(gpus.map((g) => g.memoryUsedMiB));
  const total = sumKnown(gpus.map((g) => g.memoryTotalMiB));
  const mig = gpus.reduce((s, g) => s + (g.mig?.length ?? 0), 0);
  return `${names} · ${util} · ${used === undefined ? '?' : gb(used)}/${total === undefined ? '?' : gb(total)} GB${mig ? ` · MIG: ${mig} device${mig === 1 ? '' : 's'}` : ''}`;
}

/** One GPU's detail, e.g. "12% · 10/80 GB · 41°C" or "?% · ?/80 GB · ?°C · MIG 7× 1g.10gb". */
export function describeGpu(g: GpuInfo): string {
  const v = (x: number | null, f: (n: number) => string | number = (n) => n): string => (x === null ? '?' : String(f(x)));
  return `${v(g.utilizationPct)}% · ${v(g.memoryUsedMiB, gb)}/${v(g.memoryTotalMiB, gb)} GB · ${v(g.temperatureC)}°C${g.mig?.length ? ` · MIG ${migSummary(g.mig)}` : ''}`;
}

/**
 * One GPU's full inventory line for a tooltip, where the sidebar row is cut short: "GPU 0: NVIDIA H200 · 12% ·
 * 40000/143771 MiB · 45°C · bus 00000000:B3:00.0 · GPU-uuid · MIG 3× 1g.18gb". Unknown values read "?".
 */
export function gpuTooltip(g: GpuInfo): string {
  const v = (x: number | null): string => (x === null ? '?' : String(x));
  return [`GPU ${g.index}: ${g.name}`, `${v(g.utilizationPct)}% util`, `${v(g.memoryUsedMiB)}/${v(g.memoryTotalMiB)} MiB`, `${v(g.temperatureC)}°C`,
    ...(g.pciBusId ? [`bus ${g.pciBusId}`] : []), ...(g.uuid ? [g.uuid] : []), ...(g.mig?.length ? [`MIG ${migSummary(g.mig)}`] : [])].join(' · ');
}
