import * as vscode from 'vscode';
import type { ChatSession } from './chatSession';

/**
 * "DeepSeek: Chat History…": earlier conversations, most recent first. Picking one reopens it (the current chat goes
 * into the history, nothing is dropped); each row has Rename and Delete buttons. Returns the reopened id, if any.
 */
export function chatHistoryCommand(session: ChatSession) {
  return async (): Promise<string | undefined> => {
    const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { id: string }>();
    const rename: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('edit'), tooltip: 'Rename' };
    const del: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Delete' };
    const fill = (): void => {
      const list = session.history();
      qp.items = list.map((c) => ({
        id: c.id,
        label: c.title,
        description: `${new Date(c.createdAt).toLocaleString()} · ${c.messages.length} message${c.messages.length === 1 ? '' : 's'}`,
        buttons: [rename, del],
      }));
      qp.placeholder = list.length ? 'Reopen a conversation (the current one is kept in the history)' : 'No earlier conversations yet: "New Chat" keeps the current one here';
    };
    qp.title = 'DeepSeek: Chat History';
    fill();
    return new Promise<string | undefined>((resolve) => {
      qp.onDidTriggerItemButton(async (e) => {
        if (e.button === del) {
          await session.deleteFromHistory(e.item.id);
          fill();
          return;
        }
        qp.hide();
        const title = await vscode.window.showInputBox({ title: 'Rename conversation', value: e.item.label, validateInput: (v) => (v.trim() ? undefined : 'A name, please') });
        if (title?.trim()) await session.rename(e.item.id, title.trim());
        resolve(undefined);
      });
      qp.onDidAccept(async () => {
        const id = qp.selectedItems[0]?.id;
        qp.hide();
        if (id && (await session.reopen(id))) resolve(id);
        else resolve(undefined);
      });
      qp.onDidHide(() => {
        qp.dispose();
        resolve(undefined);
      });
      qp.show();
    });
  };
}
