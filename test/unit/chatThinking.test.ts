import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { findModel } from '../../src/core/plan/catalog';
import { defaultThinkingLevel, recommendedSampling, thinkingLevels, thinkingRequestFields } from '../../src/core/chat/thinkingControl';
import { DEFAULT_CHAT_SETTINGS, requestMessages, type Conversation } from '../../src/core/chat/conversation';
import { streamChat } from '../../src/core/openai/chatStream';
import { parseEngineCommand } from '../../src/simulator/engineArgs';
import { dialectFor } from '../../src/simulator/dialect';
import { EngineClock } from '../../src/simulator/engineClock';
import { createSimServer } from '../../src/simulator/server';
import { simulatedModel } from '../../src/simulator/serverContext';

const m = (id: string) => findModel(id)!;
const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
after(() => servers.forEach((s) => { s.closeAllConnections(); s.close(); }));

test('thinking control: levels only where the model supports them, defaults and request fields sent explicitly (§4.2)', () => {
  assert.deepEqual(thinkingLevels(m('deepseek-ai/DeepSeek-V3')), []);
  assert.deepEqual(thinkingLevels(m('deepseek-ai/DeepSeek-R1-0528')), []);
  assert.deepEqual(thinkingLevels(m('deepseek-ai/DeepSeek-V3.1')), ['off', 'on']);
  assert.deepEqual(thinkingLevels(m('deepseek-ai/DeepSeek-V4-Flash')), ['off', 'high', 'max']);
  assert.deepEqual(thinkingLevels(m('deepseek-ai/DeepSeek-V4-Pro-0813')), ['off', 'low', 'high', 'max']);
  assert.deepEqual(thinkingLevels(m('deepseek-ai/DeepSeek-V4.1-Flash')), ['off', 'low', 'high', 'xhigh', 'max']);
  assert.equal(defaultThinkingLevel(m('deepseek-ai/DeepSeek-V3.2')), 'off');
  assert.equal(defaultThinkingLevel(m('deepseek-ai/DeepSeek-V4-Flash')), 'high');
  assert.deepEqual(thinkingRequestFields(m('deepseek-ai/DeepSeek-V3.2'), 'on'), { chat_template_kwargs: { thinking: true } });
  // vLLM thinks by default on V4: "off" must say so.
  assert.deepEqual(thinkingRequestFields(m('deepseek-ai/DeepSeek-V4-Flash'), 'off'), { chat_template_kwargs: { thinking: false } });
  assert.deepEqual(thinkingRequestFields(m('deepseek-ai/DeepSeek-V4-Flash'), 'max'), { chat_template_kwargs: { thinking: true, reasoning_effort: 'max' } });
  assert.deepEqual(thinkingRequestFields(m('deepseek-ai/DeepSeek-V4.1-Flash'), 'off'), { chat_template_kwargs: { thinking: false }, reasoning_effort: 'none' });
  assert.throws(() => thinkingRequestFields(m('deepseek-ai/DeepSeek-V3.1'), 'max'), /offers thinking off \/ on, not "max"/);
  assert.deepEqual(recommendedSampling(m('deepseek-ai/DeepSeek-V4-Pro')), { temperature: 1, topP: 1, source: 'HFB, VR-V4P, SG-V4' });
  assert.equal(recommendedSampling(m('deepseek-ai/DeepSeek-R1'))?.temperature, 0.6);
  assert.equal(recommendedSampling(m('deepseek-ai/DeepSeek-V3')), undefined);
});

const conv = (): Conversation => ({
  id: 'c', title: 't', createdAt: 0,
  messages: [
    { id: 'u1', role: 'user', text: 'first', at: 0 },
    { id: 'a1', role: 'assistant', reasoning: 'R1-THOUGHTS', content: 'answer one', state: 'done', model: 'x', endpointLabel: 'e', simulated: true, at: 1, toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"x"}', result: '{"hit":1}' }] },
    { id: 'u2', role: 'user', text: 'second', at: 2 },
    { id: 'a2', role: 'assistant', reasoning: 'R2-THOUGHTS', content: 'answer two', state: 'done', model: 'x', endpointLabel: 'e', simulated: true, at: 3 },
  ],
});

test('reasoning passback: V4 with tools keeps every turn\'s reasoning, V3.2 only inside the current tool loop, others never', () => {
  const v4 = requestMessages(conv(), DEFAULT_CHAT_SETTINGS, 'deepseek-ai/DeepSeek-V4-Flash', { passback: 'with-tools', toolsDefined: true });
  assert.deepEqual(v4.filter((w) => w.role === 'assistant').map((w) => w.reasoning), ['R1-THOUGHTS', 'R2-THOUGHTS']);
  assert.equal(v4[1].reasoning_content, 'R1-THOUGHTS');
  assert.deepEqual(v4[1].tool_calls, [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }]);
  assert.deepEqual(v4[2], { role: 'tool', tool_call_id: 'call_1', content: '{"hit":1}' });
  const v4NoTools = requestMessages(conv(), DEFAULT_CHAT_SETTINGS, 'deepseek-ai/DeepSeek-V4-Flash', { passback: 'with-tools', toolsDefined: false });
  assert.ok(v4NoTools.every((w) => w.reasoning === undefined));
  const v32 = requestMessages(conv(), DEFAULT_CHAT_SETTINGS, 'deepseek-ai/DeepSeek-V3.2', { passback: 'tool-loop', toolsDefined: true });
  assert.deepEqual(v32.filter((w) => w.role === 'assistant').map((w) => w.reasoning), [undefined, 'R2-THOUGHTS']);
  const r1 = requestMessages(conv(), DEFAULT_CHAT_SETTINGS, 'deepseek-ai/DeepSeek-R1', { passback: 'drop', toolsDefined: true });
  assert.ok(r1.every((w) => w.reasoning === undefined && w.reasoning_content === undefined));
});

test('streamChat assembles tool calls from delta.tool_calls (V4-Flash on SGLang with deepseekv4)', async () => {
  const cfg = parseEngineCommand(['python3', '-m', 'sglang.launch_server', '--model-path', 'deepseek-ai/DeepSeek-V4-Flash', '--tp', '4', '--reasoning-parser', 'deepseek-v4', '--tool-call-parser', 'deepseekv4']);
  const s = createSimServer({ cfg, dialect: dialectFor('sglang'), maxModelLen: 1_048_576, kvTokenCapacity: 4e6, model: simulatedModel(cfg.model), sim: { speed: 1, startupSpeed: 1, failRate: 0, disconnectRate: 0, seed: 2 }, clock: new EngineClock({ kind: 'exact', ttftMs: 0, itlMs: 0 }), simulatorVersion: 'test', ready: true });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  const tools = [{ type: 'function', function: { name: 'search', parameters: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query', 'limit'] } } }];
  const r = await streamChat({ baseUrl, model: 'deepseek-ai/DeepSeek-V4-Flash', prompt: 'find it', maxTokens: 600, thinking: true, extraBody: { tools, ...thinkingRequestFields(m('deepseek-ai/DeepSeek-V4-Flash'), 'high') } });
  assert.equal(r.finishReason, 'tool_calls');
  assert.ok(r.reasoning.length > 20);
  assert.equal(r.toolCalls?.length, 1);
  assert.equal(r.toolCalls[0].name, 'search');
  assert.ok(r.toolCalls[0].id.startsWith('call_'));
  assert.deepEqual(JSON.parse(r.toolCalls[0].arguments), { query: 'Paris', limit: 3 });
});
