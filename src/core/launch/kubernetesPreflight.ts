import type { Profile } from '../profiles/profileSchema';
import { GPU_CATALOG, type GpuSpec } from '../plan/catalog';
import { flavorOf } from '../engines/engineArgv';
import { clusterNodesJsonpath, parseClusterNodes, type ClusterNode } from '../runtimes/kubernetesState';
import { kubectlArgv, type KubernetesProfile } from '../runtimes/kubernetesPlan';
import type { CommandRunner } from './deployment';
import { sections, type PreflightProblem } from './preflight';

/** What pre-flight learned about the cluster (one round trip on the host that runs kubectl). */
export interface ClusterFacts {
  /** The API server's version (`kubectl get --raw /version`: gitVersion), when reachable. */
  readonly serverVersion?: string;
  /** Nodes with their allocatable GPUs; undefined when this user may not list nodes. */
  readonly nodes?: readonly ClusterNode[];
  /** The cluster serves leaderworkerset.x-k8s.io (`kubectl api-versions`). */
  readonly leaderWorkerSet: boolean;
}

/**
 * The host-side script: "@@section" then its lines. $1 namespace, $2 nodes jsonpath, $3 pull secret, $4 priority
 * class, $5 PVC (each may be ""); the rest is kubectl with kubeconfig/context/namespace.
 */
const SCRIPT = [
  'ns=$1; jp=$2; ps=$3; pc=$4; pvc=$5; shift 5',
  'echo @@kubectl; command -v kubectl || echo MISSING',
  'echo @@helm; command -v helm || echo MISSING',
  'command -v kubectl >/dev/null || exit 0',
  'echo @@server; out=$("$@" get --raw /version --request-timeout=15s 2>&1); echo "rc=$?"; printf "%s\\n" "$out" | tr -d "\\n" | head -c 2000; echo',
  'case "$out" in *gitVersion*) ;; *) exit 0 ;; esac',
  'echo @@namespace; out=$("$@" get namespace "$ns" -o name 2>&1); echo "rc=$?"; printf "%s\\n" "$out" | head -3',
  'echo @@apis; "$@" api-versions 2>/dev/null | grep "^leaderworkerset\\.x-k8s\\.io/"',
  'echo @@nodes; out=$("$@" get nodes -o "jsonpath=$jp" 2>&1); echo "rc=$?"; printf "%s\\n" "$out" | head -500',
  '[ -n "$ps" ] && { echo @@pullsecret; "$@" get secret "$ps" -o name 2>&1 | head -2; }',
  '[ -n "$pc" ] && { echo @@priorityclass; "$@" get priorityclass "$pc" -o name 2>&1 | head -2; }',
  '[ -n "$pvc" ] && { echo @@pvc; "$@" get pvc "$pvc" -o name 2>&1 | head -2; }',
  'exit 0',
].join('\n');

/** GPUs each pod requests: runtime.gpusPerPod, else the world size per node (TP×PP×DP ÷ nodes, as the preflight's). */
export function gpusPerPod(p: KubernetesProfile, perNode: number): number {
  return p.runtime.gpusPerPod ?? perNode;
}

/**
 * Pre-flight for the kubernetes runtime: kubectl and helm on the host, the context answers, the namespace exists,
 * LeaderWorkerSet discovery, a node with enough allocatable GPUs, and the pull secret / priority class / PVC the
 * profile names. A node short of GPUs is overridable (the pod stays Pending until one frees up); the rest is not.
 */
export async function kubernetesPreflight(p: KubernetesProfile, need: number, runner: CommandRunner): Promise<{ problems: PreflightProblem[]; notes: string[]; cluster?: ClusterFacts }> {
  const rt = p.runtime;
  const problems: PreflightProblem[] = [];
  const notes: string[] = [];
  const hfClaim = rt.hfCache.kind === 'pvc' ? rt.hfCache.claimName : '';
  const r = await runner.exec(['bash', '-c', SCRIPT, 'bash', rt.namespace, clusterNodesJsonpath(rt.gpuResource), rt.imagePullSecret ?? '', rt.priorityClassName ?? '', hfClaim, ...kubectlArgv(rt)], { timeoutMs: 60_000 }).catch((e: Error) => ({ code: null, stdout: '', stderr: e.message }));
  const s = sections(r.stdout);
  const first = (k: string): string => s.get(k)?.[0] ?? '';
  const where = `${rt.context ? `context "${rt.context}"` : 'the current kubeconfig context'}${rt.kubeconfig ? ` of ${rt.kubeconfig}` : ''}`;
  if (!s.has('kubectl')) {
    problems.push({ code: 'cluster-unreachable', message: `Could not run the cluster checks on the host: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ') || `exit ${r.code}`}`, remedy: 'Check that the host answers and runs bash.', overridable: false });
    return { problems, notes };
  }
  if (first('kubectl') === 'MISSING') problems.push({ code: 'kubectl-missing', message: 'kubectl is not installed on the host (or not on PATH for non-interactive logins).', remedy: 'Install kubectl (matching the cluster\'s version ± 1), or set host to a jump box that has it.', overridable: false });
  if (first('helm') === 'MISSING') problems.push({ code: 'helm-missing', message: 'helm (3.x) is not installed on the host (or not on PATH for non-interactive logins).', remedy: 'Install Helm 3 (https://helm.sh/docs/intro/install/), or set host to a jump box that has it.', overridable: false });
  if (first('kubectl') === 'MISSING') return { problems, notes };
  const server = s.get('server') ?? [];
  const version = /"gitVersion"\s*:\s*"([^"]+)"/.exec(server.slice(1).join(' '))?.[1];
  if (!version) {
    const why = server.slice(1).join(' ').replace(/\s+/g, ' ').trim();
    problems.push({ code: 'cluster-unreachable', message: `The cluster of ${where} does not answer: ${why || 'kubectl failed'}`, remedy: 'Check the context name (kubectl config get-contexts), that the API server is reachable from the host, and that your credentials are valid (cloud logins expire: e.g. gcloud container clusters get-credentials).', overridable: false });
    return { problems, notes };
  }
  notes.push(`cluster: ${where}, Kubernetes ${version}, namespace ${rt.namespace}`);
  const nsOut = s.get('namespace') ?? [];
  if (nsOut[0] !== 'rc=0') {
    const why = nsOut.slice(1).join(' ');
    if (/NotFound|not found/i.test(why)) problems.push({ code: 'namespace-missing', message: `The namespace "${rt.namespace}" does not exist in ${where}.`, remedy: `Create it (kubectl create namespace ${rt.namespace}) or set runtime.namespace.`, overridable: false });
    else notes.push(`namespace ${rt.namespace}: not checked (${why})`);
  }
  const leaderWorkerSet = (s.get('apis') ?? []).some((l) => l.startsWith('leaderworkerset.x-k8s.io/'));
  if (p.parallel.nodes > 1) {
    if (rt.multiNode === 'leaderworkerset' && !leaderWorkerSet) problems.push({ code: 'lws-missing', message: `runtime.multiNode is leaderworkerset but ${where} does not serve leaderworkerset.x-k8s.io (kubectl api-versions).`, remedy: 'Install LeaderWorkerSet (kubectl apply --server-side -f https://github.com/kubernetes-sigs/lws/releases/…/manifests.yaml) or set runtime.multiNode to statefulset (or auto).', overridable: false });
    notes.push(`multi-node: ${rt.multiNode === 'auto' ? (leaderWorkerSet ? 'LeaderWorkerSet (the cluster serves leaderworkerset.x-k8s.io)' : 'StatefulSet (no LeaderWorkerSet API on the cluster)') : rt.multiNode}`);
  }
  const nodesOut = s.get('nodes') ?? [];
  let nodes: ClusterNode[] | undefined;
  if (nodesOut[0] === 'rc=0') {
    nodes = parseClusterNodes(nodesOut.slice(1).join('\n'));
    const perPod = gpusPerPod(p, need);
    const fitting = nodes.filter((n) => n.ready && n.allocatableGpus >= perPod);
    const most = nodes.reduce((a, n) => Math.max(a, n.allocatableGpus), 0);
    if (perPod > 0 && !fitting.length) {
      problems.push({ code: 'gpus-missing', message: `Each pod requests ${perPod} ${rt.gpuResource}, and no ready node has that many allocatable (most: ${most}; nodes: ${nodes.map((n) => `${n.name} ${n.allocatableGpus}${n.ready ? '' : ' not ready'}`).join(', ') || 'none'}). The pod would stay Pending.`, remedy: `Lower the parallelism or runtime.gpusPerPod, check runtime.gpuResource (kubectl describe node: Allocatable), or launch anyway to wait for a node (autoscaling).`, overridable: true });
    } else if (perPod > 0) notes.push(`GPUs: ${fitting.length} node(s) with ≥ ${perPod} allocatable ${rt.gpuResource} (${fitting.map((n) => `${n.name}: ${n.allocatableGpus}${n.gpuProduct ? ` × ${n.gpuProduct}` : ''}`).join(', ')})`);
  } else notes.push(`nodes: not listed (${nodesOut.slice(1).join(' ') || 'no permission'}); GPUs not checked`);
  const missing = (section: string, what: string, remedy: string): void => {
    const l = s.get(section);
    if (l && !l.some((x) => x.includes('/'))) problems.push({ code: `${section}-missing`, message: `${what} was not found in ${where}: ${l.join(' ')}`, remedy, overridable: false });
  };
  missing('pullsecret', `The image pull secret "${rt.imagePullSecret}"`, `Create it (kubectl create secret docker-registry ${rt.imagePullSecret} -n ${rt.namespace} …) or remove runtime.imagePullSecret.`);
  missing('priorityclass', `The priority class "${rt.priorityClassName}"`, 'Use an existing one (kubectl get priorityclass) or remove runtime.priorityClassName.');
  missing('pvc', `The HF cache claim "${hfClaim}"`, `Create the PersistentVolumeClaim in namespace ${rt.namespace} or use hfCache kind hostPath/emptyDir.`);
  if (flavorOf(p) === 'sglang' && p.knobs.apiKeySecret) notes.push('SGLang on Kubernetes: the API key cannot be passed without a command line; the engine runs without one');
  return { problems, notes, cluster: { serverVersion: version, nodes, leaderWorkerSet } };
}

/**
 * The memory planner's GPU spec from the cluster: the ready node with the most allocatable GPUs, its model from node
 * labels (GPU feature discovery's nvidia.com/gpu.product "NVIDIA-H100-80GB-HBM3", GKE's "nvidia-b200"). Undefined when
 * the nodes could not be listed, none has GPUs, or the model is not in the catalog.
 */
export function gpuSpecFromCluster(cluster: ClusterFacts | undefined): GpuSpec | undefined {
  const best = cluster?.nodes?.filter((n) => n.ready && n.allocatableGpus > 0).sort((a, b) => b.allocatableGpus - a.allocatableGpus)[0];
  if (!best?.gpuProduct) return undefined;
  const label = best.gpuProduct.toUpperCase();
  // Longest family first, so H200 wins over H20 and GB200 over B200.
  const model = [...GPU_CATALOG].sort((a, b) => b.id.split('-')[0].length - a.id.split('-')[0].length).find((g) => new RegExp(`(^|[^A-Z0-9])${g.id.split('-')[0]}([^0-9]|$)`).test(label));
  return model ? { count: best.allocatableGpus, model } : undefined;
}

/** Whether a profile runs on Kubernetes (narrows the type). */
export const isKubernetes = (p: Profile): p is KubernetesProfile => p.runtime.kind === 'kubernetes';
