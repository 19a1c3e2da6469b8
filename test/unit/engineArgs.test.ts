import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgparseError, checkFlagsForVersion, parseEngineCommand } from '../../src/simulator/engineArgs';

test('vllm serve form with the seed flags (003: TP+EP on 8×H200)', () => {
  const c = parseEngineCommand(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1-0528', '--tensor-parallel-size', '8', '--enable-expert-parallel', '--max-num-seqs', '512', '--max-num-batched-tokens=16384', '--gpu-memory-utilization', '0.95', '--trust-remote-code']);
  assert.equal(c.flavor, 'vllm');
  assert.equal(c.model, 'deepseek-ai/DeepSeek-R1-0528');
  assert.equal(c.tp, 8);
  assert.equal(c.expertParallel, true);
  assert.equal(c.maxNumSeqs, 512);
  assert.equal(c.maxNumBatchedTokens, 16384);
  assert.equal(c.port, 8000);
});

test("vLLM image form accepts underscores like vLLM's FlexibleArgumentParser (seed 004)", () => {
  const c = parseEngineCommand(['--model', 'deepseek-ai/DeepSeek-R1', '--download_dir', '/root/huggingface', '--trust-remote-code', '--tensor-parallel-size', '8', '--disable-log-requests']);
  assert.equal(c.model, 'deepseek-ai/DeepSeek-R1');
  assert.equal(c.prog, 'api_server.py');
});

test('SGLang form with --model alias and DP attention (seed 001)', () => {
  const c = parseEngineCommand(['python3', '-m', 'sglang.launch_server', '--model', 'deepseek-ai/DeepSeek-R1', '--tp', '8', '--trust-remote-code', '--enable-dp-attention']);
  assert.equal(c.flavor, 'sglang');
  assert.equal(c.port, 30000);
  assert.equal(c.dpAttention, true);
});

test('unknown flags fail like argparse: usage line, then "error: unrecognized arguments"', () => {
  try {
    parseEngineCommand(['vllm', 'serve', 'm', '--tensor-parallel-size', '8', '--bogus-flag', 'x']);
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof ArgparseError);
    assert.equal(e.format(), 'usage: vllm serve [model_tag] [options]\nvllm serve: error: unrecognized arguments: --bogus-flag x\n');
  }
  assert.throws(() => parseEngineCommand(['python3', '-m', 'sglang.launch_server', '--tp', '8']), /required: --model-path/);
  assert.throws(() => parseEngineCommand(['vllm', 'serve', 'm', '--max-num-seqs', 'many']), /invalid int value: 'many'/);
});

test('--enable-reasoning: accepted before vLLM 0.9, deprecated warning on 0.9.x, argparse error from 0.10.0 (vllm#17452, #18538)', () => {
  const cfg = parseEngineCommand(['vllm', 'serve', 'deepseek-ai/DeepSeek-R1', '--enable-reasoning', '--reasoning-parser', 'deepseek_r1']);
  assert.deepEqual(checkFlagsForVersion(cfg, '0.8.5'), []);
  assert.deepEqual(checkFlagsForVersion(cfg, '0.9.2'), ['The parameter --enable-reasoning is deprecated.']);
  assert.throws(() => checkFlagsForVersion(cfg, '0.10.0'), (e: unknown) => e instanceof ArgparseError && e.format() === 'usage: vllm serve [model_tag] [options]\nvllm serve: error: unrecognized arguments: --enable-reasoning\n');
  assert.deepEqual(checkFlagsForVersion(parseEngineCommand(['python3', '-m', 'sglang.launch_server', '--model-path', 'deepseek-ai/DeepSeek-R1', '--reasoning-parser', 'deepseek-r1']), '0.5.5'), []);
});
