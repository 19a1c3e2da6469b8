import * as vscode from 'vscode';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../../core/chat/conversation';

/** Chat sampling settings live in VS Code settings (deepseek.chat.*), so they show in the Settings UI and sync. */
export function readChatSettings(): ChatSettings {
  const c = vscode.workspace.getConfiguration('deepseek.chat');
  return {
    temperature: c.get<number>('temperature', DEFAULT_CHAT_SETTINGS.temperature),
    topP: c.get<number>('topP', DEFAULT_CHAT_SETTINGS.topP),
    maxTokens: c.get<number>('maxTokens', DEFAULT_CHAT_SETTINGS.maxTokens),
    systemPrompt: c.get<string>('systemPrompt', DEFAULT_CHAT_SETTINGS.systemPrompt),
  };
}

export async function updateChatSettings(patch: Partial<ChatSettings>): Promise<void> {
  const c = vscode.workspace.getConfiguration('deepseek.chat');
  for (const [k, v] of Object.entries(patch)) {
    if (v !== undefined && c.get(k) !== v) await c.update(k, v, vscode.ConfigurationTarget.Global);
  }
}
