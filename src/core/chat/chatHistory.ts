import type { Conversation } from './conversation';

/** How much chat history a workspace keeps at hand (settings deepseek.chat.history.*). */
export interface HistoryLimits {
  /** Conversations kept in the history list, the current one not counted. */
  readonly maxConversations: number;
  /** Their total size as stored (JSON, UTF-8 bytes). */
  readonly maxBytes: number;
}

export const conversationBytes = (c: Conversation): number => Buffer.byteLength(JSON.stringify(c), 'utf8');

/**
 * Puts `conv` first in `history` (most recent first; an older copy with the same id is replaced) and keeps the list
 * within `limits`: the oldest conversations go to `archived` first, until both the count and the total size fit. The
 * newest conversation is always kept, even if it alone is larger than `maxBytes`.
 * @returns the list to keep and the conversations moved out of it (oldest last)
 */
export function addToHistory(history: readonly Conversation[], conv: Conversation, limits: HistoryLimits): { kept: Conversation[]; archived: Conversation[] } {
  const all = [conv, ...history.filter((c) => c.id !== conv.id)];
  const kept: Conversation[] = [];
  let bytes = 0;
  let i = 0;
  for (; i < all.length; i++) {
    const size = conversationBytes(all[i]);
    if (kept.length > 0 && (kept.length >= limits.maxConversations || bytes + size > limits.maxBytes)) break;
    kept.push(all[i]);
    bytes += size;
  }
  return { kept, archived: all.slice(i) };
}
