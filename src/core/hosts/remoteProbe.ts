import type { HostProbe } from './hostModel';
import { NVIDIA_SMI_ARGS, NVIDIA_SMI_LIST_ARGS, readNvidiaSmi, type SmiRun } from './nvidiaSmi';
import { shJoin } from '../ssh/shellQuote';

/**
 * Runs nvidia-smi with its stderr lines prefixed "@@! " (so warnings stay apart from CSV rows whatever order they
 * come in) and its exit code on a line of its own. bash only: PIPESTATUS.
 */
const smi = (section: string, args: readonly string[]): string =>
  `echo @@${section}; { ${shJoin(['nvidia-smi', ...args])} 2>&1 1>&3 3>&- | sed 's/^/@@! /'; __rc=\${PIPESTATUS[0]}; } 3>&1; echo "@@${section}_rc $__rc"`;

/**
 * The Hugging Face hub cache exactly as huggingface_hub resolves it (constants.py: HF_HUB_CACHE, else the legacy
 * HUGGINGFACE_HUB_CACHE, else HF_HOME/hub, HF_HOME defaulting to ${XDG_CACHE_HOME:-~/.cache}/huggingface; "~"
 * expanded), then the free space of the nearest existing folder on that path: nothing is created.
 */
const HF_SECTION = [
  'echo @@hf',
  '__h="${HF_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/huggingface}"; case "$__h" in "~"|"~/"*) __h="$HOME${__h#"~"}";; esac',
  '__d="${HF_HUB_CACHE:-${HUGGINGFACE_HUB_CACHE:-$__h/hub}}"; case "$__d" in "~"|"~/"*) __d="$HOME${__d#"~"}";; esac',
  'echo "$__d"; if [ -d "$__d" ]; then echo exists; else echo missing; fi',
  '__p="$__d"; while [ ! -e "$__p" ] && [ "$__p" != / ] && [ "$__p" != . ]; do __p=$(dirname "$__p"); done',
  'df -Pk "$__p" 2>/dev/null | tail -1',
].join('\n');

/**
 * One round trip answers every capability question: each section prints "@@name" then its output, so a missing tool
 * only empties its own section. Runs over the pooled connection (no new handshake per refresh). nvidia-smi runs
 * twice: the CSV inventory, then `-L` for MIG devices.
 */
export const PROBE_SCRIPT = [
  'echo @@os; (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || uname -sr',
  'echo @@docker; command -v docker >/dev/null && docker version --format "{{.Server.Version}}" 2>/dev/null',
  'echo @@compose; if docker compose version --short >/dev/null 2>&1; then echo "v2 $(docker compose version --short)"; elif command -v docker-compose >/dev/null; then echo "v1 $(docker-compose version --short 2>/dev/null)"; fi',
  'echo @@slurm; command -v sbatch >/dev/null && command -v sinfo >/dev/null && sinfo --version 2>/dev/null',
  HF_SECTION,
  `if command -v nvidia-smi >/dev/null 2>&1; then ${smi('gpus', NVIDIA_SMI_ARGS)}; ${smi('gpulist', NVIDIA_SMI_LIST_ARGS)}; else echo @@gpus; echo "@@gpus_rc 127"; fi`,
].join('\n');

/** Rebuilds one nvidia-smi run (stdout, stderr, exit code) from its probe section. */
function smiRun(lines: readonly string[] | undefined, rc: number | undefined): SmiRun | undefined {
  if (!lines) return undefined;
  const out: string[] = [];
  const err: string[] = [];
  for (const l of lines) (l.startsWith('@@! ') ? err : out).push(l.startsWith('@@! ') ? l.slice(4) : l);
  return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode: rc ?? null };
}

/** Parses PROBE_SCRIPT's output. Never throws: whatever a section lacks becomes undefined or a gpuError. */
export function parseProbeOutput(text: string, now = Date.now()): HostProbe {
  const sections = new Map<string, string[]>();
  const rcs = new Map<string, number>();
  let cur = '';
  for (const line of text.split('\n')) {
    const rc = /^@@(\w+)_rc (\d+)$/.exec(line);
    if (rc) {
      rcs.set(rc[1], Number(rc[2]));
      continue;
    }
    const m = /^@@(\w+)$/.exec(line);
    if (m) {
      cur = m[1];
      sections.set(cur, []);
    } else if (cur && line.trim()) sections.get(cur)!.push(line);
  }
  const first = (k: string): string | undefined => sections.get(k)?.[0]?.trim() || undefined;
  const query = smiRun(sections.get('gpus'), rcs.get('gpus')) ?? { stdout: '', stderr: '', exitCode: null };
  const report = readNvidiaSmi(query, smiRun(sections.get('gpulist'), rcs.get('gpulist')));
  const hf = sections.get('hf') ?? [];
  const dfCols = hf[2]?.trim().split(/\s+/);
  const freeKiB = dfCols && dfCols.length >= 4 ? Number(dfCols[3]) : NaN;
  return {
    os: first('os') ?? 'unknown OS',
    gpus: report.gpus,
    gpuError: report.error,
    gpuState: report.state,
    gpuWarnings: report.warnings,
    docker: first('docker'),
    compose: first('compose'),
    slurm: first('slurm'),
    hfCachePath: hf[0]?.trim() || undefined,
    hfCacheExists: hf[1] === undefined ? undefined : hf[1].trim() === 'exists',
    hfCacheFreeGiB: Number.isFinite(freeKiB) ? Math.round((freeKiB / 1024 / 1024) * 10) / 10 : undefined,
    probedAt: now,
  };
}
