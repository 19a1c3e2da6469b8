import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conversationToMarkdown, DEFAULT_CHAT_SETTINGS, formatStats, isOriginalR1, requestMessages, thoughtHeader, type Conversation } from '../../src/core/chat/conversation';

const conv = (): Conversation => ({
  id: 'c1',
  title: 'TP vs EP',
  createdAt: 0,
  messages: [
    { id: 'u1', role: 'user', text: 'What is TP?', at: 0 },
    { id: 'a1', role: 'assistant', reasoning: 'Let me think about tensor parallelism.', content: 'TP splits each layer across GPUs.', state: 'done', model: 'deepseek-ai/DeepSeek-R1', endpointLabel: 'sim', simulated: true, at: 0, stats: { ttftMs: 120, e2eMs: 2120, promptTokens: 12, completionTokens: 201, reasoningTokens: 150, thoughtMs: 1500, tokensPerSecond: 100 } },
    { id: 'u2', role: 'user', text: 'And EP?', at: 0 },
    { id: 'a2', role: 'assistant', reasoning: 'Experts…', content: 'EP places experts on', state: 'failed', error: 'The stream broke', model: 'deepseek-ai/DeepSeek-R1', endpointLabel: 'sim', simulated: true, at: 0 },
    { id: 'u3', role: 'user', text: 'Please answer again.', at: 0 },
  ],
});

test('multi-turn requests carry only finished answers and never the reasoning; turns around a failed answer are merged', () => {
  const wire = requestMessages(conv(), DEFAULT_CHAT_SETTINGS, 'deepseek-ai/DeepSeek-R1-0528');
  assert.deepEqual(wire, [
    { role: 'user', content: 'What is TP?' },
    { role: 'assistant', content: 'TP splits each layer across GPUs.' },
    { role: 'user', content: 'And EP?\n\nPlease answer again.' },
  ]);
  assert.ok(!JSON.stringify(wire).includes('think'));
});

test('system prompt: off by default; a system message for R1-0528 and V3; folded into the first user turn for original R1 (model card)', () => {
  assert.equal(requestMessages(conv(), DEFAULT_CHAT_SETTINGS, 'deepseek-ai/DeepSeek-R1')[0].role, 'user');
  const s = { ...DEFAULT_CHAT_SETTINGS, systemPrompt: 'Answer in one line.' };
  assert.deepEqual(requestMessages(conv(), s, 'deepseek-ai/DeepSeek-R1-0528')[0], { role: 'system', content: 'Answer in one line.' });
  assert.deepEqual(requestMessages(conv(), s, 'deepseek-ai/DeepSeek-V3')[0], { role: 'system', content: 'Answer in one line.' });
  assert.deepEqual(requestMessages(conv(), s, '/models/DeepSeek-R1/')[0], { role: 'user', content: 'Answer in one line.\n\nWhat is TP?' });
  assert.ok(isOriginalR1('deepseek-ai/DeepSeek-R1') && !isOriginalR1('deepseek-ai/DeepSeek-R1-0528') && !isOriginalR1('DeepSeek-R1-Distill-Qwen-32B'));
});

test('Markdown export keeps the reasoning folded, the stats, and marks the failed partial answer', () => {
  const md = conversationToMarkdown(conv());
  assert.match(md, /^# TP vs EP/);
  assert.match(md, /<details><summary>Reasoning<\/summary>\n\n```text\nLet me think about tensor parallelism\.\n```/);
  assert.match(md, /TP splits each layer across GPUs\.\n\n<sub>TTFT 120 ms · 100\.0 tok\/s · 12 → 201 tokens<\/sub>/);
  assert.match(md, /EP places experts on\n\n_Failed: The stream broke \(partial answer kept\)\._/);
  assert.equal(thoughtHeader(12_400, 845), 'Thought for 12.4 s · 845 tokens');
  assert.equal(formatStats({ ttftMs: 2500, e2eMs: 3000, reasoningTokens: 0 }), 'TTFT 2.50 s');
});
