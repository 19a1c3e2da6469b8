import * as vscode from 'vscode';
import type { EndpointStore } from '../../core/endpoints/endpointStore';
import type { Profile } from '../../core/profiles/profileSchema';
import type { PipelineDeps } from '../../core/launch/launchPipeline';
import { loadLaunchModule } from '../lazyModules';
import type { HostsTreeProvider } from '../hosts/hostsTreeProvider';
import type { ManagedServers } from './managedServers';
import { launchWithUi, windowBound } from './launchFlow';

/** Arguments for running without prompts (automation and tests). */
export interface LaunchProfileArgs {
  readonly profilePath?: string;
  readonly preset?: string;
  /** Overrides the profile's host: a Hosts-view id ("local", "ssh:alias", …). */
  readonly hostId?: string;
  /** Launch despite overridable pre-flight problems (a misfit, busy GPUs, disk space). */
  readonly force?: boolean;
  readonly timeoutMs?: number;
  /** Ask and show the script as for a user (when another command hands over a chosen profile). */
  readonly interactive?: boolean;
}

export const HF_TOKEN_SECRET = 'deepseek.hfToken';

/** What every launch command shares: the pipeline's dependencies, the managed servers, the endpoints. */
export interface LaunchContext {
  readonly managed: ManagedServers;
  readonly endpoints: EndpointStore;
  readonly deps: PipelineDeps;
  /** Where server API keys (knobs.apiKeySecret) are read and a launched endpoint's key is kept for chat and benchmarks. */
  readonly secrets: vscode.SecretStorage;
  /** A Hosts-view id ("local", "ssh:alias", "ssh:user@host:port") as the host spec resolveTarget takes. */
  hostSpec(hostId: string): string;
  /** The Hosts-view label of a host spec ("This machine", the alias, user@host). */
  hostLabel(spec: string): string;
}

/** "Launch from Profile": a *.deepseek.yaml or a preset, through the one launch pipeline. */
export function launchProfileCommand(hosts: HostsTreeProvider, ctx: LaunchContext, secrets: vscode.SecretStorage) {
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
    // The host: the profile's (resolved by resolveTarget, as the CLI does), or the Hosts-view entry given.
    const hostSpec = args?.hostId ? ctx.hostSpec(args.hostId) : profile.host;
    const hostLabel = ctx.hostLabel(hostSpec);
    const known = hosts.hosts.find((h) => ctx.hostSpec(h.id) === hostSpec);
    const probe = known ? hosts.probeResult(known.id) : undefined;
    const startupSpeed = vscode.workspace.getConfiguration('deepseek.simulator').get<number>('startupSpeed', 30);
    const stopWithWindow = profile.engine.kind === 'simulator' && hostSpec === 'local';
    return launchWithUi({
      profile,
      host: hostSpec,
      hfToken: await secrets.get(HF_TOKEN_SECRET),
      simulatorOptions: ['--startup-speed', String(startupSpeed), ...windowBound(stopWithWindow)],
      probe: probe instanceof Error ? undefined : probe,
    }, {
      interactive, hostLabel, endpointLabel: `${profile.model.id.split('/').pop() ?? profile.model.id} @ ${hostLabel}`, showScript: true,
      force: args?.force, timeoutMs: args?.timeoutMs, stopWithWindow,
    }, ctx);
  };
}
