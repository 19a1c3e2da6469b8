import { randomBytes } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { ProfileSchema, type Profile } from '../profiles/profileSchema';
import { defaultImage, engineArgv, flavorOf, type MultiNodeContext } from '../engines/engineArgv';
import { profileEngineRelease } from '../plan/versionGate';
import { compareVersions } from '../util/versions';
import { remoteHomePath, shellVar, shJoinRemote, shQuote, shQuoteRemote, showShellVars } from '../ssh/shellQuote';
import { escapeUnsafe } from '../security/textSafety';
import { SLURM_JOB_STATE_SCRIPT, type SlurmJobStatus } from './slurmJobState';
import { kubernetesPlan, type KubernetesProfile, type KubernetesRenderOptions } from './kubernetesPlan';

/** One remote command: argv (each word quoted remotely), optional stdin (how files and secrets travel). */
export interface RemoteStep {
  readonly description: string;
  readonly argv: readonly string[];
  readonly stdin?: string;
  /** stdin is secret: never shown in rendered scripts or logs. */
  readonly secretStdin?: boolean;
  /** How long the step may run, ms (default STEP_TIMEOUT_MS): a step that waits on a cluster says how long it waits. */
  readonly timeoutMs?: number;
}

/** Default limit for one stop step, ms: docker stop (10 s grace), scancel, a process group's TERM→KILL (15 s). */
export const STEP_TIMEOUT_MS = 60_000;

/** Everything needed to start, follow, check and stop one deployment; rendering it shows the exact commands. */
export interface LaunchPlan {
  readonly profile: Profile;
  readonly flavor: 'vllm' | 'sglang';
  /** The engine's own command line, as the engine process sees it. */
  readonly engineCommand: readonly string[];
  readonly start: readonly RemoteStep[];
  /** Follows the server log from the start (resumable: callers add how many lines they already have). */
  readonly logs: (skipLines: number) => readonly string[];
  /** Prints the server log as it is now and exits (`logs --no-follow`): built for each runtime, never edited from logs(). */
  readonly logSnapshot: readonly string[];
  /** The address the engine binds, as written into its command line (a generated variable on SLURM). */
  readonly bindAddress: string;
  /** Whether the engine requires an API key (set by apiKeySecret, or by default where the port is reachable by others). */
  readonly apiKeyRequired: boolean;
  /** Things the user chose that widen exposure (binding beyond loopback…): shown before launch. */
  readonly warnings: readonly string[];
  readonly stop: readonly RemoteStep[];
  /** The port the engine listens on, on the host (or the SLURM head node). */
  readonly port: number;
  /** Where the log lives, for messages ("docker logs NAME", a file path). */
  readonly logLocation: string;
  /** Prints the address the engine listens on as seen from the SSH host (SLURM: the head node); default 127.0.0.1. */
  readonly serverAddress?: readonly string[];
  /** Prints a batch job's status for parseJobStateOutput (SLURM: squeue/sacct/scontrol sections; others "STATE|REASON"). */
  readonly jobState?: readonly string[];
  /** Reads jobState's output when it is not SLURM's (Kubernetes: pods, events, previous log → explainRelease). */
  readonly parseJobState?: (text: string) => SlurmJobStatus | undefined;
  /**
   * Kubernetes: waits for rank 0 to be Ready, then runs `kubectl port-forward` on 127.0.0.1 of the host running
   * kubectl; prints "Forwarding from 127.0.0.1:PORT -> N" and runs until stopped. The pipeline reaches PORT.
   */
  readonly portForward?: readonly string[];
  /** Kubernetes: the Helm values file (YAML, no secrets) shown before `helm upgrade --install` runs. */
  readonly values?: string;
}

export interface RenderOptions {
  /** How to run the simulator on the host (engine.kind = simulator), e.g. ['node', '/opt/deepseek-deploy/cli.js']. */
  readonly simulatorCommand?: readonly string[];
  /** Extra `simulate` options (speeds) when the engine is the simulator. */
  readonly simulatorOptions?: readonly string[];
  /** Whether an HF token will be written to the host before start (adds the 0600 token-file step). */
  readonly hfToken?: string;
  /** The simulator's own files (cli.js, simulator.js) to install on the host when engine.kind is simulator. */
  readonly simulatorFiles?: ReadonlyArray<{ readonly name: string; readonly content: string }>;
  /**
   * The host's Hugging Face hub cache as its probe found it (HF_HUB_CACHE, else HF_HOME/hub, …; absolute). Containers
   * get it mounted at /root/.cache/huggingface/hub, so they reuse what HF tooling on the host downloaded. SLURM and
   * process runtimes run in the host's own environment and resolve the same path themselves.
   */
  readonly hfHubCache?: string;
  /**
   * The server API key (from SecretStorage / DEEPSEEK_DEPLOY_SECRET_<NAME>, or generated where one is required). It
   * travels only on stdin into a 0600 file or the engine's environment; never argv, compose files or job scripts.
   */
  readonly apiKey?: string;
  /** Kubernetes: cluster facts from pre-flight (LeaderWorkerSet CRD) and where the chart comes from. */
  readonly kubernetes?: KubernetesRenderOptions;
}

/** The extra container mount for the host's hub cache, when it is not already the hub folder of the mounted HF home. */
function hubMount(hfHome: string, hub: string | undefined): string | undefined {
  if (!hub) return undefined;
  const home = hfHome.replace(/\/+$/, '');
  if (hub === `${home}/hub` || (home.startsWith('~/') && hub.endsWith(`${home.slice(1)}/hub`))) return undefined;
  return `${hub}:/root/.cache/huggingface/hub`;
}

const SIM_DIR = '~/.deepseek-deploy/sim';

function simulatorInstallSteps(p: Profile, o: RenderOptions): RemoteStep[] {
  if (p.engine.kind !== 'simulator' || !o.simulatorFiles?.length) return [];
  return o.simulatorFiles.map((f) => ({ description: `install the simulator's ${f.name} in ${SIM_DIR}`, argv: ['sh', '-c', 'mkdir -p "$1" && cat > "$1/$2"', 'sh', remoteHomePath(SIM_DIR), f.name], stdin: f.content }));
}

const managedLabel = 'deepseek-deploy.managed=true';

/**
 * Drops the first n lines of a log stream and passes the rest through unbuffered (tail -n +N on a pipe would hold
 * output in stdio buffers, so "ready" would arrive late). `read` takes a pipe one byte at a time: nothing over-read.
 */
export const skipLines = (n: number): string => (n === 0 ? '' : ` | { i=0; while [ $i -lt ${n} ] && IFS= read -r _; do i=$((i+1)); done; exec cat; }`);

function hfCacheOf(p: Profile): string {
  return p.runtime.kind === 'docker' || p.runtime.kind === 'compose' ? p.runtime.hfCache : '~/.cache/huggingface';
}

/**
 * Writes a secret (stdin) to DIR/NAME with mode 0600 without ever following a link someone planted: DIR must be a real
 * directory owned by us (not a symlink), the bytes go to a fresh mktemp name (O_EXCL, so nothing can be pre-planted
 * there), and rename(2) then replaces DIR/NAME itself, never the target of a symlink at that name. `$(cat)` drops the
 * here-document's trailing newline; printf is a bash builtin, so the secret is in no argv.
 */
const SECRET_WRITE = [
  'umask 077; d=$1; n=$2; mkdir -p -- "$d" || exit 1',
  'if [ -L "$d" ] || [ ! -d "$d" ] || [ ! -O "$d" ]; then echo "refusing to write $n: $d is not a directory owned by $(id -un) (a symlink or another user\'s directory could redirect the secret)" >&2; exit 3; fi',
  't=$(mktemp "$d/.dsd-secret.XXXXXXXXXX") || exit 1',
  'v=$(cat); printf %s "$v" > "$t" && chmod 600 "$t" && mv -f -- "$t" "$d/$n" || { rm -f -- "$t"; exit 1; }',
].join('\n');

export function secretFileStep(description: string, dir: string, name: string, content: string): RemoteStep {
  return { description, argv: ['bash', '-c', SECRET_WRITE, 'bash', remoteHomePath(dir), name], stdin: content, secretStdin: true };
}

/** The token goes over stdin into the cache's token file (0600), where huggingface_hub looks for it; never argv or env. */
function tokenStep(p: Profile, token: string | undefined): RemoteStep[] {
  if (!token) return [];
  return [secretFileStep(`write the Hugging Face token to ${hfCacheOf(p)}/token (mode 0600, no symlink followed)`, hfCacheOf(p), 'token', token)];
}

/**
 * How the API key reaches each engine without a command line:
 * - vLLM reads the VLLM_API_KEY environment variable when --api-key is absent (vllm/entrypoints/openai/api_server.py,
 *   build_app: `if token := args.api_key or envs.VLLM_API_KEY:`; vllm/envs.py defines VLLM_API_KEY).
 * - SGLang reads no such variable; it takes `--config FILE.yaml`, whose keys become arguments inside the process
 *   (python/sglang/srt/server_args_config_parser.py, ConfigArgumentMerger: `--{key} value` for each entry), so only
 *   the file's path is on the command line and the 0600 file holds `api-key: …`.
 * /proc/PID/cmdline is world-readable; /proc/PID/environ is readable only by the process owner (and root), which is
 * the threat model here: other users of the host never see the key.
 */
const API_KEY_ENV = 'VLLM_API_KEY';
/**
 * The first SGLang release whose launch_server takes `--config FILE.yaml`: python/sglang/srt/server_args.py
 * (prepare_server_args) merges the file through python/sglang/srt/server_args_config_parser.py (ConfigArgumentMerger),
 * both added by sgl-project/sglang PR #10534 ("Initial support for input config files", merged September 2025).
 * 0.5.2rc4 has neither file; 0.5.3 is the first release after the merge (inferred from the merge date, not read from
 * a release tag). Older releases would exit with "unrecognized arguments: --config", so the plan refuses them.
 */
export const SGLANG_CONFIG_FILE_SINCE = '0.5.3';
const apiKeyConfigName = (p: Profile): string => `${p.name}.api-key.yaml`;
const apiKeyYaml = (key: string): string => toYaml({ 'api-key': key });

/** Runs argv with VLLM_API_KEY set from stdin (`export` of a shell variable: in no argv); the key is the step's stdin. */
const withKeyFromStdin = (argv: readonly string[]): string[] => ['bash', '-c', `k=$(cat); export ${API_KEY_ENV}="$k"; unset k; exec "$@"`, 'bash', ...argv];

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Where the engine listens and whether it needs a key. process/docker/compose bind 127.0.0.1 of their host (we reach
 * them through the SSH tunnel); SLURM binds the compute node's cluster address (NodeAddr) because the login node must
 * reach it, so there a key is required by default, as it is for any explicit wider knobs.host.
 */
export function exposureOf(p: Profile): { bind: string; reachableByOthers: boolean; warnings: string[] } {
  const chosen = p.knobs.host;
  const warnings: string[] = [];
  if (chosen && !LOOPBACK.test(chosen)) warnings.push(`knobs.host is ${chosen}: the engine's port is reachable from other machines${p.knobs.apiKeySecret ? '' : ' (an API key is generated and required)'}`);
  if (p.runtime.kind === 'slurm') return { bind: chosen ?? shellVar('DSD_NODE_ADDR'), reachableByOthers: !chosen || !LOOPBACK.test(chosen), warnings };
  // In a pod the engine binds 0.0.0.0 (the kubelet probes the pod IP), so every pod of the cluster reaches it: vLLM
  // gets a key from a Secret; SGLang cannot take one without a command line (kubernetesPlan warns).
  if (p.runtime.kind === 'kubernetes') return { bind: '0.0.0.0', reachableByOthers: flavorOf(p) === 'vllm', warnings };
  return { bind: chosen ?? '127.0.0.1', reachableByOthers: !!chosen && !LOOPBACK.test(chosen), warnings };
}

/** A random API key for a server that must have one and whose profile names none (32 bytes, base64url). */
export const generateApiKey = (): string => `dsd-${randomBytes(32).toString('base64url')}`;

/**
 * The simulator's command: `simulate [--engine-version V] [options] -- <engine argv>`. engine.version goes to the
 * simulator as --engine-version so it imitates that release (its version gate, reasoning field name and flag dialect,
 * src/simulator/main.ts) exactly as the profile says; explicit simulatorOptions that name one take precedence.
 */
function withSimulator(p: Profile, argv: readonly string[], o: RenderOptions): string[] {
  if (p.engine.kind !== 'simulator') return [...argv];
  const sim = o.simulatorCommand ?? (o.simulatorFiles?.length ? ['node', remoteHomePath(`${SIM_DIR}/cli.js`)] : ['deepseek-deploy']);
  const extra = o.simulatorOptions ?? [];
  const version = p.engine.version && !extra.includes('--engine-version') ? ['--engine-version', p.engine.version] : [];
  return [...sim, 'simulate', ...version, ...extra, '--', ...argv];
}

const dockerName = (p: Profile): string => (p.runtime.kind === 'docker' && p.runtime.containerName) || `dsd-${p.name}`;

/** Compose interpolates `$VAR` and `${VAR}` in every string of the file; `$$` is its literal dollar (compose spec). */
const composeLiteral = (s: string): string => s.replace(/\$/g, '$$$$');

/**
 * The engine's key mechanism for this profile: SGLang reads a 0600 `--config` YAML file holding `api-key`; vLLM reads
 * VLLM_API_KEY from its environment. Not a vLLM `--config` file: vLLM logs its non-default arguments at start-up
 * (`non-default args: {…, 'api_key': …}`), so the key would land in the engine log, while an environment variable is
 * not logged. In a docker or compose container the variable is set inside, from a 0600 file (see vllmKeyEntrypoint),
 * so it is in neither the container's configuration (`docker inspect`) nor compose's environment or file.
 */
function keyArgs(p: Profile, o: RenderOptions, configPath: string): { configFile?: string; env: boolean } {
  if (!o.apiKey) return { env: false };
  if (flavorOf(p) === 'vllm') return { env: true };
  const release = profileEngineRelease(p);
  if (release && compareVersions(release, SGLANG_CONFIG_FILE_SINCE) < 0) {
    const why = p.knobs.apiKeySecret ? `knobs.apiKeySecret (${p.knobs.apiKeySecret})` : 'an API key (the engine\'s port is reachable from other machines)';
    throw new Error(`${p.name}: SGLang ${release} cannot take ${why} without putting it on its command line, where every user of the host sees it: SGLang reads it from a --config file only from ${SGLANG_CONFIG_FILE_SINCE} on. Set engine.version (or the image) to ${SGLANG_CONFIG_FILE_SINCE} or later${p.knobs.apiKeySecret ? ', or remove knobs.apiKeySecret' : ''}.`);
  }
  return { configFile: configPath, env: false };
}

/**
 * How a container starts vLLM with VLLM_API_KEY read inside it from `keyFile` (0600, in the mounted HF cache): the
 * image's own entrypoint is the API server (vllm/vllm-openai since 0.6; our simulator images imitate it), replaced by
 * `shell` running `args`, which export the key and exec `vllm serve` with the engine's arguments appended after
 * `args`. So neither `docker inspect` (Config.Env, Entrypoint, Cmd) nor a compose file nor any argv holds the key:
 * only the engine process's own environment does, which vLLM reads (vllm/entrypoints/openai/api_server.py, build_app:
 * `if token := args.api_key or envs.VLLM_API_KEY:`). docker run takes `--entrypoint SHELL IMAGE ...ARGS ...ENGINE`;
 * compose takes `entrypoint: [SHELL]`, `command: [...ARGS, ...ENGINE]`.
 */
const vllmKeyEntrypoint = (keyFile: string): { shell: string; args: string[] } => ({
  shell: '/bin/sh',
  args: ['-c', `${API_KEY_ENV}="$(cat "$0")"; export ${API_KEY_ENV}; exec vllm serve "$@"`, keyFile],
});

/** Where the key lives inside docker and compose containers: the host's HF cache is mounted at /root/.cache/huggingface. */
const IN_CONTAINER_KEY_DIR = '/root/.cache/huggingface/deepseek-deploy';

/**
 * The API-key setup docker and compose share: SGLang gets `--config` with a 0600 YAML file, vLLM a 0600 key file read
 * by vllmKeyEntrypoint; both files are written by secretFileStep into HFCACHE/deepseek-deploy on the host (secret
 * stdin), which the container sees under IN_CONTAINER_KEY_DIR. Empty when the plan has no key.
 */
function containerKey(p: Profile, o: RenderOptions, hfCache: string): { configFile?: string; viaFile?: { shell: string; args: string[] }; steps: RemoteStep[] } {
  const key = keyArgs(p, o, `${IN_CONTAINER_KEY_DIR}/${apiKeyConfigName(p)}`);
  if (key.configFile) return { configFile: key.configFile, steps: [secretFileStep(`write the API key config for SGLang to ${hfCache}/deepseek-deploy/${apiKeyConfigName(p)} (mode 0600)`, `${hfCache}/deepseek-deploy`, apiKeyConfigName(p), apiKeyYaml(o.apiKey!))] };
  if (!key.env) return { steps: [] };
  const keyFileName = `${p.name}.api-key`;
  return {
    viaFile: vllmKeyEntrypoint(`${IN_CONTAINER_KEY_DIR}/${keyFileName}`),
    steps: [secretFileStep(`write the API key for vLLM to ${hfCache}/deepseek-deploy/${keyFileName} (mode 0600; read inside the container into VLLM_API_KEY)`, `${hfCache}/deepseek-deploy`, keyFileName, o.apiKey!)],
  };
}

const withConfig = (argv: string[], config: string | undefined): string[] => (config ? [...argv, '--config', config] : argv);

function dockerPlan(p: Profile & { runtime: { kind: 'docker' } }, o: RenderOptions): LaunchPlan {
  const rt = p.runtime;
  const flavor = flavorOf(p);
  const name = dockerName(p);
  const ex = exposureOf(p);
  // Bridge network: the engine binds all interfaces of its own network namespace and docker publishes the port on
  // the host's loopback only; host network: the engine itself binds loopback (or the chosen knobs.host).
  const bridge = rt.network === 'bridge';
  const key = containerKey(p, o, rt.hfCache);
  const viaFile = key.viaFile;
  // vllm/vllm-openai's entrypoint is the API server, so it takes the image form; SGLang images have none.
  const engineCommand = withConfig(flavor === 'vllm' ? engineArgv(p, 'image', undefined, bridge ? '0.0.0.0' : ex.bind) : engineArgv(p, 'serve', undefined, bridge ? '0.0.0.0' : ex.bind), key.configFile);
  const publish = ex.bind === '127.0.0.1' || !p.knobs.host ? '127.0.0.1' : p.knobs.host;
  const run = [
    'docker', 'run', '-d', '--name', name, '--label', managedLabel, '--label', `deepseek-deploy.profile=${p.name}`,
    '--gpus', rt.gpus === 'all' ? 'all' : `"device=${rt.gpus}"`, '--ipc=host', '--shm-size', rt.shmSize,
    '-v', `${remoteHomePath(rt.hfCache)}:/root/.cache/huggingface`,
    ...(hubMount(rt.hfCache, o.hfHubCache) ? ['-v', hubMount(rt.hfCache, o.hfHubCache)!] : []),
    ...(bridge ? ['-p', `${publish.includes(':') ? `[${publish}]` : publish}:${p.knobs.port}:${p.knobs.port}`] : ['--network=host']),
    ...Object.entries(p.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    ...(viaFile ? ['--entrypoint', viaFile.shell] : []),
    defaultImage(p),
    ...(viaFile?.args ?? []),
    ...engineCommand,
  ];
  return {
    profile: p,
    flavor,
    engineCommand,
    port: p.knobs.port,
    bindAddress: ex.bind,
    apiKeyRequired: !!o.apiKey,
    warnings: ex.warnings,
    logLocation: `docker logs ${name}`,
    start: [
      ...tokenStep(p, o.hfToken),
      ...key.steps,
      { description: `remove a stopped container left from an earlier run named ${name}`, argv: ['sh', '-c', 'docker rm -f "$1" >/dev/null 2>&1 || true', 'sh', name] },
      { description: `start ${defaultImage(p)} as ${name}`, argv: run },
    ],
    logs: (skip) => ['sh', '-c', `docker logs -f "$1" 2>&1${skipLines(skip)}`, 'sh', name],
    logSnapshot: ['docker', 'logs', name],
    stop: [{ description: `stop and remove ${name}`, argv: ['sh', '-c', 'docker stop -t 10 "$1" >/dev/null; docker rm -f "$1"', 'sh', name] }],
  };
}

function composePlan(p: Profile & { runtime: { kind: 'compose' } }, o: RenderOptions): LaunchPlan {
  const rt = p.runtime;
  const flavor = flavorOf(p);
  const ex = exposureOf(p);
  const project = rt.project ?? `dsd-${p.name.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;
  const file = `${rt.directory}/${project}.yaml`;
  const key = containerKey(p, o, rt.hfCache);
  const engineCommand = withConfig(flavor === 'vllm' ? engineArgv(p, 'image', undefined, ex.bind) : engineArgv(p, 'serve', undefined, ex.bind), key.configFile);
  const service = flavor === 'vllm' ? 'vllm-server' : 'sglang-server';
  // Every string is written through the yaml library (quoting) and compose's `$$` (no interpolation of user text);
  // only the volume's ${HOME}, which we add, is interpolated.
  const home = rt.hfCache === '~' || rt.hfCache.startsWith('~/');
  const volume = `${home ? `\${HOME}${composeLiteral(rt.hfCache.slice(1))}` : composeLiteral(rt.hfCache)}:/root/.cache/huggingface`;
  const compose = {
    services: {
      [service]: {
        image: composeLiteral(defaultImage(p)),
        // vLLM with a key: the same wrapper as docker run (vllmKeyEntrypoint), its `$` escaped as `$$` like every string.
        ...(key.viaFile ? { entrypoint: [key.viaFile.shell] } : {}),
        command: [...(key.viaFile?.args ?? []), ...engineCommand].map(composeLiteral),
        ipc: 'host',
        shm_size: rt.shmSize,
        network_mode: 'host',
        volumes: [volume, ...(hubMount(rt.hfCache, o.hfHubCache) ? [composeLiteral(hubMount(rt.hfCache, o.hfHubCache)!)] : [])],
        environment: Object.entries(p.env).map(([k, v]) => `${k}=${composeLiteral(v)}`),
        labels: { 'deepseek-deploy.managed': 'true', 'deepseek-deploy.profile': p.name },
        deploy: { resources: { reservations: { devices: [rt.gpus === 'all' ? { driver: 'nvidia', count: 'all', capabilities: ['gpu'] } : { driver: 'nvidia', device_ids: rt.gpus.split(','), capabilities: ['gpu'] }] } } },
      },
    },
  };
  // compose v2 is `docker compose`; Debian and older hosts only have v1 `docker-compose`: pick whichever exists.
  const composeCmd = (args: string): string[] => ['sh', '-c', `f="$1"; if docker compose version >/dev/null 2>&1; then docker compose -f "$f" -p "$0" ${args}; else docker-compose -f "$f" -p "$0" ${args}; fi`, project, remoteHomePath(file)];
  const up = composeCmd('up -d');
  return {
    profile: p,
    flavor,
    engineCommand,
    port: p.knobs.port,
    bindAddress: ex.bind,
    apiKeyRequired: !!o.apiKey,
    warnings: ex.warnings,
    logLocation: `${file} (service ${service})`,
    start: [
      ...tokenStep(p, o.hfToken),
      ...key.steps,
      { description: `write the compose file ${file}`, argv: ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', remoteHomePath(file)], stdin: `# written by DeepSeek Deploy\n${toYaml({ version: '3.8', ...compose })}` },
      { description: `docker compose up -d (project ${project})`, argv: up },
    ],
    logs: (skip) => composeCmd(`logs -f --no-color 2>&1${skipLines(skip)}`),
    logSnapshot: composeCmd('logs --no-color 2>&1'),
    stop: [{ description: `docker compose down (project ${project})`, argv: composeCmd('down') }],
  };
}

/**
 * One `#SBATCH` directive per line: the option name is ours, and a value with characters beyond [A-Za-z0-9_.:,+=%-]
 * (constraint expressions) is double-quoted, which sbatch's directive parser groups and strips (src/sbatch/opt.c);
 * the schema already refused newlines, quotes and anything outside SLURM's syntax, and this refuses them again.
 */
function sbatchDirective(option: string, value: string | number | undefined): string[] {
  if (value === undefined) return [];
  const v = String(value);
  if (/["\\\s#]/.test(v) || escapeUnsafe(v) !== v) throw new Error(`#SBATCH --${option}: the value ${JSON.stringify(v)} cannot be written as one directive`);
  return [`#SBATCH --${option}=${/^[A-Za-z0-9_.:,+=%-]+$/.test(v) ? v : `"${v}"`}`];
}

function slurmPlan(p: Profile & { runtime: { kind: 'slurm' } }, o: RenderOptions): LaunchPlan {
  const rt = p.runtime;
  const flavor = flavorOf(p);
  const nodes = p.parallel.nodes;
  const ex = exposureOf(p);
  const workdir = remoteHomePath(rt.workdir);
  const keyFile = `${workdir}/${apiKeyConfigName(p)}`;
  const key = keyArgs(p, o, keyFile);
  // Rank variables are produced by our script (shellVar), never by letting a profile value expand.
  const multi: MultiNodeContext | undefined = nodes > 1 ? { mode: flavor === 'vllm' && rt.multiNode === 'ray' ? 'ray' : 'native', nodes, distInitAddr: `${shellVar('DSD_HEAD_ADDR')}:${shellVar('DSD_RDZV_PORT')}`, nodeRankExpr: shellVar('SLURM_NODEID') } : undefined;
  const engineCommand = withSimulator(p, withConfig(engineArgv(p, 'serve', multi, ex.bind), key.configFile), o);
  const out = `${rt.workdir}/${p.name}.%j.out`;
  const line = (argv: readonly string[]): string => argv.map(shQuoteRemote).join(' ');
  // The node's own cluster address (NodeAddr is how SLURM itself reaches it; DNS may not know node names).
  const nodeAddr = (node: string): string => `$(scontrol show node "${node}" | grep -o "NodeAddr=[^ ]*" | cut -d= -f2)`;
  const sbatch = [
    '#!/bin/bash',
    ...sbatchDirective('job-name', `dsd-${p.name}`),
    ...sbatchDirective('nodes', nodes),
    ...sbatchDirective('ntasks-per-node', 1),
    ...sbatchDirective('gres', `gpu:${rt.gpusPerNode}`),
    ...sbatchDirective('cpus-per-task', rt.cpusPerTask),
    ...sbatchDirective('mem', rt.mem),
    ...(rt.exclusive ? ['#SBATCH --exclusive'] : []),
    ...sbatchDirective('constraint', rt.constraint),
    ...sbatchDirective('time', rt.time),
    ...sbatchDirective('partition', rt.partition),
    ...sbatchDirective('account', rt.account),
    ...sbatchDirective('output', `${p.name}.%j.out`), // relative to the submit directory (the workdir)
    '# Written by DeepSeek Deploy. No secrets here: the HF token and API key are read from 0600 files.',
    'set -uo pipefail',
    ...Object.entries(p.env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
    'export DSD_HEAD_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)',
    `export DSD_HEAD_ADDR=${nodeAddr('$DSD_HEAD_NODE')}`,
    '[ -n "$DSD_HEAD_ADDR" ] || export DSD_HEAD_ADDR=$(getent hosts "$DSD_HEAD_NODE" | awk \'{print $1; exit}\')',
    'export DSD_NODE_ADDR=$DSD_HEAD_ADDR',
    'export DSD_RDZV_PORT=$((20000 + SLURM_JOB_ID % 10000))',
    ...(key.env ? [`export ${API_KEY_ENV}="$(cat ${shQuoteRemote(keyFile)})"`] : []),
    'echo "deepseek-deploy: job $SLURM_JOB_ID on $SLURM_JOB_NODELIST (head $DSD_HEAD_NODE)"',
  ];
  if (!multi) {
    sbatch.push(`exec ${line(engineCommand)}`);
  } else if (multi.mode === 'ray') {
    sbatch.push(
      '# Ray: head on the first node, one worker per other node, then one vLLM engine spanning all of them.',
      'srun --nodes=1 --ntasks=1 -w "$DSD_HEAD_NODE" ray start --head --node-ip-address="$DSD_HEAD_ADDR" --port=6379 --block &',
      'for i in $(seq 1 60); do ray status --address="$DSD_HEAD_ADDR:6379" >/dev/null 2>&1 && break; sleep 2; done',
      `srun --nodes=${nodes - 1} --ntasks=${nodes - 1} --exclude="$DSD_HEAD_NODE" ray start --address="$DSD_HEAD_ADDR:6379" --block &`,
      `for i in $(seq 1 90); do [ "$(ray status --address="$DSD_HEAD_ADDR:6379" 2>/dev/null | grep -c ' node_')" -ge ${nodes} ] && break; sleep 2; done`,
      `exec ${line(engineCommand)}`,
    );
  } else {
    // Native multi-node: one rank per node, each binding its own node's address; rank 0 (the head) serves HTTP.
    const rank = `export DSD_NODE_RANK=$SLURM_NODEID DSD_NODE_ADDR=${nodeAddr('$SLURMD_NODENAME')}; echo "deepseek-deploy: rank $SLURM_NODEID on $SLURMD_NODENAME"; exec ${line(engineCommand)}`;
    sbatch.push(`srun --nodes=${nodes} --ntasks=${nodes} --kill-on-bad-exit=1 bash -c ${shQuote(rank)}`);
  }
  const script = `${sbatch.join('\n')}\n`;
  const jobFile = `${workdir}/job-id-${p.name}`;
  const logFile = `"$2/"${shQuote(p.name)}".$id.out"`;
  return {
    profile: p,
    flavor,
    engineCommand,
    port: p.knobs.port,
    bindAddress: ex.bind,
    apiKeyRequired: !!o.apiKey,
    warnings: ex.warnings,
    logLocation: out,
    start: [
      ...tokenStep(p, o.hfToken),
      ...simulatorInstallSteps(p, o),
      { description: `create ${rt.workdir}`, argv: ['mkdir', '-p', workdir] },
      ...(o.apiKey ? [secretFileStep(`write the API key to ${rt.workdir}/${apiKeyConfigName(p)} (mode 0600; the job reads it)`, rt.workdir, apiKeyConfigName(p), key.configFile ? apiKeyYaml(o.apiKey) : o.apiKey)] : []),
      // sbatch reads the script from stdin: nothing to clean up, and SLURM stores exactly what we sent (no secrets).
      { description: 'submit the job (sbatch --parsable, script on stdin)', argv: ['sh', '-c', 'cd "$1" && id=$(sbatch --parsable) && printf "%s\\n" "$id" > "$2" && echo "$id"', 'sh', workdir, jobFile], stdin: script },
    ],
    logs: (skip) => ['sh', '-c', `id=$(cut -d';' -f1 "$1"); tail -n +${skip + 1} -F ${logFile} 2>/dev/null`, 'sh', jobFile, workdir],
    logSnapshot: ['sh', '-c', `id=$(cut -d';' -f1 "$1") && cat ${logFile}`, 'sh', jobFile, workdir],
    stop: [{ description: 'scancel the job', argv: ['sh', '-c', 'scancel "$(cut -d\';\' -f1 "$1")"', 'sh', jobFile] }],
    serverAddress: ['sh', '-c', 'id=$(cut -d\';\' -f1 "$1"); n=$(scontrol show hostnames "$(squeue -h -j "$id" -o %N)" | head -n1); a=$(scontrol show node "$n" | grep -o "NodeAddr=[^ ]*" | cut -d= -f2); echo "${a:-$n}"', 'sh', jobFile],
    jobState: ['sh', '-c', SLURM_JOB_STATE_SCRIPT, 'sh', jobFile],
  };
}

function processPlan(p: Profile & { runtime: { kind: 'process' } }, o: RenderOptions): LaunchPlan {
  const rt = p.runtime;
  const ex = exposureOf(p);
  const workdir = remoteHomePath(rt.workdir);
  const keyFile = `${workdir}/${apiKeyConfigName(p)}`;
  const key = keyArgs(p, o, keyFile);
  const engineCommand = withSimulator(p, withConfig(engineArgv(p, 'serve', undefined, ex.bind), key.configFile), o);
  const log = `${workdir}/${p.name}.log`;
  const pid = `${workdir}/${p.name}.pid`;
  // Values are literal (single-quoted): `$HOME` in a profile value means the same here as in docker and compose.
  const envPrefix = Object.entries(p.env).map(([k, v]) => `${k}=${shQuote(v)}`).join(' ');
  const startScript = `: > "$1"; ${envPrefix ? `${envPrefix} ` : ''}setsid nohup ${shJoinRemote(engineCommand)} >> "$1" 2>&1 < /dev/null & echo $! > "$2"`;
  return {
    profile: p,
    flavor: flavorOf(p),
    engineCommand,
    port: p.knobs.port,
    bindAddress: ex.bind,
    apiKeyRequired: !!o.apiKey,
    warnings: ex.warnings,
    logLocation: `${rt.workdir}/${p.name}.log`,
    start: [
      ...tokenStep(p, o.hfToken),
      ...simulatorInstallSteps(p, o),
      { description: `create ${rt.workdir}`, argv: ['mkdir', '-p', workdir] },
      ...(key.configFile ? [secretFileStep(`write the API key config for SGLang to ${rt.workdir}/${apiKeyConfigName(p)} (mode 0600)`, rt.workdir, apiKeyConfigName(p), apiKeyYaml(o.apiKey!))] : []),
      key.env
        ? { description: `start in the background (own process group), log ${rt.workdir}/${p.name}.log; API key from stdin into its environment`, argv: withKeyFromStdin(['bash', '-c', startScript, 'bash', log, pid]), stdin: o.apiKey!, secretStdin: true }
        : { description: `start in the background (own process group), log ${rt.workdir}/${p.name}.log, pid ${rt.workdir}/${p.name}.pid`, argv: ['bash', '-c', startScript, 'bash', log, pid] },
    ],
    logs: (skip) => ['tail', '-n', `+${skip + 1}`, '-F', log],
    logSnapshot: ['cat', log],
    // `kill -SIG -PGID` (no "--": dash's kill does not take it) signals the whole process group.
    // Lets the deployment notice an engine that exited before it was ready (its log file alone never ends).
    jobState: ['sh', '-c', 'p=$(cat "$1" 2>/dev/null) && kill -0 "$p" 2>/dev/null && echo "RUNNING|" || echo "COMPLETED|the engine process exited"', 'sh', pid],
    stop: [{ description: 'stop the process group (TERM, then KILL after 15 s)', argv: ['sh', '-c', 'p=$(cat "$1") || exit 0; kill -TERM -"$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || exit 0; sleep 0.5; done; kill -KILL -"$p" 2>/dev/null; true', 'sh', pid] }],
  };
}

/**
 * Renders the commands for a profile. The profile is validated again (control/bidi characters, option smuggling),
 * so a Profile built in code cannot bypass the schema's checks. Throws the schema's error naming the field.
 */
export function renderLaunch(p: Profile, o: RenderOptions = {}): LaunchPlan {
  const checked = ProfileSchema.safeParse(p);
  if (!checked.success) throw new Error(`invalid profile: ${checked.error.issues.map((i) => i.message).join('; ')}`);
  switch (p.runtime.kind) {
    case 'docker': return dockerPlan(p as Profile & { runtime: { kind: 'docker' } }, o);
    case 'compose': return composePlan(p as Profile & { runtime: { kind: 'compose' } }, o);
    case 'slurm': return slurmPlan(p as Profile & { runtime: { kind: 'slurm' } }, o);
    case 'process': return processPlan(p as Profile & { runtime: { kind: 'process' } }, o);
    case 'kubernetes': return kubernetesPlan(p as KubernetesProfile, { ...o.kubernetes, hfToken: o.hfToken, apiKey: o.apiKey }, skipLines);
  }
}

/** A comment line that cannot end early or hide text: control and bidi characters shown as escapes. */
const comment = (text: string): string => `# ${escapeUnsafe(showShellVars(text))}`;

/**
 * The plan as one script ("show the exact command"): each step's command is quoted by the same function the real run
 * uses (shJoinRemote), stdin travels in a here-document with a random delimiter, as in the real run, and secret stdin
 * is never printed. Comments carry only escaped text, so the script is safe to copy and paste into bash.
 */
export function planToScript(plan: LaunchPlan): string {
  const tag = randomBytes(12).toString('hex');
  const out = [comment(`DeepSeek Deploy: ${plan.profile.name} (${plan.flavor}, ${plan.profile.runtime.kind}) on ${plan.profile.host}`)];
  for (const w of plan.warnings) out.push(comment(`WARNING: ${w}`));
  for (const s of plan.start) {
    out.push('', comment(s.description));
    if (s.stdin !== undefined && s.secretStdin) out.push(`${shJoinRemote(s.argv)} <<< "<secret from secret storage>"`);
    else if (s.stdin !== undefined) {
      const eof = `DSD_EOF_${tag}`;
      if (s.stdin.split('\n').includes(eof)) throw new Error('here-document delimiter collision');
      out.push(`${shJoinRemote(s.argv)} <<'${eof}'`, s.stdin.replace(/\n$/, ''), eof);
    } else out.push(shJoinRemote(s.argv));
  }
  out.push('', '# follow the log', shJoinRemote(plan.logs(0)), '', '# stop', ...plan.stop.map((s) => shJoinRemote(s.argv)));
  return `${out.join('\n')}\n`;
}
