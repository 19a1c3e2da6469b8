import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNativeBenchmark } from '../../src/core/bench/nativeBench';
import { localRunner } from '../../src/core/launch/runners';

// The seeds' real printouts, produced by a stand-in `vllm` / `python3 -m sglang.bench_one_batch` that prints them, run
// through runNativeBenchmark and the same framed-script runner that launches engines (SSH hosts use the same script).
const FIX = path.resolve(__dirname, '../../../test/unit/fixtures');

function fakeTool(name: string, fixture: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-native-'));
  const bin = path.join(dir, name);
  fs.writeFileSync(bin, `#!/bin/sh\necho "INFO some log line before the result"\ncat '${path.join(FIX, fixture)}'\n`, { mode: 0o755 });
  return bin;
}

test('seed 003: `vllm bench serve` printout → vLLM JSON names (P99 ITL 16.15 ms, 543.06 tok/s total)', async () => {
  const bin = fakeTool('vllm', 'seed003-vllm-bench-serve.txt');
  const lines: string[] = [];
  const r = await runNativeBenchmark(localRunner(), [bin, 'bench', 'serve', '--model', 'deepseek-ai/DeepSeek-R1', '--dataset-name', 'random', '--random-input-len', '8000'], { onOutput: (s) => lines.push(s) });
  assert.equal(r.tool, 'vllm bench serve');
  assert.equal(r.fields.completed, 1);
  assert.equal(r.fields.duration, 16.39);
  assert.equal(r.fields.total_input_tokens, 7902);
  assert.equal(r.fields.total_token_throughput, 543.06);
  assert.equal(r.fields.mean_ttft_ms, 560);
  assert.equal(r.fields.median_tpot_ms, 15.85);
  assert.equal(r.fields.p99_itl_ms, 16.15);
  assert.match(lines.join(''), /INFO some log line/);
});

test('seed 001: sglang.bench_one_batch output → the measured run (after warm-up): prefill 651.90 tok/s, decode median 20.98 ms', async () => {
  const bin = fakeTool('python3', 'seed001-bench-one-batch.txt');
  const r = await runNativeBenchmark(localRunner(), [bin, '-m', 'sglang.bench_one_batch', '--batch-size', '1', '--input', '128', '--output', '256']);
  assert.equal(r.tool, 'sglang.bench_one_batch');
  assert.equal(r.runs?.length, 2);
  assert.equal(r.runs?.[0].decodeSteps.length, 5);
  assert.equal(r.fields.prefill_throughput, 651.9);
  assert.equal(r.fields.decode_median_latency_s, 0.02098);
  assert.ok(Math.abs(Number(r.fields.median_tpot_ms) - 20.98) < 1e-9);
  assert.equal(r.fields.total_throughput, 69.35);
});

test('a failing engine benchmark reports its exit code and last lines; output without a result is an error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-native-'));
  const bad = path.join(dir, 'vllm');
  fs.writeFileSync(bad, '#!/bin/sh\necho "ValueError: --random-input-len must be positive" >&2\nexit 2\n', { mode: 0o755 });
  await assert.rejects(runNativeBenchmark(localRunner(), [bad, 'bench', 'serve']), /exited with 2:\nValueError: --random-input-len must be positive/);
  const quiet = path.join(dir, 'python3');
  fs.writeFileSync(quiet, '#!/bin/sh\necho nothing\n', { mode: 0o755 });
  await assert.rejects(runNativeBenchmark(localRunner(), [quiet, '-m', 'sglang.bench_serving']), /no benchmark result in the output/);
});
