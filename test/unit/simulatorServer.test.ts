import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { parseEngineCommand } from '../../src/simulator/engineArgs';
import { dialectFor } from '../../src/simulator/dialect';
import { EngineClock, type ClockMode } from '../../src/simulator/engineClock';
import { createSimServer } from '../../src/simulator/server';
import { simulatedModel, type ServerContext } from '../../src/simulator/serverContext';
import { SseParser } from '../../src/core/openai/sseParser';

const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
after(() => servers.forEach((s) => { s.closeAllConnections(); s.close(); }));

async function start(argv: string[], version?: string, sim: Partial<ServerContext['sim']> = {}, clock?: ClockMode): Promise<string> {
  return (await startCtx(argv, version, sim, clock)).base;
}

async function startCtx(argv: string[], version?: string, sim: Partial<ServerContext['sim']> = {}, clock?: ClockMode): Promise<{ base: string; ctx: ServerContext }> {
  const cfg = parseEngineCommand(argv);
  const ctx: ServerContext = {
    cfg, dialect: dialectFor(cfg.flavor, version), maxModelLen: cfg.maxModelLen ?? 163840, kvTokenCapacity: 500000,
    sim: { speed: 1, startupSpeed: 1, failRate: 0, disconnectRate: 0, seed: 0, ...sim },
    model: simulatedModel(cfg.model),
    clock: new EngineClock(clock ?? { kind: 'exact', ttftMs: 5, itlMs: 1 }), simulatorVersion: 'test', ready: true,
  };
  const s = createSimServer(ctx);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, ctx };
}

type Chunk = { choices: Array<{ delta: Record<string, string | null | undefined>; finish_reason: string | null }>; usage?: { completion_tokens: number } };

async function chatStream(base: string, body: Record<string, unknown>): Promise<{ chunks: Chunk[]; raw: string[]; headers: Headers }> {
  const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true, ...body }) });
  assert.equal(res.status, 200);
  const p = new SseParser();
  const raw = [...p.push(new Uint8Array(await res.arrayBuffer())), ...p.end()];
  return { raw, chunks: raw.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as Chunk), headers: res.headers };
}

test('vLLM (current) stream: role chunk first, reasoning in `reasoning`, </think> swallowed, usage chunk, [DONE]', async () => {
  const base = await start(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--reasoning-parser', 'deepseek_r1']);
  const { chunks, raw, headers } = await chatStream(base, { max_tokens: 400, stream_options: { include_usage: true } });
  assert.equal(headers.get('x-deepseek-simulated'), '1');
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
  assert.equal(raw.at(-1), '[DONE]');
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, []);
  const body = chunks.slice(0, -1);
  const reasoning = body.map((c) => c.choices[0].delta.reasoning ?? '').join('');
  const content = body.map((c) => c.choices[0].delta.content ?? '').join('');
  assert.ok(reasoning.length > 20);
  assert.ok(!('reasoning_content' in body[1].choices[0].delta));
  assert.ok(!content.includes('</think>') && content.includes('### Steps'));
  assert.equal(body.at(-1)!.choices[0].finish_reason, 'stop');
});

test('no parser: R1 streams reasoning in content with only the closing </think>; R1-0528 with both tags', async () => {
  const r1 = await start(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1']);
  const a = (await chatStream(r1, { max_tokens: 400 })).chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.ok(!a.includes('<think>') && a.includes('</think>'));
  const r0528 = await start(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1-0528']);
  const b = (await chatStream(r0528, { max_tokens: 400 })).chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.ok(b.startsWith('<think>\n') && b.includes('</think>'));
});

test('SGLang and old vLLM use reasoning_content; old vLLM errors are flat, new ones nested', async () => {
  const sg = await start(['python3', '-m', 'sglang.launch_server', '--model-path', 'deepseek-ai/DeepSeek-R1', '--reasoning-parser', 'deepseek-r1']);
  const s = (await chatStream(sg, { max_tokens: 30 })).chunks;
  assert.ok(s.some((c) => typeof c.choices[0]?.delta.reasoning_content === 'string' && (c.choices[0].delta.reasoning_content).length > 0));
  const oldV = await start(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1'], '0.8.5');
  const r = await fetch(`${oldV}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: 200000 }) });
  assert.equal(r.status, 400);
  const flat = (await r.json()) as Record<string, unknown>;
  assert.equal(flat.object, 'error');
  assert.match(String(flat.message), /maximum context length is 163840 tokens/);
  const newV = await start(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1']);
  const r2 = await fetch(`${newV}/v1/models/../chat/completions`.replace('/models/..', ''), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }) });
  assert.equal(r2.status, 404);
  assert.deepEqual(await r2.json(), { error: { message: 'The model `nope` does not exist.', type: 'NotFoundError', param: null, code: 404 } });
});

test('token-id prompts on /v1/completions keep their exact length; ignore_eos gives exactly max_tokens', async () => {
  const base = await start(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1']);
  const ids = Array.from({ length: 1000 }, (_, i) => 5000 + ((i * 7919) % 90000));
  const res = await fetch(`${base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: ids, max_tokens: 50, ignore_eos: true }) });
  const j = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number }; choices: Array<{ finish_reason: string; text: string }> };
  assert.equal(j.usage.prompt_tokens, 1000);
  assert.equal(j.usage.completion_tokens, 50);
  assert.equal(j.choices[0].finish_reason, 'length');
  const detok = (await (await fetch(`${base}/detokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tokens: ids }) })).json()) as { prompt: string };
  const tok = (await (await fetch(`${base}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: detok.prompt, add_special_tokens: false }) })).json()) as { count: number };
  assert.equal(tok.count, 1000);
});

test('--api-key: 401 without the bearer token, 200 with it', async () => {
  const base = await start(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--api-key', 's3cret']);
  assert.equal((await fetch(`${base}/v1/models`)).status, 401);
  assert.equal((await fetch(`${base}/v1/models`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
});

test('metrics move with load: generation tokens counted under vLLM names', async () => {
  const base = await start(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1']);
  await chatStream(base, { max_tokens: 20, ignore_eos: true });
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /vllm:generation_tokens_total\{engine="0",model_name="deepseek-ai\/DeepSeek-R1"\} 20\.0/);
  assert.match(text, /vllm:num_requests_running/);
  assert.match(text, /vllm:kv_cache_usage_perc/);
});
