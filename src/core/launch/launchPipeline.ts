import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Profile } from '../profiles/profileSchema';
import type { HostProbe } from '../hosts/hostModel';
import { probeLocalHost } from '../hosts/localProbe';
import type { RemoteHosts } from '../ssh/remoteHosts';
import { isLocalTarget, resolveTarget, type LocalTarget } from '../ssh/resolveTarget';
import type { SshTarget } from '../ssh/sshTarget';
import { buildRemoteScript } from '../ssh/remoteScript';
import { shJoinRemote } from '../ssh/shellQuote';
import { planToScript, renderLaunch, STEP_TIMEOUT_MS, type LaunchPlan, type RenderOptions } from '../runtimes/launchPlan';
import { checkProfileFit, type ProfileFit } from '../plan/profileFit';
import { GPU_CATALOG, startupDeadlineMs, type GpuSpec } from '../plan/catalog';
import { Deployment, DeploymentError, type CommandRunner, type DeploymentEvents } from './deployment';
import { localRunner, sshRunner } from './runners';
import { runPreflight, PreflightError, type PreflightProblem, type PreflightReport } from './preflight';
import { serverId, ServerRecords, type ServerRecord } from './serverRecords';
import { discoverServers, type ManagedServer } from './discovery';
import { gpuSpecFromCluster, isKubernetes } from './kubernetesPreflight';
import { openPortForward } from './portForward';

/** Where a launch runs: resolved once (resolveTarget), with its runner, probe and way to reach a port. */
export interface LaunchHost {
  /** The spec as the user wrote it ("local", an ssh-config alias, user@host[:port]). */
  readonly spec: string;
  readonly target: SshTarget | LocalTarget;
  readonly runner: CommandRunner;
  probe(): Promise<HostProbe>;
  /** Makes addr:port (as seen from the host) reachable from here: the URL, and how to close a tunnel. */
  reach(port: number, addr: string): Promise<{ url: string; close: () => void }>;
}

/** What the pipeline needs from its caller (the extension or the CLI); nothing here prompts by itself. */
export interface PipelineDeps {
  readonly sshConfigFile?: string;
  /** SSH access (ssh2 pool, tunnels, probe), created on first remote use. */
  readonly remote?: () => RemoteHosts;
  /** How to run our simulator on this machine: [node, /path/to/dist/cli.js], plus env (ELECTRON_RUN_AS_NODE). */
  readonly localSimulator: { readonly command: readonly string[]; readonly env?: Readonly<Record<string, string>> };
  /** The simulator's files (cli.js, simulator.js), installed on an SSH host that runs a simulator profile. */
  readonly simulatorFiles?: () => Promise<ReadonlyArray<{ readonly name: string; readonly content: string }>>;
  readonly records: ServerRecords;
  readonly launchedBy: 'vscode' | 'cli';
  /** The product's Helm chart on this machine (charts/deepseek-deploy), for the kubernetes runtime. */
  readonly chartDir?: string;
}

/** Every file of a chart folder (relative path → text), to copy it to an SSH host that runs helm. */
export function readChartFiles(dir: string): Array<{ name: string; content: string }> {
  const out: Array<{ name: string; content: string }> = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push({ name: r, content: fs.readFileSync(path.join(dir, r), 'utf8') });
    }
  };
  walk('');
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Reaches a plan's port: directly (host.reach: an SSH tunnel for remote hosts), or for Kubernetes through `kubectl
 * port-forward` on the host running kubectl (127.0.0.1 there), then host.reach to that forward.
 */
async function reachPlan(host: LaunchHost, plan: LaunchPlan, addr: string, timeoutMs: number, signal?: AbortSignal): Promise<{ url: string; close: () => void }> {
  if (!plan.portForward) return host.reach(plan.port, addr);
  const pf = await openPortForward(host.runner, plan.portForward, timeoutMs, signal);
  try {
    const r = await host.reach(pf.port, '127.0.0.1');
    return { url: r.url, close: () => { r.close(); pf.close(); } };
  } catch (e) {
    pf.close();
    throw e;
  }
}

/** Resolves a host spec (resolveTarget: the same answer in the CLI and the extension) into a LaunchHost. */
export function openHost(spec: string, deps: PipelineDeps): LaunchHost {
  const target = resolveTarget(spec, { sshConfigFile: deps.sshConfigFile });
  if (isLocalTarget(target)) {
    return {
      spec,
      target,
      runner: localRunner(),
      probe: () => probeLocalHost(),
      reach: (port, addr) => Promise.resolve({ url: `http://${addr === '0.0.0.0' || addr === '' ? '127.0.0.1' : addr}:${port}`, close: () => undefined }),
    };
  }
  if (!deps.remote) throw new Error(`${spec}: SSH hosts are not available here`);
  const remote = deps.remote;
  return {
    spec,
    target,
    runner: sshRunner(remote().pool, target),
    probe: () => remote().probe(target),
    reach: async (port, addr) => {
      const t = await remote().tunnels.openTunnel(target, addr, port);
      return { url: `http://127.0.0.1:${t.localPort}`, close: () => remote().tunnels.close(t.id) };
    },
  };
}

/**
 * GPUs found by the host probe, as the planner's spec (undefined when there are none or they are unknown). On a host
 * with mixed models the smallest GPU bounds what fits (tensor parallelism splits evenly); a total nvidia-smi reports
 * as "[N/A]" falls back to the catalog's figure.
 */
export function gpuSpecFromProbe(probe: HostProbe | undefined): GpuSpec | undefined {
  if (!probe?.gpus.length) return undefined;
  const catalog = (name: string): GpuSpec['model'] | undefined => GPU_CATALOG.find((g) => g.name === name) ?? GPU_CATALOG.find((g) => name.toUpperCase().includes(g.id.split('-')[0]));
  const sized = probe.gpus.map((g) => {
    const model = catalog(g.name);
    return model ? { ...model, memoryMiB: g.memoryTotalMiB ?? model.memoryMiB } : undefined;
  });
  if (sized.some((m) => !m)) return undefined;
  const smallest = sized.reduce((a, b) => (b!.memoryMiB < a!.memoryMiB ? b : a));
  return { count: probe.gpus.length, model: smallest! };
}

export interface LaunchRequest {
  readonly profile: Profile;
  /** Overrides the profile's `host:`. */
  readonly host?: string;
  /** Written to the host's HF token file over stdin before start (never argv, env or logs). */
  readonly hfToken?: string;
  readonly apiKey?: string;
  /** `simulate` options (--startup-speed, --speed) when the engine is the simulator. */
  readonly simulatorOptions?: readonly string[];
  /** A probe the caller already has (the Hosts view's), to skip a round trip. */
  readonly probe?: HostProbe;
  /** Use only the free GPUs when some are busy (CUDA_VISIBLE_DEVICES / --gpus device=…). */
  readonly pickFreeGpus?: boolean;
}

/** Everything decided before anything starts: shown to the user, then started (or not). */
export interface PreparedLaunch {
  readonly request: LaunchRequest;
  readonly id: string;
  /** The profile that will run (free GPUs applied when asked). */
  readonly profile: Profile;
  readonly host: LaunchHost;
  readonly probe?: HostProbe;
  readonly probeError?: string;
  readonly preflight: PreflightReport;
  readonly fit?: ProfileFit;
  /** Refusals: pre-flight problems plus a certain memory misfit (overridable unless the problem says otherwise). */
  readonly problems: readonly PreflightProblem[];
  readonly plan: LaunchPlan;
  /** The whole remote script (every step), for "Open Script" / `render`. */
  readonly script: string;
  /**
   * The argv of the server process exactly as it will run: the engine command with any `simulate --` wrapper (process
   * and SLURM runtimes; equal to /proc/PID/cmdline of the process runtime), or `docker run …` (docker).
   */
  readonly command: readonly string[];
  /** `command` quoted as the host's shell runs it (copy-pasteable; `~/` stays the host's home). */
  readonly commandLine: string;
  /** The start-up deadline (ms), from the model catalog. */
  readonly deadlineMs: number;
}

/** host → probe → pre-flight → fit → plan: decides what would run, starts nothing. */
export async function prepareLaunch(req: LaunchRequest, deps: PipelineDeps): Promise<PreparedLaunch> {
  const hostSpec = req.host ?? req.profile.host;
  const host = openHost(hostSpec, deps);
  let profile = hostSpec === req.profile.host ? req.profile : { ...req.profile, host: hostSpec };
  const sim = profile.engine.kind === 'simulator';
  const k8s = isKubernetes(profile);
  let probe = req.probe;
  let probeError: string | undefined;
  // The simulator needs no GPU: probing would only cost time on the quick path. On Kubernetes the host only runs
  // kubectl: the cluster's nodes (pre-flight) say what GPUs there are.
  if (!probe && !sim && !k8s) {
    try {
      probe = await host.probe();
    } catch (e) {
      probeError = (e as Error).message;
      if (!isLocalTarget(host.target)) throw e; // an SSH host that does not answer cannot be launched on
    }
  }
  const preflight = await runPreflight(profile, probe, host.runner);
  if (req.pickFreeGpus && preflight.freeGpus) profile = withGpus(profile, preflight.freeGpus);
  const spec = k8s ? gpuSpecFromCluster(preflight.cluster) : gpuSpecFromProbe(probe);
  const fit = spec && !sim ? checkProfileFit(profile, spec) : undefined;
  const problems: PreflightProblem[] = [...preflight.problems];
  if (fit?.refuse) problems.push({ code: 'misfit', message: `refused by the memory planner: ${fit.summary}`, remedy: 'Change the model variant or parallelism, or set allowMisfit if the catalog is wrong about this checkpoint.', overridable: true });
  const local = isLocalTarget(host.target);
  const render: RenderOptions = {
    hfToken: req.hfToken,
    apiKey: req.apiKey,
    // Containers use the hub cache HF tooling on the host uses (the probe resolved it there).
    hfHubCache: probe?.hfCachePath,
    simulatorOptions: req.simulatorOptions,
    ...(k8s ? { kubernetes: { leaderWorkerSet: preflight.cluster?.leaderWorkerSet, ...(local ? { chartDir: deps.chartDir } : { chartFiles: deps.chartDir ? readChartFiles(deps.chartDir) : undefined }) } } : {}),
    ...(sim && !k8s ? (local ? { simulatorCommand: deps.localSimulator.command } : { simulatorFiles: await deps.simulatorFiles?.() }) : {}),
  };
  // ELECTRON_RUN_AS_NODE lets desktop VS Code's binary run our CLI as Node; it is environment, not argv.
  const runProfile = sim && !k8s && local && deps.localSimulator.env ? { ...profile, env: { ...profile.env, ...deps.localSimulator.env } } : profile;
  const plan = renderLaunch(runProfile, render);
  const command = serverCommand(plan);
  return {
    request: req, id: serverId(hostSpec, profile.name), profile, host, probe, probeError, preflight, fit, problems, plan,
    script: planToScript(plan), command, commandLine: shJoinRemote(command), deadlineMs: startupDeadlineMs(profile.model.id),
  };
}

/** The one argv that becomes the server process (what the confirmation shows). */
function serverCommand(plan: LaunchPlan): readonly string[] {
  if (plan.profile.runtime.kind === 'docker') {
    const run = plan.start.find((s) => s.argv[0] === 'docker' && s.argv[1] === 'run');
    if (run) return run.argv;
  }
  // Kubernetes: the `helm upgrade --install … --values -` that creates the workload (its values: plan.values).
  const helm = plan.profile.runtime.kind === 'kubernetes' ? plan.start.find((s) => s.argv[0] === 'helm') : undefined;
  if (helm) return helm.argv;
  return plan.engineCommand;
}

function withGpus(p: Profile, gpus: readonly number[]): Profile {
  const list = gpus.join(',');
  if (p.runtime.kind === 'docker' || p.runtime.kind === 'compose') return { ...p, runtime: { ...p.runtime, gpus: list } };
  return { ...p, env: { ...p.env, CUDA_VISIBLE_DEVICES: list } };
}

export interface StartOptions {
  readonly events?: DeploymentEvents;
  readonly signal?: AbortSignal;
  /** Overrides the catalog's start-up deadline (ms). */
  readonly timeoutMs?: number;
  /** Launch despite overridable problems (busy GPUs, a misfit, disk space). */
  readonly force?: boolean;
}

/** A running server: where to reach it and what to do with it. */
export interface LaunchHandle {
  readonly id: string;
  readonly record: ServerRecord;
  readonly host: LaunchHost;
  readonly plan: LaunchPlan;
  readonly url: string;
  /** The log: from the start; `follow` keeps streaming until the signal aborts. */
  logs(o: { follow: boolean; onText: (s: string) => void; signal?: AbortSignal }): Promise<void>;
  /** Stops the engine (docker stop/rm, compose down, scancel, kill of its process group), closes the tunnel, forgets it. */
  stop(): Promise<void>;
  /** Stops it and launches the same profile again through the whole pipeline. */
  restart(o?: StartOptions): Promise<LaunchHandle>;
  /** Closes the tunnel only; the server keeps running (it is found again later). */
  detach(): void;
  /**
   * Synchronous stop for this machine (window closing: VS Code does not wait long for async work). Returns false for
   * servers on SSH hosts, which keep running.
   */
  stopNowIfLocal(): boolean;
}

/**
 * start → follow → ready → reach: runs the plan's steps, follows the log to the ready line, checks /v1/models until it
 * answers 200 (or the engine exits) and a 1-token request, and records the server. Refuses with PreflightError when
 * pre-flight found problems (overridable ones pass with `force`). On failure the engine is stopped and nothing of ours
 * keeps following the log.
 */
export async function startLaunch(prep: PreparedLaunch, deps: PipelineDeps, o: StartOptions = {}): Promise<LaunchHandle> {
  const blocking = prep.problems.filter((p) => !p.overridable || !(o.force || (p.code === 'misfit' && prep.profile.allowMisfit)));
  if (blocking.length) throw new PreflightError(blocking);
  const dep = new Deployment(prep.plan, prep.host.runner, o.events ?? {});
  let close = (): void => undefined;
  try {
    await dep.start({
      timeoutMs: o.timeoutMs ?? prep.deadlineMs,
      signal: o.signal,
      apiKey: prep.request.apiKey,
      reach: async (_port, addr) => {
        const r = await reachPlan(prep.host, prep.plan, addr, o.timeoutMs ?? prep.deadlineMs, o.signal);
        close = r.close;
        return r.url;
      },
    });
  } catch (e) {
    close();
    // A server that did not come up is of no use and holds GPUs and the port: stop it (its log stays in the caller's view).
    await dep.stop().catch(() => undefined);
    throw e;
  }
  const record: ServerRecord = { id: prep.id, host: prep.host.spec, profile: prep.profile, port: prep.plan.port, startedAt: new Date().toISOString(), launchedBy: deps.launchedBy };
  deps.records.put(record);
  return makeHandle(record, prep.host, prep.plan, dep.url!, close, deps, prep.request);
}

function makeHandle(record: ServerRecord, host: LaunchHost, plan: LaunchPlan, url: string, close: () => void, deps: PipelineDeps, request: LaunchRequest): LaunchHandle {
  let closed = false;
  const detach = (): void => {
    if (!closed) close();
    closed = true;
  };
  const handle: LaunchHandle = {
    id: record.id,
    record,
    host,
    plan,
    url,
    logs: async ({ follow, onText, signal }) => {
      await host.runner.exec(logArgv(plan, follow), { onStdout: onText, onStderr: onText, timeoutMs: follow ? 0 : 60_000, signal });
    },
    stop: async () => {
      detach();
      for (const s of plan.stop) {
        const r = await host.runner.exec(s.argv, { timeoutMs: s.timeoutMs ?? STEP_TIMEOUT_MS });
        if (r.code !== 0) throw new DeploymentError(`${s.description} failed (exit ${r.code ?? r.signal ?? '?'}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      }
      deps.records.remove(record.id);
    },
    restart: async (o) => {
      await handle.stop();
      const prep = await prepareLaunch({ ...request, profile: record.profile, host: record.host, probe: undefined }, deps);
      return startLaunch(prep, deps, o);
    },
    detach,
    stopNowIfLocal: () => {
      // A release lives in its cluster, not on this machine: closing the window closes only the port-forward.
      if (plan.portForward) {
        detach();
        return false;
      }
      if (!isLocalTarget(host.target)) return false;
      detach();
      for (const s of plan.stop) {
        try {
          execFileSync('bash', ['-s'], { input: buildRemoteScript(s.argv, { stdin: s.stdin }).script, timeout: 5000, stdio: ['pipe', 'ignore', 'ignore'] });
        } catch {
          /* best effort while the window closes */
        }
      }
      deps.records.remove(record.id);
      return true;
    },
  };
  return handle;
}

/** The log command: the plan's follower, or its own one-shot snapshot (built per runtime, never an edited follower). */
function logArgv(plan: LaunchPlan, follow: boolean): readonly string[] {
  return follow ? plan.logs(0) : plan.logSnapshot;
}

/**
 * Re-attaches to a recorded server found running (after a restart of VS Code, or from the CLI): reaches its port
 * (a tunnel for SSH hosts; SLURM: on the job's head node) and returns a handle with logs/stop/restart.
 */
export async function attachServer(record: ServerRecord, deps: PipelineDeps, request: Partial<LaunchRequest> = {}): Promise<LaunchHandle> {
  const host = openHost(record.host, deps);
  const plan = renderLaunch(record.profile, {});
  let addr = '127.0.0.1';
  if (plan.serverAddress) {
    const r = await host.runner.exec(plan.serverAddress, { timeoutMs: 30_000 });
    if (r.code === 0 && r.stdout.trim()) addr = r.stdout.trim().split('\n')[0];
  }
  const reached = await reachPlan(host, plan, addr, 120_000);
  return makeHandle(record, host, plan, reached.url, reached.close, deps, { ...request, profile: record.profile, host: record.host });
}

/** A handle for a recorded server without reaching it (stop/logs of a server that may not answer HTTP). */
export function recordHandle(record: ServerRecord, deps: PipelineDeps): LaunchHandle {
  const host = openHost(record.host, deps);
  return makeHandle(record, host, renderLaunch(record.profile, {}), '', () => undefined, deps, { profile: record.profile, host: record.host });
}

/**
 * `ps`: the managed servers on each host (records joined with what runs there). Hosts are visited in parallel; one
 * that does not answer only marks its own records unreachable. Recorded servers found gone are forgotten.
 */
export async function listManagedServers(hosts: readonly string[], deps: PipelineDeps): Promise<ManagedServer[]> {
  const records = deps.records.list();
  const lists = await Promise.all(hosts.map(async (spec) => {
    let host: LaunchHost;
    try {
      host = openHost(spec, deps);
    } catch (e) {
      return records.filter((r) => r.host === spec).map((r): ManagedServer => ({ id: r.id, host: spec, runtime: r.profile.runtime.kind, profile: r.profile.name, engine: r.profile.engine.kind, model: r.profile.model.id, state: 'unreachable', url: null, startedAt: r.startedAt, detail: (e as Error).message }));
    }
    return discoverServers(spec, host.runner, records, isLocalTarget(host.target));
  }));
  const all = lists.flat();
  for (const s of all) if (s.state === 'exited') deps.records.remove(s.id);
  return all;
}
