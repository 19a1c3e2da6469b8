import * as vscode from 'vscode';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../../core/chat/conversation';
import { checkChatTools, type ChatTool } from '../../core/chat/chatTools';

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

/**
 * The tools offered to the model (setting deepseek.chat.tools, an OpenAI `tools` array; [] = none). A hand-edited
 * value that does not check out is reported, not sent: `error` says which field is wrong.
 */
export function readChatTools(): { tools: ChatTool[]; error?: string } {
  const raw = vscode.workspace.getConfiguration('deepseek.chat').get<unknown>('tools', []);
  try {
    return { tools: checkChatTools(raw ?? []) };
  } catch (e) {
    return { tools: [], error: `Setting deepseek.chat.tools: ${(e as Error).message}` };
  }
}

export async function updateChatTools(tools: readonly ChatTool[]): Promise<void> {
  await vscode.workspace.getConfiguration('deepseek.chat').update('tools', tools.length ? tools : undefined, vscode.ConfigurationTarget.Global);
}
