import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { EndpointStore } from '../../core/endpoints/endpointStore';
import { ChatToHost, type HostToChat } from '../../protocol/chatProtocol';

/** The sidebar chat webview. All HTTP stays in the extension host; the webview has connect-src 'none'. */
export class ChatViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'deepseek.chat';
  private view: vscode.WebviewView | undefined;
  private webviewReady = false;
  /** What the webview last reported it rendered: tests and the ready handshake read it. */
  lastRenderedEndpointCount: number | undefined;
  private readonly renderedListeners = new Set<(n: number) => void>();

  constructor(private readonly extensionUri: vscode.Uri, private readonly store: EndpointStore) {
    store.onDidChange(() => this.postState());
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.webviewReady = false;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, vscode.Uri.joinPath(this.extensionUri, 'media')] };
    const nonce = randomBytes(16).toString('base64');
    const script = view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'chat.js'));
    const style = view.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${view.webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${view.webview.cspSource} data:`,
      `font-src ${view.webview.cspSource}`,
      "connect-src 'none'",
    ].join('; ');
    view.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}"><title>DeepSeek Chat</title></head>
<body><main id="app" aria-live="polite"></main><script nonce="${nonce}" src="${script.toString()}"></script></body></html>`;
    view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw));
    view.onDidDispose(() => {
      this.view = undefined;
      this.webviewReady = false;
    });
  }

  onDidRender(l: (n: number) => void): { dispose(): void } {
    this.renderedListeners.add(l);
    return { dispose: () => this.renderedListeners.delete(l) };
  }

  private onMessage(raw: unknown): void {
    const parsed = ChatToHost.safeParse(raw);
    if (!parsed.success) return; // the webview renders untrusted model output: never act on malformed messages
    const msg = parsed.data;
    if (msg.type === 'ready') {
      this.webviewReady = true;
      this.postState();
    } else if (msg.type === 'rendered') {
      this.lastRenderedEndpointCount = msg.endpointCount;
      for (const l of this.renderedListeners) l(msg.endpointCount);
    } else if (msg.type === 'launchServer') {
      void vscode.commands.executeCommand('deepseek.launchServer');
    }
  }

  private postState(): void {
    if (!this.view || !this.webviewReady) return;
    const msg: HostToChat = {
      type: 'state',
      endpoints: this.store.list().map((e) => ({ id: e.id, label: e.label, status: e.status, simulated: e.simulated, detail: e.detail })),
    };
    void this.view.webview.postMessage(msg);
  }
}
