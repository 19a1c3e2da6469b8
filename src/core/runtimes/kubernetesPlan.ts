import { stringify as toYaml } from 'yaml';
import type { Profile } from '../profiles/profileSchema';
import { defaultImage, engineArgv, flavorOf, type MultiNodeContext } from '../engines/engineArgv';
import { remoteHomePath } from '../ssh/shellQuote';
import { startupDeadlineMs } from '../plan/catalog';
import { gpusPerNode } from '../launch/preflight';
import { explainRelease } from './kubernetesState';
import type { LaunchPlan, RemoteStep } from './launchPlan';

/** A profile whose runtime is kubernetes. */
export type KubernetesProfile = Profile & { runtime: { kind: 'kubernetes' } };
type KubeRuntime = KubernetesProfile['runtime'];

/** What the launch knows about the cluster before rendering (API discovery in pre-flight). */
export interface KubernetesRenderOptions {
  /** The cluster serves leaderworkerset.x-k8s.io (kubectl api-versions); decides multiNode "auto". */
  readonly leaderWorkerSet?: boolean;
  /** Chart files (path relative to the chart root → text) to copy to the host that runs helm (an SSH jump box). */
  readonly chartFiles?: ReadonlyArray<{ readonly name: string; readonly content: string }>;
  /** The chart's folder on this machine, when helm runs here. */
  readonly chartDir?: string;
}

/** Where the product copies its chart on a host that runs helm (replaced on every launch). */
export const REMOTE_CHART_DIR = '~/.deepseek-deploy/chart/deepseek-deploy';

/** The Helm release of a profile: runtime.release, else dsd-<name> lowercased (a valid DNS-1123 label, ≤ 53). */
export function releaseName(p: KubernetesProfile): string {
  if (p.runtime.release) return p.runtime.release;
  return `dsd-${p.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 53).replace(/-+$/, '');
}

/** Secret names the product creates next to the release (and deletes on stop). */
export const hfTokenSecretName = (release: string): string => `${release}-hf-token`;
export const apiKeySecretName = (release: string): string => `${release}-api-key`;

/**
 * kubectl / helm with the profile's kubeconfig, context and namespace. Both run on the host of the profile ("local",
 * or an SSH host acting as the cluster's jump box) through the same CommandRunner as every other runtime.
 */
export function kubectlArgv(rt: KubeRuntime): string[] {
  return ['kubectl', ...(rt.kubeconfig ? ['--kubeconfig', remoteHomePath(rt.kubeconfig)] : []), ...(rt.context ? ['--context', rt.context] : []), '--namespace', rt.namespace];
}
export function helmArgv(rt: KubeRuntime): string[] {
  return ['helm', ...(rt.kubeconfig ? ['--kubeconfig', remoteHomePath(rt.kubeconfig)] : []), ...(rt.context ? ['--kube-context', rt.context] : []), '--namespace', rt.namespace];
}

/** The workload the chart renders: Deployment for one node; LeaderWorkerSet when the cluster has it, else StatefulSet. */
export function workloadOf(p: KubernetesProfile, o: KubernetesRenderOptions): 'deployment' | 'statefulset' | 'leaderworkerset' {
  if (p.parallel.nodes <= 1) return 'deployment';
  if (p.runtime.multiNode === 'statefulset') return 'statefulset';
  if (p.runtime.multiNode === 'leaderworkerset') return 'leaderworkerset';
  return o.leaderWorkerSet ? 'leaderworkerset' : 'statefulset';
}

/**
 * Label selectors (the chart labels every pod with app.kubernetes.io/instance=<release>). Rank 0 of a StatefulSet is
 * pod <release>-0; a LeaderWorkerSet's leaders are a StatefulSet named <release> too, so group 0's leader is also
 * <release>-0: one selector for both, whichever the cluster got.
 */
export function podSelectors(release: string, nodes: number): { all: string; rank0: string } {
  const all = `app.kubernetes.io/instance=${release}`;
  return { all, rank0: nodes > 1 ? `${all},statefulset.kubernetes.io/pod-name=${release}-0` : all };
}

/**
 * Probes from the catalog's start-up deadline (catalog.ts startupDeadlineMs: weights size, documented first boots):
 * the startup probe allows the whole deadline (failureThreshold × periodSeconds ≥ deadline), so a 46-minute first boot
 * is not killed by liveness; readiness and liveness take over after it.
 */
export function probesFor(modelId: string): { startup: { periodSeconds: number; failureThreshold: number; timeoutSeconds: number }; readiness: { periodSeconds: number; failureThreshold: number; timeoutSeconds: number }; liveness: { periodSeconds: number; failureThreshold: number; timeoutSeconds: number } } {
  const period = 10;
  return {
    startup: { periodSeconds: period, failureThreshold: Math.ceil(startupDeadlineMs(modelId) / 1000 / period), timeoutSeconds: 5 },
    readiness: { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
    liveness: { periodSeconds: 30, failureThreshold: 5, timeoutSeconds: 10 },
  };
}

/** A launch id as a label value (≤ 63 of [A-Za-z0-9._-], starting and ending alphanumeric). */
const labelValue = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');

/** The engine command split as the chart takes it: command (replaces ENTRYPOINT; empty = the image's) and args. */
function engineCommandFor(p: KubernetesProfile, nodes: number): { command: string[]; args: string[]; workerCommand: string[]; workerArgs: string[]; multi?: MultiNodeContext } {
  const flavor = flavorOf(p);
  // The chart replaces these placeholders inside each pod (values.yaml: engine.args); the engine binds 0.0.0.0 of
  // its pod because the kubelet probes the pod IP.
  if (nodes > 1 && flavor === 'vllm') {
    // vLLM across nodes runs over Ray (vLLM's LWS / k8s guides): the leader starts the Ray head and the engine,
    // the other ranks join the head and block.
    const multi: MultiNodeContext = { mode: 'ray', nodes };
    const serve = engineArgv(p, 'serve', multi, '0.0.0.0');
    return { command: ['sh', '-c', 'ray start --head --port=6379 && exec "$@"', 'sh'], args: serve, workerCommand: ['ray', 'start', '--address={{DSD_LEADER_ADDR}}:6379', '--block'], workerArgs: [], multi };
  }
  if (nodes > 1) {
    const multi: MultiNodeContext = { mode: 'native', nodes, distInitAddr: '{{DSD_LEADER_ADDR}}:5000', nodeRankExpr: '{{DSD_NODE_RANK}}' };
    const argv = engineArgv(p, 'serve', multi, '0.0.0.0');
    return { command: argv.slice(0, 3), args: argv.slice(3), workerCommand: [], workerArgs: [], multi };
  }
  if (flavor === 'vllm') return { command: [], args: engineArgv(p, 'image', undefined, '0.0.0.0'), workerCommand: [], workerArgs: [] };
  const argv = engineArgv(p, 'serve', undefined, '0.0.0.0');
  return { command: argv.slice(0, 3), args: argv.slice(3), workerCommand: [], workerArgs: [] };
}

/** The values the product sets (charts/deepseek-deploy/values.yaml documents each; the rest keep the chart's defaults). */
export interface ChartValues {
  readonly workload: 'deployment' | 'statefulset' | 'leaderworkerset';
  readonly nodes: number;
  readonly launch: { readonly id: string; readonly profile: string; readonly engine: 'vllm' | 'sglang' };
  readonly image: { readonly name: string; readonly pullPolicy: string };
  readonly imagePullSecrets: readonly string[];
  readonly engine: { readonly command: readonly string[]; readonly args: readonly string[]; readonly port: number; readonly env: Readonly<Record<string, string>> };
  readonly multiNode: { readonly workerCommand: readonly string[]; readonly workerArgs: readonly string[]; readonly leaderDiscovery: 'dns' | 'configMap' | 'value'; readonly leaderAddress: string };
  readonly gpu: { readonly resourceName: string; readonly count: number };
  readonly shm: { readonly enabled: boolean; readonly sizeLimit: string };
  readonly hfCache: { readonly type: 'pvc' | 'hostPath' | 'emptyDir'; readonly claimName?: string; readonly hostPath?: string };
  readonly hfToken: { readonly secretName: string; readonly secretKey: string };
  readonly apiKey: { readonly secretName: string; readonly secretKey: string; readonly envName: string };
  readonly probes: { readonly enabled: boolean; readonly path: string } & ReturnType<typeof probesFor>;
  readonly service: { readonly enabled: boolean; readonly port: number };
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly priorityClassName: string;
}

/**
 * The chart's values for a profile (charts/deepseek-deploy/values.yaml describes each key). No secret is ever a value:
 * the HF token and API key are named Secrets the product creates from stdin (`hfToken.secretName`, `apiKey.secretName`).
 */
export function kubernetesValues(p: KubernetesProfile, o: KubernetesRenderOptions & { hfToken?: boolean; apiKey?: boolean; launchId?: string } = {}): ChartValues {
  const rt = p.runtime;
  const release = releaseName(p);
  const workload = workloadOf(p, o);
  const nodes = workload === 'deployment' ? 1 : p.parallel.nodes;
  const cmd = engineCommandFor(p, nodes);
  const hfCache: ChartValues['hfCache'] = rt.hfCache.kind === 'pvc' ? { type: 'pvc', claimName: rt.hfCache.claimName } : rt.hfCache.kind === 'hostPath' ? { type: 'hostPath', hostPath: rt.hfCache.path } : { type: 'emptyDir' };
  return {
    workload,
    nodes,
    launch: { id: labelValue(o.launchId ?? release), profile: labelValue(p.name), engine: flavorOf(p) },
    image: { name: defaultImage(p), pullPolicy: rt.imagePullPolicy },
    imagePullSecrets: rt.imagePullSecret ? [rt.imagePullSecret] : [],
    engine: { command: cmd.command, args: cmd.args, port: p.knobs.port, env: { ...p.env } },
    multiNode: {
      workerCommand: cmd.workerCommand,
      workerArgs: cmd.workerArgs,
      leaderDiscovery: rt.leaderAddress ? 'value' : rt.leaderDiscovery === 'podIP' ? 'configMap' : 'dns',
      leaderAddress: rt.leaderAddress ?? '',
    },
    gpu: { resourceName: rt.gpuResource, count: rt.gpusPerPod ?? gpusPerNode(p) },
    shm: { enabled: true, sizeLimit: rt.shmSize },
    hfCache,
    hfToken: { secretName: o.hfToken ? hfTokenSecretName(release) : '', secretKey: 'token' },
    apiKey: { secretName: o.apiKey ? apiKeySecretName(release) : '', secretKey: 'api-key', envName: 'VLLM_API_KEY' },
    probes: { enabled: true, path: '/health', ...probesFor(p.model.id) },
    service: { enabled: true, port: p.knobs.port },
    nodeSelector: { ...rt.nodeSelector },
    tolerations: rt.tolerations.map((t) => Object.fromEntries(Object.entries(t).filter((e): e is [string, string] => e[1] !== undefined))),
    priorityClassName: rt.priorityClassName ?? '',
  };
}

/**
 * Creates (or replaces) a generic Secret with one key whose value is this step's stdin: `$(cat)` takes the here-document
 * and `printf` (a bash builtin: in no argv) pipes it to `kubectl create secret --from-file=KEY=/dev/stdin`, so the value
 * is in no command line, no file and no manifest on disk; `create` (not `apply`) stores no last-applied annotation.
 * $1 secret name, $2 key, $3 release; the rest is kubectl with context and namespace.
 */
const SECRET_SCRIPT = [
  'n=$1; k=$2; rel=$3; shift 3',
  'v=$(cat)',
  '"$@" delete secret "$n" --ignore-not-found >/dev/null || exit 1',
  'printf %s "$v" | "$@" create secret generic "$n" --from-file="$k=/dev/stdin" >/dev/null || exit 1',
  '"$@" label secret "$n" app.kubernetes.io/managed-by=deepseek-deploy "app.kubernetes.io/instance=$rel" >/dev/null',
].join('\n');

/** Prints the newest pod of selector $1 (rank 0); used by the follow, snapshot, state and port-forward scripts. */
const POD0 = 'pod0() { "$@" get pods -l "$sel0" --sort-by=.metadata.creationTimestamp -o \'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}\' 2>/dev/null | tail -n 1; }';

/**
 * Follows rank 0's log: waits (without printing) until its container has started, since `kubectl logs` of a pending
 * pod fails, then `kubectl logs -f` from the container's first line; the pipeline skips the lines it already has.
 */
const followScript = (skip: string): string => [
  'sel0=$1; shift',
  POD0,
  'while :; do pod=$(pod0 "$@"); [ -n "$pod" ] && "$@" logs "$pod" --tail=1 >/dev/null 2>&1 && break; sleep 2; done',
  `"$@" logs -f "$pod" 2>&1${skip}`,
].join('\n');

/**
 * One round trip of state for explainRelease: pods, events of pods that are not running, rank 0's previous log.
 * $3 (leader ConfigMap, "" unless leader discovery is podIP): once rank 0 has a pod IP, it is written into the
 * ConfigMap's `address`, which ranks > 0 wait for (the chart's configMap discovery, for clusters without DNS).
 */
const STATE_SCRIPT = [
  'sel=$1; sel0=$2; cm=$3; shift 3',
  POD0,
  'if [ -n "$cm" ]; then p=$(pod0 "$@"); ip=$([ -n "$p" ] && "$@" get pod "$p" -o "jsonpath={.status.podIP}" 2>/dev/null); if [ -n "$ip" ] && [ "$("$@" get configmap "$cm" -o "jsonpath={.data.address}" 2>/dev/null)" != "$ip" ]; then "$@" patch configmap "$cm" --type merge -p "{\\"data\\":{\\"address\\":\\"$ip\\"}}" >/dev/null 2>&1; fi; fi',
  'out=$("$@" get pods -l "$sel" -o json 2>/dev/null) || exit 0',
  'echo @@pods; printf "%s\\n" "$out"',
  // Events only when something is not running yet (each kubectl costs ~0.1 s of CPU; this runs every second).
  'case "$out" in *\'"phase": "Pending"\'*|*\'"waiting"\'*) for p in $("$@" get pods -l "$sel" -o \'jsonpath={.items[*].metadata.name}\' 2>/dev/null); do echo "@@events $p"; "$@" get events --field-selector "involvedObject.name=$p" -o json 2>/dev/null; done ;; esac',
  'case "$out" in *CrashLoopBackOff*) p=$(pod0 "$@"); echo @@previous; [ -n "$p" ] && "$@" logs "$p" --previous --tail=20 2>/dev/null ;; esac',
  'exit 0',
].join('\n');

/**
 * Waits for rank 0 to be Ready (its readiness probe on /health passed), then forwards a free local port on 127.0.0.1
 * of the host running kubectl to it; prints "Forwarding from 127.0.0.1:PORT -> N" and keeps running until stopped.
 */
const PORT_FORWARD_SCRIPT = [
  'sel0=$1; port=$2; wait=$3; shift 3',
  POD0,
  'pod=$(pod0 "$@"); [ -n "$pod" ] || { echo "no pod matches $sel0" >&2; exit 1; }',
  '"$@" wait --for=condition=Ready "pod/$pod" --timeout="${wait}s" >/dev/null || exit 1',
  'exec "$@" port-forward --address 127.0.0.1 "pod/$pod" ":$port"',
].join('\n');

/**
 * Stop: `helm uninstall` (a release already gone is fine), the Secrets we created, then waits until the pods are gone
 * so the GPUs are free when stop returns.
 */
/** helm uninstall --wait (90 s) + the pods' deletion (90 s) + the Secrets: the stop step's limit covers both waits. */
const STOP_TIMEOUT_MS = 200_000;

const STOP_SCRIPT = [
  // $5 helm words, then kubectl: bash arrays keep every word as it was quoted.
  'rel=$1; sel=$2; hf=$3; key=$4; nh=$5; shift 5',
  'helm=("${@:1:$nh}"); shift "$nh"',
  'out=$("${helm[@]}" uninstall "$rel" --wait --timeout 90s 2>&1) || case "$out" in *"not found"*) ;; *) printf "%s\\n" "$out" >&2; exit 1 ;; esac',
  '"$@" delete secret "$hf" "$key" --ignore-not-found >/dev/null || exit 1',
  '"$@" delete secret -l "app.kubernetes.io/instance=$rel,app.kubernetes.io/managed-by=deepseek-deploy" --ignore-not-found >/dev/null',
  '"$@" wait --for=delete pod -l "$sel" --timeout=90s >/dev/null 2>&1 || true',
].join('\n');

/**
 * The kubernetes runtime's plan: chart copy (SSH jump box), Secrets from stdin, `helm upgrade --install` with the
 * values on stdin (`-f -`), rank 0's log, pod state explained (explainRelease), port-forward, uninstall.
 * `skipLines` is the pipeline's resumable-stream helper (launchPlan.ts).
 */
export function kubernetesPlan(p: KubernetesProfile, o: KubernetesRenderOptions & { hfToken?: string; apiKey?: string }, skipLines: (n: number) => string): LaunchPlan {
  const rt = p.runtime;
  const release = releaseName(p);
  const workload = workloadOf(p, o);
  const sel = podSelectors(release, workload === 'deployment' ? 1 : p.parallel.nodes);
  const kubectl = kubectlArgv(rt);
  const helm = helmArgv(rt);
  const flavor = flavorOf(p);
  // SGLang takes its key only as --api-key or a config file; neither can come from a Secret without a command line.
  const apiKey = flavor === 'vllm' ? o.apiKey : undefined;
  const values = kubernetesValues(p, { ...o, hfToken: !!o.hfToken, apiKey: !!apiKey });
  const valuesYaml = `# DeepSeek Deploy: values for release ${release} (no secrets: the HF token and API key are Secrets by name)\n${toYaml(values)}`;
  const engine = values.engine;
  const chart = rt.chart ?? o.chartDir ?? REMOTE_CHART_DIR;
  const copyChart: RemoteStep[] = !rt.chart && !o.chartDir && o.chartFiles?.length
    ? [
        { description: `remove an older copy of the chart in ${REMOTE_CHART_DIR}`, argv: ['rm', '-rf', remoteHomePath(REMOTE_CHART_DIR)] },
        ...o.chartFiles.map((f) => ({ description: `copy the chart's ${f.name} to ${REMOTE_CHART_DIR}`, argv: ['sh', '-c', 'mkdir -p "$(dirname "$1/$2")" && cat > "$1/$2"', 'sh', remoteHomePath(REMOTE_CHART_DIR), f.name], stdin: f.content })),
      ]
    : [];
  const secretStep = (description: string, name: string, key: string, value: string): RemoteStep => ({ description, argv: ['bash', '-c', SECRET_SCRIPT, 'bash', name, key, release, ...kubectl], stdin: value, secretStdin: true });
  const install = [...helm, 'upgrade', '--install', release, remoteHomePath(chart), '--values', '-'];
  const warnings: string[] = [];
  if (flavor === 'sglang' && o.apiKey) warnings.push('SGLang on Kubernetes runs without an API key (it takes one only on its command line or a config file): any pod of the cluster can reach it');
  const deadlineS = Math.ceil(startupDeadlineMs(p.model.id) / 1000);
  return {
    profile: p,
    flavor,
    engineCommand: [...engine.command, ...engine.args],
    port: p.knobs.port,
    bindAddress: '0.0.0.0',
    apiKeyRequired: !!apiKey,
    warnings,
    logLocation: `kubectl logs of release ${release}'s rank-0 pod (namespace ${rt.namespace}${rt.context ? `, context ${rt.context}` : ''})`,
    start: [
      ...copyChart,
      ...(o.hfToken ? [secretStep(`create the Secret ${hfTokenSecretName(release)} with the Hugging Face token (from stdin; in no manifest, values file or argv)`, hfTokenSecretName(release), 'token', o.hfToken)] : []),
      ...(apiKey ? [secretStep(`create the Secret ${apiKeySecretName(release)} with the server API key (from stdin)`, apiKeySecretName(release), 'api-key', apiKey)] : []),
      { description: `helm upgrade --install ${release} (${workload}${workload === 'deployment' ? '' : ` of ${p.parallel.nodes} pods`}, values on stdin)`, argv: install, stdin: valuesYaml },
    ],
    logs: (skip) => ['sh', '-c', followScript(skipLines(skip)), 'sh', sel.rank0, ...kubectl],
    logSnapshot: ['sh', '-c', `sel0=$1; shift\n${POD0}\npod=$(pod0 "$@"); [ -n "$pod" ] || { echo "no pod of release ${release} found" >&2; exit 1; }\nexec "$@" logs "$pod"`, 'sh', sel.rank0, ...kubectl],
    stop: [{ description: `helm uninstall ${release}, delete its Secrets, wait for its pods to go`, argv: ['bash', '-c', STOP_SCRIPT, 'bash', release, sel.all, hfTokenSecretName(release), apiKeySecretName(release), String(helm.length), ...helm, ...kubectl], timeoutMs: STOP_TIMEOUT_MS }],
    jobState: ['sh', '-c', STATE_SCRIPT, 'sh', sel.all, sel.rank0, values.nodes !== 1 && rt.leaderDiscovery === 'podIP' && !rt.leaderAddress ? `${release}-leader` : '', ...kubectl],
    parseJobState: explainRelease,
    portForward: ['sh', '-c', PORT_FORWARD_SCRIPT, 'sh', sel.rank0, String(p.knobs.port), String(deadlineS), ...kubectl],
    values: valuesYaml,
  };
}
