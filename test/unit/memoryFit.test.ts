import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findModel, parseGpuSpec } from '../../src/core/plan/catalog';
import { MLA_KV_ELEMENTS_PER_TOKEN, planMemoryFit } from '../../src/core/plan/memoryFit';

const base = { tp: 8, dp: 1, pp: 1, expertParallel: false, dpAttention: false, gpuMemoryUtilization: 0.9, kvCacheDtype: 'auto' as const };

test('MLA KV is 576 × 61 elements per token (never ×2 for K and V)', () => {
  assert.equal(MLA_KV_ELEMENTS_PER_TOKEN, 35136);
  const r = planMemoryFit({ ...base, model: findModel('deepseek-ai/DeepSeek-R1')!, gpus: parseGpuSpec('8xH200-141GB') });
  assert.equal(r.kvBytesPerToken, 70272);
  assert.ok(r.fits);
  assert.ok(r.kvTokenCapacity > 300_000 && r.kvTokenCapacity < 1_000_000, String(r.kvTokenCapacity));
});

test('R1 FP8 does not fit 8×H100 (weights); the AWQ variant does (seed 000)', () => {
  const fp8 = planMemoryFit({ ...base, model: findModel('deepseek-ai/DeepSeek-R1')!, gpus: parseGpuSpec('8xH100-80GB') });
  assert.equal(fp8.fits, false);
  assert.equal(fp8.reason, 'weights');
  const awq = planMemoryFit({ ...base, model: findModel('cognitivecomputations/DeepSeek-R1-AWQ')!, gpus: parseGpuSpec('8xH100-80GB'), maxModelLen: 8000 });
  assert.ok(awq.fits);
});

test('a max-model-len the KV cache cannot hold gives a concrete smaller one', () => {
  const r = planMemoryFit({ ...base, model: findModel('deepseek-ai/DeepSeek-R1')!, gpus: parseGpuSpec('8xH200-141GB'), gpuMemoryUtilization: 0.62 });
  assert.equal(r.reason, 'kv');
  assert.ok(r.largestMaxModelLen > 0 && r.largestMaxModelLen < 163840);
  assert.ok(r.suggestions.includes(`--max-model-len ${r.largestMaxModelLen}`));
});

test('bad GPU specs are rejected with the expected form', () => {
  assert.throws(() => parseGpuSpec('eight H100s'), /expected COUNTxMODEL/);
  assert.throws(() => parseGpuSpec('8xQ100'), /unknown GPU/);
});
