import * as vscode from 'vscode';
import type { HostsTreeProvider } from '../views/hostsTreeProvider';
import { engineCommand, type LaunchedServers, type SimulatorLaunch } from '../launchedServers';
import { newProfileWizard } from './newProfileWizard';

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

export function launchServerCommand(hosts: HostsTreeProvider, servers: LaunchedServers) {
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
    const launch: SimulatorLaunch = { flavor, model, port: args?.port, startupSpeed: cfg.get<number>('startupSpeed', 30), decodeSpeed: cfg.get<number>('decodeSpeed', 1), repliesFile: cfg.get<string>('repliesFile') || undefined };
    if (interactive) {
      // Show exactly what will run before anything starts.
      const shown = engineCommand(launch, launch.port ?? 8000).join(' ');
      const choice = await vscode.window.showInformationMessage(`Launch on This machine (simulated 8×H200, no GPU used)?\n\n${shown}`, { modal: true }, 'Launch', 'Copy Command');
      if (choice === 'Copy Command') {
        await vscode.env.clipboard.writeText(shown);
        return undefined;
      }
      if (choice !== 'Launch') return undefined;
    }
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Starting ${model.split('/').pop() ?? model}`, cancellable: false },
        async (progress) => {
          let last = 0;
          const id = await servers.launchSimulator(launch, (message, percent) => {
            const inc = percent !== undefined && percent >= last ? percent - last : 0;
            if (percent !== undefined) last = percent;
            progress.report({ message: percent !== undefined ? `${message} (${percent}%)` : message, increment: inc });
          });
          void vscode.window.showInformationMessage(`DeepSeek: ${model} is ready (simulated).`);
          return id;
        },
      );
    } catch (e) {
      void vscode.window.showErrorMessage(`DeepSeek: launch failed: ${(e as Error).message}`);
      if (!interactive) throw e;
      return undefined;
    }
  };
}
