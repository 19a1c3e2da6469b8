import * as vscode from 'vscode';
import { ChatToHost, type HostToChat } from '../../protocol/chatProtocol';
import { loadOpenAIClient } from '../lazyModules';
import type { ChatSession } from './chatSession';
import { updateChatSettings } from './chatSettings';
import { webviewHtml, webviewOptions } from '../webview/webviewShell';

/** The chat page in the one webview shell (strict CSP; remote images reach it as data: URLs fetched after a click). */
export const chatHtml = (webview: vscode.Webview, extensionUri: vscode.Uri): string =>
  webviewHtml(webview, extensionUri, { title: 'DeepSeek Chat', script: 'chat.js', module: true, styles: ['media/chat.css'], mainClass: 'chat' });

export const chatWebviewOptions = webviewOptions;

const LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

/** Handles one webview's messages. Everything from the webview is validated: it renders untrusted model output. */
export function wireChatWebview(webview: vscode.Webview, session: ChatSession, onRendered: (endpointCount: number) => void): vscode.Disposable {
  const subs = [session.attach(webview)];
  subs.push(
    webview.onDidReceiveMessage(async (raw: unknown) => {
      const parsed = ChatToHost.safeParse(raw);
      if (!parsed.success) return;
      const msg = parsed.data;
      switch (msg.type) {
        case 'ready':
          return session.hello(webview);
        case 'rendered':
          return onRendered(msg.endpointCount);
        case 'launchServer':
          return void vscode.commands.executeCommand('deepseek.launchServer');
        case 'send':
          return void session.send(msg.text);
        case 'stop':
          return session.stop();
        case 'regenerate':
          return void session.regenerate();
        case 'newChat':
          return session.newChat();
        case 'exportMarkdown':
          return void vscode.commands.executeCommand('deepseek.exportChat');
        case 'sendPromptsFile':
          return void vscode.commands.executeCommand('deepseek.sendPromptsFile');
        case 'addEndpoint': {
          const id = await vscode.commands.executeCommand<string | undefined>('deepseek.addEndpoint');
          if (id) await session.selectEndpoint(id);
          return;
        }
        case 'selectEndpoint':
          return session.selectEndpoint(msg.id, { webview, choice: msg.choice });
        case 'setThinking':
          return session.setThinkingLevel(msg.level, { webview, choice: msg.choice });
        case 'updateTools':
          return session.updateTools(msg.text);
        case 'toolResults':
          return void session.submitToolResults(msg.id, msg.results);
        case 'updateSettings':
          await updateChatSettings(msg.settings);
          return session.postState();
        case 'copy':
          return void vscode.env.clipboard.writeText(msg.text);
        case 'openLink':
          return openLinkAfterConfirm(msg.href);
        case 'loadImage': {
          let reply: HostToChat;
          try {
            reply = { type: 'image', src: msg.src, dataUrl: await loadOpenAIClient().fetchImageDataUrl(msg.src) };
          } catch (e) {
            reply = { type: 'image', src: msg.src, error: (e as Error).message };
          }
          return void webview.postMessage(reply);
        }
      }
    }),
  );
  return vscode.Disposable.from(...subs);
}

/** Links in model output open only in the user's browser, only for http(s)/mailto, and only after they saw the URL. */
async function openLinkAfterConfirm(href: string): Promise<void> {
  let uri: URL;
  try {
    uri = new URL(href);
  } catch {
    void vscode.window.showWarningMessage(`DeepSeek: not opening "${href.slice(0, 200)}": not an absolute URL.`);
    return;
  }
  if (!LINK_SCHEMES.has(uri.protocol)) {
    void vscode.window.showWarningMessage(`DeepSeek: not opening a ${uri.protocol} link from model output.`);
    return;
  }
  const pick = await vscode.window.showWarningMessage('Open a link from the model\'s answer?', { modal: true, detail: uri.toString() }, 'Open Link');
  // asExternalUri: under Remote-SSH or code-server a localhost URL is forwarded to where the user's browser runs.
  if (pick === 'Open Link') await vscode.env.openExternal(await vscode.env.asExternalUri(vscode.Uri.parse(uri.toString(), true)));
}
