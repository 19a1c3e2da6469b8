import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { parseEngineCommand } from '../../src/simulator/engineArgs';
import { dialectFor } from '../../src/simulator/dialect';
import { EngineClock } from '../../src/simulator/engineClock';
import { createSimServer } from '../../src/simulator/server';
import { simulatedModel } from '../../src/simulator/serverContext';
import { streamChat } from '../../src/core/openai/chatStream';
import { ReasoningSplitter, splitModeFor } from '../../src/core/openai/reasoningSplit';
import { findModel } from '../../src/core/plan/catalog';

// The splitter's default follows the catalog and the endpoint's model: reasoning only where the model reasons.
const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
after(() => servers.forEach((s) => { s.closeAllConnections(); s.close(); }));

async function sim(argv: string[], version?: string): Promise<string> {
  const cfg = parseEngineCommand(argv);
  const s = createSimServer({
    cfg, dialect: dialectFor(cfg.flavor, version), maxModelLen: 163840, kvTokenCapacity: 500000, model: simulatedModel(cfg.model),
    sim: { speed: 1, startupSpeed: 1, failRate: 0, disconnectRate: 0, seed: 1 }, clock: new EngineClock({ kind: 'exact', ttftMs: 0, itlMs: 0 }), simulatorVersion: 'test', ready: true,
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

test('DeepSeek-V3 through the simulator: the whole answer in content, no reasoning (was content "" before)', async () => {
  const baseUrl = await sim(['vllm', 'serve', 'deepseek-ai/DeepSeek-V3', '--tensor-parallel-size', '8']);
  const r = await streamChat({ baseUrl, model: 'deepseek-ai/DeepSeek-V3', prompt: 'Explain TTFT', maxTokens: 120 });
  assert.equal(r.reasoning, '');
  assert.match(r.content, /### Steps/);
});

test('V4-Flash without a reasoning parser: thinking on splits at </think>, thinking off is all answer', async () => {
  const baseUrl = await sim(['vllm', 'serve', 'deepseek-ai/DeepSeek-V4-Flash', '--tensor-parallel-size', '8'], '0.25.0');
  const on = await streamChat({ baseUrl, model: 'deepseek-ai/DeepSeek-V4-Flash', prompt: 'hi', maxTokens: 400, thinking: true, extraBody: { chat_template_kwargs: { thinking: true } } });
  assert.ok(on.reasoning.length > 40 && !on.reasoning.includes('think>'));
  assert.match(on.content, /### Steps/);
  const off = await streamChat({ baseUrl, model: 'deepseek-ai/DeepSeek-V4-Flash', prompt: 'hi', maxTokens: 400, thinking: false, extraBody: { chat_template_kwargs: { thinking: false } } });
  assert.equal(off.reasoning, '');
  assert.match(off.content, /^Here is|^Short version|^Good question/);
});

test('split modes from the catalog: V3 none, R1 reasoning-first, hybrid by the request, unknown models only on an explicit <think>', () => {
  assert.equal(splitModeFor(findModel('deepseek-ai/DeepSeek-V3')), 'none');
  assert.equal(splitModeFor(findModel('deepseek-ai/DeepSeek-R1')), 'reasoning-first');
  assert.equal(splitModeFor(findModel('deepseek-ai/DeepSeek-V3.2'), false), 'none');
  assert.equal(splitModeFor(findModel('deepseek-ai/DeepSeek-V4-Pro'), true), 'reasoning-first');
  assert.equal(splitModeFor(undefined), 'tagged');
  const plain = new ReasoningSplitter('tagged');
  plain.push({ content: 'Hello ' });
  plain.push({ content: 'world' });
  plain.end();
  assert.deepEqual([plain.reasoning, plain.content], ['', 'Hello world']);
  const tagged = new ReasoningSplitter('tagged');
  for (const c of ['<th', 'ink>\nlet me see', '</thi', 'nk>\n\nAnswer']) tagged.push({ content: c });
  tagged.end();
  assert.deepEqual([tagged.reasoning, tagged.content], ['let me see', 'Answer']);
});
