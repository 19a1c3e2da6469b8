// Benchmark presets say about how long they take before they start (issue 17), from the calibrated step cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BENCH_PRESETS } from '../../src/core/bench/presets';
import { estimateRunSeconds, formatEstimate, measuredSpeedOf, stepCostFromMeasurement } from '../../src/core/bench/presetEstimate';
import { CALIBRATIONS } from '../../src/simulator/calibration';

const total = (id: string): number => BENCH_PRESETS.find((p) => p.id === id)!.runs.reduce((s, r) => s + estimateRunSeconds(r, CALIBRATIONS.vllmH200x8), 0);

test('latency preset: 1024-token prefill then 128 decode steps at batch 1 (vLLM 8×H200 seed 003 cost)', () => {
  // 0.0689 ms × 1024 + 128 × (15.5 + 0.35) ms = 70.6 + 2028.8 ms
  assert.ok(Math.abs(total('latency') - 2.0994) < 0.01, String(total('latency')));
  assert.equal(formatEstimate(total('latency')), '≈ 2 s');
});

test('long presets are estimated in minutes, and the matrix is the longest', () => {
  assert.match(formatEstimate(total('seed003-matrix')), /min|h$/);
  assert.ok(total('seed003-matrix') > total('llmperf') && total('llmperf') > total('latency'));
  assert.equal(formatEstimate(5400), '≈ 1.5 h');
  assert.equal(formatEstimate(300), '≈ 5 min');
});

test('plain names: no internal seed words in the picker labels', () => {
  for (const p of BENCH_PRESETS) assert.doesNotMatch(p.label, /seed|\b0\d\d\b/i, p.label);
});

test('after a run, estimates come from the endpoint\'s measured speed: the same run shape is predicted back exactly', () => {
  // A latency run's result with vLLM's keys: 1 request, 1024 in, TTFT 100 ms, TPOT 20 ms (a slow, 2× busier server).
  const speed = measuredSpeedOf({ completed: 1, total_input_tokens: 1024, mean_ttft_ms: 100, mean_tpot_ms: 20, max_concurrency: 1, max_concurrent_requests: 1 });
  assert.deepEqual(speed, { concurrency: 1, meanTpotMs: 20, meanTtftMs: 100, meanInputTokens: 1024 });
  const cost = stepCostFromMeasurement(CALIBRATIONS.vllmH200x8, speed);
  const latency = BENCH_PRESETS.find((p) => p.id === 'latency')!.runs[0];
  // 100 ms prefill + 128 × 20 ms decode = 2.66 s (the calibration alone said ≈ 2.10 s).
  assert.ok(Math.abs(estimateRunSeconds(latency, cost) - 2.66) < 1e-9, String(estimateRunSeconds(latency, cost)));
  // The batch shape is the calibration's: TPOT at batch 64 grows by the calibrated ratio.
  const c = CALIBRATIONS.vllmH200x8;
  assert.ok(Math.abs(cost.baseMs + 64 * cost.perSeqMs - 20 * (c.baseMs + 64 * c.perSeqMs) / (c.baseMs + c.perSeqMs)) < 1e-9);
});

test('a result with nothing finished gives no measured speed (cancelled before any request, or one-token answers)', () => {
  assert.equal(measuredSpeedOf({ completed: 0, total_input_tokens: 0, mean_ttft_ms: 0, mean_tpot_ms: 0, max_concurrency: 64 }), undefined);
  assert.equal(measuredSpeedOf({ completed: 5, total_input_tokens: 500, mean_ttft_ms: 40, mean_tpot_ms: 0, max_concurrency: null }), undefined);
  // Unlimited concurrency: the peak in-flight count stands for it.
  assert.equal(measuredSpeedOf({ completed: 8, total_input_tokens: 800, mean_ttft_ms: 40, mean_tpot_ms: 12, max_concurrency: null, max_concurrent_requests: 8 })?.concurrency, 8);
});
