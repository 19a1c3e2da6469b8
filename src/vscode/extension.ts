import * as vscode from 'vscode';
import { EndpointStore } from '../core/endpoints/endpointStore';
import { HostsTreeProvider } from './views/hostsTreeProvider';
import { EndpointsTreeProvider } from './views/endpointsTreeProvider';
import { ChatViewProvider } from './panels/chatViewProvider';
import { LaunchedServers } from './launchedServers';
import { launchServerCommand } from './commands/launchServer';
import { benchmarkEndpointCommand } from './commands/benchmarkEndpoint';
import { stopServerCommand } from './commands/stopServer';
import { refreshHostsCommand } from './commands/refreshHosts';

/** What activate() returns: the handles the extension's own tests use to observe behaviour. */
export interface DeepSeekApi {
  readonly endpoints: EndpointStore;
  readonly hosts: HostsTreeProvider;
  readonly chat: ChatViewProvider;
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): DeepSeekApi {
  const t0 = performance.now();
  const endpoints = new EndpointStore();
  const hosts = new HostsTreeProvider();
  const servers = new LaunchedServers(context.extensionUri, endpoints);
  const chat = new ChatViewProvider(context.extensionUri, endpoints);
  const benchOut = vscode.window.createOutputChannel('DeepSeek Benchmarks');
  context.subscriptions.push(
    servers,
    benchOut,
    vscode.window.createTreeView('deepseek.hosts', { treeDataProvider: hosts, showCollapseAll: true }),
    vscode.window.createTreeView('deepseek.endpoints', { treeDataProvider: new EndpointsTreeProvider(endpoints) }),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat, { webviewOptions: { retainContextWhenHidden: false } }),
    vscode.commands.registerCommand('deepseek.launchServer', launchServerCommand(hosts, servers)),
    vscode.commands.registerCommand('deepseek.benchmarkEndpoint', benchmarkEndpointCommand(endpoints, benchOut)),
    vscode.commands.registerCommand('deepseek.stopServer', stopServerCommand(servers)),
    vscode.commands.registerCommand('deepseek.refreshHosts', refreshHostsCommand(hosts)),
  );
  return { endpoints, hosts, chat, activationMs: performance.now() - t0 };
}

export function deactivate(): void {
  // Subscriptions (including LaunchedServers) are disposed by VS Code; nothing else holds resources.
}
