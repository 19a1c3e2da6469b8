import { stringify as toYaml } from 'yaml';
import type { Profile } from '../profiles/profileSchema';
import { defaultImage, engineArgv, flavorOf, type MultiNodeContext } from '../engines/engineArgv';
import { shJoinRemote, shQuoteRemote, shQuoteScript } from '../ssh/shellQuote';
import { SLURM_JOB_STATE_SCRIPT } from './slurmJobState';

/** One remote command: argv (each word quoted remotely), optional stdin (how files and secrets travel). */
export interface RemoteStep {
  readonly description: string;
  readonly argv: readonly string[];
  readonly stdin?: string;
  /** stdin is secret: never shown in rendered scripts or logs. */
  readonly secretStdin?: boolean;
}

/** Everything needed to start, follow, check and stop one deployment; rendering it shows the exact commands. */
export interface LaunchPlan {
  readonly profile: Profile;
  readonly flavor: 'vllm' | 'sglang';
  /** The engine's own command line, as the engine process sees it. */
  readonly engineCommand: readonly string[];
  readonly start: readonly RemoteStep[];
  /** Follows the server log from the start (resumable: callers add how many lines they already have). */
  readonly logs: (skipLines: number) => readonly string[];
  readonly stop: readonly RemoteStep[];
  /** The port the engine listens on, on the host (or the SLURM head node). */
  readonly port: number;
  /** Where the log lives, for messages ("docker logs NAME", a file path). */
  readonly logLocation: string;
  /** Prints the address the engine listens on as seen from the SSH host (SLURM: the head node); default 127.0.0.1. */
  readonly serverAddress?: readonly string[];
  /** Prints a batch job's status for parseJobStateOutput (SLURM: squeue/sacct/scontrol sections; others "STATE|REASON"). */
  readonly jobState?: readonly string[];
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
  return o.simulatorFiles.map((f) => ({ description: `install the simulator's ${f.name} in ${SIM_DIR}`, argv: ['sh', '-c', 'mkdir -p "$1" && cat > "$1/$2"', 'sh', SIM_DIR, f.name], stdin: f.content }));
}

const managedLabel = 'deepseek-deploy.managed=true';

/**
 * Drops the first n lines of a log stream and passes the rest through unbuffered (tail -n +N on a pipe would hold
 * output in stdio buffers, so "ready" would arrive late). `read` takes a pipe one byte at a time: nothing over-read.
 */
const skipLines = (n: number): string => (n === 0 ? '' : ` | { i=0; while [ $i -lt ${n} ] && IFS= read -r _; do i=$((i+1)); done; exec cat; }`);

function hfCacheOf(p: Profile): string {
  return p.runtime.kind === 'docker' || p.runtime.kind === 'compose' ? p.runtime.hfCache : '~/.cache/huggingface';
}

/** The token goes over stdin into the cache's token file (0600), where huggingface_hub looks for it; never argv or env. */
function tokenStep(p: Profile, token: string | undefined): RemoteStep[] {
  if (!token) return [];
  return [{
    description: `write the Hugging Face token to ${hfCacheOf(p)}/token (mode 0600)`,
    // $(cat) drops the here-document's trailing newline; printf is a shell builtin, so the token is in no argv.
    argv: ['sh', '-c', 'umask 077 && mkdir -p "$1" && t=$(cat) && printf %s "$t" > "$1/token" && chmod 600 "$1/token"', 'sh', hfCacheOf(p)],
    stdin: token,
    secretStdin: true,
  }];
}

function withSimulator(p: Profile, argv: readonly string[], o: RenderOptions): string[] {
  if (p.engine.kind !== 'simulator') return [...argv];
  const sim = o.simulatorCommand ?? (o.simulatorFiles?.length ? ['node', `${SIM_DIR}/cli.js`] : ['deepseek-deploy']);
  return [...sim, 'simulate', ...(o.simulatorOptions ?? []), '--', ...argv];
}

const dockerName = (p: Profile): string => (p.runtime.kind === 'docker' && p.runtime.containerName) || `dsd-${p.name}`;

function dockerPlan(p: Profile & { runtime: { kind: 'docker' } }, o: RenderOptions): LaunchPlan {
  const rt = p.runtime;
  const flavor = flavorOf(p);
  const name = dockerName(p);
  // vllm/vllm-openai's entrypoint is the API server, so it takes the image form; SGLang images have none.
  const engineCommand = flavor === 'vllm' ? engineArgv(p, 'image') : engineArgv(p, 'serve');
  const run = [
    'docker', 'run', '-d', '--name', name, '--label', managedLabel, '--label', `deepseek-deploy.profile=${p.name}`,
    '--gpus', rt.gpus === 'all' ? 'all' : `"device=${rt.gpus}"`, '--ipc=host', '--shm-size', rt.shmSize,
    '-v', `${rt.hfCache}:/root/.cache/huggingface`,
    ...(hubMount(rt.hfCache, o.hfHubCache) ? ['-v', hubMount(rt.hfCache, o.hfHubCache)!] : []),
    ...(rt.network === 'host' ? ['--network=host'] : ['-p', `127.0.0.1:${p.knobs.port}:${p.knobs.port}`]),
    ...Object.entries(p.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    defaultImage(p),
    ...engineCommand,
  ];
  return {
    profile: p,
    flavor,
    engineCommand,
    port: p.knobs.port,
    logLocation: `docker logs ${name}`,
    start: [
      ...tokenStep(p, o.hfToken),
      { description: `remove a stopped container left from an earlier run named ${name}`, argv: ['sh', '-c', 'docker rm -f "$1" >/dev/null 2>&1 || true', 'sh', name] },
      { description: `start ${defaultImage(p)} as ${name}`, argv: run },
    ],
    logs: (skip) => ['sh', '-c', `docker logs -f "$1" 2>&1${skipLines(skip)}`, 'sh', name],
    stop: [{ description: `stop and remove ${name}`, argv: ['sh', '-c', 'docker stop -t 10 "$1" >/dev/null; docker rm -f "$1"', 'sh', name] }],
  };
}

function composePlan(p: Profile & { runtime: { kind: 'compose' } }, o: RenderOptions): LaunchPlan {
  const rt = p.runtime;
  const flavor = flavorOf(p);
  const project = rt.project ?? `dsd-${p.name.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;
  const file = `${rt.directory}/${project}.yaml`;
  const engineCommand = flavor === 'vllm' ? engineArgv(p, 'image') : engineArgv(p, 'serve');
  const service = flavor === 'vllm' ? 'vllm-server' : 'sglang-server';
  const compose = {
    services: {
      [service]: {
        image: defaultImage(p),
        command: engineCommand,
        ipc: 'host',
        shm_size: rt.shmSize,
        network_mode: 'host',
        volumes: [`${rt.hfCache.replace(/^~\//, '${HOME}/')}:/root/.cache/huggingface`, ...(hubMount(rt.hfCache, o.hfHubCache) ? [hubMount(rt.hfCache, o.hfHubCache)!] : [])],
        environment: { ...p.env },
        labels: { 'deepseek-deploy.managed': 'true', 'deepseek-deploy.profile': p.name },
        deploy: { resources: { reservations: { devices: [rt.gpus === 'all' ? { driver: 'nvidia', count: 'all', capabilities: ['gpu'] } : { driver: 'nvidia', device_ids: rt.gpus.split(','), capabilities: ['gpu'] }] } } },
      },
    },
  };
  // compose v2 is `docker compose`; Debian and older hosts only have v1 `docker-compose`: pick whichever exists.
  const composeCmd = (args: string): string[] => ['sh', '-c', `f="$1"; if docker compose version >/dev/null 2>&1; then docker compose -f "$f" -p "$0" ${args}; else docker-compose -f "$f" -p "$0" ${args}; fi`, project, file];
  return {
    profile: p,
    flavor,
    engineCommand,
    port: p.knobs.port,
    logLocation: `${file} (service ${service})`,
    start: [
      ...tokenStep(p, o.hfToken),
      { description: `write the compose file ${file}`, argv: ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', file], stdin: `# written by DeepSeek Deploy for profile ${p.name}\nversion: "3.8"\n${toYaml(compose)}` },
      { description: `docker compose up -d (project ${project})`, argv: composeCmd('up -d') },
    ],
    logs: (skip) => composeCmd(`logs -f --no-color 2>&1${skipLines(skip)}`),
    stop: [{ description: `docker compose down (project ${project})`, argv: composeCmd('down') }],
  };
}

function slurmPlan(p: Profile & { runtime: { kind: 'slurm' } }, o: RenderOptions): LaunchPlan {
  const rt = p.runtime;
  const flavor = flavorOf(p);
  const nodes = p.parallel.nodes;
  const multi: MultiNodeContext | undefined = nodes > 1 ? { mode: flavor === 'vllm' && rt.multiNode === 'ray' ? 'ray' : 'native', nodes, distInitAddr: '$DSD_HEAD_ADDR:$DSD_RDZV_PORT', nodeRankExpr: '$SLURM_NODEID' } : undefined;
  const engineCommand = withSimulator(p, engineArgv(p, 'serve', multi), o);
  const out = `${rt.workdir}/${p.name}.%j.out`;
  const line = (argv: readonly string[]): string => argv.map(shQuoteScript).join(' ');
  const sbatch = [
    '#!/bin/bash',
    `#SBATCH --job-name=dsd-${p.name}`,
    `#SBATCH --nodes=${nodes}`,
    '#SBATCH --ntasks-per-node=1',
    `#SBATCH --gres=gpu:${rt.gpusPerNode}`,
    ...(rt.cpusPerTask ? [`#SBATCH --cpus-per-task=${rt.cpusPerTask}`] : []),
    ...(rt.mem ? [`#SBATCH --mem=${rt.mem}`] : []),
    ...(rt.exclusive ? ['#SBATCH --exclusive'] : []),
    ...(rt.constraint ? [`#SBATCH --constraint=${rt.constraint}`] : []),
    ...(rt.time ? [`#SBATCH --time=${rt.time}`] : []),
    ...(rt.partition ? [`#SBATCH --partition=${rt.partition}`] : []),
    ...(rt.account ? [`#SBATCH --account=${rt.account}`] : []),
    `#SBATCH --output=${p.name}.%j.out`, // relative to the submit directory (the workdir)
    '# Written by DeepSeek Deploy. No secrets here: the HF token is read from ~/.cache/huggingface/token.',
    'set -uo pipefail',
    ...Object.entries(p.env).map(([k, v]) => `export ${k}=${shQuoteRemote(v)}`),
    'export DSD_HEAD_NODE=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)',
    // NodeAddr is how SLURM itself reaches the node; DNS may not know node names.
    'export DSD_HEAD_ADDR=$(scontrol show node "$DSD_HEAD_NODE" | grep -o "NodeAddr=[^ ]*" | cut -d= -f2)',
    '[ -n "$DSD_HEAD_ADDR" ] || export DSD_HEAD_ADDR=$(getent hosts "$DSD_HEAD_NODE" | awk \'{print $1; exit}\')',
    'export DSD_RDZV_PORT=$((20000 + SLURM_JOB_ID % 10000))',
    'echo "deepseek-deploy: job $SLURM_JOB_ID on $SLURM_JOB_NODELIST (head $DSD_HEAD_NODE)"',
  ];
  if (!multi) {
    sbatch.push(`exec ${line(engineCommand)}`);
  } else if (multi.mode === 'ray') {
    sbatch.push(
      '# Ray: head on the first node, one worker per other node, then one vLLM engine spanning all of them.',
      'srun --nodes=1 --ntasks=1 -w "$DSD_HEAD_NODE" ray start --head --port=6379 --block &',
      'for i in $(seq 1 60); do ray status --address="$DSD_HEAD_ADDR:6379" >/dev/null 2>&1 && break; sleep 2; done',
      `srun --nodes=${nodes - 1} --ntasks=${nodes - 1} --exclude="$DSD_HEAD_NODE" ray start --address="$DSD_HEAD_ADDR:6379" --block &`,
      `for i in $(seq 1 90); do [ "$(ray status --address="$DSD_HEAD_ADDR:6379" 2>/dev/null | grep -c ' node_')" -ge ${nodes} ] && break; sleep 2; done`,
      `exec ${line(engineCommand)}`,
    );
  } else {
    // Native multi-node: one rank per node; rank 0 (the head) serves HTTP.
    sbatch.push(`srun --nodes=${nodes} --ntasks=${nodes} --kill-on-bad-exit=1 bash -c ${shQuoteRemote(`export DSD_NODE_RANK=$SLURM_NODEID; echo "deepseek-deploy: rank $SLURM_NODEID on $SLURMD_NODENAME"; exec ${line(engineCommand)}`)}`);
  }
  const script = `${sbatch.join('\n')}\n`;
  const jobFile = `${rt.workdir}/job-id-${p.name}`;
  return {
    profile: p,
    flavor,
    engineCommand,
    port: p.knobs.port,
    logLocation: out,
    start: [
      ...tokenStep(p, o.hfToken),
      ...simulatorInstallSteps(p, o),
      { description: `create ${rt.workdir}`, argv: ['mkdir', '-p', rt.workdir] },
      // sbatch reads the script from stdin: nothing to clean up, and SLURM stores exactly what we sent (no secrets).
      { description: 'submit the job (sbatch --parsable, script on stdin)', argv: ['sh', '-c', 'cd "$1" && id=$(sbatch --parsable) && printf "%s\\n" "$id" > "$2" && echo "$id"', 'sh', rt.workdir, jobFile], stdin: script },
    ],
    logs: (skip) => ['sh', '-c', `id=$(cut -d';' -f1 "$1"); f="$2/${p.name}.$id.out"; tail -n +${skip + 1} -F "$f" 2>/dev/null`, 'sh', jobFile, rt.workdir],
    stop: [{ description: 'scancel the job', argv: ['sh', '-c', 'scancel "$(cut -d\';\' -f1 "$1")"', 'sh', jobFile] }],
    serverAddress: ['sh', '-c', 'id=$(cut -d\';\' -f1 "$1"); n=$(scontrol show hostnames "$(squeue -h -j "$id" -o %N)" | head -n1); a=$(scontrol show node "$n" | grep -o "NodeAddr=[^ ]*" | cut -d= -f2); echo "${a:-$n}"', 'sh', jobFile],
    jobState: ['sh', '-c', SLURM_JOB_STATE_SCRIPT, 'sh', jobFile],
  };
}

function processPlan(p: Profile & { runtime: { kind: 'process' } }, o: RenderOptions): LaunchPlan {
  const rt = p.runtime;
  const engineCommand = withSimulator(p, engineArgv(p, 'serve'), o);
  const log = `${rt.workdir}/${p.name}.log`;
  const pid = `${rt.workdir}/${p.name}.pid`;
  const envPrefix = Object.entries(p.env).map(([k, v]) => `${k}=${shQuoteRemote(v)}`).join(' ');
  return {
    profile: p,
    flavor: flavorOf(p),
    engineCommand,
    port: p.knobs.port,
    logLocation: log,
    start: [
      ...tokenStep(p, o.hfToken),
      ...simulatorInstallSteps(p, o),
      { description: `create ${rt.workdir}`, argv: ['mkdir', '-p', rt.workdir] },
      {
        description: `start in the background (own process group), log ${log}, pid ${pid}`,
        argv: ['sh', '-c', `: > "$1"; ${envPrefix ? `${envPrefix} ` : ''}setsid nohup ${shJoinRemote(engineCommand)} >> "$1" 2>&1 < /dev/null & echo $! > "$2"`, 'sh', log, pid],
      },
    ],
    logs: (skip) => ['tail', '-n', `+${skip + 1}`, '-F', log],
    // `kill -SIG -PGID` (no "--": dash's kill does not take it) signals the whole process group.
    // Lets the deployment notice an engine that exited before it was ready (its log file alone never ends).
    jobState: ['sh', '-c', 'p=$(cat "$1" 2>/dev/null) && kill -0 "$p" 2>/dev/null && echo "RUNNING|" || echo "COMPLETED|the engine process exited"', 'sh', pid],
    stop: [{ description: 'stop the process group (TERM, then KILL after 15 s)', argv: ['sh', '-c', 'p=$(cat "$1") || exit 0; kill -TERM -"$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || exit 0; sleep 0.5; done; kill -KILL -"$p" 2>/dev/null; true', 'sh', pid] }],
  };
}

export function renderLaunch(p: Profile, o: RenderOptions = {}): LaunchPlan {
  switch (p.runtime.kind) {
    case 'docker': return dockerPlan(p as Profile & { runtime: { kind: 'docker' } }, o);
    case 'compose': return composePlan(p as Profile & { runtime: { kind: 'compose' } }, o);
    case 'slurm': return slurmPlan(p as Profile & { runtime: { kind: 'slurm' } }, o);
    case 'process': return processPlan(p as Profile & { runtime: { kind: 'process' } }, o);
  }
}

/** The plan as one readable script ("show the exact command"); secret stdin is never printed. */
export function planToScript(plan: LaunchPlan): string {
  const out = [`# DeepSeek Deploy: ${plan.profile.name} (${plan.flavor}, ${plan.profile.runtime.kind}) on ${plan.profile.host}`];
  for (const s of plan.start) {
    out.push('', `# ${s.description}`);
    if (s.stdin !== undefined && s.secretStdin) out.push(`${shJoinRemote(s.argv)} <<< "<secret from secret storage>"`);
    else if (s.stdin !== undefined) out.push(`${shJoinRemote(s.argv)} <<'DSD_EOF'`, s.stdin.replace(/\n$/, ''), 'DSD_EOF');
    else out.push(shJoinRemote(s.argv));
  }
  out.push('', '# follow the log', shJoinRemote(plan.logs(0)), '', '# stop', ...plan.stop.map((s) => shJoinRemote(s.argv)));
  return `${out.join('\n')}\n`;
}
