import * as vscode from 'vscode';
import type { HostsTreeProvider } from '../hosts/hostsTreeProvider';
import { newProfileWizard } from './newProfileWizard';
import { freePort } from '../../core/util/freePort';
import { loadLaunchModule } from '../lazyModules';
import { launchWithUi, windowBound } from './launchFlow';
import type { LaunchContext } from './launchProfile';

/** Arguments for running the command without prompts (automation and tests). */
export interface LaunchServerArgs {
  readonly hostId?: string;
  readonly flavor?: 'vllm' | 'sglang';
  readonly model?: string;
  readonly port?: number;
}

interface Pick<T> extends vscode.QuickPickItem { value: T }

async function pick<T>(title: string, step: number, items: Pick<T>[]): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { title: `Launch Server (${step}/3): ${title}`, ignoreFocusOut: true });
  return chosen?.value;
}

/**
 * "DeepSeek: Launch Server": the quick simulator (a built-in profile: engine simulator, runtime process, host local,
 * through the one launch pipeline), or the wizard / a profile (Launch from Profile).
 */
export function launchServerCommand(hosts: HostsTreeProvider, ctx: LaunchContext) {
  return async (args?: LaunchServerArgs): Promise<string | undefined> => {
    const interactive = args === undefined;
    if (interactive) {
      const how = await vscode.window.showQuickPick([
        { label: '$(beaker) Simulator on This machine', description: 'no GPU: a DeepSeek-R1 that behaves like vLLM/SGLang, in seconds', value: 'quick' },
        { label: '$(add) New deployment…', description: 'host → engine → model → parallelism → runtime → knobs, saved as a profile', value: 'new' },
        { label: '$(file-code) From profile or preset…', description: '*.deepseek.yaml in the workspace, or a seed recipe', value: 'profile' },
      ], { title: 'DeepSeek: Launch Server', ignoreFocusOut: true });
      if (!how) return undefined;
      if (how.value === 'profile') return vscode.commands.executeCommand<string | undefined>('deepseek.launchProfile');
      if (how.value === 'new') {
        const uri = await newProfileWizard(hosts);
        return uri ? vscode.commands.executeCommand<string | undefined>('deepseek.launchProfile', { profilePath: uri.fsPath, interactive: true }) : undefined;
      }
    }
    const hostId = args?.hostId ?? (await pick('host', 1, hosts.hosts.map((h) => ({ label: h.label, description: h.kind === 'local' ? 'no SSH' : h.hostName, value: h.id }))));
    if (!hostId) return undefined;
    const flavor = args?.flavor ?? (await pick('engine', 2, [
      { label: 'Simulator (no GPU) · vLLM dialect', description: 'vllm serve … --reasoning-parser deepseek_r1', value: 'vllm' as const },
      { label: 'Simulator (no GPU) · SGLang dialect', description: 'python3 -m sglang.launch_server …', value: 'sglang' as const },
    ]));
    if (!flavor) return undefined;
    const model = args?.model ?? (await pick('model', 3, [
      { label: 'DeepSeek-R1', description: 'deepseek-ai/DeepSeek-R1 · FP8', value: 'deepseek-ai/DeepSeek-R1' },
      { label: 'DeepSeek-R1-0528', description: 'deepseek-ai/DeepSeek-R1-0528 · FP8', value: 'deepseek-ai/DeepSeek-R1-0528' },
      { label: 'DeepSeek-V3', description: 'deepseek-ai/DeepSeek-V3 · FP8 (no reasoning)', value: 'deepseek-ai/DeepSeek-V3' },
    ]));
    if (!model) return undefined;
    const cfg = vscode.workspace.getConfiguration('deepseek.simulator');
    // A free port now, so the command shown is the one that runs (byte for byte).
    const port = args?.port ?? (await freePort());
    const api = loadLaunchModule();
    const profile = api.quickSimulatorProfile({ flavor, model, port });
    const local = hostId === 'local';
    const simulatorOptions = ['--startup-speed', String(cfg.get<number>('startupSpeed', 30)), '--speed', String(cfg.get<number>('decodeSpeed', 1)), ...windowBound(local)];
    // Scripted answers (deepseek.simulator.repliesFile; the demo sets its own set with reasoning, a table and code).
    const replies = cfg.get<string>('repliesFile');
    if (replies) simulatorOptions.push('--replies', replies);
    const label = api.quickSimulatorLabel(profile) ?? model;
    return launchWithUi({ profile, host: local ? 'local' : ctx.hostSpec(hostId), simulatorOptions }, {
      interactive, hostLabel: hosts.hosts.find((h) => h.id === hostId)?.label ?? hostId, endpointLabel: label, showScript: false,
      stopWithWindow: local, note: '(simulated 8×H200, no GPU used)',
    }, ctx);
  };
}
