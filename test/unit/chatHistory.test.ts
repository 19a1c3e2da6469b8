// Chat history stays bounded: the oldest conversations are archived first, by count and by stored size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addToHistory, conversationBytes } from '../../src/core/chat/chatHistory';
import type { Conversation } from '../../src/core/chat/conversation';

const conv = (id: string, chars = 10): Conversation => ({ id, title: id, createdAt: 0, messages: [{ id: `${id}-u`, role: 'user', text: 'x'.repeat(chars), at: 0 }] });

test('newest first; an older copy of the same conversation is replaced, not duplicated', () => {
  const { kept, archived } = addToHistory([conv('b'), conv('a')], conv('a'), { maxConversations: 10, maxBytes: 1e9 });
  assert.deepEqual(kept.map((c) => c.id), ['a', 'b']);
  assert.deepEqual(archived, []);
});

test('over the count, the oldest are archived first', () => {
  const { kept, archived } = addToHistory([conv('c'), conv('b'), conv('a')], conv('d'), { maxConversations: 2, maxBytes: 1e9 });
  assert.deepEqual(kept.map((c) => c.id), ['d', 'c']);
  assert.deepEqual(archived.map((c) => c.id), ['b', 'a']);
});

test('over the size, the oldest are archived first; the newest stays even when alone it is too big', () => {
  const one = conversationBytes(conv('x', 1000));
  const { kept, archived } = addToHistory([conv('b', 1000), conv('a', 1000)], conv('c', 1000), { maxConversations: 50, maxBytes: one * 2 + 10 });
  assert.deepEqual(kept.map((c) => c.id), ['c', 'b']);
  assert.deepEqual(archived.map((c) => c.id), ['a']);
  const big = addToHistory([conv('a')], conv('huge', 100_000), { maxConversations: 50, maxBytes: 1000 });
  assert.deepEqual(big.kept.map((c) => c.id), ['huge']);
  assert.deepEqual(big.archived.map((c) => c.id), ['a']);
});
