import type { HostProbe } from './hostModel';
import { NVIDIA_SMI_ARGS, parseNvidiaSmiCsv } from './nvidiaSmi';
import { shJoin } from '../ssh/shellQuote';

/**
 * One round trip answers every capability question: each section prints "@@name" then its output, so a missing tool
 * only empties its own section. Runs over the pooled connection (no new handshake per refresh).
 */
export const PROBE_SCRIPT = [
  'echo @@os; (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || uname -sr',
  'echo @@docker; command -v docker >/dev/null && docker version --format "{{.Server.Version}}" 2>/dev/null',
  'echo @@compose; if docker compose version --short >/dev/null 2>&1; then echo "v2 $(docker compose version --short)"; elif command -v docker-compose >/dev/null; then echo "v1 $(docker-compose version --short 2>/dev/null)"; fi',
  'echo @@slurm; command -v sbatch >/dev/null && command -v sinfo >/dev/null && sinfo --version 2>/dev/null',
  'echo @@hf; d="${HF_HOME:-$HOME/.cache/huggingface}"; mkdir -p "$d" 2>/dev/null; echo "$d"; df -Pk "$d" 2>/dev/null | tail -1',
  `echo @@gpus; if command -v nvidia-smi >/dev/null; then ${shJoin(['nvidia-smi', ...NVIDIA_SMI_ARGS])} 2>&1; echo "@@gpus_rc $?"; else echo "@@gpus_rc 127"; fi`,
].join('\n');

export function parseProbeOutput(text: string, now = Date.now()): HostProbe {
  const sections = new Map<string, string[]>();
  let cur = '';
  let gpuRc = 0;
  for (const line of text.split('\n')) {
    const rc = /^@@gpus_rc (\d+)$/.exec(line);
    if (rc) {
      gpuRc = Number(rc[1]);
      continue;
    }
    const m = /^@@(\w+)$/.exec(line);
    if (m) {
      cur = m[1];
      sections.set(cur, []);
    } else if (cur && line.trim()) sections.get(cur)!.push(line);
  }
  const first = (k: string): string | undefined => sections.get(k)?.[0]?.trim() || undefined;
  const gpuLines = (sections.get('gpus') ?? []).join('\n');
  let gpus: HostProbe['gpus'] = [];
  let gpuError: string | undefined;
  if (gpuRc === 127) gpuError = 'nvidia-smi not found on the host (no NVIDIA driver, or not on PATH for non-interactive logins)';
  else if (gpuRc !== 0) gpuError = `nvidia-smi failed (exit ${gpuRc}): ${gpuLines.split('\n')[0] ?? ''}`.trim();
  else {
    try {
      gpus = parseNvidiaSmiCsv(gpuLines);
    } catch (e) {
      gpuError = (e as Error).message;
    }
  }
  const hf = sections.get('hf') ?? [];
  const dfCols = hf[1]?.trim().split(/\s+/);
  const freeKiB = dfCols && dfCols.length >= 4 ? Number(dfCols[3]) : NaN;
  return {
    os: first('os') ?? 'unknown OS',
    gpus,
    gpuError,
    docker: first('docker'),
    compose: first('compose'),
    slurm: first('slurm'),
    hfCachePath: hf[0]?.trim(),
    hfCacheFreeGiB: Number.isFinite(freeKiB) ? Math.round((freeKiB / 1024 / 1024) * 10) / 10 : undefined,
    probedAt: now,
  };
}
