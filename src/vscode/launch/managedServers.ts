import * as vscode from 'vscode';
import type { EndpointStore } from '../../core/endpoints/endpointStore';
import type { LaunchHandle, PipelineDeps } from '../../core/launch/launchPipeline';
import type { ServerRecord } from '../../core/launch/serverRecords';
import type { ManagedServer } from '../../core/launch/discovery';
import type { CommandRunner } from '../../core/launch/deployment';
import { flavorOf } from '../../core/engines/engineArgv';
import { loadLaunchModule } from '../lazyModules';

export interface EngineSite {
  readonly runner: CommandRunner;
  /** docker runtime: the engine's container (tools run inside it with docker exec). */
  readonly container?: string;
  readonly flavor: 'vllm' | 'sglang';
  readonly port: number;
  readonly model: string;
  readonly runtime: string;
}

/** What the Endpoints view and the commands know about one server we started (or found running). */
interface Entry {
  handle?: LaunchHandle;
  record?: ServerRecord;
  out: vscode.OutputChannel;
  /** Launched from this window and local simulator: stopped with the window unless the setting keeps it. */
  stopWithWindow: boolean;
}

const shortModel = (id: string): string => id.split('/').pop() ?? id;

/**
 * The servers of the Endpoints view that the product manages: handles from the one launch pipeline (launched here, or
 * re-attached after activation), their log channels, and their lifecycle (stop, restart, remove). Closing the window
 * stops the local simulators it launched (unless deepseek.servers.keepLocalSimulators) and detaches everything else,
 * which keeps running and is found again next time.
 */
export class ManagedServers implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly store: EndpointStore, private readonly deps: () => PipelineDeps, private readonly hostLabel: (spec: string) => string) {}

  output(id: string, title: string): vscode.OutputChannel {
    const e = this.entries.get(id);
    if (e) return e.out;
    const out = vscode.window.createOutputChannel(`DeepSeek: ${title}`);
    this.entries.set(id, { out, stopWithWindow: false });
    return out;
  }

  /** A launch finished: track its handle and show it ready. */
  adopt(handle: LaunchHandle, label: string, stopWithWindow: boolean): void {
    const e = this.entries.get(handle.id) ?? { out: vscode.window.createOutputChannel(`DeepSeek: ${label}`), stopWithWindow };
    e.handle = handle;
    e.record = handle.record;
    e.stopWithWindow = stopWithWindow;
    this.entries.set(handle.id, e);
  }

  /**
   * Where a running server's engine is, so its own benchmark tools run next to it (in its container, or on its host),
   * over the runner that launched it; undefined once it stopped.
   */
  engineSite(id: string): EngineSite | undefined {
    const h = this.entries.get(id)?.handle;
    if (!h) return undefined;
    const p = h.record.profile;
    return { runner: h.host.runner, container: p.runtime.kind === 'docker' ? (p.runtime.containerName ?? `dsd-${p.name}`) : undefined, flavor: flavorOf(p), port: h.plan.port, model: p.model.servedModelName ?? p.model.id, runtime: p.runtime.kind };
  }

  handle(id: string): LaunchHandle | undefined {
    return this.entries.get(id)?.handle;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  showLog(id: string): boolean {
    const e = this.entries.get(id);
    e?.out.show(true);
    return !!e;
  }

  async stop(id: string): Promise<boolean> {
    const e = this.entries.get(id);
    const record = e?.handle?.record ?? e?.record;
    if (!e || !record) return false;
    const h = e.handle ?? loadLaunchModule().recordHandle(record, this.deps());
    await h.stop();
    e.handle = undefined;
    this.store.update(id, { status: 'stopped', detail: 'stopped by user' });
    return true;
  }

  /** Stopped or failed rows leave the view; running ones are stopped first. */
  async remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (e?.handle) await this.stop(id);
    e?.out.dispose();
    this.entries.delete(id);
    this.store.remove(id);
  }

  /** Records a failed or stopped launch's profile so Restart can run it again. */
  remember(id: string, record: ServerRecord): void {
    const e = this.entries.get(id);
    if (e) e.record = record;
  }

  record(id: string): ServerRecord | undefined {
    const e = this.entries.get(id);
    return e?.handle?.record ?? e?.record;
  }

  /**
   * After activation (never during it): contacts every host where a server was recorded, without prompting (a host
   * whose key or password would need asking is reported, not asked), and shows each managed server found running
   * as an endpoint again ("found running"), re-attached (a tunnel for SSH hosts).
   */
  async rediscover(): Promise<ManagedServer[]> {
    const api = loadLaunchModule();
    const deps = this.deps();
    const hosts = deps.records.hosts();
    if (!hosts.length) return [];
    const found = await api.listManagedServers(hosts, deps);
    for (const s of found) {
      if (this.entries.get(s.id)?.handle) continue;
      const record = deps.records.get(s.id);
      if (!record || s.state === 'exited') continue;
      const label = api.quickSimulatorLabel(record.profile) ?? `${shortModel(record.profile.model.id)} @ ${this.hostLabel(record.host)}`;
      const base = { id: s.id, label, baseUrl: '', model: record.profile.model.servedModelName ?? record.profile.model.id, engine: flavorOf(record.profile), simulated: record.profile.engine.kind === 'simulator', launched: true, profile: record.profile.name } as const;
      if (s.state !== 'running') {
        this.store.upsert({ ...base, status: 'failed', detail: `${s.state}${s.detail ? `: ${s.detail}` : ''}` });
        this.entries.set(s.id, { out: this.output(s.id, label), record, stopWithWindow: false });
        continue;
      }
      try {
        const h = await api.attachServer(record, deps);
        this.adopt(h, label, false);
        this.store.upsert({ ...base, baseUrl: h.url, status: 'ready', detail: `found running · ${record.profile.runtime.kind} on ${this.hostLabel(record.host)}` });
      } catch (e) {
        this.store.upsert({ ...base, status: 'failed', detail: `found running, not reachable: ${(e as Error).message}` });
        this.entries.set(s.id, { out: this.output(s.id, label), record, stopWithWindow: false });
      }
    }
    return found;
  }

  dispose(): void {
    const keep = vscode.workspace.getConfiguration('deepseek.servers').get<boolean>('keepLocalSimulators', false);
    for (const e of this.entries.values()) {
      if (e.handle && e.stopWithWindow && !keep && e.handle.stopNowIfLocal()) continue;
      e.handle?.detach();
      e.out.dispose();
    }
    this.entries.clear();
  }
}
