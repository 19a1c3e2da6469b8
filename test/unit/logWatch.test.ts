import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyLogLine, LineSplitter, MAX_LOG_TAIL } from '../../src/core/engines/logWatch';

test('shard loading progress with ETA (vLLM tqdm line)', () => {
  assert.deepEqual(classifyLogLine('Loading safetensors checkpoint shards:  22% Completed | 11/49 [04:29<18:47, 29.67s/it]'), { kind: 'progress', phase: 'weights', percent: 22, done: 11, total: 49, eta: '18:47' });
});

test('readiness: vLLM and SGLang lines; SGLang uvicorn is only "listening"', () => {
  assert.equal(classifyLogLine('(APIServer pid=1) INFO:     Application startup complete.')?.kind, 'ready');
  assert.equal(classifyLogLine('[2026-11-23 10:00:00] The server is fired up and ready to roll!')?.kind, 'ready');
  assert.deepEqual(classifyLogLine('INFO 03-12 21:33:59 [api_server.py:958] Starting vLLM API server on http://0.0.0.0:8000'), { kind: 'listening', url: 'http://0.0.0.0:8000' });
  assert.equal(classifyLogLine('INFO:     Uvicorn running on http://0.0.0.0:30000 (Press CTRL+C to quit)')?.kind, 'listening');
});

test('KV-cache-too-small error yields the suggested --max-model-len', () => {
  const ev = classifyLogLine("ValueError: To serve at least one request with the models's max seq len (163840), (10.73 GiB KV cache is needed, which is larger than the available KV cache memory (5.20 GiB). Based on the available memory, the estimated maximum model length is 79360. Try increasing `gpu_memory_utilization`");
  assert.equal(ev?.kind, 'fatal');
  assert.equal(ev?.kind === 'fatal' ? ev.suggestedMaxModelLen : 0, 79360);
});

test('tqdm carriage returns split into separate lines; partial tails wait', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('a 10%\ra 20%\rb'), ['a 10%', 'a 20%']);
  assert.deepEqual(s.push('c\n'), ['bc']);
  assert.deepEqual(s.flush(), []);
});

test('kind 6 (issue 3/8): a log line that never ends keeps a bounded tail and costs linear time', () => {
  const s = new LineSplitter();
  const piece = 'x'.repeat(65_536);
  const t0 = performance.now();
  for (let i = 0; i < 1600; i++) assert.deepEqual(s.push(piece), []); // 100 MiB without a newline
  assert.ok(performance.now() - t0 < 20_000, 'linear, not quadratic');
  const [line] = s.push('END\n');
  assert.equal(line.length, MAX_LOG_TAIL + 3, 'only the last 64 KiB of the endless line is kept');
  assert.ok(line.endsWith('xEND'));
});
