import * as vscode from 'vscode';
import type { Endpoint } from '../../core/endpoints/endpointStore';
import type { LaunchContext } from '../launch/launchProfile';
import { launchWithUi, windowBound } from '../launch/launchFlow';

/** Tree rows arrive as the Endpoint; tests and other commands pass its id. */
type EndpointArg = Endpoint | string | undefined;
const idOf = (a: EndpointArg): string | undefined => (typeof a === 'string' ? a : a?.id);

/**
 * The Endpoints context menu of a managed server: Show Log, Copy URL, Open Chat, Restart, Stop, Remove. Each works on
 * servers launched in this window and on servers found running after activation alike.
 */
export function serverCommands(ctx: LaunchContext, openChat: (endpointId: string) => Promise<void>): Record<string, (arg?: EndpointArg) => unknown> {
  const { managed, endpoints } = ctx;
  return {
    'deepseek.stopServer': async (arg?: EndpointArg): Promise<boolean> => {
      const id = idOf(arg);
      if (!id) {
        void vscode.window.showWarningMessage('DeepSeek: choose a launched endpoint in the Endpoints view to stop.');
        return false;
      }
      try {
        const stopped = await managed.stop(id);
        if (!stopped) void vscode.window.showWarningMessage('DeepSeek: that endpoint is not a server DeepSeek Deploy started.');
        return stopped;
      } catch (e) {
        void vscode.window.showErrorMessage(`DeepSeek: stop failed: ${(e as Error).message}`);
        return false;
      }
    },
    'deepseek.restartServer': async (arg?: EndpointArg): Promise<string | undefined> => {
      const id = idOf(arg);
      const record = id ? managed.record(id) : undefined;
      if (!id || !record) return undefined;
      const interactive = typeof arg !== 'string';
      if (managed.handle(id)) await managed.stop(id);
      const label = endpoints.get(id)?.label ?? record.profile.name;
      const stopWithWindow = record.profile.engine.kind === 'simulator' && record.host === 'local';
      const speed = vscode.workspace.getConfiguration('deepseek.simulator').get<number>('startupSpeed', 30);
      return launchWithUi({ profile: record.profile, host: record.host, simulatorOptions: ['--startup-speed', String(speed), ...windowBound(stopWithWindow)] }, {
        interactive, hostLabel: ctx.hostLabel(record.host), endpointLabel: label, showScript: record.profile.engine.kind !== 'simulator',
        force: !interactive, stopWithWindow,
      }, ctx);
    },
    'deepseek.removeServer': async (arg?: EndpointArg): Promise<void> => {
      const id = idOf(arg);
      if (id) await managed.remove(id);
    },
    'deepseek.showServerLog': (arg?: EndpointArg): boolean => {
      const id = idOf(arg);
      return !!id && managed.showLog(id);
    },
    'deepseek.copyEndpointUrl': async (arg?: EndpointArg): Promise<string | undefined> => {
      const e = idOf(arg) ? endpoints.get(idOf(arg)!) : undefined;
      if (!e?.baseUrl) return undefined;
      await vscode.env.clipboard.writeText(`${e.baseUrl}/v1`);
      return `${e.baseUrl}/v1`;
    },
    'deepseek.chatWithEndpoint': async (arg?: EndpointArg): Promise<void> => {
      const id = idOf(arg);
      if (id) await openChat(id);
    },
  };
}
