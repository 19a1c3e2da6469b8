import * as vscode from 'vscode';

/**
 * Runs `fn` only in a trusted workspace. package.json declares `untrustedWorkspaces: limited`: views, results and chat
 * work in Restricted Mode, but launching anything runs programs, so it waits for trust. Untrusted: shows why, with a
 * "Manage Workspace Trust" button (VS Code's own trust editor), and resolves to undefined without calling `fn`.
 * @param action what would have run, in words ("Launching a server"), for the message
 */
export function requireTrust<A extends unknown[], R>(action: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    if (vscode.workspace.isTrusted) return fn(...args);
    const pick = await vscode.window.showWarningMessage(
      `DeepSeek: ${action} needs a trusted workspace (it runs programs). This folder is in Restricted Mode.`,
      'Manage Workspace Trust',
    );
    if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
    return undefined;
  };
}
