import { flavorOf } from '../engines/engineArgv';
import type { Profile } from '../profiles/profileSchema';
import { kubectlArgv, type KubernetesProfile } from '../runtimes/kubernetesPlan';
import type { CommandRunner } from './deployment';
import { serverId, type ServerRecord } from './serverRecords';

/** A managed server as `ps` lists it (`--json` prints exactly these fields but `detail`). */
export interface ManagedServer {
  readonly id: string;
  readonly host: string;
  readonly runtime: Profile['runtime']['kind'];
  readonly profile: string;
  /** vllm, sglang, or "simulator (vllm)"; "unknown" for a server found without a record (labels only). */
  readonly engine: string;
  readonly model: string;
  /** running, queued (SLURM pending), exited (recorded, no longer found), unreachable (the host did not answer). */
  readonly state: 'running' | 'queued' | 'exited' | 'unreachable';
  /** This machine: the URL; SSH hosts: null until a tunnel is opened (the extension re-attaches with one). */
  readonly url: string | null;
  readonly startedAt: string | null;
  readonly detail?: string;
}

const DEFAULT_RUN_DIR = '~/.deepseek-deploy/run';

/**
 * One round trip that lists what runs under our names on a host: containers labelled deepseek-deploy.managed=true
 * (docker and compose), live pidfiles of the process runtime, and `squeue --me` jobs named dsd-* (man squeue: %j name,
 * %T state, %V submit time). $@ are the run folders to scan (each profile's workdir).
 */
const DISCOVERY_SCRIPT = [
  'echo @@docker; command -v docker >/dev/null && docker ps --filter label=deepseek-deploy.managed=true --format \'{{.Label "deepseek-deploy.profile"}}|{{.Names}}|{{.CreatedAt}}\' 2>/dev/null',
  'echo @@pids; for d in "$@"; do d=${d/#\\~/$HOME}; for f in "$d"/*.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$(basename "$f" .pid)|$p|$(date -u -r "$f" +%Y-%m-%dT%H:%M:%SZ)"; done; done',
  'echo @@slurm; command -v squeue >/dev/null && squeue --me -h -o "%j|%i|%T|%V" 2>/dev/null | grep "^dsd-"',
  'true',
].join('\n');

interface Found { runtime: ManagedServer['runtime']; profile: string; state: 'running' | 'queued'; startedAt?: string; detail: string }

/**
 * Our releases in one namespace, by the labels the chart puts on every pod (app.kubernetes.io/managed-by=deepseek-deploy,
 * deepseek-deploy/profile, app.kubernetes.io/instance): "profile|release|phase|created|pod" per pod.
 */
const K8S_PODS_JSONPATH = '{range .items[*]}{.metadata.labels.deepseek-deploy/profile}{"|"}{.metadata.labels.app\\.kubernetes\\.io/instance}{"|"}{.status.phase}{"|"}{.metadata.creationTimestamp}{"|"}{.metadata.name}{"\\n"}{end}';

/** Releases found with kubectl for the kubernetes records of a host, one call per kubeconfig/context/namespace. */
async function findKubernetes(runner: CommandRunner, records: readonly ServerRecord[]): Promise<Found[]> {
  const groups = new Map<string, KubernetesProfile['runtime']>();
  for (const r of records) if (r.profile.runtime.kind === 'kubernetes') groups.set(JSON.stringify([r.profile.runtime.kubeconfig, r.profile.runtime.context, r.profile.runtime.namespace]), r.profile.runtime);
  const out: Found[] = [];
  for (const rt of groups.values()) {
    const r = await runner.exec([...kubectlArgv(rt), 'get', 'pods', '-l', 'app.kubernetes.io/managed-by=deepseek-deploy', '-o', `jsonpath=${K8S_PODS_JSONPATH}`, '--request-timeout=15s'], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`kubectl get pods (namespace ${rt.namespace}${rt.context ? `, context ${rt.context}` : ''}) failed: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
    const byRelease = new Map<string, { profile: string; phases: string[]; created: string; pods: string[] }>();
    for (const line of r.stdout.split('\n')) {
      const [profile, release, phase, created, pod] = line.trim().split('|');
      if (!profile || !release) continue;
      const g = byRelease.get(release) ?? { profile, phases: [], created, pods: [] };
      g.phases.push(phase);
      g.pods.push(pod);
      byRelease.set(release, g);
    }
    for (const [release, g] of byRelease) out.push({ runtime: 'kubernetes', profile: g.profile, state: g.phases.every((x) => x === 'Running') ? 'running' : 'queued', startedAt: g.created, detail: `release ${release} in ${rt.namespace}: ${g.pods.map((p, i) => `${p} ${g.phases[i]}`).join(', ')}` });
  }
  return out;
}

function parse(text: string): Found[] {
  const out: Found[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    const h = /^@@(\w+)$/.exec(line.trim());
    if (h) {
      cur = h[1];
      continue;
    }
    const f = line.trim().split('|');
    if (!line.trim() || f.length < 3) continue;
    if (cur === 'docker') out.push({ runtime: /_\d+$|-\d+$/.test(f[1]) && f[1] !== `dsd-${f[0]}` ? 'compose' : 'docker', profile: f[0], state: 'running', startedAt: f[2], detail: `container ${f[1]}` });
    if (cur === 'pids') out.push({ runtime: 'process', profile: f[0], state: 'running', startedAt: f[2], detail: `pid ${f[1]}` });
    if (cur === 'slurm') out.push({ runtime: 'slurm', profile: f[0].replace(/^dsd-/, ''), state: f[2] === 'PENDING' ? 'queued' : 'running', startedAt: f[3], detail: `job ${f[1]} ${f[2]}` });
  }
  return out;
}

const engineOf = (r: ServerRecord): string => (r.profile.engine.kind === 'simulator' ? `simulator (${flavorOf(r.profile)})` : r.profile.engine.kind);

/**
 * Finds the managed servers running on one host and joins them with the records of that host: a recorded server
 * that is not found is "exited"; a server found without a record is listed from its labels. Never prompts: the
 * runner must fail rather than ask (the caller passes a non-interactive one); an error makes every record of the
 * host "unreachable".
 */
export async function discoverServers(host: string, runner: CommandRunner, records: readonly ServerRecord[], localUrl: boolean): Promise<ManagedServer[]> {
  const mine = records.filter((r) => r.host === host);
  const dirs = [...new Set([DEFAULT_RUN_DIR, ...mine.flatMap((r) => (r.profile.runtime.kind === 'process' ? [r.profile.runtime.workdir] : []))])];
  let found: Found[];
  try {
    const r = await runner.exec(['bash', '-c', DISCOVERY_SCRIPT, 'bash', ...dirs], { timeoutMs: 20_000 });
    found = [...parse(r.stdout), ...(await findKubernetes(runner, mine))];
  } catch (e) {
    return mine.map((r) => ({ id: r.id, host, runtime: r.profile.runtime.kind, profile: r.profile.name, engine: engineOf(r), model: r.profile.model.id, state: 'unreachable', url: null, startedAt: r.startedAt, detail: (e as Error).message }));
  }
  const out: ManagedServer[] = [];
  for (const f of found) {
    const rec = mine.find((r) => r.profile.name === f.profile && (r.profile.runtime.kind === f.runtime || (f.runtime === 'compose' && r.profile.runtime.kind === 'docker')));
    const runtime = rec?.profile.runtime.kind ?? f.runtime;
    out.push({
      id: rec?.id ?? serverId(host, f.profile),
      host,
      runtime,
      profile: f.profile,
      engine: rec ? engineOf(rec) : 'unknown',
      model: rec?.profile.model.id ?? 'unknown',
      state: f.state,
      // SLURM runs on a compute node, Kubernetes in a pod: both are reached through a tunnel / port-forward first.
      url: localUrl && rec && runtime !== 'slurm' && runtime !== 'kubernetes' ? `http://127.0.0.1:${rec.port}` : null,
      startedAt: rec?.startedAt ?? f.startedAt ?? null,
      detail: f.detail,
    });
  }
  for (const r of mine) {
    if (!out.some((o) => o.id === r.id)) out.push({ id: r.id, host, runtime: r.profile.runtime.kind, profile: r.profile.name, engine: engineOf(r), model: r.profile.model.id, state: 'exited', url: null, startedAt: r.startedAt });
  }
  return out;
}
