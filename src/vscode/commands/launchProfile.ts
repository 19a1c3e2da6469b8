import * as vscode from 'vscode';
import type { EndpointStore } from '../../core/endpoints/endpointStore';
import type { HostEntry, HostProbe } from '../../core/hosts/hostModel';
import type { Profile } from '../../core/profiles/profileSchema';
import type { SshTarget } from '../../core/ssh/sshTarget';
import { parseUserHost } from '../../core/ssh/sshTarget';
import { loadLaunchModule } from '../lazyModules';
import type { LaunchedServers } from '../launchedServers';
import type { RemoteAccess } from '../remote/remoteAccess';
import type { HostsTreeProvider } from '../views/hostsTreeProvider';
import { redactText } from '../../core/security/redact';
import { apiKeySecret } from '../chat/customEndpoints';

/** Arguments for running without prompts (automation and tests). */
export interface LaunchProfileArgs {
  readonly profilePath?: string;
  readonly preset?: string;
  /** Overrides the profile's host: a Hosts-view id ("local", "ssh:alias", …). */
  readonly hostId?: string;
  /** Launch even if the planner says it cannot fit. */
  readonly allowMisfit?: boolean;
  readonly timeoutMs?: number;
  /** Ask and show the script as for a user (when another command hands over a chosen profile). */
  readonly interactive?: boolean;
}

export const HF_TOKEN_SECRET = 'deepseek.hfToken';

/** Finds the Hosts-view entry a profile's `host` names: "local", an imported alias, a label, or user@host[:port]. */
function resolveHost(hosts: HostsTreeProvider, name: string): HostEntry | undefined {
  const all = hosts.hosts;
  return all.find((h) => h.id === name || h.label === name || h.sshConfigHost === name || (name === 'local' && h.kind === 'local'))
    ?? (() => {
      try {
        const u = parseUserHost(name, '');
        return all.find((h) => h.hostName === u.host && (h.port ?? 22) === u.port && (!u.user || h.user === u.user));
      } catch {
        return undefined;
      }
    })();
}

export function launchProfileCommand(hosts: HostsTreeProvider, remote: RemoteAccess, servers: LaunchedServers, endpoints: EndpointStore, secrets: vscode.SecretStorage, extensionUri: vscode.Uri) {
  return async (args?: LaunchProfileArgs): Promise<string | undefined> => {
    const interactive = args === undefined || args.interactive === true;
    const api = loadLaunchModule();
    // 1. The profile: a *.deepseek.yaml in the workspace or a built-in preset.
    let profile: Profile;
    try {
      if (args?.preset) profile = api.loadProfile({ preset: args.preset });
      else {
        let file = args?.profilePath;
        if (!file) {
          const files = await vscode.workspace.findFiles('**/*.deepseek.yaml', '**/node_modules/**', 50);
          const picked = await vscode.window.showQuickPick([
            ...files.map((f) => ({ label: vscode.workspace.asRelativePath(f), description: 'profile', path: f.fsPath, preset: undefined as string | undefined })),
            ...api.listPresets().map((p) => ({ label: p.title, description: `preset · seed ${p.seed} · ${p.gpus}`, path: undefined as string | undefined, preset: p.id })),
          ], { title: 'Launch from Profile', placeHolder: 'A *.deepseek.yaml profile, or a preset reproducing a known deployment' });
          if (!picked) return undefined;
          if (picked.preset) profile = api.loadProfile({ preset: picked.preset });
          else file = picked.path;
        }
        if (file) {
          const text = Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(file))).toString('utf8');
          profile = api.loadProfile({ yaml: text, file });
        }
      }
    } catch (e) {
      // Bad profiles name the field and line; the message is the useful part.
      void vscode.window.showErrorMessage(`DeepSeek: ${(e as Error).message}`, { modal: interactive });
      if (!interactive) throw e;
      return undefined;
    }
    profile = profile!;
    // 2. The host: the profile's, or the one given.
    const host = args?.hostId ? hosts.hosts.find((h) => h.id === args.hostId) : resolveHost(hosts, profile.host);
    if (!host) {
      const msg = `DeepSeek: the profile's host "${profile.host}" is not in the Hosts view. Add it (DeepSeek: Add Host / Import Hosts from SSH Config) first.`;
      void vscode.window.showErrorMessage(msg);
      if (!interactive) throw new Error(msg);
      return undefined;
    }
    let target: SshTarget | undefined;
    let probe: HostProbe | undefined;
    try {
      target = host.kind === 'ssh' ? remote.target(host) : undefined;
      const known = hosts.probeResult(host.id);
      probe = known instanceof Error || !known ? (host.kind === 'ssh' ? await remote.probe(host) : undefined) : known;
    } catch (e) {
      void vscode.window.showErrorMessage(`DeepSeek: cannot reach ${host.label}: ${(e as Error).message}`);
      if (!interactive) throw e;
      return undefined;
    }
    const token = await secrets.get(HF_TOKEN_SECRET);
    // The simulator engine: here, our own CLI under VS Code's Node; on an SSH host, our files installed by the launch.
    const cliPath = vscode.Uri.joinPath(extensionUri, 'dist', 'cli.js').fsPath;
    const simulator = profile.engine.kind !== 'simulator' ? {}
      : target
        ? { simulatorFiles: await Promise.all(['cli.js', 'simulator.js'].map(async (name) => ({ name, content: Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'dist', name))).toString('utf8') }))) }
        : { simulatorCommand: ['env', 'ELECTRON_RUN_AS_NODE=1', process.execPath, cliPath] };
    const startupSpeed = vscode.workspace.getConfiguration('deepseek.simulator').get<number>('startupSpeed', 30);
    // The server's API key: the SecretStorage entry knobs.apiKeySecret names, or a random one where the port is
    // reachable from other machines (SLURM, a wider knobs.host). Stored under the endpoint id for chat and benchmarks.
    let apiKey: string | undefined;
    if (profile.knobs.apiKeySecret) {
      apiKey = await secrets.get(profile.knobs.apiKeySecret);
      if (!apiKey) {
        const msg = `DeepSeek: knobs.apiKeySecret names "${profile.knobs.apiKeySecret}", which is not in secret storage. Store it first (DeepSeek: Set Secret) or remove the knob.`;
        void vscode.window.showErrorMessage(msg);
        if (!interactive) throw new Error(msg);
        return undefined;
      }
    } else apiKey = api.generatedServerKey(profile);
    const prepared = api.prepareLaunch(profile, probe, { hfToken: token, apiKey, simulatorOptions: ['--startup-speed', String(startupSpeed)], ...simulator });
    // 3. Show what will run; refuse a certain misfit unless the user overrides it.
    if (prepared.fit?.refuse && !args?.allowMisfit) {
      if (!interactive) throw new Error(`refused by the memory planner: ${prepared.fit.summary}`);
      const go = await vscode.window.showWarningMessage(`${profile.name} will not fit`, { modal: true, detail: prepared.fit.summary }, 'Launch Anyway');
      if (go !== 'Launch Anyway') return undefined;
    }
    if (interactive) {
      const choice = await vscode.window.showInformationMessage(`Launch ${profile.name} on ${host.label}?`, { modal: true, detail: `${prepared.fit ? `Memory: ${prepared.fit.summary}\n\n` : ''}${prepared.script}` }, 'Launch', 'Open Script', 'Copy Script');
      if (choice === 'Copy Script') await vscode.env.clipboard.writeText(prepared.script);
      if (choice === 'Open Script') await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: prepared.script, language: 'shellscript' }));
      if (choice !== 'Launch') return undefined;
    }
    // 4. Run it: output channel for the log, a notification for progress, an endpoint when ready.
    const id = `deploy:${host.id}:${profile.name}`;
    const out = vscode.window.createOutputChannel(`DeepSeek: ${profile.name} @ ${host.label}`);
    out.appendLine(prepared.script);
    const redact = (l: string): string => redactText(l, [token, apiKey]);
    const endpointKeyId = `deploy:${host.id}:${profile.name}`;
    if (apiKey) await secrets.store(apiKeySecret(endpointKeyId), apiKey);
    else await secrets.delete(apiKeySecret(endpointKeyId));
    endpoints.upsert({ id, label: `${profile.model.id.split('/').pop() ?? profile.model.id} @ ${host.label}`, baseUrl: '', model: profile.model.servedModelName ?? profile.model.id, engine: prepared.plan.flavor, simulated: profile.engine.kind === 'simulator', launched: true, status: 'starting', detail: profile.runtime.kind });
    let tunnelId: string | undefined;
    let report: (message: string, percent?: number) => void = () => undefined;
    const runner = api.runnerFor(target ? { pool: remote.hosts.pool, target } : undefined);
    servers.engines.set(id, { runner, container: profile.runtime.kind === 'docker' ? (profile.runtime.containerName ?? `dsd-${profile.name}`) : undefined, flavor: prepared.plan.flavor, port: prepared.plan.port, model: profile.model.servedModelName ?? profile.model.id, runtime: profile.runtime.kind });
    const dep = api.createDeployment(prepared.plan, runner, {
      onLog: (l) => out.appendLine(redact(l)),
      onState: (s) => report(s === 'listening' ? 'listening, warming up' : s === 'verifying' ? 'checking /v1/models and a 1-token request' : s, undefined),
      onEvent: (ev) => {
        if (ev.kind === 'progress') report(ev.phase === 'weights' ? `loading weights ${ev.done}/${ev.total}${ev.eta ? ` · eta ${ev.eta}` : ''}` : 'capturing CUDA graphs', ev.percent);
      },
    });
    const closeTunnel = (): void => {
      if (tunnelId) remote.hosts.tunnels.close(tunnelId);
      tunnelId = undefined;
      hosts.redraw();
    };
    servers.track(id, { stop: async () => { await dep.stop(); closeTunnel(); }, detach: closeTunnel });
    try {
      const url = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${profile.name} on ${host.label}`, cancellable: true }, (progress, cancel) => {
        const ac = new AbortController();
        cancel.onCancellationRequested(() => ac.abort());
        let last = 0;
        report = (message, percent) => {
          const increment = percent !== undefined && percent >= last ? percent - last : 0;
          if (percent !== undefined) last = percent;
          progress.report({ message: percent !== undefined ? `${message} (${percent}%)` : message, increment });
        };
        return dep.start({
          apiKey,
          signal: ac.signal,
          timeoutMs: args?.timeoutMs,
          reach: async (port, addr) => {
            if (!target) return `http://${addr}:${port}`;
            const t = await remote.hosts.tunnels.openTunnel(target, addr, port);
            tunnelId = t.id;
            hosts.redraw();
            return `http://127.0.0.1:${t.localPort}`;
          },
        });
      });
      endpoints.upsert({ ...endpoints.get(id)!, baseUrl: url, status: 'ready', detail: `${profile.runtime.kind} on ${host.label}` });
      void vscode.window.showInformationMessage(`DeepSeek: ${profile.name} is ready at ${url}${profile.engine.kind === 'simulator' ? ' (simulated)' : ''}.`);
      return id;
    } catch (e) {
      const d = e as Error & { remedy?: string; suggestedMaxModelLen?: number };
      const msg = redact(`${d.message}${d.remedy ? ` — ${d.remedy}` : ''}${d.suggestedMaxModelLen ? ` (suggested knobs.maxModelLen: ${d.suggestedMaxModelLen})` : ''}`);
      endpoints.update(id, { status: 'failed', detail: msg });
      closeTunnel();
      out.appendLine(`FAILED: ${msg}`);
      void vscode.window.showErrorMessage(`DeepSeek: ${profile.name} failed: ${msg}`, 'Show Log').then((c) => c && out.show());
      if (!interactive) throw e;
      return undefined;
    }
  };
}
