// Benchmark presets say about how long they take before they start (issue 17), from the calibrated step cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BENCH_PRESETS } from '../../src/core/bench/presets';
import { estimateRunSeconds, formatEstimate } from '../../src/core/bench/presetEstimate';
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
