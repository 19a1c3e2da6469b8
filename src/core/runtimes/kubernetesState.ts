import type { SlurmJobStatus, SlurmStateCode } from './slurmJobState';

/**
 * What a Kubernetes release's pods say about the engine, in the launch pipeline's job-state model (the same one SLURM
 * jobs use: pending / starting / running / ended, with a reason), so the deployment shows "queued: 0/1 nodes are
 * available: 1 Insufficient nvidia.com/gpu." exactly as it shows a SLURM job's pending reason.
 *
 * Input: the output of the plan's jobState script (kubernetesPlan.ts): "@@pods" + `kubectl get pods -l … -o json`,
 * then for pods that are not running "@@events POD" + `kubectl get events --field-selector involvedObject.name=POD
 * -o json`, then "@@previous" + `kubectl logs --previous --tail=20` of the rank-0 pod when it has restarted.
 * Shapes: core/v1 Pod (status.phase, status.conditions[type=PodScheduled], status.containerStatuses[].state.waiting
 * {reason,message} / .terminated {exitCode,reason}, .lastState.terminated, .restartCount) and core/v1 Event
 * (reason, message, type, count, lastTimestamp) as the API server returns them (kubernetes/api core/v1/types.go).
 */

interface PodJson {
  metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    containerStatuses?: ContainerStatusJson[];
    initContainerStatuses?: ContainerStatusJson[];
  };
}
interface ContainerStatusJson {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: object; terminated?: TerminatedJson };
  lastState?: { terminated?: TerminatedJson };
}
interface TerminatedJson { exitCode?: number; signal?: number; reason?: string; message?: string }
interface EventJson { reason?: string; message?: string; type?: string; lastTimestamp?: string; eventTime?: string; count?: number }

const state = (name: string, phase: SlurmStateCode['phase'], meaning: string, success?: boolean): SlurmStateCode => ({ code: name, name, phase, meaning, ...(success === undefined ? {} : { success }) });

/** Waiting reasons that never clear by themselves: the launch fails at once with the kubelet's message. */
const FATAL_WAITING = new Set(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

const MEANING: Record<string, string> = {
  ImagePullBackOff: 'the image cannot be pulled (wrong name or tag, a private registry without imagePullSecret, or no route to the registry)',
  ErrImagePull: 'pulling the image failed; the kubelet retries',
  InvalidImageName: 'the image reference is not valid',
  ErrImageNeverPull: 'imagePullPolicy is Never and the image is not on the node',
  CrashLoopBackOff: 'the engine exits at start-up and the kubelet keeps restarting it',
  CreateContainerConfigError: 'the container cannot be configured (a Secret, ConfigMap or key it references is missing)',
  CreateContainerError: 'the container runtime could not create the container',
  RunContainerError: 'the container runtime could not start the container',
  ContainerCreating: 'the node is pulling the image and creating the container',
  PodInitializing: 'init containers are running',
};

/** Splits the jobState script's output into its sections ("@@pods", "@@events NAME", "@@previous"). */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let cur = '';
  for (const line of text.split('\n')) {
    const m = /^@@(\w+)(?: (\S+))?$/.exec(line);
    if (m) {
      cur = m[2] ? `${m[1]} ${m[2]}` : m[1];
      out.set(cur, '');
    } else if (cur) out.set(cur, `${out.get(cur)}${line}\n`);
  }
  return out;
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (!text?.trim()) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** The newest events first, warnings before normal ones: what `kubectl describe pod` shows last is what matters. */
function newestWarning(events: readonly EventJson[], reasons?: readonly string[]): EventJson | undefined {
  const t = (e: EventJson): number => Date.parse(e.lastTimestamp ?? e.eventTime ?? '') || 0;
  return [...events].filter((e) => (!reasons || reasons.includes(e.reason ?? '')) && e.type === 'Warning').sort((a, b) => t(b) - t(a))[0];
}

const oneLine = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();

/** How bad one pod's state is, for picking the pod that explains the release (an ended one over a pending one …). */
function severity(s: SlurmJobStatus): number {
  return s.state.phase === 'ended' ? 4 : s.state.phase === 'pending' ? 3 : s.state.phase === 'starting' ? 2 : 1;
}

/** One pod's state with the events that explain it. `previous` is the rank-0 pod's last log lines before a restart. */
export function explainPod(pod: PodJson, events: readonly EventJson[], previous?: string): SlurmJobStatus {
  const id = pod.metadata?.name ?? '';
  const st = pod.status ?? {};
  const base = { id, source: 'plain' as const };
  if (pod.metadata?.deletionTimestamp) return { ...base, state: state('Terminating', 'ended', 'the pod is being deleted'), reason: 'the pod is being deleted (helm uninstall or a rollout)' };
  if (st.phase === 'Failed' || st.phase === 'Succeeded') {
    const t = st.containerStatuses?.[0]?.state?.terminated;
    return { ...base, state: state(st.phase, 'ended', st.phase === 'Succeeded' ? 'the engine exited with code 0' : 'the pod failed', st.phase === 'Succeeded'), reason: oneLine(st.message ?? t?.reason) || undefined, exitCode: t?.exitCode };
  }
  const scheduled = st.conditions?.find((c) => c.type === 'PodScheduled');
  if (st.phase === 'Pending' && scheduled?.status === 'False') {
    // The scheduler writes its verdict into the condition ("0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")
    // and into a FailedScheduling event; the event is newer when the condition has not been refreshed yet.
    const ev = newestWarning(events, ['FailedScheduling']);
    return { ...base, state: state('Unschedulable', 'pending', 'no node can run the pod yet'), reason: oneLine(scheduled.message || ev?.message) || scheduled.reason || 'waiting for a node' };
  }
  for (const c of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
    const w = c.state?.waiting;
    if (!w?.reason) continue;
    const last = c.lastState?.terminated;
    if (w.reason === 'CrashLoopBackOff') {
      const lines = (previous ?? '').trim().split('\n').filter(Boolean).slice(-20);
      const exit = last ? `exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}` : 'exited';
      return { ...base, state: state('CrashLoopBackOff', 'ended', MEANING.CrashLoopBackOff, false), reason: `container ${c.name ?? '?'} ${exit}, restarted ${c.restartCount ?? 0}×${lines.length ? `; last log lines:\n${lines.join('\n')}` : ''}`, exitCode: last?.exitCode };
    }
    if (FATAL_WAITING.has(w.reason)) {
      // The pull error's cause ("not found", "unauthorized") is in the Failed event, not in the back-off message.
      const ev = newestWarning(events, ['Failed', 'InspectFailed', 'ErrImageNeverPull']);
      return { ...base, state: state(w.reason, 'ended', MEANING[w.reason] ?? w.reason, false), reason: oneLine(ev?.message || w.message) || undefined };
    }
    if (w.reason === 'ErrImagePull') {
      const ev = newestWarning(events, ['Failed']);
      return { ...base, state: state(w.reason, 'starting', MEANING.ErrImagePull), reason: oneLine(ev?.message || w.message) || undefined };
    }
    return { ...base, state: state(w.reason, 'starting', MEANING[w.reason] ?? oneLine(w.message) ?? w.reason), reason: oneLine(w.message) || undefined };
  }
  if (st.phase === 'Pending') {
    const ev = newestWarning(events);
    return { ...base, state: state('Pending', 'starting', 'the pod is scheduled and its containers are being created'), reason: ev ? `${ev.reason}: ${oneLine(ev.message)}` : undefined };
  }
  if (st.phase === 'Running') return { ...base, state: state('Running', 'running', 'the engine container runs') };
  return { ...base, state: state(st.phase ?? 'Unknown', 'pending', 'the pod\'s state is not known yet'), reason: oneLine(st.message) || undefined };
}

/**
 * The release's state from the jobState script's output: the most telling pod (an ended one, then pending, then
 * starting, then running), or "waiting for the pod" when the controller has not made one yet. Returns undefined when
 * the output holds no pod list at all (kubectl failed: the caller counts unknowns).
 */
export function explainRelease(text: string): SlurmJobStatus | undefined {
  const s = sections(text);
  const pods = parseJson<{ items?: PodJson[] }>(s.get('pods'));
  if (!pods || !Array.isArray(pods.items)) return undefined;
  if (!pods.items.length) return { id: '', state: state('NoPod', 'pending', 'the controller has not created a pod yet'), reason: 'waiting for the workload controller to create the pod', source: 'plain' };
  const previous = s.get('previous');
  const explained = pods.items.map((p) => explainPod(p, parseJson<{ items?: EventJson[] }>(s.get(`events ${p.metadata?.name ?? ''}`))?.items ?? [], previous));
  return explained.reduce((a, b) => (severity(b) > severity(a) ? b : a));
}

/** One Kubernetes node's schedulable GPUs: what the memory planner and the Hosts view use. */
export interface ClusterNode {
  readonly name: string;
  /** status.allocatable[<gpu resource>] (0 when the device plugin advertises none). */
  readonly allocatableGpus: number;
  /** The GPU model from node labels: nvidia.com/gpu.product (GPU feature discovery) or cloud.google.com/gke-accelerator. */
  readonly gpuProduct?: string;
  readonly ready: boolean;
}

/**
 * Lines of `kubectl get nodes -o jsonpath=…` as the cluster scripts print them: "NAME|ALLOCATABLE|PRODUCT|GKE|READY"
 * (see kubernetesClusterScript). Lines that are not nodes are skipped.
 */
export function parseClusterNodes(text: string): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split('|');
    if (f.length < 5 || !f[0]) continue;
    const n = Number(f[1] || '0');
    out.push({ name: f[0], allocatableGpus: Number.isFinite(n) ? n : 0, gpuProduct: f[2] || f[3] || undefined, ready: f[4] === 'True' });
  }
  return out;
}

/** `kubectl get nodes` jsonpath for parseClusterNodes (dots in the resource name escaped as jsonpath wants). */
export function clusterNodesJsonpath(gpuResource: string): string {
  const esc = (k: string): string => k.replace(/\./g, '\\.');
  return `{range .items[*]}{.metadata.name}{"|"}{.status.allocatable.${esc(gpuResource)}}{"|"}{.metadata.labels.${esc('nvidia.com/gpu.product')}}{"|"}{.metadata.labels.${esc('cloud.google.com/gke-accelerator')}}{"|"}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}`;
}
