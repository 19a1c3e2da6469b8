import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { parseEngineCommand } from '../../src/simulator/engineArgs';
import { dialectFor } from '../../src/simulator/dialect';
import { EngineClock } from '../../src/simulator/engineClock';
import { createSimServer } from '../../src/simulator/server';
import { simulatedModel, type ServerContext } from '../../src/simulator/serverContext';
import { SseParser } from '../../src/core/openai/sseParser';
import { ReasoningSplitter } from '../../src/core/openai/reasoningSplit';

// Recorded streams from each server flavour (our simulator follows the reference, D.2): the split must give the same
// reasoning and answer for all of them, wherever the bytes are cut.
const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
after(() => servers.forEach((s) => { s.closeAllConnections(); s.close(); }));

async function record(argv: string[], version?: string): Promise<Buffer> {
  const cfg = parseEngineCommand(argv);
  const ctx: ServerContext = {
    cfg, dialect: dialectFor(cfg.flavor, version), maxModelLen: 163840, kvTokenCapacity: 500000,
    sim: { speed: 1, startupSpeed: 1, failRate: 0, disconnectRate: 0, seed: 7 },
    model: simulatedModel(cfg.model), clock: new EngineClock({ kind: 'exact', ttftMs: 0, itlMs: 0 }), simulatorVersion: 'test', ready: true,
  };
  const s = createSimServer(ctx);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Explain TTFT' }], max_tokens: 160, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  return Buffer.from(await res.arrayBuffer());
}

type Delta = { content?: string | null; reasoning?: string | null; reasoning_content?: string | null };

function split(bytes: Buffer, cuts: number[]): { reasoning: string; content: string } {
  const parser = new SseParser();
  const sp = new ReasoningSplitter(true);
  const feed = (events: string[]): void => {
    for (const ev of events) {
      if (ev === '[DONE]') continue;
      const j = JSON.parse(ev) as { choices: Array<{ delta: Delta }> };
      for (const ch of j.choices) sp.push(ch.delta);
    }
  };
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    feed(parser.push(bytes.subarray(from, c)));
    from = c;
  }
  feed(parser.end());
  sp.end();
  return { reasoning: sp.reasoning, content: sp.content };
}

const FLAVOURS: Array<[string, string[], string?]> = [
  ['vLLM 0.17 `reasoning`', ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--reasoning-parser', 'deepseek_r1']],
  ['vLLM 0.13 `reasoning` + `reasoning_content` (counted once)', ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--reasoning-parser', 'deepseek_r1'], '0.13.0'],
  ['vLLM 0.8.5 `reasoning_content`', ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--reasoning-parser', 'deepseek_r1'], '0.8.5'],
  ['SGLang `reasoning_content`', ['python3', '-m', 'sglang.launch_server', '--model-path', 'deepseek-ai/DeepSeek-R1', '--reasoning-parser', 'deepseek-r1']],
  ['R1, no parser: only </think> in content', ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1']],
  ['R1-0528, no parser: <think> and </think> in content', ['vllm', 'serve', 'deepseek-ai/DeepSeek-R1-0528']],
];

test('D.2: reasoning and answer are the same for every server flavour, with the stream cut at every byte around the tags (every 11th elsewhere)', async () => {
  let reference: { reasoning: string; content: string } | undefined;
  for (const [name, argv, version] of FLAVOURS) {
    const bytes = await record(argv, version);
    const whole = split(bytes, []);
    assert.ok(whole.reasoning.length > 50 && !/<\/?think>/.test(whole.reasoning), `${name}: reasoning ${JSON.stringify(whole.reasoning.slice(0, 80))}`);
    assert.ok(whole.content.length > 20 && !/<\/?think>/.test(whole.content) && !whole.content.startsWith('\n'), `${name}: content ${JSON.stringify(whole.content.slice(0, 80))}`);
    // R1-0528's chat template differs (it opens <think> itself), so its prompt and thus its sampled text differ.
    if (!name.startsWith('R1-0528')) {
      reference ??= whole;
      assert.deepEqual({ reasoning: whole.reasoning.trim(), content: whole.content }, { reasoning: reference.reasoning.trim(), content: reference.content }, name);
    }
    // Every byte around the places that matter (the start, and the events carrying <think>/</think>), every 11th elsewhere.
    const marks = [0, bytes.indexOf('think>'), bytes.lastIndexOf('think>'), bytes.indexOf('"content":"\\n')].filter((m) => m >= 0);
    const dense = (i: number): boolean => marks.some((m) => Math.abs(i - m) < 600);
    for (let cut = 1; cut < bytes.length; cut += dense(cut) ? 1 : 11) assert.deepEqual(split(bytes, [cut]), whole, `${name}: cut at byte ${cut}`);
  }
});

test('tags split inside one delta stream character by character still split correctly; V3 (no reasoning) keeps everything', () => {
  const sp = new ReasoningSplitter(true);
  for (const ch of '<think>\nLet me think.\n</think>\n\nThe answer.') sp.push({ content: ch });
  sp.end();
  assert.equal(sp.reasoning, 'Let me think.\n');
  assert.equal(sp.content, 'The answer.');
  const v3 = new ReasoningSplitter(false);
  v3.push({ content: 'Plain answer with a literal </think> mention.' });
  assert.equal(v3.content, 'Plain answer with a literal </think> mention.');
  const cut = new ReasoningSplitter(true);
  cut.push({ content: 'unfinished thought </thi' });
  cut.end();
  assert.equal(cut.reasoning, 'unfinished thought </thi', 'a stream that stops mid-reasoning keeps all of it');
});
