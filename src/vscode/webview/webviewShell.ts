import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

/** One page of ours: its script bundle and stylesheets, both under the extension. */
export interface WebviewPage {
  /** The document title. */
  readonly title: string;
  /** The script, relative to dist/webview (e.g. "chat.js"). */
  readonly script: string;
  /** An ES module (code-split bundle) rather than a classic script. */
  readonly module?: boolean;
  /** Stylesheets, relative to the extension root (e.g. "media/chat.css", "dist/webview/uPlot.min.css"). */
  readonly styles: readonly string[];
  /** Class of the page's `<main id="app">`. */
  readonly mainClass?: string;
}

/**
 * The one strict CSP every page of ours runs under: scripts only with this load's nonce, styles, fonts and images
 * only from our own files (images also data:, which the host makes from remote images after a click), no
 * connections, frames, forms or base changes. Model and server output shown in these pages is untrusted.
 */
export function webviewCsp(webview: vscode.Webview, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The page's HTML: the CSP above with a fresh nonce, its stylesheets, and `<main id="app">` for its script. */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const nonce = randomBytes(16).toString('base64');
  const uri = (rel: string): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...rel.split('/'))).toString();
  const styles = page.styles.map((s) => `<link rel="stylesheet" href="${uri(s)}">`).join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${webviewCsp(webview, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}<title>${page.title}</title></head>
<body><main id="app"${page.mainClass ? ` class="${page.mainClass}"` : ''}></main><script${page.module ? ' type="module"' : ''} nonce="${nonce}" src="${uri(`dist/webview/${page.script}`)}"></script></body></html>`;
}

/** Scripts on, resources only from our bundles and media. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

/**
 * The host side of the ready handshake (webview/shared/hostChannel.ts). Posts wait until the page said `ready`; the
 * newest message per `key` is kept, and every `ready` (the first, and again after the webview reloads) re-sends
 * those, so a page that loads late or reloads shows the current state, not a backlog.
 */
export class ReadyGate<T> {
  private isReady = false;
  private readonly latest = new Map<string, T>();

  constructor(private readonly webview: vscode.Webview) {}

  /** Posts now when the page is ready, and keeps it as the newest message with this key. */
  post(msg: T, key = 'state'): void {
    this.latest.set(key, msg);
    if (this.isReady) void this.webview.postMessage(msg);
  }

  /** The page said ready: send the newest message of each key. */
  ready(): void {
    this.isReady = true;
    for (const m of this.latest.values()) void this.webview.postMessage(m);
  }
}
