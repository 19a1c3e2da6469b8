import * as vscode from 'vscode';
import * as net from 'node:net';
import type { EndpointStore } from '../core/endpoints/endpointStore';
import { LocalServerProcess } from '../core/runtimes/localProcess';
import type { CommandRunner } from '../core/launch/deployment';

export interface SimulatorLaunch {
  readonly flavor: 'vllm' | 'sglang';
  readonly model: string;
  readonly port?: number;
  readonly startupSpeed: number;
  readonly decodeSpeed: number;
  /** Scripted answers (the simulator's `--replies FILE`, from deepseek.simulator.repliesFile): the demo's set. */
  readonly repliesFile?: string;
}

export interface EngineSite {
  readonly runner: CommandRunner;
  /** docker runtime: the engine's container (tools run inside it with docker exec). */
  readonly container?: string;
  readonly flavor: 'vllm' | 'sglang';
  readonly port: number;
  readonly model: string;
  readonly runtime: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The engine command line a user would run on a GPU host; the simulator accepts it verbatim. */
export function engineCommand(l: SimulatorLaunch, port: number): string[] {
  return l.flavor === 'vllm'
    ? ['vllm', 'serve', l.model, '--host', '127.0.0.1', '--port', String(port), '--tensor-parallel-size', '8', '--reasoning-parser', 'deepseek_r1', '--trust-remote-code']
    : ['python3', '-m', 'sglang.launch_server', '--model-path', l.model, '--host', '127.0.0.1', '--port', String(port), '--tp', '8', '--reasoning-parser', 'deepseek-r1', '--trust-remote-code', '--enable-metrics'];
}

/** Servers started on "This machine" by this window; stopped on deactivate so nothing is left running. */
export class LaunchedServers implements vscode.Disposable {
  private readonly procs = new Map<string, LocalServerProcess>();
  /** Deployments launched from profiles (any host); they outlive the window: only their tunnels close with it. */
  private readonly deployments = new Map<string, { stop(): Promise<void>; detach(): void }>();

  track(id: string, handle: { stop(): Promise<void>; detach(): void }): void {
    this.deployments.set(id, handle);
  }

  /** Where an engine launched from a profile runs, so its own benchmark tools can run next to it. */
  readonly engines = new Map<string, EngineSite>();

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: EndpointStore) {}

  simulatorArgv(l: SimulatorLaunch, port: number): string[] {
    const cli = vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath;
    return [process.execPath, cli, 'simulate', '--startup-speed', String(l.startupSpeed), '--speed', String(l.decodeSpeed), ...(l.repliesFile ? ['--replies', l.repliesFile] : []), '--', ...engineCommand(l, port)];
  }

  /** Starts the simulator and resolves with the endpoint id once /v1/models answers (or rejects with the cause). */
  async launchSimulator(l: SimulatorLaunch, onProgress?: (message: string, percent?: number) => void): Promise<string> {
    const port = l.port ?? (await freePort());
    const id = `local-sim-${port}`;
    const baseUrl = `http://127.0.0.1:${port}`;
    const label = `${l.model.split('/').pop() ?? l.model} (${l.flavor === 'vllm' ? 'vLLM' : 'SGLang'} simulator)`;
    this.store.upsert({ id, label, baseUrl, model: l.model, engine: l.flavor, simulated: true, launched: true, status: 'starting' });
    const out = vscode.window.createOutputChannel(`DeepSeek: ${label} :${port}`);
    out.appendLine(`$ ${engineCommand(l, port).join(' ')}`);
    // ELECTRON_RUN_AS_NODE makes desktop VS Code's binary behave as plain Node; code-server's is Node already.
    const proc = new LocalServerProcess({ argv: this.simulatorArgv(l, port), env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    this.procs.set(id, proc);
    let fatal: string | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      proc.onLine((line, ev) => {
        out.appendLine(line);
        if (ev?.kind === 'progress') onProgress?.(ev.phase === 'weights' ? `loading weights ${ev.done}/${ev.total}` : 'capturing CUDA graphs', ev.percent);
        else if (ev?.kind === 'fatal') fatal = `${ev.message} ${ev.remedy}${ev.suggestedMaxModelLen ? ` (try --max-model-len ${ev.suggestedMaxModelLen})` : ''}`;
        else if (ev?.kind === 'ready') resolve();
      });
      void proc.exited.then((x) => reject(new Error(fatal ?? `the server exited during start-up (code ${String(x.code)}); see the "${out.name}" output`)));
    });
    try {
      await ready;
      // The log line says ready; a real request proves it.
      // Node's built-in fetch keeps undici out of the activation bundle; streaming loads it lazily (lazyModules.ts).
      const res = await fetch(`${baseUrl}/v1/models`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`/v1/models answered HTTP ${res.status}`);
      this.store.update(id, { status: 'ready', detail: `pid ${String(proc.pid)}` });
      void proc.exited.then((x) => this.store.update(id, { status: 'stopped', detail: `exited (code ${String(x.code)}, signal ${String(x.signal)})` }));
      return id;
    } catch (e) {
      this.store.update(id, { status: 'failed', detail: (e as Error).message });
      await proc.stop();
      this.procs.delete(id);
      throw e;
    }
  }

  async stop(id: string): Promise<boolean> {
    const d = this.deployments.get(id);
    if (d) {
      this.deployments.delete(id);
      await d.stop();
      this.store.update(id, { status: 'stopped', detail: 'stopped by user' });
      return true;
    }
    const p = this.procs.get(id);
    if (!p) return false;
    this.procs.delete(id);
    await p.stop();
    this.store.update(id, { status: 'stopped', detail: 'stopped by user' });
    return true;
  }

  dispose(): void {
    for (const d of this.deployments.values()) d.detach();
    for (const id of [...this.procs.keys()]) void this.stop(id);
  }
}
