import * as vscode from 'vscode';
import type { ChatSession } from './chatSession';
import { chatHtml, chatWebviewOptions, wireChatWebview } from './chatWebview';

/** The sidebar chat webview; "Open Chat in Editor" shows the same session in an editor panel. */
export class ChatViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'deepseek.chat';
  /** What a chat webview last reported it rendered: tests and the ready handshake read it. */
  lastRenderedEndpointCount: number | undefined;
  private readonly renderedListeners = new Set<(n: number) => void>();
  private panel: vscode.WebviewPanel | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly session: ChatSession) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = chatWebviewOptions(this.extensionUri);
    const wiring = wireChatWebview(view.webview, this.session, (n) => {
      this.rendered(n);
    });
    view.webview.html = chatHtml(view.webview, this.extensionUri);
    view.onDidDispose(() => {
      wiring.dispose();
    });
  }

  /** One chat editor panel: opening it again reveals it (it shows the same session as the sidebar anyway). */
  openPanel(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Active);
      return this.panel;
    }
    return this.attachPanel(vscode.window.createWebviewPanel(ChatViewProvider.panelType, 'DeepSeek Chat', vscode.ViewColumn.Active, chatWebviewOptions(this.extensionUri)));
  }

  static readonly panelType = 'deepseek.chatPanel';

  /** Brings the chat editor back after a window reload, showing the (persisted) session again. */
  serializer(): vscode.WebviewPanelSerializer {
    return {
      deserializeWebviewPanel: async (panel) => {
        panel.webview.options = chatWebviewOptions(this.extensionUri);
        if (this.panel) panel.dispose();
        else this.attachPanel(panel);
        await Promise.resolve();
      },
    };
  }

  private attachPanel(panel: vscode.WebviewPanel): vscode.WebviewPanel {
    const wiring = wireChatWebview(panel.webview, this.session, (n) => {
      this.rendered(n);
    });
    panel.webview.html = chatHtml(panel.webview, this.extensionUri);
    panel.onDidDispose(() => {
      wiring.dispose();
      this.panel = undefined;
    });
    this.panel = panel;
    return panel;
  }

  onDidRender(l: (n: number) => void): { dispose(): void } {
    this.renderedListeners.add(l);
    return { dispose: () => this.renderedListeners.delete(l) };
  }

  private rendered(n: number): void {
    this.lastRenderedEndpointCount = n;
    for (const l of this.renderedListeners) l(n);
  }
}
