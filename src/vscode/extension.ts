import * as vscode from 'vscode';
import { EndpointStore } from '../core/endpoints/endpointStore';
import { HostsTreeProvider } from './hosts/hostsTreeProvider';
import { EndpointsTreeProvider } from './endpoints/endpointsTreeProvider';
import { ChatViewProvider } from './chat/chatViewProvider';
import { ChatSession } from './chat/chatSession';
import { CustomEndpoints } from './chat/customEndpoints';
import { sendPromptsFileCommand } from './chat/sendPromptsFile';
import { BenchResultsPanel } from './bench/benchResultsPanel';
import { engineBenchmarkCommand } from './bench/engineBenchmark';
import { launchServerCommand } from './launch/launchServer';
import { benchmarkEndpointCommand } from './bench/benchmarkEndpoint';
import { serverCommands } from './endpoints/serverCommands';
import { ManagedServers } from './launch/managedServers';
import { ServerRecords } from '../core/launch/serverRecords';
import type { PipelineDeps } from '../core/launch/launchPipeline';
import { refreshHostsCommand } from './hosts/refreshHosts';
import { hostCommands } from './hosts/hostCommands';
import { forgetHostKeyCommand } from './hosts/forgetHostKey';
import { RemoteAccess } from './hosts/remoteAccess';
import { HF_TOKEN_SECRET, launchProfileCommand, type LaunchContext } from './launch/launchProfile';
import type { HostEntry } from '../core/hosts/hostModel';
import { requireTrust } from './workspaceTrustGate';
import { chatHistoryCommand } from './chat/chatHistoryCommand';
import { openBenchmarkResultsCommand } from './bench/openBenchmarkResults';
import { TuneResultsPanel } from './tune/tuneResultsPanel';
import { applyToProfile, openTuneResultsCommand, showTuneFile, tuneDeploymentCommand, type TuneContext } from './tune/tuneDeployment';
import { setSecretCommand } from './launch/serverSecrets';

/** What activate() returns: the handles the extension's own tests use to observe behaviour. */
export interface DeepSeekApi {
  readonly endpoints: EndpointStore;
  readonly hosts: HostsTreeProvider;
  readonly remote: RemoteAccess;
  readonly chat: ChatViewProvider;
  readonly chatSession: ChatSession;
  /** The results panel's render reports (what its webview drew). */
  readonly benchResults: Pick<typeof BenchResultsPanel, 'onDidRender'> & { lastRendered(): { runs: number; charts: number } | undefined };
  /** The tuning results panel's render reports. */
  readonly tuneResults: Pick<typeof TuneResultsPanel, 'onDidRender'> & { lastRendered(): typeof TuneResultsPanel.lastRendered };
  readonly activationMs: number;
  /** Servers we manage (launched here or found running after activation). */
  readonly managed: ManagedServers;
  /** Settles when the re-discovery that runs after activation has finished. */
  readonly rediscovered: Promise<unknown>;
}

/** A Hosts-view entry as the host spec the launch pipeline resolves ("local", an ssh-config alias, user@host:port). */
const hostSpecOf = (h: HostEntry): string => (h.kind === 'local' ? 'local' : h.sshConfigHost ?? `${h.user ? `${h.user}@` : ''}${h.hostName ?? h.label}${h.port && h.port !== 22 ? `:${h.port}` : ''}`);

export function activate(context: vscode.ExtensionContext): DeepSeekApi {
  const t0 = performance.now();
  const endpoints = new EndpointStore();
  const sshLog = vscode.window.createOutputChannel('DeepSeek SSH');
  const remote = new RemoteAccess(context, sshLog);
  const hosts = new HostsTreeProvider(remote);
  const hostsView = vscode.window.createTreeView('deepseek.hosts', { treeDataProvider: hosts, showCollapseAll: true });
  hosts.setVisible(hostsView.visible);
  const records = new ServerRecords();
  const dist = (name: string): vscode.Uri => vscode.Uri.joinPath(context.extensionUri, 'dist', name);
  const deps = (quiet: boolean): PipelineDeps => ({
    sshConfigFile: remote.sshConfigPath(),
    // Re-discovery must never prompt (host key, password): it uses SSH access that answers "no" instead of asking.
    remote: () => (quiet ? remote.quietHosts : remote.hosts),
    // Our own CLI under VS Code's Node; ELECTRON_RUN_AS_NODE makes desktop VS Code's binary behave as plain Node.
    localSimulator: { command: [process.execPath, dist('cli.js').fsPath], env: { ELECTRON_RUN_AS_NODE: '1' } },
    simulatorFiles: () => Promise.all(['cli.js', 'simulator.js'].map(async (name) => ({ name, content: Buffer.from(await vscode.workspace.fs.readFile(dist(name))).toString('utf8') }))),
    records,
    launchedBy: 'vscode',
    chartDir: vscode.Uri.joinPath(context.extensionUri, 'charts', 'deepseek-deploy').fsPath,
  });
  const hostSpec = (hostId: string): string => {
    const h = hosts.hosts.find((x) => x.id === hostId);
    return h ? hostSpecOf(h) : hostId.replace(/^ssh:/, '');
  };
  const hostLabel = (spec: string): string => hosts.hosts.find((h) => hostSpecOf(h) === spec)?.label ?? (spec === 'local' ? 'This machine' : spec);
  const managed = new ManagedServers(endpoints, () => deps(true), hostLabel);
  const launchCtx: LaunchContext = { managed, endpoints, secrets: context.secrets, get deps() { return deps(false); }, hostSpec, hostLabel };
  const custom = new CustomEndpoints(context, endpoints);
  const chatSession = new ChatSession(context, endpoints, custom);
  const chat = new ChatViewProvider(context.extensionUri, chatSession);
  const benchOut = vscode.window.createOutputChannel('DeepSeek Benchmarks');
  const tuneOut = vscode.window.createOutputChannel('DeepSeek Tuning');
  const tuneCtx: TuneContext = { extensionUri: context.extensionUri, deps: () => deps(false), secrets: context.secrets, output: tuneOut };
  context.subscriptions.push(
    chatSession,
    endpoints.onDidChange(() => chatSession.postState()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('deepseek.chat') && chatSession.postState()),
    vscode.commands.registerCommand('deepseek.openChatPanel', () => void chat.openPanel()),
    vscode.commands.registerCommand('deepseek.addEndpoint', (args?: { baseUrl?: string; apiKey?: string; model?: string }) => custom.add(args)),
    vscode.commands.registerCommand('deepseek.removeEndpoint', (e?: { id: string }) => e && custom.remove(e.id)),
    vscode.commands.registerCommand('deepseek.newChat', () => chatSession.newChat()),
    vscode.commands.registerCommand('deepseek.chatThinking', () => chatSession.pickThinkingLevel()),
    vscode.commands.registerCommand('deepseek.exportChat', async () => {
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: chatSession.markdown() });
      await vscode.window.showTextDocument(doc);
      return doc;
    }),
    vscode.commands.registerCommand('deepseek.sendPromptsFile', sendPromptsFileCommand(endpoints, custom, () => chatSession.selectedEndpointId)),
    managed,
    benchOut,
    tuneOut,
    sshLog,
    remote,
    hosts,
    hostsView,
    hostsView.onDidChangeVisibility((e) => hosts.setVisible(e.visible)),
    vscode.window.createTreeView('deepseek.endpoints', { treeDataProvider: new EndpointsTreeProvider(endpoints) }),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat, { webviewOptions: { retainContextWhenHidden: false } }),
    vscode.commands.registerCommand('deepseek.launchServer', requireTrust('Launching a server', launchServerCommand(hosts, launchCtx))),
    vscode.commands.registerCommand('deepseek.benchmarkEndpointPicker', () => vscode.commands.executeCommand('deepseek.benchmarkEndpoint')),
    vscode.commands.registerCommand('deepseek.openBenchmarkResults', openBenchmarkResultsCommand(context.extensionUri)),
    vscode.window.registerWebviewPanelSerializer(BenchResultsPanel.viewType, BenchResultsPanel.serializer(context.extensionUri)),
    vscode.commands.registerCommand('deepseek.tuneDeployment', requireTrust('Tuning a deployment', tuneDeploymentCommand(tuneCtx))),
    vscode.commands.registerCommand('deepseek.openTuneResults', openTuneResultsCommand(tuneCtx)),
    vscode.window.registerWebviewPanelSerializer(TuneResultsPanel.viewType, TuneResultsPanel.serializer(context.extensionUri, (f) => showTuneFile(tuneCtx, f), applyToProfile)),
    vscode.window.registerWebviewPanelSerializer(ChatViewProvider.panelType, chat.serializer()),
    vscode.commands.registerCommand('deepseek.chatHistory', chatHistoryCommand(chatSession)),
    vscode.commands.registerCommand('deepseek.getStarted', () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#deepseek.gettingStarted`, false)),
    vscode.commands.registerCommand('deepseek.focusView', () => vscode.commands.executeCommand('workbench.view.extension.deepseek')),
    vscode.commands.registerCommand('deepseek.benchmarkEndpoint', benchmarkEndpointCommand(endpoints, benchOut, custom, context.extensionUri)),
    ...Object.entries(serverCommands(launchCtx, async (id) => {
      await chatSession.selectEndpoint(id);
      await vscode.commands.executeCommand('deepseek.chat.focus');
    })).map(([id, fn]) => vscode.commands.registerCommand(id, fn)),
    vscode.commands.registerCommand('deepseek.runEngineBenchmark', requireTrust('Running an engine benchmark on a host', engineBenchmarkCommand(endpoints, managed, benchOut, context.extensionUri))),
    vscode.commands.registerCommand('deepseek.refreshHosts', refreshHostsCommand(hosts)),
    vscode.commands.registerCommand('deepseek.forgetHostKey', forgetHostKeyCommand(remote)),
    ...Object.entries(hostCommands(hosts, remote)).map(([id, fn]) => vscode.commands.registerCommand(id, fn)),
    vscode.commands.registerCommand('deepseek.launchProfile', requireTrust('Launching a profile', launchProfileCommand(hosts, launchCtx, context.secrets))),
    vscode.commands.registerCommand('deepseek.setSecret', setSecretCommand(context.secrets)),
    vscode.commands.registerCommand('deepseek.setHfToken', async (token?: string) => {
      const value = token ?? (await vscode.window.showInputBox({ title: 'Hugging Face token', prompt: 'Stored in VS Code\'s secret storage; written only to the host\'s ~/.cache/huggingface/token (0600) at launch', password: true, ignoreFocusOut: true }));
      if (value === undefined) return;
      if (value === '') await context.secrets.delete(HF_TOKEN_SECRET);
      else await context.secrets.store(HF_TOKEN_SECRET, value);
    }),
  );
  // The demo (and anyone who sets it) opens on the DeepSeek view rather than the Explorer.
  if (vscode.workspace.getConfiguration('deepseek').get<boolean>('revealViewOnStartup')) void vscode.commands.executeCommand('workbench.view.extension.deepseek');
  // Servers recorded on earlier runs (this window's, other windows', the CLI's) are looked for after activate returns:
  // contacting hosts never delays activation.
  const rediscovered = new Promise<unknown>((resolve) => setTimeout(resolve, 0)).then(() => managed.rediscover()).catch((e: Error) => sshLog.appendLine(`re-discovery: ${e.message}`));
  return { endpoints, hosts, remote, chat, chatSession, benchResults: { onDidRender: (l) => BenchResultsPanel.onDidRender(l), lastRendered: () => BenchResultsPanel.lastRendered }, tuneResults: { onDidRender: (l) => TuneResultsPanel.onDidRender(l), lastRendered: () => TuneResultsPanel.lastRendered }, activationMs: performance.now() - t0, managed, rediscovered };
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code: ManagedServers stops this window's local simulators and detaches the rest.
}
