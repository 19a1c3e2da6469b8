import type { Profile } from '../profiles/profileSchema';
import type { HostProbe } from '../hosts/hostModel';
import { defaultImage, flavorOf } from '../engines/engineArgv';
import { findModel } from '../plan/catalog';
import { shQuote, shQuoteRemote } from '../ssh/shellQuote';
import type { CommandRunner } from './deployment';
import { isKubernetes, kubernetesPreflight, type ClusterFacts } from './kubernetesPreflight';

/** One reason not to start (yet), with what the user can do about it. */
export interface PreflightProblem {
  /**
   * Stable code: no-gpu, gpus-missing, gpus-busy, docker-missing, docker-daemon, docker-group, binary-missing,
   * port-in-use, weights-missing, disk-space, misfit; Kubernetes: kubectl-missing, helm-missing, cluster-unreachable,
   * namespace-missing, lws-missing, pullsecret-missing, priorityclass-missing, pvc-missing.
   */
  readonly code: string;
  readonly message: string;
  readonly remedy: string;
  /** The user may launch anyway (e.g. busy GPUs may be a stale process); false for things that cannot work. */
  readonly overridable: boolean;
}

export interface PreflightReport {
  readonly problems: readonly PreflightProblem[];
  /** Facts worth showing before the launch (busy GPUs, weights present or not, free disk). */
  readonly notes: readonly string[];
  /** Free GPUs to use when some are busy and enough are free (applied only when the user allows it). */
  readonly freeGpus?: readonly number[];
  /** Weights not in the host's HF cache (the engine downloads them at start, or `hf download` first). */
  readonly weightsMissing?: boolean;
  /** The docker image is not on the host (pull it first: `docker pull IMAGE`). */
  readonly imageMissing?: string;
  /** Kubernetes: the cluster's version, nodes with allocatable GPUs, LeaderWorkerSet discovery. */
  readonly cluster?: ClusterFacts;
}

/**
 * GPUs one node must give the engine. World size: vLLM TP×PP×DP (each DP rank is a full TP group); SGLang TP×PP, as
 * its DP attention runs inside the TP GPUs (sglang server_args: dp_size ≤ tp_size shares them). Per node: world ÷ nodes.
 */
export function gpusPerNode(p: Profile): number {
  const world = flavorOf(p) === 'vllm' ? p.parallel.tp * p.parallel.pp * p.parallel.dp : p.parallel.tp * p.parallel.pp;
  return Math.ceil(world / p.parallel.nodes);
}

/** A GPU counts as busy when another process holds over 2 GiB of it or keeps it over 10 % utilised. */
const isBusy = (g: HostProbe['gpus'][number]): boolean => (g.memoryUsedMiB ?? 0) > 2048 || (g.utilizationPct ?? 0) > 10;

/** The HF cache folder name of a hub id (huggingface_hub: models--ORG--NAME). */
export const hfCacheDirName = (id: string): string => `models--${id.replace(/\//g, '--')}`;

/** The host-side script: prints "@@section" then its lines; every value is quoted for bash. */
function preflightScript(p: Profile): string {
  const lines: string[] = [];
  const rt = p.runtime.kind;
  if (rt === 'docker' || rt === 'compose') {
    lines.push('echo @@docker; command -v docker || echo MISSING');
    // `docker info` fails with the daemon's own words: "Cannot connect to the Docker daemon" or "permission denied".
    lines.push('echo @@dockerinfo; out=$(docker info --format "{{json .Runtimes}}" 2>&1); echo "rc=$?"; printf "%s\\n" "$out" | head -3');
    lines.push('echo @@groups; id -nG');
    lines.push(`echo @@image; docker image inspect --format '{{.Id}}' ${shQuote(defaultImage(p))} >/dev/null 2>&1 && echo PRESENT || echo MISSING`);
    // The NVIDIA container toolkit registers its hook or runtime; without either, `--gpus` fails at `docker run`.
    lines.push('echo @@toolkit; { command -v nvidia-container-runtime-hook || command -v nvidia-container-toolkit || command -v nvidia-ctk; } 2>/dev/null | head -1');
  }
  if (rt === 'process' && p.engine.kind !== 'simulator') {
    const check = flavorOf(p) === 'vllm' ? 'command -v vllm' : 'python3 -c "import sglang" 2>&1 && command -v python3';
    lines.push(`echo @@binary; ${check} || echo MISSING`);
  }
  if (rt !== 'slurm') lines.push(`echo @@port; (exec 3<>/dev/tcp/127.0.0.1/${p.knobs.port}) 2>/dev/null && echo INUSE || echo FREE`);
  if (p.engine.kind !== 'simulator') {
    const local = p.model.id.startsWith('/') || p.model.id.startsWith('~/') || p.model.id.startsWith('./');
    const hf = '${HF_HOME:-$HOME/.cache/huggingface}';
    if (local) lines.push(`echo @@weights; [ -e ${shQuoteRemote(p.model.id)} ] && echo PRESENT || echo MISSING`);
    else lines.push(`echo @@weights; ls -d "${hf}/hub/${hfCacheDirName(p.model.id)}/snapshots/"*/ >/dev/null 2>&1 && echo PRESENT || echo MISSING; echo "offline=\${HF_HUB_OFFLINE:-}"`);
    lines.push(`echo @@disk; mkdir -p "${hf}" 2>/dev/null; df -Pk "${hf}" 2>/dev/null | tail -1`);
  }
  return lines.join('\n');
}

/** A host script's output split at its "@@name" lines: section name → its non-empty, trimmed lines. */
export function sections(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur = '';
  for (const line of text.split('\n')) {
    const h = /^@@(\w+)$/.exec(line);
    if (h) m.set((cur = h[1]), []);
    else if (cur && line.trim()) m.get(cur)!.push(line.trim());
  }
  return m;
}

/**
 * Pre-flight before an engine starts: what the probe already knows (GPUs) plus one round trip on the host (docker
 * daemon and group, image, NVIDIA toolkit, engine binary, port, weights in the HF cache, disk). The simulator needs
 * no GPU, image or weights, so only its port is checked. Never throws for a failed check: it becomes a problem.
 */
export async function runPreflight(p: Profile, probe: HostProbe | undefined, runner: CommandRunner): Promise<PreflightReport> {
  // Kubernetes: the GPUs, image and weights are the cluster's business; the host only runs kubectl and helm.
  if (isKubernetes(p)) return kubernetesPreflight(p, gpusPerNode(p), runner);
  const problems: PreflightProblem[] = [];
  const notes: string[] = [];
  let freeGpus: number[] | undefined;
  const real = p.engine.kind !== 'simulator';
  if (real && probe && p.runtime.kind !== 'slurm') {
    // On SLURM the login host's GPUs say nothing: the job gets its GPUs through GRES on compute nodes.
    const need = gpusPerNode(p);
    if (!probe.gpus.length) {
      problems.push({ code: 'no-gpu', message: `No NVIDIA GPU found on the host (${probe.gpuError ?? 'nvidia-smi lists none'}).`, remedy: 'Install the NVIDIA driver (nvidia-smi must work for this user), pick a GPU host, or use the simulator engine.', overridable: false });
    } else if (probe.gpus.length < need) {
      problems.push({ code: 'gpus-missing', message: `The profile needs ${need} GPUs per node (${worldText(p)}), the host has ${probe.gpus.length}.`, remedy: 'Lower tp/dp/pp, spread over more nodes (SLURM), or pick a bigger host.', overridable: false });
    } else {
      const busy = probe.gpus.filter(isBusy);
      const free = probe.gpus.filter((g) => !isBusy(g)).map((g) => g.index);
      if (busy.length) notes.push(`busy GPUs: ${busy.map((g) => `GPU ${g.index} (${g.memoryUsedMiB === null ? '?' : Math.round(g.memoryUsedMiB / 1024)}/${g.memoryTotalMiB === null ? '?' : Math.round(g.memoryTotalMiB / 1024)} GB used, ${g.utilizationPct ?? '?'}%)`).join(', ')}`);
      if (busy.length && free.length >= need) freeGpus = free.slice(0, need);
      else if (busy.length) problems.push({ code: 'gpus-busy', message: `Only ${free.length} of the ${need} GPUs the profile needs are free: ${busy.map((g) => `GPU ${g.index}`).join(', ')} ${busy.length === 1 ? 'is' : 'are'} in use by another process.`, remedy: 'Stop what runs there (nvidia-smi shows it), lower the parallelism, or launch anyway if that memory is yours to take.', overridable: true });
    }
  }
  const script = preflightScript(p);
  if (!script) return { problems, notes, freeGpus };
  const r = await runner.exec(['bash', '-c', script], { timeoutMs: 30_000 }).catch((e: Error) => ({ code: null, stdout: '', stderr: e.message }));
  const s = sections(r.stdout);
  const first = (k: string): string => s.get(k)?.[0] ?? '';
  let imageMissing: string | undefined;
  if (s.has('docker')) {
    if (first('docker') === 'MISSING') problems.push({ code: 'docker-missing', message: 'docker is not installed on the host (or not on PATH for non-interactive logins).', remedy: 'Install Docker Engine, or use the process or SLURM runtime.', overridable: false });
    else {
      const info = s.get('dockerinfo') ?? [];
      const ok = info[0] === 'rc=0';
      // `docker info --format` prints "null" for the unset template before the daemon's error.
      const why = info.slice(1).filter((l) => l !== 'null').join(' ');
      if (!ok && /permission denied/i.test(why)) {
        problems.push({ code: 'docker-group', message: `This user may not use the Docker daemon: ${why}`, remedy: `Add the user to the docker group (sudo usermod -aG docker $USER, then log in again)${(s.get('groups')?.[0] ?? '') ? `; groups now: ${s.get('groups')![0]}` : ''}.`, overridable: false });
      } else if (!ok) {
        problems.push({ code: 'docker-daemon', message: `The Docker daemon is not reachable: ${why || 'docker info failed'}`, remedy: 'Start it (sudo systemctl start docker) or check DOCKER_HOST for this user.', overridable: false });
      } else {
        // Only a note: the legacy hook may sit on dockerd's PATH alone, which this user cannot see; a real failure of
        // `--gpus` at `docker run` is diagnosed with the same remedy (diagnoseStepFailure).
        if (real && !first('toolkit') && !/nvidia/i.test(info[1] ?? '')) notes.push('no NVIDIA container toolkit found on PATH (nvidia-ctk, nvidia-container-runtime-hook): if `docker run --gpus` fails, install it and restart dockerd');
        if (first('image') === 'MISSING') {
          imageMissing = defaultImage(p);
          notes.push(`image ${imageMissing} is not on the host: docker pulls it at start (tens of GB for engine images)`);
        }
      }
    }
  }
  if (first('binary') === 'MISSING') {
    const what = flavorOf(p) === 'vllm' ? '`vllm`' : 'SGLang (`python3 -m sglang`)';
    problems.push({ code: 'binary-missing', message: `${what} is not installed on the host for non-interactive logins, so the process runtime cannot start the engine.`, remedy: flavorOf(p) === 'vllm' ? 'pip install vllm (in the environment your login shell activates), or use the docker runtime.' : 'pip install "sglang[all]", or use the docker runtime.', overridable: false });
  }
  if (first('port') === 'INUSE') problems.push({ code: 'port-in-use', message: `Port ${p.knobs.port} is already in use on the host.`, remedy: 'Pick another knobs.port, or stop the server that holds it.', overridable: false });
  let weightsMissing: boolean | undefined;
  if (s.has('weights')) {
    weightsMissing = first('weights') === 'MISSING';
    const offline = /^offline=(1|true|yes)$/i.test(s.get('weights')?.[1] ?? '');
    const local = !/^[\w.-]+\/[\w.-]+$/.test(p.model.id);
    if (weightsMissing && local) problems.push({ code: 'weights-missing', message: `The model path ${p.model.id} does not exist on the host.`, remedy: 'Fix model.id, or copy the weights there first.', overridable: false });
    else if (weightsMissing && offline) problems.push({ code: 'weights-missing', message: `${p.model.id} is not in the host's HF cache and HF_HUB_OFFLINE is set, so it cannot be downloaded.`, remedy: 'Download it first (hf download), or unset HF_HUB_OFFLINE.', overridable: false });
    else notes.push(weightsMissing ? `weights: ${p.model.id} is not in the host's HF cache; it will be downloaded (hf download ${p.model.id} first shows progress and resumes)` : `weights: ${p.model.id} is in the host's HF cache`);
    const df = first('disk').split(/\s+/);
    const freeGB = df.length >= 4 ? (Number(df[3]) * 1024) / 1e9 : NaN;
    const need = findModel(p.model.id)?.weightsGB;
    if (weightsMissing && !local && need && Number.isFinite(freeGB)) {
      if (freeGB < need) problems.push({ code: 'disk-space', message: `The HF cache has ${Math.round(freeGB)} GB free; ${p.model.id} needs ≈${Math.round(need)} GB.`, remedy: 'Free space, point HF_HOME at a bigger disk (profile env), or use a local model path.', overridable: true });
      else notes.push(`disk: ${Math.round(freeGB)} GB free for ≈${Math.round(need)} GB of weights`);
    }
  }
  return { problems, notes, freeGpus, weightsMissing, imageMissing };
}

function worldText(p: Profile): string {
  const { tp, pp, dp, nodes } = p.parallel;
  const world = flavorOf(p) === 'vllm' ? `TP ${tp} × PP ${pp} × DP ${dp}` : `TP ${tp} × PP ${pp}`;
  return `${world}${nodes > 1 ? ` over ${nodes} nodes` : ''}`;
}

/** Error thrown when pre-flight refuses a launch: every problem with its remedy. */
export class PreflightError extends Error {
  constructor(readonly problems: readonly PreflightProblem[]) {
    super(problems.map((x) => `${x.message} ${x.remedy}`).join('\n'));
    this.name = 'PreflightError';
  }
}
