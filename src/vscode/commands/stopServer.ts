import * as vscode from 'vscode';
import type { Endpoint } from '../../core/endpoints/endpointStore';
import type { LaunchedServers } from '../launchedServers';

export function stopServerCommand(servers: LaunchedServers) {
  return async (target?: Endpoint | string): Promise<boolean> => {
    const id = typeof target === 'string' ? target : target?.id;
    if (!id) {
      void vscode.window.showWarningMessage('DeepSeek: choose a launched endpoint in the Endpoints view to stop.');
      return false;
    }
    const stopped = await servers.stop(id);
    if (!stopped) void vscode.window.showWarningMessage('DeepSeek: that server is not running in this window.');
    return stopped;
  };
}
