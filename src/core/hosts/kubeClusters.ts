import type { CommandRunner } from '../launch/deployment';
import { clusterNodesJsonpath, parseClusterNodes, type ClusterNode } from '../runtimes/kubernetesState';

/** One kubeconfig context of this machine, with its nodes' allocatable GPUs (or why they could not be listed). */
export interface KubeCluster {
  readonly context: string;
  readonly nodes?: readonly ClusterNode[];
  readonly error?: string;
}

/**
 * The kubeconfig contexts kubectl knows on the runner's host (`kubectl config get-contexts -o name`) and, per context,
 * its nodes with allocatable `gpuResource` (one `kubectl get nodes` each, 10 s API timeout). Empty when kubectl is
 * not installed or no context is configured: the Hosts view then shows no cluster at all.
 */
export async function listKubeClusters(runner: CommandRunner, gpuResource = 'nvidia.com/gpu', maxContexts = 8): Promise<KubeCluster[]> {
  const ctx = await runner.exec(['sh', '-c', 'command -v kubectl >/dev/null || exit 0; kubectl config get-contexts -o name 2>/dev/null'], { timeoutMs: 15_000 }).catch(() => undefined);
  const contexts = (ctx?.stdout ?? '').split('\n').map((s) => s.trim()).filter(Boolean).slice(0, maxContexts);
  return Promise.all(contexts.map(async (context): Promise<KubeCluster> => {
    const r = await runner.exec(['kubectl', '--context', context, 'get', 'nodes', '--request-timeout=10s', '-o', `jsonpath=${clusterNodesJsonpath(gpuResource)}`], { timeoutMs: 20_000 }).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
    if (r.code !== 0) return { context, error: (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] || `kubectl exited ${r.code}` };
    return { context, nodes: parseClusterNodes(r.stdout) };
  }));
}

/** "3 nodes · 16 nvidia.com/gpu allocatable" (ready nodes' GPUs only). */
export function describeCluster(c: KubeCluster, gpuResource = 'nvidia.com/gpu'): string {
  if (!c.nodes) return 'unreachable';
  const gpus = c.nodes.filter((n) => n.ready).reduce((a, n) => a + n.allocatableGpus, 0);
  return `${c.nodes.length} node${c.nodes.length === 1 ? '' : 's'} · ${gpus} ${gpuResource} allocatable`;
}
