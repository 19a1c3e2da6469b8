import * as vscode from 'vscode';
import { hostFromSetting, LOCAL_HOST, type HostEntry, type HostProbe, type HostSetting } from '../../core/hosts/hostModel';
import { probeLocalHost } from '../../core/hosts/localProbe';
import { describeGpu, gpuTooltip, shortGpuName, summarizeGpus } from '../../core/hosts/nvidiaSmi';
import type { GpuToolState } from '../../core/hosts/hostModel';

/** A host's description when no GPU could be listed, by what the NVIDIA tooling said. */
const NO_GPU_WORDS: Record<GpuToolState, string> = { 'ok': 'no GPUs', 'no-devices': 'no GPUs', 'no-tooling': 'no NVIDIA GPU tooling', 'no-driver': 'no NVIDIA driver', 'error': 'GPUs unreadable' };
import type { RemoteAccess } from './remoteAccess';
import { describeCluster, listKubeClusters, type KubeCluster } from '../../core/hosts/kubeClusters';
import { localRunner } from '../../core/launch/runners';

type Node =
  | { kind: 'host'; host: HostEntry }
  | { kind: 'gpu'; host: HostEntry; text: string; detail: string; tooltip: string }
  | { kind: 'info'; host: HostEntry; text: string; icon: string; tooltip?: string; retry?: boolean }
  | { kind: 'cluster'; cluster: KubeCluster };

const POLL_MS = 5000;

/**
 * Hosts view: "This machine" plus the SSH hosts in `deepseek.hosts`. While the view is visible, the GPU rows of
 * reachable hosts refresh every few seconds over each host's pooled connection (no new handshake per poll).
 */
export class HostsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly probes = new Map<string, HostProbe | Error>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private poller: NodeJS.Timeout | undefined;
  private readonly subs: vscode.Disposable[] = [];
  /** Kubernetes contexts of this machine's kubeconfig (listed on first show and on refresh, not polled). */
  private clusters: Promise<KubeCluster[]> | undefined;
  private clusterList: KubeCluster[] = [];

  constructor(private readonly remote: RemoteAccess) {
    this.subs.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('deepseek.hosts') || e.affectsConfiguration('deepseek.sshConfigFile')) this.changed.fire(undefined);
    }));
  }

  get hosts(): HostEntry[] {
    const settings = vscode.workspace.getConfiguration('deepseek').get<HostSetting[]>('hosts') ?? [];
    const out: HostEntry[] = [LOCAL_HOST];
    for (const s of settings) {
      const h = hostFromSetting(s);
      if (h && !out.some((x) => x.id === h.id)) out.push(h);
    }
    return out;
  }

  /** Polls GPU state while the view is on screen; stops when hidden so idle windows cost nothing. */
  setVisible(visible: boolean): void {
    if (visible && !this.poller) {
      this.poller = setInterval(() => {
        for (const h of this.hosts) if (!(this.probes.get(h.id) instanceof Error)) void this.probe(h);
      }, POLL_MS);
    } else if (!visible && this.poller) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  refresh(hostId?: string): Promise<void> {
    const targets = this.hosts.filter((h) => !hostId || h.id === hostId);
    for (const h of targets) this.probes.delete(h.id);
    if (!hostId) this.clusters = undefined;
    this.changed.fire(undefined);
    return Promise.all(targets.map((h) => this.probe(h))).then(() => undefined);
  }

  /** Redraw without probing again (e.g. a tunnel opened or closed). */
  redraw(): void {
    this.changed.fire(undefined);
  }

  probeResult(hostId: string): HostProbe | Error | undefined {
    return this.probes.get(hostId);
  }

  private probe(host: HostEntry): Promise<void> {
    let p = this.inFlight.get(host.id);
    if (!p) {
      p = (host.kind === 'local' ? probeLocalHost() : this.remote.probe(host))
        .then((r) => void this.probes.set(host.id, r), (e: Error) => void this.probes.set(host.id, e))
        .finally(() => {
          this.inFlight.delete(host.id);
          this.changed.fire(undefined);
        });
      this.inFlight.set(host.id, p);
    }
    return p;
  }

  private listClusters(): void {
    if (this.clusters) return;
    this.clusters = listKubeClusters(localRunner()).catch(() => []);
    void this.clusters.then((c) => {
      this.clusterList = c;
      this.changed.fire(undefined);
    });
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'cluster') {
      const item = new vscode.TreeItem(n.cluster.context, n.cluster.nodes?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('server-environment');
      item.contextValue = 'cluster';
      item.id = `cluster:${n.cluster.context}`;
      item.description = describeCluster(n.cluster);
      item.tooltip = `Kubernetes context ${n.cluster.context} (runtime kubernetes, context: ${n.cluster.context})${n.cluster.error ? `\n${n.cluster.error}` : ''}`;
      return item;
    }
    if (n.kind === 'host') {
      const item = new vscode.TreeItem(n.host.label, vscode.TreeItemCollapsibleState.Expanded);
      const probe = this.probes.get(n.host.id);
      item.iconPath = new vscode.ThemeIcon(n.host.kind === 'local' ? 'vm' : 'remote');
      item.contextValue = `host.${n.host.kind}`;
      item.id = `host:${n.host.id}`;
      item.tooltip = n.host.kind === 'ssh' ? `${n.host.sshConfigHost ? `ssh config: ${n.host.sshConfigHost}` : `${n.host.user ?? ''}@${n.host.hostName ?? ''}:${n.host.port ?? 22}`}` : 'This machine (no SSH)';
      if (probe && !(probe instanceof Error) && probe.gpus.length) item.tooltip = `${String(item.tooltip)}\n\n${probe.gpus.map(gpuTooltip).join('\n')}`;
      if (!probe) item.description = 'probing…';
      else if (probe instanceof Error) item.description = 'unreachable';
      else item.description = probe.gpus.length ? summarizeGpus(probe.gpus) : `${NO_GPU_WORDS[probe.gpuState ?? 'no-devices']}${n.host.kind === 'local' ? ' (simulator available)' : ''}`;
      return item;
    }
    if (n.kind === 'gpu') {
      const item = new vscode.TreeItem(n.text, vscode.TreeItemCollapsibleState.None);
      item.description = n.detail;
      // The row is cut at the default sidebar width (~300 px); the tooltip carries the whole inventory line.
      item.tooltip = n.tooltip;
      item.iconPath = new vscode.ThemeIcon('circuit-board');
      item.id = `gpu:${n.host.id}:${n.text}`;
      return item;
    }
    const item = new vscode.TreeItem(n.text, vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon(n.icon);
    item.tooltip = n.tooltip ?? n.text;
    if (n.retry) {
      item.contextValue = 'host.error';
      item.description = 'click to retry';
      item.command = { command: 'deepseek.refreshHosts', title: 'Retry', arguments: [n.host.id] };
    }
    return item;
  }

  getChildren(n?: Node): Node[] {
    if (!n) {
      const hosts = this.hosts;
      for (const h of hosts) if (!this.probes.has(h.id)) void this.probe(h);
      this.listClusters();
      return [...hosts.map((host): Node => ({ kind: 'host', host })), ...this.clusterList.map((cluster): Node => ({ kind: 'cluster', cluster }))];
    }
    if (n.kind === 'cluster') {
      return (n.cluster.nodes ?? []).map((k): Node => ({ kind: 'info', host: LOCAL_HOST, icon: 'circuit-board', text: `${k.name}: ${k.allocatableGpus} GPU${k.allocatableGpus === 1 ? '' : 's'} allocatable${k.gpuProduct ? ` × ${k.gpuProduct}` : ''}${k.ready ? '' : ' (not ready)'}` }));
    }
    if (n.kind !== 'host') return [];
    const probe = this.probes.get(n.host.id);
    if (!probe) return [];
    if (probe instanceof Error) return [{ kind: 'info', host: n.host, text: probe.message, icon: 'error', retry: true }];
    const out: Node[] = probe.gpus.map((g) => ({ kind: 'gpu', host: n.host, text: `${g.index}: ${shortGpuName(g.name)}`, detail: describeGpu(g), tooltip: gpuTooltip(g) }));
    if (probe.gpuError) out.push({ kind: 'info', host: n.host, text: probe.gpuError, icon: 'info' });
    for (const w of probe.gpus.length ? probe.gpuWarnings ?? [] : []) out.push({ kind: 'info', host: n.host, text: `nvidia-smi: ${w}`, icon: 'warning' });
    out.push({ kind: 'info', host: n.host, text: probe.os, icon: 'terminal' });
    out.push({ kind: 'info', host: n.host, text: probe.docker ? `docker ${probe.docker}${probe.compose ? ` · compose ${probe.compose}` : ''}` : 'docker: not found', icon: 'package' });
    if (probe.slurm) out.push({ kind: 'info', host: n.host, text: probe.slurm, icon: 'server-process' });
    if (probe.hfCacheFreeGiB !== undefined) out.push({ kind: 'info', host: n.host, text: `HF cache: ${probe.hfCacheFreeGiB} GiB free`, icon: 'database', tooltip: `${probe.hfCachePath ?? ''}${probe.hfCacheExists === false ? ' (not created yet)' : ''}` });
    for (const t of n.host.kind === 'ssh' ? this.remote.tunnelsFor(n.host) : []) out.push({ kind: 'info', host: n.host, text: `tunnel ${t}`, icon: 'plug' });
    return out;
  }

  dispose(): void {
    this.setVisible(false);
    for (const d of this.subs) d.dispose();
    this.changed.dispose();
  }
}
