import * as vscode from 'vscode';
import { LOCAL_HOST, type HostEntry, type HostProbe } from '../../core/hosts/hostModel';
import { probeLocalHost } from '../../core/hosts/localProbe';
import { describeGpu, shortGpuName, summarizeGpus } from '../../core/hosts/nvidiaSmi';

type Node =
  | { kind: 'host'; host: HostEntry }
  | { kind: 'gpu'; host: HostEntry; text: string; detail: string }
  | { kind: 'info'; host: HostEntry; text: string; icon: string; tooltip?: string };

/** Hosts view: "This machine" now; SSH hosts join it with the SSH issue. */
export class HostsTreeProvider implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly probes = new Map<string, HostProbe | Error>();
  private readonly inFlight = new Map<string, Promise<void>>();
  readonly hosts: HostEntry[] = [LOCAL_HOST];

  refresh(): Promise<void> {
    this.probes.clear();
    this.changed.fire(undefined);
    return Promise.all(this.hosts.map((h) => this.probe(h))).then(() => undefined);
  }

  probeResult(hostId: string): HostProbe | Error | undefined {
    return this.probes.get(hostId);
  }

  private probe(host: HostEntry): Promise<void> {
    let p = this.inFlight.get(host.id);
    if (!p) {
      p = probeLocalHost()
        .then((r) => void this.probes.set(host.id, r), (e: Error) => void this.probes.set(host.id, e))
        .finally(() => {
          this.inFlight.delete(host.id);
          this.changed.fire(undefined);
        });
      this.inFlight.set(host.id, p);
    }
    return p;
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'host') {
      const item = new vscode.TreeItem(n.host.label, vscode.TreeItemCollapsibleState.Expanded);
      const probe = this.probes.get(n.host.id);
      item.iconPath = new vscode.ThemeIcon(n.host.kind === 'local' ? 'vm' : 'remote');
      item.contextValue = `host.${n.host.kind}`;
      item.id = `host:${n.host.id}`;
      if (!probe) item.description = 'probing…';
      else if (probe instanceof Error) item.description = `error: ${probe.message}`;
      else item.description = probe.gpus.length ? summarizeGpus(probe.gpus) : 'no GPUs (simulator available)';
      return item;
    }
    if (n.kind === 'gpu') {
      const item = new vscode.TreeItem(n.text, vscode.TreeItemCollapsibleState.None);
      item.description = n.detail;
      item.iconPath = new vscode.ThemeIcon('circuit-board');
      return item;
    }
    const item = new vscode.TreeItem(n.text, vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon(n.icon);
    item.tooltip = n.tooltip;
    return item;
  }

  getChildren(n?: Node): Node[] {
    if (!n) {
      for (const h of this.hosts) if (!this.probes.has(h.id)) void this.probe(h);
      return this.hosts.map((host) => ({ kind: 'host', host }));
    }
    if (n.kind !== 'host') return [];
    const probe = this.probes.get(n.host.id);
    if (!probe) return [];
    if (probe instanceof Error) return [{ kind: 'info', host: n.host, text: probe.message, icon: 'error' }];
    const out: Node[] = probe.gpus.map((g) => ({ kind: 'gpu', host: n.host, text: `GPU ${g.index}: ${shortGpuName(g.name)}`, detail: describeGpu(g) }));
    if (probe.gpuError) out.push({ kind: 'info', host: n.host, text: probe.gpuError, icon: 'info' });
    out.push({ kind: 'info', host: n.host, text: probe.os, icon: 'terminal' });
    out.push({ kind: 'info', host: n.host, text: probe.docker ?? 'docker: not found', icon: 'package' });
    return out;
  }
}
